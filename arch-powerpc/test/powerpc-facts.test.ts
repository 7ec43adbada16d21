// The powerpc port held against the fact sheet: W11 field by field for both byte orders, W12's
// three remove_mem_range behaviours, get_crash_memory_ranges' rules (§6.2), the sizing and sysfs
// value (§6.3), the backup p_offset per release (§13.2), flag 0x8 only (W16) and the note sizes
// (W10). Every expected number is read off the facts, never off what the code printed.

import { describe, expect, it } from 'vitest';
import { hotplugSupportAtLoad, KEXEC_FILE_ON_CRASH, KEXEC_ON_CRASH } from '../../core/kexec/index.js';
import {
  BACKUP_SRC_SIZE,
  emptyCrashMem,
  growCrashMem,
  powerpcProfile,
  PPC64_NOTE_SIZE,
  removeMemRange,
  sortMemoryRanges,
  addMemRange,
  type WorkingCrashMem,
  memoryAfterEvent,
} from '../index.js';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { decodeElfCoreHeader } from '../../core/elf/index.js';
import type { ArchPlugin } from '../../core/port/index.js';
import { kernelProfile, type SystemDescription } from '../../core/system/index.js';
import { cpuIds, ppcPlugin, ppcSystem, ram, W11 } from '../../test/fixtures/powerpc/systems.js';
import { crashplugErrorOf as thrown } from '../../test/support/errors.js';
import { phdrAt } from '../../test/support/raw-phdr.js';

const PAGE_OFFSET = 0xc000_0000_0000_0000n;
const load = (paddr: bigint, size: bigint, offset = paddr) => ({
  type: 1,
  flags: 7,
  offset,
  vaddr: PAGE_OFFSET + paddr,
  paddr,
  filesz: size,
  memsz: size,
  align: 0n,
});
const note = (addr: bigint, size: bigint) => ({ type: 4, flags: 0, offset: addr, vaddr: 0n, paddr: addr, filesz: size, memsz: size, align: 0n });

function headerOf(system: SystemDescription, plugin: ArchPlugin) {
  return buildSystemElfcorehdr(system, plugin);
}

