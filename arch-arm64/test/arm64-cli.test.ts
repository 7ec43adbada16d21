// `crashplug elfcorehdr` on arm64 machines, as a user runs it (`node bin/crashplug.js` on the built
// dist/): W15 from a system description (test/fixtures/arm64/w15.json) gives the header the port
// builds, as text, as JSON and as bytes readelf reads as an AArch64 core file; a description whose
// memory is a QEMU device tree dump (`memory.dtb`) gives memblock's per-node regions.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { arm64Plugin, arm64System } from '../../test/fixtures/arm64/arm64-systems.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const W15_JSON = join(ROOT, 'test', 'fixtures', 'arm64', 'w15.json');

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-arm64-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function crashplug(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('crashplug elfcorehdr with "arch": "arm64"', () => {
  it('writes the header the arm64 port builds for W15', () => {
    const out = join(work, 'w15.bin');
    const r = crashplug('elfcorehdr', '--system', W15_JSON, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const expected = buildSystemElfcorehdr(arm64System(), arm64Plugin()).bytes;
    expect(readFileSync(out).equals(Buffer.from(expected))).toBe(true);
    const elf = spawnSync('readelf', ['-h', out], { encoding: 'utf8' });
    if (elf.error) throw new Error(`readelf could not run (${elf.error.message}); install binutils`);
    expect(elf.stdout).toMatch(/Machine:\s+AArch64/);
  });

  it('prints the W15 program headers and the 64 KiB-aligned segment as JSON', () => {
    const r = crashplug('elfcorehdr', '--system', W15_JSON, '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      arch: string;
      elfHeader: { e_machine: number; e_phnum: number };
      programHeaders: { type: string; p_paddr: string; p_vaddr: string; p_filesz: string; role: string }[];
      reserve: { memsz: number; align: number; sysfsCrashElfcorehdrSize: number };
    };
    expect(j.arch).toBe('arm64');
    expect(j.elfHeader).toMatchObject({ e_machine: 183, e_phnum: 9 });
    const loads = j.programHeaders.filter((p) => p.type === 'LOAD').map((p) => [p.role, p.p_paddr, p.p_vaddr, p.p_filesz]);
    expect(loads).toEqual([
      ['kernel-map', '0x40200000', '0xffff800080000000', '0x1e00000'],
      ['ram', '0x40000000', '0xffff000000000000', '0x20000000'],
      ['ram', '0x70000000', '0xffff000030000000', '0x10000000'],
      ['ram', '0x80000000', '0xffff000040000000', '0x40000000'],
    ]);
    expect(j.programHeaders.filter((p) => p.role === 'cpu-note').map((p) => p.p_filesz)).toEqual(['0x1a8', '0x1a8', '0x1a8', '0x1a8']);
    // Mainline arm64: the header itself, 64 KiB aligned, and no crash_elfcorehdr_size file.
    expect(j.reserve).toMatchObject({ memsz: 4096, align: 0x1_0000, sysfsCrashElfcorehdrSize: 0 });
  });

  it('refuses an arm64 description without kernelImage, exit 2 and one line on stderr', () => {
    const bad = join(work, 'no-kernel-image.json');
    const json = JSON.parse(readFileSync(W15_JSON, 'utf8')) as Record<string, unknown>;
    delete json.kernelImage;
    writeFileSync(bad, JSON.stringify(json, null, 2));
    const r = crashplug('elfcorehdr', '--system', bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^crashplug: .*kernelImage is required on arm64/);
  });
});

describe('crashplug elfcorehdr with "memory": {"dtb": …} on arm64', () => {
  /** QEMU virt with two adjacent 2 GiB NUMA nodes (test/fixtures/arm64/README.md), gunzipped beside the description. */
  function numa2(blob: Uint8Array): string {
    writeFileSync(join(work, 'virt-numa2.dtb'), blob);
    const json = join(work, 'numa2.json');
    const description = {
      arch: 'arm64',
      memory: { dtb: 'virt-numa2.dtb' },
      cpus: { possible: '0-3' },
      crashNotes: { base: '0x48000000', stride: '0x10000' },
      vmcoreinfo: { address: '0x49000000' },
      crashkernel: ['0x130000000', '0x13fffffff'],
      kernelImage: { text: '0xffff800080000000', textPhys: '0x40200000', size: '0x1e00000' },
    };
    writeFileSync(json, JSON.stringify(description, null, 2));
    return json;
  }
  const dump = gunzipSync(readFileSync(join(ROOT, 'test', 'fixtures', 'arm64', 'virt-numa2.dtb.gz')));

  it('gives one RAM PT_LOAD per node: memblock keeps them apart at 0xc0000000 (facts §13.3)', () => {
    const r = crashplug('elfcorehdr', '--system', numa2(dump), '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { programHeaders: { type: string; p_paddr: string; p_filesz: string; role: string }[] };
    const ram = j.programHeaders.filter((p) => p.role === 'ram').map((p) => [p.p_paddr, p.p_filesz]);
    expect(ram).toEqual([
      ['0x40000000', '0x80000000'],
      ['0xc0000000', '0x70000000'],
    ]);
  });

  it('refuses a truncated blob: exit 2 and one line naming the file and the byte', () => {
    const r = crashplug('elfcorehdr', '--system', numa2(dump.subarray(0, 1000)));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^crashplug: E_BAD_FDT: ${join(work, 'virt-numa2.dtb')}: byte \\d+ \\(0x[0-9a-f]+\\): `));
  });
});
