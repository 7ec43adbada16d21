// Ports from outside crashplug: `--port MODULE` (repeatable, anywhere on the line) and
// CRASHPLUG_PORTS load them into the same container as the built-in ports; a module that is not a
// port is refused with E_PORT_MODULE naming what is missing; a port's own bug is an internal fault.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeElfCoreHeader, PT_LOAD } from '../core/elf/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const PORTS = join(ROOT, 'test', 'fixtures', 'ports');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-ports-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function crashplug(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, CRASHPLUG_DEBUG: '', CRASHPLUG_PORTS: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('crashplug --port MODULE', () => {
  describe('when the module is a port', () => {
    it('builds a header for its arch, with core defaults for every hook it leaves out', () => {
      const out = join(work, 'toy.bin');
      const r = crashplug(['--port', join(PORTS, 'toy-port.mjs'), 'elfcorehdr', '--system', join(PORTS, 'toy64.json'), '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const h = decodeElfCoreHeader(new Uint8Array(readFileSync(out)), 'toy.bin');
      expect(h.header.machine).toBe(0x7e57);
      // 4 CPU notes, vmcoreinfo, and the two RAM ranges with the crash reservation cut out of the first.
      expect(h.phdrs.filter((p) => p.type === PT_LOAD).map((p) => [p.paddr, p.memsz])).toEqual([
        [0x10_0000n, 0x4000_0000n - 0x10_0000n],
        [0x5000_0000n, 0x3000_0000n],
        [0x1_0000_0000n, 0x8000_0000n],
      ]);
      const json = JSON.parse(crashplug(['--port', join(PORTS, 'toy-port.mjs'), 'elfcorehdr', '--system', join(PORTS, 'toy64.json'), '--json']).stdout);
      expect(json.elfHeader.machine).toBe('EM_TOY64');
    });

    it('takes --port after the command too, and --port=MODULE', () => {
      const out = join(work, 'toy2.bin');
      const r = crashplug(['elfcorehdr', `--port=${join(PORTS, 'toy-port.mjs')}`, '--system', join(PORTS, 'toy64.json'), '--out', out]);
      expect(r.status).toBe(0);
    });

    it('lists it in --help beside the built-in ports, and says where it came from', () => {
      const r = crashplug(['--port', join(PORTS, 'toy-port.mjs'), '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^ {2}toy64 +toy64: a test port/m);
      expect(r.stdout).toMatch(/^ {2}x86_64 /m);
      expect(r.stdout).toContain(`Ports loaded from outside crashplug: ${join(PORTS, 'toy-port.mjs')}`);
    });

    it('is also loaded from CRASHPLUG_PORTS (comma-separated)', () => {
      const r = crashplug(['--help'], { CRASHPLUG_PORTS: ` ${join(PORTS, 'toy-port.mjs')} ,` });
      expect(r.stdout).toMatch(/^ {2}toy64 /m);
    });

    it('adds the releases it models: its newest becomes the default kernel', () => {
      const r = crashplug(['--port', join(PORTS, 'toy-port.mjs'), 'elfcorehdr', '--system', join(PORTS, 'toy64.json'), '--json']);
      expect(JSON.parse(r.stdout).kernel).toBe('7.4');
    });

    it('refuses the same port loaded twice', () => {
      const toy = join(PORTS, 'toy-port.mjs');
      const r = crashplug(['--port', toy, '--help'], { CRASHPLUG_PORTS: toy });
      expect(r.status).toBe(2);
      expect(r.stderr).toBe('crashplug: E_PLUGIN: two ports claim the arch "toy64"; load each port\'s module once\n');
    });
  });

  describe('when the module is not a port', () => {
    it.each([
      [
        'not-a-port.mjs',
        /^crashplug: E_PORT_MODULE: port module "\S+not-a-port\.mjs": exports no inversify ContainerModule \(its exports: answer, hello\); export the port's module as the default export or as "portModule"\n$/,
      ],
      [
        'no-port-bound.mjs',
        /^crashplug: E_PORT_MODULE: port module "\S+no-port-bound\.mjs": its ContainerModule binds no ArchPort; bind one to TOKENS\.ArchPort/,
      ],
      [
        'incomplete-port.mjs',
        /^crashplug: E_PORT_MODULE: port module "\S+incomplete-port\.mjs": its port "half64" lacks machineName \(e_machine's name such as "EM_LOONGARCH"\); has hooks that are not functions: crashMemory; see PORTING\.md/,
      ],
      ['missing.mjs', /^crashplug: E_PORT_MODULE: port module "\S+missing\.mjs": cannot be loaded \(Cannot find module/],
    ])('%s: exit 2 with one coded line naming what is missing', (file, message) => {
      const r = crashplug(['--port', join(PORTS, file), 'elfcorehdr', '--system', join(PORTS, 'toy64.json')]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    });

    it('a package name that is not installed: exit 2, E_PORT_MODULE', () => {
      const r = crashplug(['--port', 'crashplug-port-that-does-not-exist', '--help']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^crashplug: E_PORT_MODULE: port module "crashplug-port-that-does-not-exist": not found from /);
    });

    it('--port without a module is a usage error', () => {
      const r = crashplug(['elfcorehdr', '--port']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^crashplug: E_BAD_ARGUMENT: option '--port <module>' argument missing/);
    });
  });

  describe("when a port's hook has a bug", () => {
    it('is an internal fault of that port: exit 1, E_PORT_FAULT naming the port and the hook', () => {
      const r = crashplug(['--port', join(PORTS, 'faulty-port.mjs'), 'elfcorehdr', '--system', join(PORTS, 'buggy64.json')]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^crashplug: E_PORT_FAULT: the buggy64 port failed in crashMemory: Cannot read properties of undefined \(reading 'ranges'\)\n$/);
    });
  });
});
