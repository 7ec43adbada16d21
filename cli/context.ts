// What every command gets from the composition root: the port registry, where its output goes,
// and how it says that the answer it computed is bad (exit 3), which scripts can test.

import type { PluginRegistry } from '../core/port/index.js';

export interface CliContext {
  readonly registry: () => PluginRegistry;
  /** Standard output; the commands write whole reports, never partial ones. */
  readonly out: (text: string) => void;
  /**
   * The command ran, and its answer is bad: check found an error, inspect --against found
   * differences, simulate ended with failed updates or a stale header. The CLI exits 3 after the
   * report is written (unless the command was given --no-fail). `why` is kept for --json callers.
   */
  readonly answerIsBad: (why: string) => void;
  /**
   * Standard output for bytes: `--out -` (the report then goes to `err`), and report pieces
   * written as UTF-8 bytes (output.ts reportBytesStream), in order with `out`.
   */
  readonly outBytes?: ((bytes: Uint8Array) => void) | undefined;
  /** Standard error. */
  readonly err?: ((text: string) => void) | undefined;
}