describe('ppc64le kexec_file elfcorehdr (W11)', () => {
  const system = ppcSystem();
  const built = headerOf(system, ppcPlugin('ppc64le'));

  it('lists the 5 crash ranges get_crash_memory_ranges builds, sorted, backup first', () => {
    expect(built.crashMemory.mem.ranges).toEqual(W11.ranges);
    expect(built.crashMemory.added.map((r) => r.name)).toEqual(['RTAS', 'backup region']);
  });

  it('is one page: ALIGN(64 + (8 + 1 + 5 + 1) × 56 = 904, 4096) = 4096, e_phnum 14', () => {
    expect(built.bytes.length).toBe(4096);
    expect(built.layout.sizedPhnum).toBe(15);
    expect(built.layout.phnum).toBe(14);
    expect(new DataView(built.bytes.buffer).getUint16(56, true)).toBe(14);
  });

  it('writes EM_PPC64 under an LSB tag, with no kernel PT_LOAD', () => {
    const v = new DataView(built.bytes.buffer);
    expect([...built.bytes.subarray(0, 8)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
    expect(v.getUint16(18, true)).toBe(21);
    expect(built.layout.hasKernelMap).toBe(false);
  });

  it('puts 8 CPU notes of 536 bytes, vmcoreinfo of PAGE_SIZE + 0x24, then one PT_LOAD per range', () => {
    for (let cpu = 0; cpu < 8; cpu++) {
      expect(phdrAt(built.bytes, cpu, true)).toEqual(note(W11.crashNotesBase + BigInt(cpu) * W11.crashNotesStride, 536n));
    }
    expect(phdrAt(built.bytes, 8, true)).toEqual(note(W11.vmcoreinfo.address, 0x10024n));
    W11.ranges.forEach((r, i) => expect(phdrAt(built.bytes, 9 + i, true)).toEqual(load(r.start, r.end - r.start + 1n)));
  });

  it('leaves the unused kernel-map slot and the rest of the page zero', () => {
    expect(built.bytes.subarray(64 + 14 * 56).every((b) => b === 0)).toBe(true);
  });

  it('reserves (8192 − 5) × 56 = 458472 bytes for hot-plug: memsz 462568, 524288 after 64 KiB page rounding', () => {
    const seg = ppcPlugin().elfcorehdrSegment(system, built.layout);
    expect(seg.memsz).toBe(462568);
    expect(Math.ceil(seg.memsz / 65536) * 65536).toBe(524288);
    expect(Math.ceil(seg.memsz / 4096) * 4096).toBe(462848);
    expect(seg.elfHeadersSize).toBe(4096);
    expect(seg.presetIndex).toBe(false);
    expect(seg.topDown).toBe(false);
  });

  it('shows 64 + (8 + 1 + 8192) × 56 = 459320 in /sys/kernel/crash_elfcorehdr_size', () => {
    expect(ppcPlugin().sysfsElfcorehdrSize(system)).toBe(459320);
  });

  it('matches the 6.12 ppc64le machine of §13.6: 4 CPUs → 459096', () => {
    expect(ppcPlugin().sysfsElfcorehdrSize(ppcSystem({ kernel: '6.12', cpus: { possible: cpuIds(4) } }))).toBe(459096);
  });
});

describe('ppc64 (big-endian) kexec_file elfcorehdr (§13.4)', () => {
  const le = headerOf(ppcSystem(), ppcPlugin('ppc64le'));
  const be = headerOf(ppcSystem({ arch: 'ppc64' }), ppcPlugin('ppc64'));

  it('keeps EI_DATA = ELFDATA2LSB but stores every field big-endian', () => {
    expect(be.bytes[5]).toBe(1);
    const v = new DataView(be.bytes.buffer);
    expect(v.getUint16(18, false)).toBe(21);
    expect(v.getUint16(56, false)).toBe(14);
    expect(phdrAt(be.bytes, 9, false)).toEqual(phdrAt(le.bytes, 9, true));
  });

  it('is the little-endian header with each field byte-swapped', () => {
    for (let i = 0; i < 14; i++) expect(phdrAt(be.bytes, i, false)).toEqual(phdrAt(le.bytes, i, true));
  });

  it('decodes with a warning that EI_DATA misleads', () => {
    const d = decodeElfCoreHeader(be.bytes);
    expect(d.byteOrder).toBe('be');
    expect(d.warnings.length).toBeGreaterThan(0);
  });
});

describe('get_crash_memory_ranges (§6.2)', () => {
  const rangesOf = (s: SystemDescription, p = ppcPlugin()) => p.crashMemory(s).mem.ranges;

  it('starts the first region at 64 KiB and adds [0, 0xffff] as its own range', () => {
    expect(rangesOf(ppcSystem({ ram: ram([0n, 0x3fff_ffffn]), crashkernel: undefined, powerpc: { rtas: null } }))).toEqual([
      { start: 0n, end: 0xffffn },
      { start: 0x1_0000n, end: 0x3fff_ffffn },
    ]);
  });

  it('skips a first region of 64 KiB or less entirely', () => {
    const r = rangesOf(ppcSystem({ ram: ram([0n, 0xffffn], [0x1000_0000n, 0x1fff_ffffn]), crashkernel: undefined, powerpc: { rtas: null } }));
    expect(r).toEqual([
      { start: 0n, end: 0xffffn },
      { start: 0x1000_0000n, end: 0x1fff_ffffn },
    ]);
  });

  it('never merges adjacent regions (two NUMA nodes stay two ranges), and sorts without merging', () => {
    const r = rangesOf(ppcSystem({ ram: ram([0n, 0x7fff_ffffn], [0x8000_0000n, 0xffff_ffffn]), crashkernel: undefined, powerpc: { rtas: null } }));
    expect(r).toHaveLength(3);
    expect(r[2]).toEqual({ start: 0x8000_0000n, end: 0xffff_ffffn });
  });

  it('adds an RTAS range outside RAM as its own range with its exact size (not page-rounded, §13.7)', () => {
    const r = rangesOf(ppcSystem({ ram: ram([0n, 0x3fff_ffffn]), crashkernel: undefined, powerpc: { rtas: ['0x7fff0000', '0x7fff089b'] } }));
    expect(r[r.length - 1]).toEqual({ start: 0x7fff_0000n, end: 0x7fff_089bn });
  });

  it('adds OPAL, sorted into place', () => {
    const r = rangesOf(
      ppcSystem({
        ram: ram([0n, 0x3fff_ffffn], [0x8000_0000n, 0xbfff_ffffn]),
        crashkernel: undefined,
        powerpc: { rtas: null, opal: ['0x40000000', '0x4fffffff'] },
      }),
    );
    expect(r.map((x) => x.start)).toEqual([0n, 0x1_0000n, 0x4000_0000n, 0x8000_0000n]);
  });

  it('splits a region around crashkernel with the current exclusion', () => {
    const r = rangesOf(ppcSystem({ ram: ram([0n, 0x3fff_ffffn]), powerpc: { rtas: null } }));
    expect(r).toEqual([
      { start: 0n, end: 0xffffn },
      { start: 0x1_0000n, end: 0x1fff_ffffn },
      { start: 0x3000_0000n, end: 0x3fff_ffffn },
    ]);
  });

  it('grows the array in 2 KiB chunks of 127, 255, 383 ranges', () => {
    const m = emptyCrashMem();
    growCrashMem(m);
    expect(m.maxNrRanges).toBe(127);
    growCrashMem(m);
    expect(m.maxNrRanges).toBe(255);
    growCrashMem(m);
    expect(m.maxNrRanges).toBe(383);
  });

  it('sorts and merges a full array of 127 regions before growing it: adjacent nodes then merge', () => {
    const regions = Array.from({ length: 130 }, (_, i) => [BigInt(i + 1) * 0x1000_0000n, BigInt(i + 2) * 0x1000_0000n - 1n] as const);
    const r = rangesOf(ppcSystem({ ram: ram(...regions), crashkernel: undefined, powerpc: { rtas: null } }));
    // 127 adjacent regions merge into one, then three more are appended, then the backup range.
    expect(r).toHaveLength(5);
    expect(r[1]).toEqual({ start: 0x1000_0000n, end: 128n * 0x1000_0000n - 1n });
  });

  it('widens an entry that a new range strictly overlaps, but appends one that only touches it', () => {
    const m: WorkingCrashMem = { maxNrRanges: 4, ranges: [{ start: 0x1000n, end: 0x1fffn }] };
    addMemRange(m, 0x1800n, 0x1000n);
    expect(m.ranges).toEqual([{ start: 0x1000n, end: 0x27ffn }]);
    addMemRange(m, 0x2800n, 0x100n);
    expect(m.ranges).toHaveLength(2);
  });

  it('merges as __merge_memory_ranges does: a merged entry takes the later range’s end', () => {
    const m: WorkingCrashMem = {
      maxNrRanges: 4,
      ranges: [
        { start: 0n, end: 0x2fffn },
        { start: 0x1000n, end: 0x1fffn },
      ],
    };
    sortMemoryRanges(m, true);
    expect(m.ranges).toEqual([{ start: 0n, end: 0x1fffn }]);
  });

  it('refuses a kernel without kexec_file kdump (before 5.9)', () => {
    expect(thrown(() => ppcPlugin().crashMemory(ppcSystem({ kernel: '5.8' }))).code).toBe('E_UNSUPPORTED');
  });
});

describe('remove_mem_range (W12, §13.1)', () => {
  const start = (): WorkingCrashMem => ({ maxNrRanges: 127, ranges: [{ start: 0n, end: 0x7fff_ffffn }] });

  it('upstream fix (the default of current kernels): the appended tail is one byte long', () => {
    const m = start();
    removeMemRange(m, 0x4000_0000n, 0x1000_0000n, 'upstream-fix');
    expect(m.ranges).toEqual([
      { start: 0n, end: 0x3fff_ffffn },
      { start: 0x5000_0000n, end: 0x8000_0000n },
    ]);
  });

  it('6.10 defect: the appended range is inverted and its PT_LOAD size wraps to 0xfffffffff0000000', () => {
    const m = start();
    removeMemRange(m, 0x4000_0000n, 0x1000_0000n, 'defect-6.10');
    expect(m.ranges).toEqual([
      { start: 0n, end: 0x3fff_ffffn },
      { start: 0x5000_0000n, end: 0x3fff_ffffn },
    ]);
    expect(BigInt.asUintN(64, 0x3fff_ffffn - 0x5000_0000n + 1n)).toBe(0xffff_ffff_f000_0000n);
  });

  it('exact: the split a correct implementation gives', () => {
    const m = start();
    removeMemRange(m, 0x4000_0000n, 0x1000_0000n, 'exact');
    expect(m.ranges).toEqual([
      { start: 0n, end: 0x3fff_ffffn },
      { start: 0x5000_0000n, end: 0x7fff_ffffn },
    ]);
  });

  it('deletes an entry equal to the block, trims a head or a tail, and ignores a block no entry contains', () => {
    const m: WorkingCrashMem = {
      maxNrRanges: 8,
      ranges: [
        { start: 0n, end: 0xffffn },
        { start: 0x1_0000n, end: 0x1_ffffn },
        { start: 0x2_0000n, end: 0x2_ffffn },
      ],
    };
    expect(removeMemRange(m, 0x1_0000n, 0x1_0000n, 'upstream-fix').action).toBe('deleted');
    expect(removeMemRange(m, 0x2_0000n, 0x8000n, 'upstream-fix').action).toBe('head-trimmed');
    expect(removeMemRange(m, 0x8000n, 0x8000n, 'upstream-fix').action).toBe('tail-trimmed');
    expect(removeMemRange(m, 0x4_0000n, 0x1000n, 'upstream-fix').action).toBe('none');
    expect(m.ranges).toEqual([
      { start: 0n, end: 0x7fffn },
      { start: 0x2_8000n, end: 0x2_ffffn },
    ]);
  });

  describe('through the header, as 6.12.107 ppc64le wrote it (§13.1)', () => {
    // Boot RAM and hot-added LMBs of one node are one memblock region; crashkernel ends at 1 GiB.
    const system = ppcSystem({ ram: ram([0n, 0x1_1fff_ffffn]), crashkernel: { start: 0x2000_0000n, end: 0x3fff_ffffn }, powerpc: { rtas: null } });
    const dimm = { start: 0x1_0000_0000n, size: 0x1000_0000n };
    const afterRemove = (variant: 'defect-6.10' | 'upstream-fix' | 'exact') => {
      const base = ppcPlugin();
      const plugin: ArchPlugin = { ...base, crashMemory: (s) => memoryAfterEvent(base.crashMemory(s), dimm, variant) };
      return headerOf(system, plugin);
    };

    it('appends a PT_LOAD at 0x110000000 of 0x10000001 bytes after the others, unsorted', () => {
      const h = afterRemove('upstream-fix');
      const n = h.layout.phnum;
      expect(phdrAt(h.bytes, n - 2, true)).toEqual(load(0x4000_0000n, 0xc000_0000n));
      expect(phdrAt(h.bytes, n - 1, true)).toEqual(load(0x1_1000_0000n, 0x1000_0001n));
    });

    it('with the defect on request, appends an inverted PT_LOAD whose size wraps', () => {
      const h = afterRemove('defect-6.10');
      const last = phdrAt(h.bytes, h.layout.phnum - 1, true);
      expect(last.paddr).toBe(0x1_1000_0000n);
      expect(last.filesz).toBe(BigInt.asUintN(64, 0xffff_ffffn - 0x1_1000_0000n + 1n));
    });

    it('exact keeps the ranges sorted and the tail ends at the old end', () => {
      const h = afterRemove('exact');
      expect(h.crashMemory.mem.ranges.slice(-2)).toEqual([
        { start: 0x4000_0000n, end: 0xffff_ffffn },
        { start: 0x1_1000_0000n, end: 0x1_1fff_ffffn },
      ]);
    });
  });
});

describe('backup region p_offset per release (§13.2)', () => {
  const backupPhdr = (kernel: string, extra: object = {}) => {
    const h = headerOf(ppcSystem({ kernel, ...extra }), ppcPlugin());
    return phdrAt(h.bytes, 9, true);
  };

  it('stays 0 before 789335cacdf3 (6.18, 6.12 without a sublevel)', () => {
    expect(backupPhdr('6.18').offset).toBe(0n);
    expect(backupPhdr('6.12').offset).toBe(0n);
    expect(backupPhdr('6.18').paddr).toBe(0n);
  });

  it('is backupStart from 7.1 (789335cacdf3, powerpc-7.1-1) and on the stable sublevels that carried it', () => {
    expect(backupPhdr('7.1').offset).toBe(0x2000_0000n);
    expect(backupPhdr('7.3').offset).toBe(0x2000_0000n);
    // 7.0 as released did not have it; 7.0.10 did (stable review 7.0.10-rc1).
    expect(backupPhdr('7.0').offset).toBe(0n);
    expect(backupPhdr('7.0.10').offset).toBe(0x2000_0000n);
    expect(backupPhdr('6.12.107').offset).toBe(0x2000_0000n);
    expect(backupPhdr('6.12.95').offset).toBe(0x2000_0000n);
    expect(backupPhdr('6.12.91').offset).toBe(0x2000_0000n);
    expect(backupPhdr('6.12.90').offset).toBe(0n);
  });

  it('can be forced by powerpc.backupPhdr for a stable kernel between the rules', () => {
    expect(backupPhdr('6.18', { powerpc: { rtas: ['0x7fff0000', '0x7fffffff'], backupPhdr: 'backup-start' } }).offset).toBe(0x2000_0000n);
  });

  it('defaults backupStart to the crash reservation’s start', () => {
    expect(backupPhdr('7.1', { backupStart: undefined }).offset).toBe(W11.crashkernel.start);
  });
});

describe('the powerpc profile table', () => {
  it.each([
    ['5.9', false, undefined, 'stays-zero', false],
    ['6.6', false, undefined, 'stays-zero', false],
    ['6.10', true, 'defect-6.10', 'stays-zero', false],
    ['6.12', true, 'defect-6.10', 'stays-zero', false],
    ['6.18', true, 'defect-6.10', 'stays-zero', false],
    // 7afe2383eff0 and b4a96ab50f36 (CMA) were both pulled with powerpc-6.19-1.
    ['6.19', true, 'upstream-fix', 'stays-zero', true],
    ['7.0', true, 'upstream-fix', 'stays-zero', true],
    // 789335cacdf3: mainline 7.1 (powerpc-7.1-1, 3203a08c1266).
    ['7.1', true, 'upstream-fix', 'backup-start', true],
    ['7.2', true, 'upstream-fix', 'backup-start', true],
    // 202b5de3ec34: remove_mem_range gone, the generic guarded exclusion instead.
    ['7.3', true, 'exact', 'backup-start', true],
  ] as const)('%s: hot-plug %s, remove_mem_range shipped %s, backup %s, CMA cut %s', (v, hp, rm, backup, cma) => {
    const p = powerpcProfile(kernelProfile(v));
    expect(p.crashHotplug).toBe(hp);
    expect(p.removeMemRangeShipped).toBe(rm);
    expect(p.backupPhdr).toBe(backup);
    expect(p.cutsCma).toBe(cma);
  });

  it.each([
    ['6.12.107', 'upstream-fix', 'backup-start'],
    ['6.12.200', 'upstream-fix', 'backup-start'],
    ['6.12.95', 'upstream-fix', 'backup-start'],
    // 789335cacdf3 came with 6.12.91 (review cycle 6.12.91-rc1); the split fix is known only from 6.12.95.
    ['6.12.94', 'defect-6.10', 'backup-start'],
    ['6.12.91', 'defect-6.10', 'backup-start'],
    ['6.12.90', 'defect-6.10', 'stays-zero'],
    // 6.18.y got the split fix at an unknown sublevel, the backup fix with 6.18.32 (UNSURE: .32 or .33).
    ['6.18.107', 'defect-6.10', 'backup-start'],
    ['6.18.31', 'defect-6.10', 'stays-zero'],
    ['7.0.10', 'upstream-fix', 'backup-start'],
    ['7.0.9', 'upstream-fix', 'stays-zero'],
  ] as const)('knows from the sublevel what %s shipped: %s, backup %s', (v, rm, backup) => {
    const p = powerpcProfile(kernelProfile(v));
    expect(p.removeMemRangeShipped).toBe(rm);
    expect(p.backupPhdr).toBe(backup);
  });

  it.each([
    ['6.6.141', 'backup-start'],
    ['6.6.140', 'stays-zero'],
    ['6.1.175', 'backup-start'],
    ['6.1.174', 'stays-zero'],
    ['5.15.209', 'backup-start'],
    ['5.15.208', 'stays-zero'],
  ] as const)('789335cacdf3 in the older stable series: %s writes %s', (v, backup) => {
    expect(powerpcProfile(kernelProfile(v)).backupPhdr).toBe(backup);
  });
});

describe('arch_crash_hotplug_support on powerpc (W16)', () => {
  const q = (kernel: string, fileMode: boolean, flags: number) =>
    hotplugSupportAtLoad(ppcSystem({ kernel }), ppcPlugin(), fileMode, flags | (fileMode ? KEXEC_FILE_ON_CRASH : KEXEC_ON_CRASH));

  it('honours only KEXEC_CRASH_HOTPLUG_SUPPORT (0x8) for kexec_load', () => {
    expect(q('6.10', false, 0x1 | 0x4)).toBe(false);
    expect(q('6.10', false, 0x1 | 0x8)).toBe(true);
  });

  it('always supports kexec_file images from 6.10, never before', () => {
    expect(q('6.10', true, 0)).toBe(true);
    expect(q('6.9', true, 0)).toBe(false);
  });

  it('reports 0 in sysfs and no extra room without crash hot-plug', () => {
    const s = ppcSystem({ kernel: '6.9' });
    const built = headerOf(s, ppcPlugin());
    expect(ppcPlugin().sysfsElfcorehdrSize(s)).toBe(0);
    expect(ppcPlugin().elfcorehdrSegment(s, built.layout).memsz).toBe(4096);
  });
});

describe('sizes (W10)', () => {
  it('sizeof(note_buf_t) = 24 + 8 + 504 = 536 on ppc64', () => {
    expect(PPC64_NOTE_SIZE).toBe(536n);
    expect(24 + 8 + (112 + 48 * 8 + 4 + 4)).toBe(536);
  });

  it('the backup region is 64 KiB', () => {
    expect(BACKUP_SRC_SIZE).toBe(0x10000n);
  });

  it('warns and reserves nothing when the ranges already reach CRASH_MAX_MEMORY_RANGES', () => {
    const s = ppcSystem({ config: { crashMaxMemoryRanges: 5 } });
    const seg = ppcPlugin().elfcorehdrSegment(s, headerOf(s, ppcPlugin()).layout);
    expect(seg.warning).toBe('Configured crash mem ranges may not be enough');
    expect(seg.memsz).toBe(4096);
  });

  it('warns when CRASH_MAX_MEMORY_RANGES is beyond PN_XNUM', () => {
    const s = ppcSystem({ config: { crashMaxMemoryRanges: 70000 } });
    expect(ppcPlugin().elfcorehdrSegment(s, headerOf(s, ppcPlugin()).layout).warning).toBe('Number of Phdrs 70000 exceeds max');
  });
});
