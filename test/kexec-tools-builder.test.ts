// The elfcorehdr kexec-tools writes for kexec_load, against the real capture: Debian 12's kexec-tools
// 2.0.25 (`kexec -p`) on a 2-CPU, 4 GiB q35 guest running 6.1.192 with crashkernel=256M. The capture
// holds e_phoff + e_phnum·56 = 512 bytes; kexec-tools' buffer is zero from there to its 1 KiB end.
// The kexec -d log next to it says which ranges kexec-tools read and where it put the backup copy.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CrashplugError } from '../core/base/index.js';
import { decodeElfCoreHeader } from '../core/elf/index.js';
import { iomemCrashKernel, iomemSystemRam, parseIomem, type SystemDescription } from '../core/system/index.js';
import { buildKexecToolsElfcorehdr, KEXEC_TOOLS_ELF_CORE_HEADER_ALIGN } from '../core/kexec/index.js';
import type { KexecToolsRangeType } from '../core/kexec/index.js';
import { x86KexecToolsRanges } from '../arch-x86/x86-kexec-tools.js';
import { cpuIds, systemRam, x86Plugin, x86System } from './support/systems.js';

const here = dirname(fileURLToPath(import.meta.url));
/** A file of the real x86_64 6.1 capture (test/fixtures/real-x86_64-6.1/). */
function fixtureFile(name: string): string {
  const path = join(here, 'fixtures', 'real-x86_64-6.1', name);
  if (!existsSync(path)) throw new Error(`fixture ${name} not found at ${path}`);
  return path;
}

const captured = new Uint8Array(readFileSync(fixtureFile('elfcorehdr-kexec-tools.bin')));
const kexecLog = readFileSync(fixtureFile('kexec-d-kexec-tools.txt'), 'utf8');
const iomemPath = fixtureFile('proc-iomem.txt');
const iomem = parseIomem(readFileSync(iomemPath, 'utf8'), iomemPath);

/** The machine of the fixture's README, its memory from the real /proc/iomem. */
function realMachine(overrides: Parameters<typeof x86System>[0] = {}): SystemDescription {
  return x86System({
    kernel: '6.1',
    builder: 'kexec-tools',
    memory: { source: 'iomem', origin: iomemPath, systemRam: iomemSystemRam(iomem), iomem },
    ...iomemCrashKernel(iomem, iomemPath),
    cpus: { possible: [0, 1] },
    crashNotes: { kind: 'stride', base: 0x17bc3a600n, stride: 0x100000n },
    vmcoreinfo: { address: 0x10031a000n, size: 0x1024n },
    kernelImage: { text: 0xffffffffaa600000n, textPhys: 0x12e200000n, size: 0x3430000n },
    pageOffset: 0xffff8ce840000000n,
    // "Created backup segment at 0x7ef61000" in the kexec -d log.
    backupStart: 0x7ef61000n,
    ...overrides,
  });
}

const build = (system: SystemDescription) => buildKexecToolsElfcorehdr(system, x86Plugin(), x86KexecToolsRanges);

/** The "CRASH MEMORY RANGES" block of the kexec -d log: `start-end (type)`, RANGE_RAM = 0, RANGE_RESERVED = 1. */
function loggedCrashRanges(): { start: bigint; end: bigint; type: KexecToolsRangeType }[] {
  const lines = kexecLog.split('\n');
  const from = lines.indexOf('CRASH MEMORY RANGES') + 1;
  expect(from, 'a CRASH MEMORY RANGES block in the log').toBeGreaterThan(0);
  const out: { start: bigint; end: bigint; type: KexecToolsRangeType }[] = [];
  for (const line of lines.slice(from)) {
    const m = /^([0-9a-f]{16})-([0-9a-f]{16}) \((\d+)\)$/.exec(line);
    if (m === null) break;
    const types: Record<string, KexecToolsRangeType> = { '0': 'ram', '1': 'reserved' };
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), type: types[m[3]!]! });
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'crashplug-kexec-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** binutils readelf's listing; elfutils' eu-readelf must accept the file silently too. */
function readelf(bytes: Uint8Array, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  const outputs = (
    [
      ['readelf', ['-h', '-l', '-W', file], 'binutils'],
      ['eu-readelf', ['-h', '-l', file], 'elfutils'],
    ] as const
  ).map(([tool, args, pkg]) => {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.error) throw new Error(`${tool} could not run (${r.error.message}); install ${pkg}`);
    expect(r.stderr, `${tool} stderr`).toBe('');
    expect(r.status, `${tool} exit status`).toBe(0);
    expect(r.stdout).not.toMatch(/warning/i);
    return r.stdout;
  });
  return outputs[0]!;
}

