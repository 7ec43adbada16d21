// What every command gets from the composition root: the port registry (built on first use, so
// `--help` never waits for it) and where its output goes.

import type { PluginRegistry } from '../core/port/index.js';

export interface CliContext {
  readonly registry: () => PluginRegistry;
  /** Standard output; the commands write whole reports, never partial ones. */
  readonly out: (text: string) => void;
}
