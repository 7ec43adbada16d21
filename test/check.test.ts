// `crashplug check` on every real capture in test/fixtures: the correct ones pass clean (no error, no
// warning, with and without --against), the defective one (ppc64le step 5, remove_mem_range's tail)
// is flagged, and defects made by editing the real captures' bytes are each found, on the right
// program header, with the commit behind them. Then bad input and the bounds of the streaming reader.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrashplug } from '../api/crashplug.js';
import { checkFile } from '../cli/commands/check.js';
import { openHeaderFile } from '../cli/header-file.js';
import { checkHeader, type Finding } from '../core/check/index.js';
import { decodeElfCoreHeader, readElfCoreHeader } from '../core/elf/index.js';
import { fieldsToBigEndian, phdrU64, withPhdr, withPhnum } from './support/header-bytes.js';
import { crashplugErrorOf } from './support/errors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const FX = join(ROOT, 'test', 'fixtures');
const registry = createCrashplug().registry;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-check-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fixture = (p: string): Uint8Array => new Uint8Array(readFileSync(join(FX, p)));

/** Write `bytes` to a temporary file and check it (optionally against a description). */
function check(bytes: Uint8Array, against?: string, kernel?: string): readonly Finding[] {
  const path = join(work, `h-${Math.random().toString(16).slice(2)}.bin`);
  writeFileSync(path, bytes);
  return checkFile(path, against, kernel, registry).result.findings;
}

const codes = (fs: readonly Finding[]): string[] => fs.map((f) => `${f.code}@${f.phdr}`);

