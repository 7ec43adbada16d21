// `crashplug fadump header|process` and `crashplug elfcorehdr` on powerpc, as a user runs them
// (`node bin/crashplug.js` on the built dist/): the W14 machine from test/fixtures/powerpc/w14-fadump.json,
// each bad header refused with the kernel's message, exit 2 and no file, and readelf reading the result.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIX = join(ROOT, 'test', 'fixtures', 'powerpc');

function crashplug(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'crashplug.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = mkdtempSync(join(tmpdir(), 'crashplug-ppc-cli-'));
const W14 = join(FIX, 'w14-fadump.json');

describe('crashplug fadump', () => {
  it('header writes the 680-byte big-endian FADMPSIG header', () => {
    const out = join(tmp, 'hdr.bin');
    const r = crashplug('fadump', 'header', '--system', W14, '--out', out);
    expect(r.code).toBe(0);
    const b = readFileSync(out);
    expect(b.length).toBe(680);
    expect(b.subarray(0, 8).toString('latin1')).toBe('FADMPSIG');
  });

  it('process writes the second kernel’s elfcorehdr, which readelf reads as a big-endian ABI v2 core', () => {
    const hdr = join(tmp, 'hdr2.bin');
    const core = join(tmp, 'core.bin');
    expect(crashplug('fadump', 'header', '--system', W14, '--out', hdr).code).toBe(0);
    const r = crashplug('fadump', 'process', '--header', hdr, '--system', W14, '--out', core);
    expect(r.code).toBe(0);
    expect(readFileSync(core).length).toBe(65536);
    const re = spawnSync('readelf', ['-h', '-l', core], { encoding: 'utf8' });
    expect(re.stdout).toMatch(/big endian/);
    expect(re.stdout).toMatch(/Flags:\s+0x2, abiv2/);
    expect(re.stdout).toMatch(/LOAD\s+0x0000000040020000 0xc000000000000000 0x0000000000000000/);
  });

  it.each([
    ['old magic', (b: Buffer) => b.write('FADMPINF', 0, 'latin1'), 'E_FADUMP_MAGIC', "Old magic number, can't process the dump."],
    ['swapped magic', (b: Buffer) => b.write('GISPMDAF', 0, 'latin1'), 'E_FADUMP_MAGIC', 'Endianness mismatch between the crashed and fadump kernels.'],
    ['random magic', (b: Buffer) => b.write('NOTADUMP', 0, 'latin1'), 'E_FADUMP_MAGIC', 'Fadump header is corrupted.'],
    ['pt_regs_sz 352', (b: Buffer) => b.writeUInt32BE(352, 32), 'E_FADUMP_HEADER', 'Fadump header size mismatch.'],
    ['cpu_mask_sz 128', (b: Buffer) => b.writeUInt32BE(128, 36), 'E_FADUMP_HEADER', 'Fadump header size mismatch.'],
  ])('process refuses %s with the kernel’s message, exit 2, and writes nothing', (name, spoil, code, message) => {
    const hdr = join(tmp, `bad-${name.replace(/\W/g, '')}.bin`);
    expect(crashplug('fadump', 'header', '--system', W14, '--out', hdr).code).toBe(0);
    const b = readFileSync(hdr);
    spoil(b);
    writeFileSync(hdr, b);
    const out = join(tmp, `bad-${name.replace(/\W/g, '')}.core`);
    const r = crashplug('fadump', 'process', '--header', hdr, '--system', W14, '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^crashplug: ${code}: `));
    expect(r.err).toContain(`fadump: ${message}`);
    expect(existsSync(out)).toBe(false);
  });

  it('process refuses a truncated header', () => {
    const hdr = join(tmp, 'short.bin');
    expect(crashplug('fadump', 'header', '--system', W14, '--out', hdr).code).toBe(0);
    writeFileSync(hdr, readFileSync(hdr).subarray(0, 300));
    const r = crashplug('fadump', 'process', '--header', hdr, '--system', W14, '--out', join(tmp, 'short.core'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^crashplug: E_FADUMP_HEADER: .*truncated/);
    expect(existsSync(join(tmp, 'short.core'))).toBe(false);
  });

  it('refuses a description that is not powerpc', () => {
    const x86 = join(tmp, 'x86.json');
    writeFileSync(
      x86,
      JSON.stringify({
        ...JSON.parse(readFileSync(W14, 'utf8')),
        arch: 'x86_64',
        kernelImage: { text: '0xffffffff81000000', textPhys: '0x1000000', size: '0x1000000' },
      }),
    );
    const r = crashplug('fadump', 'header', '--system', x86, '--out', join(tmp, 'x.bin'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\$\.fadump: the "fadump" section is read by the ppc64, ppc64le ports, not by x86_64/);
  });
});

describe('crashplug elfcorehdr with "arch": "ppc64le"', () => {
  it('builds W11: 14 program headers in one 4096-byte page, readelf-clean', () => {
    const out = join(tmp, 'w11.bin');
    const r = crashplug('elfcorehdr', '--system', join(FIX, 'w11.json'), '--out', out);
    expect(r.code).toBe(0);
    expect(readFileSync(out).length).toBe(4096);
    const re = spawnSync('readelf', ['-h', out], { encoding: 'utf8' });
    expect(re.stdout).toMatch(/Machine:\s+PowerPC64/);
    expect(re.stdout).toMatch(/Number of program headers:\s+14/);
  });
});

describe('crashplug elfcorehdr with "arch": "ppc64le" and "memory": {"dtb": …}', () => {
  it('reads the QEMU pseries dump, takes RTAS from powerpc.rtas, and gives the backup, RAM and crash ranges', () => {
    // QEMU's dump lacks linux,rtas-base (Linux adds it at boot), so the description gives RTAS itself.
    const json = join(tmp, 'pseries-2g.json');
    writeFileSync(
      json,
      JSON.stringify({
        arch: 'ppc64le',
        memory: { dtb: join(FIX, 'pseries-2g.dtb') },
        cpus: { possible: '0-7', present: '0-3' },
        crashNotes: { base: '0x7e800000', stride: '0x10000' },
        vmcoreinfo: { address: '0x7e6f0000' },
        crashkernel: ['0x20000000', '0x2fffffff'],
        powerpc: { rtas: ['0x7fff0000', '0x7fff089b'] },
      }),
    );
    const r = crashplug('elfcorehdr', '--system', json, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { arch: string; programHeaders: { type: string; p_paddr: string; p_offset: string; p_filesz: string }[] };
    expect(j.arch).toBe('ppc64le');
    const loads = j.programHeaders.filter((p) => p.type === 'LOAD').map((p) => [p.p_paddr, p.p_filesz]);
    // memory@0 is all 2 GiB; RTAS lies inside it, so it widens nothing.
    expect(loads).toEqual([
      ['0x0', '0x10000'],
      ['0x10000', '0x1fff0000'],
      ['0x30000000', '0x50000000'],
    ]);
    expect(j.programHeaders.filter((p) => p.type === 'NOTE')).toHaveLength(9);
  });
});
