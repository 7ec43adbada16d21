#!/usr/bin/env node
// Bundles the compiled dist/ into dist/bundle/: the CLI and the three package entries (crashplug,
// crashplug/port, crashplug/conformance) as ES modules sharing chunks, so that a command loads a
// handful of files instead of ~385 modules (most of them inversify's), and a port loaded with
// --port shares the CLI's copy of the contract. The picture and page code stays in chunks of its
// own, loaded only when --svg or --html asks for it. Run after tsc (npm run build does both).
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const entries = ['cli/main.js', 'api/index.js', 'core/port/index.js', 'conformance/index.js'].map((e) => join(dist, e));
for (const e of entries) if (!existsSync(e)) throw new Error(`bundle: ${e} is missing; run tsc first (npm run build does)`);
const outdir = join(dist, 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: entries,
  outbase: dist,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // vitest is the conformance kit's optional peer: imported where the kit runs, never bundled.
  external: ['vitest'],
  chunkNames: 'chunks/[name]-[hash]',
  // commander is CommonJS: its require() of Node's own modules needs a require in an ES module.
  banner: { js: "import { createRequire as __crashplugRequire } from 'node:module'; const require = __crashplugRequire(import.meta.url);" },
  logLevel: 'warning',
});
