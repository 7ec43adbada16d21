// crashplug's own version, from its package.json. The compiled CLI runs from dist/cli/ and from the
// bundle's dist/bundle/cli/ (or a chunk beside it), so the file is found by walking up from this
// module to the first package.json that names crashplug, not by a fixed relative path.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'crashplug') {
        if (typeof pkg.version === 'string') cached = pkg.version;
        break;
      }
    } catch {
      // no readable package.json here: look one folder up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return cached;
}