describe('buildKexecToolsElfcorehdr', () => {
  describe('when given the real x86_64 6.1 guest', () => {
    const built = build(realMachine());

    it('reproduces the 512 captured bytes byte for byte', () => {
      expect(captured.length).toBe(512);
      const diff = captured.findIndex((b, i) => built.bytes[i] !== b);
      expect(diff === -1 ? 'identical' : `first difference at byte ${diff}`).toBe('identical');
    });

    it('is one 1 KiB buffer, zero after byte 512 (the bufsz 0x400 of segment[4] in the log)', () => {
      expect(built.size).toBe(1024);
      expect(built.bytes.length).toBe(1024);
      expect(built.bytes.subarray(512).every((b) => b === 0)).toBe(true);
      expect(kexecLog).toMatch(/segment\[4\]\.bufsz = 0x400\n/);
    });

    it('reads the same crash memory list kexec -d printed, reserved entries included', () => {
      expect(built.ranges.ranges.map(({ start, end, type }) => ({ start, end, type }))).toEqual(loggedCrashRanges());
    });

    it('sizes the buffer for 2 CPUs, vmcoreinfo, the kernel and all 12 list entries, and writes 8 phdrs', () => {
      expect(built.layout).toMatchObject({ nrCpus: 2, noteCpus: [0, 1], hasKernelMap: true, rangeCount: 12, loadCount: 4, phnum: 8, sizedPhnum: 16 });
      expect(built.layout.roles.map((r) => r.kind)).toEqual(['cpu-note', 'cpu-note', 'vmcoreinfo', 'kernel-map', 'ram', 'ram', 'ram', 'ram']);
    });

    it('takes the backup source get_backup_area reported and points its PT_LOAD at the copy', () => {
      expect(kexecLog).toContain('get_backup_area: 0000000000001000-000000000009fbff : System RAM');
      expect(built.ranges.backup).toEqual({ source: { start: 0x1000n, end: 0x9fbffn }, start: 0x7ef61000n, segmentSize: 0x9ec00n, startFrom: 'system' });
      expect(built.layout.roles[4]).toEqual({ kind: 'ram', index: 0, listIndex: 1, backup: true });
      const p = built.header.phdrs[4]!;
      expect([p.offset, p.paddr, p.filesz]).toEqual([0x7ef61000n, 0x1000n, 0x9ec00n]);
    });

    it('writes the kernel PT_LOAD kexec -d printed ("kernel vaddr = 0xffffffffaa600000 size = 0x3430000")', () => {
      expect(kexecLog).toContain('kernel vaddr = 0xffffffffaa600000 size = 0x3430000');
      expect(kexecLog).toContain('kernel load physical addr start = 0x000000012e200000');
      expect(built.ranges.kernelMap).toEqual({ vaddr: 0xffffffffaa600000n, paddr: 0x12e200000n, size: 0x3430000n });
    });

    it('is the kernel’s own header plus the low-memory PT_LOAD (facts §13.9)', () => {
      const kernel = decodeElfCoreHeader(new Uint8Array(readFileSync(fixtureFile('elfcorehdr-kernel-kexec_file.bin'))));
      const ours = built.header.phdrs.filter((_, i) => {
        const role = built.layout.roles[i]!;
        return !(role.kind === 'ram' && role.backup);
      });
      expect(ours).toEqual(kernel.phdrs);
    });

    it('is read by readelf and eu-readelf without a warning', () => {
      const out = readelf(built.bytes, 'real.core');
      expect(out).toContain('Number of program headers:         8');
      expect(out).toMatch(/LOAD +0x7ef61000 0xffff8ce840001000 0x0*1000 0x0*9ec00 0x0*9ec00 RWE 0\n/);
    });
  });

  describe('when the description gives no backupStart', () => {
    it('places the backup copy first and top-down in the crash region, where kexec-tools put it', () => {
      const built = build(realMachine({ backupStart: undefined }));
      expect(built.ranges.backup).toMatchObject({ start: 0x7ef61000n, startFrom: 'derived' });
      expect(kexecLog).toContain('Created backup segment at 0x7ef61000');
      const diff = captured.findIndex((b, i) => built.bytes[i] !== b);
      expect(diff).toBe(-1);
    });
  });

  describe('when more CPUs are possible than present (possible 0-3, present 0-1)', () => {
    const built = build(realMachine({ cpus: { possible: cpuIds(4), present: [0, 1] } }));

    it('writes notes for the present CPUs only and sizes for them', () => {
      expect(built.layout.noteCpus).toEqual([0, 1]);
      expect(built.layout.nrCpus).toBe(2);
      expect(built.header.phdrs.filter((p) => p.type === 4)).toHaveLength(3); // 2 CPUs + vmcoreinfo
      expect(built.size).toBe(1024);
    });

    it('still equals the capture, since the absent CPUs have no sysfs node', () => {
      expect(captured.findIndex((b, i) => built.bytes[i] !== b)).toBe(-1);
    });
  });

  describe('when present CPUs are sparse (present 0,1,3 after CPU 2 was removed)', () => {
    it('notes every present CPU, in CPU order', () => {
      const built = build(realMachine({ cpus: { possible: cpuIds(4), present: [3, 0, 1] } }));
      expect(built.layout.roles.filter((r) => r.kind === 'cpu-note')).toEqual([0, 1, 3].map((cpu) => ({ kind: 'cpu-note', cpu })));
      expect(built.header.phdrs[2]!.paddr).toBe(0x17bc3a600n + 3n * 0x100000n);
    });
  });

  describe('when the header grows past 1 KiB', () => {
    // 12 list entries + vmcoreinfo + kernel = 14 phdrs besides the notes: 64 + 17·56 = 1016 fits in
    // 1 KiB with 3 CPUs, 64 + 18·56 = 1072 does not with 4. Had only the 4 RAM entries been counted,
    // 4 CPUs would still fit: the reserved entries are what push the buffer to 2 KiB.
    it.each([
      [3, 1024],
      [4, 2048],
      [21, 2048],
      [22, 3072],
    ])('with %i present CPUs the buffer is %i bytes', (cpus, size) => {
      const built = build(realMachine({ cpus: { possible: cpuIds(cpus) } }));
      expect(built.size).toBe(size);
      expect(built.size % KEXEC_TOOLS_ELF_CORE_HEADER_ALIGN).toBe(0);
      expect(built.bytes.length).toBe(size);
      expect(built.bytes.subarray(64 + built.layout.phnum * 56).every((b) => b === 0)).toBe(true);
      readelf(built.bytes, `cpus-${cpus}.core`);
    });
  });

  describe('when the port does not model kexec-tools', () => {
    it('refuses with E_UNSUPPORTED instead of guessing', () => {
      let caught: unknown;
      try {
        buildKexecToolsElfcorehdr(realMachine(), x86Plugin(), () => undefined);
      } catch (err) {
        caught = err;
      }
      expect(CrashplugError.is(caught) && caught.code).toBe('E_UNSUPPORTED');
    });
  });
});

