// crashplug as an installed package, the way a user or a port author meets it: the tarball of
// `npm pack` installs into an empty folder, its command runs, `import('crashplug')`,
// `crashplug/port` and `crashplug/conformance` resolve with their types, and the out-of-tree
// example port (examples/out-of-tree-port) installs against the tarball, passes its conformance
// test, and builds a header through `crashplug --port` that readelf accepts.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'out-of-tree-port');
const REAL_61 = join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1');
const NPM = { encoding: 'utf8' as const, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } };
let work: string;
let tarball: string;
let app: string;

function npm(args: string[], cwd: string): string {
  const r = spawnSync('npm', args, { ...NPM, cwd });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} in ${cwd} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { ...NPM, cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-package-'));
  // dist/ is already built by the suite's global setup; --ignore-scripts keeps prepack from
  // rebuilding it under the other test files' feet.
  npm(['pack', '--ignore-scripts', '--pack-destination', work], ROOT);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  npm(['install', tarball], app);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('carries the bundled code with its types, the docs and the licence, and no tests, source maps or unbundled modules', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of [
      'package/dist/bundle/cli/main.js',
      'package/dist/bundle/api/index.js',
      'package/dist/bundle/core/port/index.js',
      'package/dist/bundle/conformance/index.js',
      'package/dist/api/index.d.ts',
      'package/dist/core/port/index.d.ts',
      'package/dist/conformance/index.d.ts',
      'package/bin/crashplug.js',
      'package/LICENSE',
      'package/README.md',
      'package/PORTING.md',
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /\/test\/|\.test\.|\.map$|\/bench\//.test(f))).toEqual([]);
    // The tsc output is bundled: only its declarations ship beside the bundle.
    expect(files.filter((f) => f.startsWith('package/dist/') && f.endsWith('.js') && !f.startsWith('package/dist/bundle/'))).toEqual([]);
  });

  it('installs into an empty folder, with inversify as a peer, and `npx crashplug` runs', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'crashplug', 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
    expect(pkg.peerDependencies.inversify).toBeDefined();
    expect(existsSync(join(app, 'node_modules', 'inversify'))).toBe(true);
    const v = run('npx', ['crashplug', '--version'], app);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
    const out = join(app, 'hdr.bin');
    const r = run('npx', ['crashplug', 'elfcorehdr', '--system', join(REAL_61, 'system.json'), '--out', out], app);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const real = readFileSync(join(REAL_61, 'elfcorehdr-kernel-kexec_file.bin'));
    expect(readFileSync(out).subarray(0, real.length).equals(real)).toBe(true);
  });

  it('exposes the API, the port contract and the kit through its exports, with types', () => {
    const script = `
      const api = await import('crashplug');
      const port = await import('crashplug/port');
      const kit = await import('crashplug/conformance');
      const cp = api.createCrashplug();
      const system = cp.loadSystem(${JSON.stringify(join(REAL_61, 'system.json'))});
      console.log(JSON.stringify({
        api: ['createCrashplug', 'loadSystemFile', 'simulateHotplug', 'resizeEvents', 'CrashplugError'].filter((k) => typeof api[k] !== 'function'),
        port: ['TOKENS', 'genericCrashMemory', 'crashHotplugBuilt', 'CrashplugError'].filter((k) => port[k] === undefined),
        kit: ['runConformance', 'describeConformance'].filter((k) => typeof kit[k] !== 'function'),
        ports: cp.registry.ids(),
        bytes: cp.build(system).bytes.length,
      }));`;
    const r = run(process.execPath, ['--input-type=module', '-e', script], app);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ api: [], port: [], kit: [], ports: ['arm64', 'ppc64', 'ppc64le', 'riscv64', 'x86_64'], bytes: 4096 });
    for (const d of ['dist/api/index.d.ts', 'dist/core/port/index.d.ts', 'dist/conformance/index.d.ts']) {
      expect(existsSync(join(app, 'node_modules', 'crashplug', d))).toBe(true);
    }
  });
});

describe('the out-of-tree example port (examples/out-of-tree-port)', () => {
  let ex: string;
  beforeAll(() => {
    ex = join(work, 'out-of-tree-port');
    cpSync(EXAMPLE, ex, { recursive: true, filter: (src) => !/node_modules|[/\\]dist([/\\]|$)/.test(src) });
    const pkg = JSON.parse(readFileSync(join(ex, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    pkg.devDependencies.crashplug = `file:${tarball}`;
    writeFileSync(join(ex, 'package.json'), JSON.stringify(pkg, null, 2));
    npm(['install'], ex);
  }, 300_000);

  it('passes its own npm test: the conformance kit, installed from the tarball', () => {
    const r = run('npm', ['test'], ex);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/conformance/);
  }, 300_000);

  it('installs beside crashplug and builds a header through `crashplug --port <package>` that readelf -l accepts', () => {
    npm(['pack', '--ignore-scripts', '--pack-destination', work], ex);
    const portTgz = join(work, readdirSync(work).find((f) => f.startsWith('crashplug-port-'))!);
    npm(['install', portTgz], app);
    const out = join(app, 'loong.bin');
    const system = join(app, 'node_modules', 'crashplug-port-loongarch64', 'example.json');
    const r = run('npx', ['crashplug', '--port', 'crashplug-port-loongarch64', 'elfcorehdr', '--system', system, '--out', out], app);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const readelf = run('readelf', ['-h', '-l', '-W', out], app);
    expect(readelf.status).toBe(0);
    expect(readelf.stderr).toBe('');
    expect(readelf.stdout).toMatch(/Machine:\s+LoongArch/);
    expect(readelf.stdout).toMatch(/LOAD/);
  }, 300_000);
});
