// `crashplug elfcorehdr` on a riscv64 machine, as a user runs it (`node bin/crashplug.js` on the
// built dist/): the CLI finds the port through the registry from "arch": "riscv64" alone, and the
// bytes it writes are the port's header, which readelf reads as a RISC-V core file.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { registryOf } from '../../core/port/index.js';

import { ARCH_MODULES } from '../../api/builtin-ports.js';
import { riscvPlugin } from '../../test/fixtures/riscv64/riscv-systems.js';
import { loadSystemFile } from '../../api/system-file.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const SYSTEM = join(ROOT, 'test', 'fixtures', 'riscv64', 'system.json');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-riscv-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function crashplug(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('crashplug elfcorehdr with "arch": "riscv64"', () => {
  it('writes the header the riscv64 port builds, and readelf reads it as RISC-V', () => {
    const out = join(work, 'riscv.bin');
    const r = crashplug('elfcorehdr', '--system', SYSTEM, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const expected = buildSystemElfcorehdr(loadSystemFile(SYSTEM, registryOf(ARCH_MODULES)), riscvPlugin()).bytes;
    expect(readFileSync(out).equals(Buffer.from(expected))).toBe(true);
    const elf = spawnSync('readelf', ['-h', '-l', '-W', out], { encoding: 'utf8' });
    if (elf.error) throw new Error(`readelf could not run (${elf.error.message}); install binutils`);
    expect(elf.stderr).toBe('');
    expect(elf.stdout).toMatch(/Machine:\s+RISC-V/);
    expect(elf.stdout).toMatch(/Type:\s+CORE/);
  });

  it('labels every program header in the JSON report', () => {
    const r = crashplug('elfcorehdr', '--system', SYSTEM, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { arch: string; elfHeader: { e_machine: number; e_phnum: number }; programHeaders: { role: string; p_filesz: string }[] };
    expect(j.arch).toBe('riscv64');
    expect(j.elfHeader).toMatchObject({ e_machine: 243, e_phnum: 8 });
    expect(j.programHeaders.map((p) => p.role)).toEqual(['cpu-note', 'cpu-note', 'cpu-note', 'cpu-note', 'vmcoreinfo', 'kernel-map', 'ram', 'ram']);
    expect(j.programHeaders[0]!.p_filesz).toBe('0x198');
  });

  it('says why a 5.18 kernel has no header, exit 2 and one line', () => {
    const r = crashplug('elfcorehdr', '--system', SYSTEM, '--kernel', '5.18');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^crashplug: .*cannot load a crash kernel with kexec_file_load on riscv64/);
  });
});