function crashplug(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** [capture, description it was taken from (undefined: the machine changed since)]. */
const CLEAN: readonly (readonly [string, string | undefined])[] = [
  ['real-x86_64-6.1/elfcorehdr-kernel-kexec_file.bin', 'real-x86_64-6.1/system.json'],
  ['real-x86_64-6.1/elfcorehdr-kexec-tools.bin', 'real-x86_64-6.1/system.json'],
  ['real-x86_64-6.12-hotplug/elfcorehdr-kernel-kexec_file.bin', 'real-x86_64-6.12-hotplug/system.json'],
  ['real-x86_64-6.12-hotplug/elfcorehdr-after-hotplug.bin', undefined],
  ['real-arm64-6.12/one-node/elfcorehdr-kernel-kexec_file.bin', 'real-arm64-6.12/one-node/system.json'],
  ['real-arm64-6.12/numa2/elfcorehdr-kernel-kexec_file.bin', 'real-arm64-6.12/numa2/system.json'],
  ['real-arm64-6.12/numa2/elfcorehdr-kernel-kexec_file.bin', 'real-arm64-6.12/numa2/system-dtb.json'],
  ['real-ppc64le-6.12/elfcorehdr-kexec-tools-load.bin', 'real-ppc64le-6.12/system.json'],
  ['real-ppc64le-6.12/elfcorehdr-1-after-add-1g.bin', undefined],
  ['real-ppc64le-6.12/elfcorehdr-2-after-remove-1g.bin', 'real-ppc64le-6.12/system.json'],
  ['real-ppc64le-6.12/elfcorehdr-3-after-add-d2-256m.bin', undefined],
  ['real-ppc64le-6.12/elfcorehdr-4-after-add-d3-256m.bin', undefined],
];

describe('crashplug check: real captures', () => {
  it.each(CLEAN)('%s is clean, alone and against %s', (capture, system) => {
    expect(check(fixture(capture))).toEqual([]);
    if (system !== undefined) expect(check(fixture(capture), join(FX, system))).toEqual([]);
  });

  it('the x86 6.12 header after the DIMM hot-add is clean against the machine with the DIMM, and lists the DIMM the boot machine lacks', () => {
    const sys = JSON.parse(readFileSync(join(FX, 'real-x86_64-6.12-hotplug/system.json'), 'utf8')) as Record<string, unknown>;
    const after = join(work, 'x86-after.json');
    writeFileSync(after, JSON.stringify({ ...sys, memory: { iomem: join(FX, 'real-x86_64-6.12-hotplug/proc-iomem-after-hotplug.txt') } }));
    const header = fixture('real-x86_64-6.12-hotplug/elfcorehdr-after-hotplug.bin');
    expect(check(header, after)).toEqual([]);
    const boot = check(header, join(FX, 'real-x86_64-6.12-hotplug/system.json'));
    expect(codes(boot)).toEqual(['ram-extra@7']);
    expect(boot[0]!.range).toEqual({ start: 0x1_8000_0000n, end: 0x1_bfff_ffffn });
  });

  it("flags ppc64le step 5's remove_mem_range tail, one byte past RAM, on phdr 7 with the commit", () => {
    const fs = check(fixture('real-ppc64le-6.12/elfcorehdr-5-after-remove-d2.bin'));
    expect(codes(fs)).toEqual(['remove-mem-range-tail@7']);
    expect(fs[0]).toMatchObject({ severity: 'error', range: { start: 0xa000_0000n, end: 0xa000_0000n } });
    expect(fs[0]!.commit).toContain('7afe2383eff0');
  });

  it('step 5 against a machine that has DIMM d3 ([0x90000000, 0x9fffffff]): the tail is the only defect', () => {
    const sys = JSON.parse(readFileSync(join(FX, 'real-ppc64le-6.12/system.json'), 'utf8')) as Record<string, unknown>;
    const withD3 = join(work, 'ppc-d3.json');
    // The boot RAM, the crash region and RTAS as the device tree gives them, plus d3.
    writeFileSync(
      withD3,
      JSON.stringify({
        ...sys,
        memory: {
          ranges: [
            ['0x0', '0x7fffffff'],
            ['0x90000000', '0x9fffffff'],
          ],
        },
        powerpc: { rtas: ['0x2ffff000', '0x2ffff83b'] },
      }),
    );
    const fs = check(fixture('real-ppc64le-6.12/elfcorehdr-5-after-remove-d2.bin'), withD3);
    expect(codes(fs)).toEqual(['remove-mem-range-tail@7']);
    // Against the boot machine d3 is memory the machine lacks too: both are said, the tail once.
    const boot = check(fixture('real-ppc64le-6.12/elfcorehdr-5-after-remove-d2.bin'), join(FX, 'real-ppc64le-6.12/system.json'));
    expect(codes(boot)).toEqual(['ram-extra@7', 'remove-mem-range-tail@7']);
    expect(boot[0]!.range).toEqual({ start: 0x9000_0000n, end: 0xa000_0000n });
  });
});

describe('crashplug check: defects made from real captures', () => {
  const ONE_NODE = 'real-arm64-6.12/one-node/elfcorehdr-kernel-kexec_file.bin';
  const ONE_NODE_SYS = join(FX, 'real-arm64-6.12/one-node/system.json');

  /**
   * kexec-tools 2.0.25 without `_text` (facts §13.9): kern_vaddr_start UINT64_MAX, kern_paddr_start
   * = Kernel code − (_stext − 0), kern_size = Kernel data end − that (here 0xffffa8e0f1210000, as on
   * the real guest), page_offset 0 so RAM p_vaddr = p_paddr − PHYS_OFFSET.
   */
  function kexecTools2025(): Uint8Array {
    let b = fixture(ONE_NODE);
    const stext = 0xffff_af23_d361_0000n;
    const paddr = BigInt.asUintN(64, 0x4021_0000n - stext);
    b = withPhdr(b, 3, { vaddr: (1n << 64n) - 1n, paddr, offset: paddr, filesz: 0xffff_a8e0_f121_0000n, memsz: 0xffff_a8e0_f121_0000n });
    for (const i of [4, 5]) b = withPhdr(b, i, { vaddr: phdrU64(b, i, 'paddr') - 0x4000_0000n });
    return b;
  }

  it("arm64 kexec-tools 2.0.25's bogus kernel-text PT_LOAD and its vaddrs without PAGE_OFFSET, each on its phdr with its commit", () => {
    const fs = check(kexecTools2025());
    expect(codes(fs)).toEqual(['kexec-tools-unknown-text@3', 'kexec-tools-no-page-offset@4', 'kexec-tools-no-page-offset@5']);
    expect(fs.every((f) => f.severity === 'error')).toBe(true);
    expect(fs[0]!.commit).toContain('0bd5219da953');
    expect(fs[0]!.commit).toContain('1614959f2f0d');
    expect(fs[1]!.commit).toContain('95de9eccf413');
    // Against the machine: the same, nothing invented about RAM (every RAM byte is still listed).
    expect(codes(check(kexecTools2025(), ONE_NODE_SYS))).toEqual(codes(fs));
  });

  it('the generic checks find the same header defective on an arch without those port checks (size past RAM, user vaddrs)', () => {
    const b = new Uint8Array(kexecTools2025());
    new DataView(b.buffer).setUint16(18, 0x1234, true); // an e_machine no port writes
    const fs = check(b);
    expect(codes(fs.filter((f) => f.severity === 'error'))).toEqual(expect.arrayContaining(['load-past-physical-limit@3', 'note-size@0', 'note-size@1']));
    expect(codes(fs.filter((f) => f.code === 'load-vaddr-not-kernel'))).toEqual(['load-vaddr-not-kernel@4', 'load-vaddr-not-kernel@5']);
  });

  it('powerpc backup PT_LOAD with p_offset 0 (before 789335cacdf3)', () => {
    const fs = check(withPhdr(fixture('real-ppc64le-6.12/elfcorehdr-2-after-remove-1g.bin'), 3, { offset: 0n }));
    expect(codes(fs)).toEqual(['backup-offset-zero@3']);
    expect(fs[0]!.commit).toContain('789335cacdf3');
    expect(fs[0]!.commit).toContain('cb350c1f1f86');
  });

  it('big-endian fields under the LSB tag: the powerpc finding, not the generic one, and the header is still read right', () => {
    const be = fieldsToBigEndian(fixture('real-ppc64le-6.12/elfcorehdr-2-after-remove-1g.bin'));
    expect(be[5]).toBe(1);
    const fs = check(be);
    expect(codes(fs)).toEqual(['big-endian-under-lsb@null']);
    expect(fs[0]!.commit).toContain('cb350c1f1f86');
    // The same swap of an x86 header: only core's generic finding (no port claims it for x86).
    expect(codes(check(fieldsToBigEndian(fixture('real-x86_64-6.1/elfcorehdr-kernel-kexec_file.bin'))))).toEqual(['byte-order-mismatch@null']);
  });

  it('overlapping PT_LOADs (the kernel-text PT_LOAD overlapping RAM is not one)', () => {
    // x86 6.1 phdr 5 is [0x7f000000, +0xfdf000]; move it down into phdr 4 [0x100000, 0x6effffff].
    const fs = check(withPhdr(fixture('real-x86_64-6.1/elfcorehdr-kernel-kexec_file.bin'), 5, { paddr: 0x6e00_0000n }));
    expect(codes(fs)).toEqual(['loads-overlap@5']);
    expect(fs[0]!.range).toEqual({ start: 0x6e00_0000n, end: 0x6efd_efffn });
  });

  it('a PT_LOAD inside the crash reservation (with --against)', () => {
    // Grow phdr 4 ([0x100000, 0x6effffff]) over the reservation [0x6f000000, 0x7effffff].
    const b = withPhdr(fixture('real-x86_64-6.1/elfcorehdr-kernel-kexec_file.bin'), 4, { filesz: 0x7ef0_0000n, memsz: 0x7ef0_0000n });
    const fs = check(b, join(FX, 'real-x86_64-6.1/system.json'));
    expect(codes(fs)).toEqual(['load-in-crash-reservation@4']);
    expect(fs[0]!.range).toEqual({ start: 0x6f00_0000n, end: 0x7eff_ffffn });
    expect(check(b)).toEqual([]); // without the machine the reservation is unknown
  });

  it('PT_NOTE sizes that match no note layout', () => {
    const x86 = fixture('real-x86_64-6.1/elfcorehdr-kernel-kexec_file.bin');
    // arm64's note_buf_t (0x1a8) on x86_64, and a vmcoreinfo note of a page size nobody builds.
    const fs = check(withPhdr(withPhdr(x86, 1, { filesz: 0x1a8n, memsz: 0x1a8n }), 2, { filesz: 0x2024n, memsz: 0x2024n }));
    expect(codes(fs)).toEqual(['note-size@1', 'note-size@2']);
    // 64 KiB pages are a real vmcoreinfo size on its own, but not for a machine with 4 KiB pages.
    const big = withPhdr(x86, 2, { filesz: 0x10024n, memsz: 0x10024n });
    expect(check(big)).toEqual([]);
    expect(codes(check(big, join(FX, 'real-x86_64-6.1/system.json')))).toEqual(['note-size@2']);
  });

  it('RAM the header misses, named with its range and NUMA node', () => {
    // numa2 without phdr 6 ([0xbee00000, 0xbfffffff], node 1 above the crash reservation).
    const fs = check(withPhnum(fixture('real-arm64-6.12/numa2/elfcorehdr-kernel-kexec_file.bin'), 6), join(FX, 'real-arm64-6.12/numa2/system-dtb.json'));
    expect(codes(fs)).toEqual(['ram-missing@null']);
    expect(fs[0]!.range).toEqual({ start: 0xbee0_0000n, end: 0xbfff_ffffn });
    expect(fs[0]!.message).toContain('NUMA node 1');
    expect(fs[0]!.message).toContain('[0x80000000-0xbfffffff]');
  });

  it('a header larger than the segment /sys/kernel/crash_elfcorehdr_size reports', () => {
    const sys = JSON.parse(readFileSync(join(FX, 'real-x86_64-6.12-hotplug/system.json'), 'utf8')) as Record<string, unknown>;
    const small = join(work, 'x86-small.json');
    // 2 + 1 + 1 phdrs of room: 288 bytes with the Ehdr; the captured header takes 456.
    writeFileSync(
      small,
      JSON.stringify({ ...sys, memory: { iomem: join(FX, 'real-x86_64-6.12-hotplug/proc-iomem.txt') }, config: { nrCpusDefault: 1, crashMaxMemoryRanges: 1 } }),
    );
    const fs = check(fixture('real-x86_64-6.12-hotplug/elfcorehdr-kernel-kexec_file.bin'), small);
    expect(codes(fs)).toEqual(['segment-too-small@null']);
    expect(fs[0]!.message).toContain('224');
  });

  it('core checks are pure: the same decoded header gives the same findings without any file', () => {
    const header = decodeElfCoreHeader(fixture('real-ppc64le-6.12/elfcorehdr-5-after-remove-d2.bin'));
    const r = checkHeader({ header }, registry);
    expect(r.kind).toBe('elfcorehdr');
    expect(codes(r.findings)).toEqual(['remove-mem-range-tail@7']);
    expect(r.errors).toBe(1);
  });
});

describe('crashplug check: reading only the header', () => {
  it('reads the Ehdr and the phdr table only, whatever follows them', () => {
    const header = fixture('real-x86_64-6.1/elfcorehdr-kernel-kexec_file.bin');
    const path = join(work, 'with-tail.bin');
    const big = new Uint8Array(header.length + (4 << 20));
    big.set(header);
    writeFileSync(path, big);
    const c = checkFile(path, undefined, undefined, registry);
    expect(c.bytesRead).toBe(64 + 7 * 56);
    expect(c.header.fileSize).toBe(big.length);
  });

  it('refuses more program headers than the cap with E_TOO_MANY_PHDRS, before reading the table', () => {
    const header = fixture('real-x86_64-6.1/elfcorehdr-kernel-kexec_file.bin');
    const reads: [number, number][] = [];
    const read = (o: number, l: number): Uint8Array => {
      reads.push([o, l]);
      return header.subarray(o, o + l);
    };
    const e = crashplugErrorOf(() => readElfCoreHeader(read, header.length, 'h.bin', { maxPhdrs: 4, maxNoteBytes: 1 << 20 }));
    expect(e.code).toBe('E_TOO_MANY_PHDRS');
    expect(e.message).toMatch(/^h\.bin at byte 56: e_phnum is 7, more than the 4 program headers/);
    expect(reads).toEqual([[0, 64]]);
  });

  it('refuses a table past the end of the file, and a file shorter than an Ehdr, as E_BAD_ELF', () => {
    const header = fixture('real-x86_64-6.1/elfcorehdr-kernel-kexec_file.bin');
    const cut = header.subarray(0, 64 + 3 * 56);
    const e = crashplugErrorOf(() => readElfCoreHeader((o, l) => cut.subarray(o, o + l), cut.length, 'cut.bin'));
    expect(e.code).toBe('E_BAD_ELF');
    expect(e.message).toContain('need 456 bytes, but the file has 232');
    const tiny = crashplugErrorOf(() => readElfCoreHeader((o, l) => header.subarray(o, Math.min(o + l, 10)), 10, 'tiny.bin'));
    expect(tiny.code).toBe('E_BAD_ELF');
    expect(tiny.message).toContain('truncated: 10 bytes');
  });

  it('opens nothing it cannot: a folder and a missing file are E_IO', () => {
    expect(crashplugErrorOf(() => openHeaderFile(work, 'header')).message).toContain('it is a folder');
    expect(crashplugErrorOf(() => openHeaderFile(join(work, 'nope.bin'), 'header')).code).toBe('E_IO');
  });
});

describe('crashplug check: the command', () => {
  it('exits 0 on a clean header and 3 on a defective one (0 with --no-fail); --json lists the findings', () => {
    const clean = crashplug(
      'check',
      join(FX, 'real-arm64-6.12/numa2/elfcorehdr-kernel-kexec_file.bin'),
      '--against',
      join(FX, 'real-arm64-6.12/numa2/system.json'),
    );
    expect(clean.stderr).toBe('');
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain('0 errors, 0 warnings, 0 notes: no known defect');
    const step5 = join(FX, 'real-ppc64le-6.12/elfcorehdr-5-after-remove-d2.bin');
    const bad = crashplug('check', step5, '--json');
    expect(bad.status).toBe(3);
    const json = JSON.parse(bad.stdout) as {
      findings: { severity: string; phdr: number | null; code: string; message: string; commit?: string }[];
      errors: number;
    };
    expect(json.errors).toBe(1);
    expect(json.findings).toEqual([
      expect.objectContaining({ severity: 'error', phdr: 7, code: 'remove-mem-range-tail', commit: expect.stringContaining('7afe2383eff0') }),
    ]);
    expect(crashplug('check', step5, '--no-fail').status).toBe(0);
    const text = crashplug('check', step5);
    expect(text.stdout).toMatch(/^error +phdr 7 +remove-mem-range-tail: PT_LOAD \[0x90000000-0xa0000000\]/m);
  });

  it('bad input exits 2 with one coded line and no report', () => {
    const notElf = join(work, 'not-elf.bin');
    writeFileSync(notElf, 'hello, this is not an ELF file at all, not even close to one; 64+ bytes of text here');
    const r = crashplug('check', notElf);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^crashplug: E_BAD_ELF: .*not-elf\.bin at byte 0: bad magic/);
    const k = crashplug('check', join(FX, 'real-x86_64-6.1/elfcorehdr-kexec-tools.bin'), '--kernel', '6.6');
    expect(k.status).toBe(2);
    expect(k.stderr).toMatch(/^crashplug: E_BAD_ARGUMENT: --kernel needs --against/);
    const missing = crashplug('check', join(work, 'missing.bin'));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^crashplug: E_IO: .*missing\.bin: cannot read the header \(no such file\)/);
  });
});