describe('x86KexecToolsRanges', () => {
  describe('when memory comes as a plain list (no /proc/iomem tree)', () => {
    const kt = x86KexecToolsRanges(
      x86System({
        ram: systemRam([0x1000n, 0x9fbffn], [0x100000n, 0xbfffffffn]),
        crashkernel: { start: 0x2000000n, end: 0x11ffffffn },
        backupStart: 0x11f61000n,
      }),
    );

    it('keeps the low 640 KiB, splits RAM around the crash kernel and types the tail RAM', () => {
      expect(kt.ranges).toEqual([
        { start: 0x1000n, end: 0x9fbffn, type: 'ram', offset: 0x11f61000n },
        { start: 0x100000n, end: 0x1ffffffn, type: 'ram', offset: 0x100000n },
        { start: 0x12000000n, end: 0xbfffffffn, type: 'ram', offset: 0x12000000n },
      ]);
    });

    it('takes the kernel’s physical start from kernelImage.textPhys', () => {
      expect(kt.kernelMap).toEqual({ vaddr: 0xffffffff81000000n, paddr: 0x1000000n, size: 0xe00000n });
    });
  });

  describe('when no RAM lies in the first 640 KiB', () => {
    it('backs up [0, 0x9ffff] and no PT_LOAD points at the copy', () => {
      const kt = x86KexecToolsRanges(x86System({ ram: systemRam([0x100000n, 0xbfffffffn]), backupStart: 0x11f60000n }));
      expect(kt.backup?.source).toEqual({ start: 0n, end: 0x9ffffn });
      expect(kt.ranges.every((r) => r.offset === r.start)).toBe(true);
    });
  });

  describe('when a hole only touches the last byte of a RAM entry', () => {
    it('misses it, as exclude_region tests overlap strictly', () => {
      const kt = x86KexecToolsRanges(x86System({ ram: systemRam([0x100000n, 0x2000000n]), crashkernel: { start: 0x2000000n, end: 0x11ffffffn } }));
      expect(kt.ranges.map(({ start, end }) => [start, end])).toEqual([[0x100000n, 0x2000000n]]);
    });
  });

  describe('when the crash kernel covers a whole RAM entry', () => {
    it('leaves it empty (start past end) rather than removing it, and writes a zero-size PT_LOAD', () => {
      const system = x86System({
        ram: systemRam([0x100000n, 0x1ffffffn], [0x2000000n, 0x11ffffffn]),
        crashkernel: { start: 0x2000000n, end: 0x11ffffffn },
      });
      const kt = x86KexecToolsRanges(system);
      expect(kt.ranges[1]).toMatchObject({ start: 0x12000000n, end: 0x11ffffffn });
      const built = buildKexecToolsElfcorehdr(system, x86Plugin(), x86KexecToolsRanges);
      expect(built.header.phdrs.at(-1)).toMatchObject({ paddr: 0x12000000n, filesz: 0n });
    });
  });

  describe('when one hole splits two overlapping entries (a "reserved" line nested in System RAM)', () => {
    it('inserts only the last split’s tail, typed RAM, and the RAM entry’s own tail is lost', () => {
      const text = ['00100000-bfffffff : System RAM', '  01000000-03ffffff : reserved', '  02000000-02ffffff : Crash kernel'].join('\n');
      const tree = parseIomem(text, 'nested.iomem');
      const kt = x86KexecToolsRanges(
        x86System({
          memory: { source: 'iomem', origin: 'nested.iomem', systemRam: iomemSystemRam(tree), iomem: tree },
          crashkernel: { start: 0x2000000n, end: 0x2ffffffn },
          backupStart: 0x2f61000n,
        }),
      );
      expect(kt.ranges.map(({ start, end, type }) => [start, end, type])).toEqual([
        [0x100000n, 0x1ffffffn, 'ram'],
        [0x1000000n, 0x1ffffffn, 'reserved'],
        [0x3000000n, 0x3ffffffn, 'ram'],
      ]);
    });
  });

  describe('when there is a low reservation too', () => {
    it('cuts both "Crash kernel" ranges, lower first', () => {
      const kt = x86KexecToolsRanges(
        x86System({
          ram: systemRam([0x100000n, 0xbfffffffn], [0x100000000n, 0x23fffffffn]),
          crashkernel: { start: 0x200000000n, end: 0x20fffffffn },
          crashkernelLow: { start: 0x8000000n, end: 0xfffffffn },
        }),
      );
      expect(kt.excluded.map((r) => r.name)).toEqual(['crashkernelLow', 'crashkernel']);
      expect(kt.ranges.map(({ start, end }) => [start, end])).toEqual([
        [0x100000n, 0x7ffffffn],
        [0x10000000n, 0xbfffffffn],
        [0x100000000n, 0x1ffffffffn],
        [0x210000000n, 0x23fffffffn],
      ]);
    });
  });

  describe('when the system has no crash kernel reservation', () => {
    it('fails with E_BAD_SYSTEM, as kexec -p refuses to load', () => {
      expect(() => x86KexecToolsRanges(x86System({ crashkernel: undefined }))).toThrow(/no crash kernel reservation/);
    });
  });

  describe('when RAM starts at or above 1 GiB', () => {
    it('infers PAGE_OFFSET from the lowest /proc/kcore address, masked to 1 GiB', () => {
      const kt = x86KexecToolsRanges(x86System({ ram: systemRam([0x40000000n, 0xbfffffffn]), crashkernel: { start: 0x80000000n, end: 0x8fffffffn } }));
      expect(kt.linearMap.pageOffset).toBe(0xffff888000000000n + 0x40000000n);
    });
  });
});
