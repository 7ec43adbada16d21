// Builds dist/ (tsc, then the bundle) once before any test file runs, when a source is newer than
// the built CLI, so the tests that run `node bin/crashplug.js` never see a stale or half-written
// build. `npm test` builds first anyway; this covers a bare `npx vitest`.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function newestSource(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  // The CLI the tests run is the bundle (bin/crashplug.js imports it), made after tsc.
  const main = join(ROOT, 'dist', 'bundle', 'cli', 'main.js');
  const sources = readdirSync(ROOT).filter((d) => d === 'core' || d === 'cli' || d === 'api' || d === 'conformance' || d.startsWith('arch-'));
  const newest = Math.max(...sources.map((d) => newestSource(join(ROOT, d))));
  if (existsSync(main) && statSync(main).mtimeMs >= newest) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`tsc failed, the CLI tests cannot run:\n${r.stdout}${r.stderr}`);
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`the bundle failed, the CLI tests cannot run:\n${b.stdout}${b.stderr}`);
}
