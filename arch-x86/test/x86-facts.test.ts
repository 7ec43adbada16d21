// The x86_64 port held against the fact sheet: W1 field by field, the segment sizing of W2 (and §13.6's
// MAXSMP figures), W6's growth limit, W10's note sizes, and the x86 rules of §4.1 / §13.5 / §13.7.
// Every expected number below is read off the facts, never off what the code printed.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { elfcorehdrSize } from '../../core/elf/index.js';
import type { NamedRange } from '../../core/memory/index.js';
import { type SystemDescription, vmcoreinfoNoteSize } from '../../core/system/index.js';
import { X86_64_NOTE_SIZE } from '../index.js';
import { cpuIds, sparseRam, systemRam, W1, x86Plugin, x86RamWithRanges, x86System } from '../../test/support/systems.js';
import { crashplugErrorOf as thrown } from '../../test/support/errors.js';
import { phdrAt } from '../../test/support/raw-phdr.js';

const PT_LOAD = 1;
const PT_NOTE = 4;
const RWX = 7;
const note = (addr: bigint, size: bigint) => ({ type: PT_NOTE, flags: 0, offset: addr, vaddr: 0n, paddr: addr, filesz: size, memsz: size, align: 0n });
const load = (paddr: bigint, vaddr: bigint, size: bigint) => ({ type: PT_LOAD, flags: RWX, offset: paddr, vaddr, paddr, filesz: size, memsz: size, align: 0n });
const crashNotes = (cpu: number) => W1.crashNotesBase + BigInt(cpu) * W1.crashNotesStride;

/** What kexec_add_buffer does to kbuf.memsz: round up to a page (facts §4.3). */
const pageRound = (n: number) => Math.ceil(n / 4096) * 4096;

function segmentOf(system: SystemDescription) {
  const plugin = x86Plugin();
  const built = buildSystemElfcorehdr(system, plugin);
  return plugin.elfcorehdrSegment(system, built.layout);
}

describe('x86_64 elfcorehdr at kexec_file load (W1)', () => {
  const built = buildSystemElfcorehdr(x86System(), x86Plugin());
  const { bytes } = built;

  it('is one 4 KiB page: ALIGN(64 + 8 × 56 = 512, 4096)', () => {
    expect(bytes.length).toBe(4096);
    expect(built.layout.size).toBe(4096);
  });

  it('keeps max_nr_ranges = 2 System RAM + 3', () => {
    expect(built.crashMemory.mem.maxNrRanges).toBe(5);
  });

  it('writes the Ehdr of crash_prepare_elf64_headers (§1.1)', () => {
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect([...bytes.subarray(0, 16)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(v.getUint16(16, true)).toBe(4); // ET_CORE
    expect(v.getUint16(18, true)).toBe(62); // EM_X86_64
    expect(v.getUint32(20, true)).toBe(1);
    expect(v.getBigUint64(24, true)).toBe(0n);
    expect(v.getBigUint64(32, true)).toBe(64n);
    expect(v.getBigUint64(40, true)).toBe(0n);
    expect(v.getUint32(48, true)).toBe(0);
    expect(v.getUint16(52, true)).toBe(64);
    expect(v.getUint16(54, true)).toBe(56);
    expect(v.getUint16(56, true)).toBe(8); // 4 CPUs + vmcoreinfo + kernel text + 2 ranges
    expect([v.getUint16(58, true), v.getUint16(60, true), v.getUint16(62, true)]).toEqual([0, 0, 0]);
  });

  it('writes every field of the 8 phdrs at byte offsets 64, 120, …, 456', () => {
    const expected = [
      note(crashNotes(0), 368n),
      note(crashNotes(1), 368n),
      note(crashNotes(2), 368n),
      note(crashNotes(3), 368n),
      note(W1.vmcoreinfo.address, 4132n),
      load(W1.kernelImage.textPhys, 0xffffffff81000000n, W1.kernelImage.size),
      load(0x100000n, 0xffff888000100000n, 0x1f00000n),
      load(0x12000000n, 0xffff888012000000n, 0xae000000n),
    ];
    expect(expected.map((_, i) => 64 + 56 * i)).toEqual([64, 120, 176, 232, 288, 344, 400, 456]);
    expected.forEach((p, i) => expect(phdrAt(bytes, i), `phdr ${i}`).toEqual(p));
  });

  it('leaves the rest of the page zero (the buffer is vzalloc’d)', () => {
    expect(bytes.subarray(512).every((b) => b === 0)).toBe(true);
  });

  describe('when the kernel uses the old exclusion algorithm (6.1)', () => {
    it('gives the same two memory PT_LOADs (W1: "old algorithm: skip, same result")', () => {
      const old = buildSystemElfcorehdr(x86System({ kernel: '6.1' }), x86Plugin());
      expect(old.crashMemory.mem.ranges).toEqual([
        { start: 0x100000n, end: 0x1ffffffn },
        { start: 0x12000000n, end: 0xbfffffffn },
      ]);
    });
  });
});

describe('x86_64 elfcorehdr segment sizing (W2, §4.3, §4.4, §13.6)', () => {
  describe('when NR_CPUS_DEFAULT is 64, CRASH_MAX_MEMORY_RANGES 8192 and MEMORY_HOTPLUG is on', () => {
    const seg = segmentOf(x86System());

    it('asks for pnum 8258 × 56 + 64 = 462512 bytes and records elf_headers_sz 462512', () => {
      expect(seg.memsz).toBe(462512);
      expect(seg.elfHeadersSize).toBe(462512);
    });

    it('gets a 462848-byte (113-page) segment after kexec_add_buffer page-rounds it', () => {
      expect(pageRound(seg.memsz)).toBe(462848);
      expect(pageRound(seg.memsz) / 4096).toBe(113);
      expect(seg.align).toBe(4096);
      expect(seg.topDown).toBe(false);
    });

    it('presets elfcorehdr_index, so the purgatory digest can skip the segment', () => {
      expect(seg.presetIndex).toBe(true);
      expect(seg.warning).toBeUndefined();
    });

    it('shows 462448 in /sys/kernel/crash_elfcorehdr_size: phdrs only, no Ehdr', () => {
      expect(x86Plugin().sysfsElfcorehdrSize(x86System())).toBe(462448);
    });
  });

  describe('when the kernel is MAXSMP (NR_CPUS_DEFAULT 8192)', () => {
    const system = x86System({ config: { nrCpusDefault: 8192 } });

    it('asks for 917680 bytes, 921600 after page rounding', () => {
      const seg = segmentOf(system);
      expect(seg.memsz).toBe(917680);
      expect(pageRound(seg.memsz)).toBe(921600);
    });

    it('shows 917616 = (2 + 8192 + 8192) × 56 in sysfs, as a real 6.12 kernel did', () => {
      expect(x86Plugin().sysfsElfcorehdrSize(system)).toBe(917616);
    });
  });

  describe('when MEMORY_HOTPLUG is off (2 ranges, 64 CPUs)', () => {
    const system = x86System({ config: { memoryHotplug: false } });

    it('reserves for the current ranges only: pnum 68, 3872 bytes → 4096', () => {
      const seg = segmentOf(system);
      expect(seg.memsz).toBe(3872);
      expect(pageRound(seg.memsz)).toBe(4096);
    });

    it('shows (2 + 64) × 56 = 3696 in sysfs', () => {
      expect(x86Plugin().sysfsElfcorehdrSize(system)).toBe(3696);
    });
  });

  describe('when pnum reaches PN_XNUM (8192 CPUs + 60000 ranges)', () => {
    it('warns "number of Phdrs … exceeds max", falls back to the header size and does not preset the index', () => {
      const seg = segmentOf(x86System({ config: { nrCpusDefault: 8192, crashMaxMemoryRanges: 60000 } }));
      expect(seg.warning).toBe('number of Phdrs 68194 exceeds max');
      expect(seg.memsz).toBe(4096);
      expect(seg.presetIndex).toBe(false);
    });
  });

  describe('when CONFIG_CRASH_HOTPLUG is off, or the kernel predates crash hot-plug (6.1)', () => {
    for (const system of [x86System({ config: { crashHotplug: false } }), x86System({ kernel: '6.1' })]) {
      it(`gives a segment of just the header and no sysfs size (${system.kernel.version}, CRASH_HOTPLUG ${system.config.crashHotplug})`, () => {
        const seg = segmentOf(system);
        expect(seg.memsz).toBe(4096);
        expect(seg.presetIndex).toBe(false);
        expect(x86Plugin().sysfsElfcorehdrSize(system)).toBe(0);
      });
    }
  });
});

describe('x86_64 hot-plug growth limit (W6)', () => {
  const SEGMENT = 462848; // W2's page-rounded segment

  describe('when sized by the formula 64 + (cpus + 2 + R) × 56 ≤ 462848', () => {
    const maxR: [number, number][] = [
      [1, 8261],
      [4, 8258],
      [8, 8254],
      [64, 8198],
      [128, 8134],
    ];
    for (const [cpus, r] of maxR) {
      it(`fits ${r} ranges with ${cpus} CPU(s) and needs 466944 bytes at ${r + 1}`, () => {
        expect(elfcorehdrSize(cpus, r)).toBeLessThanOrEqual(SEGMENT);
        expect(elfcorehdrSize(cpus, r + 1)).toBe(466944);
      });
    }
  });

  describe('when really built for 4 CPUs', () => {
    it('fills the segment exactly at 8258 ranges', () => {
      const b = buildSystemElfcorehdr(x86System({ ram: x86RamWithRanges(8258) }), x86Plugin());
      expect(b.crashMemory.mem.ranges).toHaveLength(8258);
      expect(b.bytes.length).toBe(462848);
      expect(b.layout.phnum).toBe(4 + 1 + 1 + 8258);
    });

    it('needs 466944 bytes, more than the segment holds, at 8259 ranges', () => {
      const b = buildSystemElfcorehdr(x86System({ ram: x86RamWithRanges(8259) }), x86Plugin());
      expect(b.crashMemory.mem.ranges).toHaveLength(8259);
      expect(b.bytes.length).toBe(466944);
      expect(b.bytes.length).toBeGreaterThan(SEGMENT);
    });
  });
});

describe('x86_64 note sizes (W10)', () => {
  it('gives each CPU PT_NOTE sizeof(note_buf_t) = 368 bytes', () => {
    expect(X86_64_NOTE_SIZE).toBe(368n);
    expect(x86Plugin().noteSize).toBe(368n);
  });

  it('gives the vmcoreinfo PT_NOTE 4132 (0x1024) bytes with 4 KiB pages', () => {
    expect(vmcoreinfoNoteSize(4096)).toBe(4132n);
    expect(vmcoreinfoNoteSize(16384)).toBe(16420n);
    expect(vmcoreinfoNoteSize(65536)).toBe(65572n);
  });
});

describe('x86_64 crash memory (§4.1, §13.7)', () => {
  const crashMemory = (s: SystemDescription) => x86Plugin().crashMemory(s);
  const pairs = (rs: readonly { start: bigint; end: bigint }[]) => rs.map((x) => [x.start, x.end]);

  describe('when System RAM starts at 0x1000', () => {
    it('deletes [0x1000, 0x9fbff] entirely with the low-1M exclusion [0, 0xfffff]', () => {
      const m = crashMemory(x86System({ crashkernel: undefined }));
      expect(m.excluded[0]).toEqual({ name: 'low 1M', start: 0n, end: 0xfffffn });
      expect(pairs(m.mem.ranges)).toEqual([[0x100000n, 0xbfffffffn]]);
    });

    it('trims the head of RAM that crosses 1 MiB, on both algorithms', () => {
      for (const kernel of ['6.1', '6.18']) {
        const m = crashMemory(x86System({ kernel, crashkernel: undefined, ram: systemRam([0x1000n, 0x7ffdefffn]) }));
        expect(pairs(m.mem.ranges), kernel).toEqual([[0x100000n, 0x7ffdefffn]]);
      }
    });
  });

  describe('when there are two crash reservations (crashkernel=…,high plus a low one)', () => {
    const system = x86System({
      ram: systemRam([0x1000n, 0x9fbffn], [0x100000n, 0xbffdffffn], [0x100000000n, 0x23fffffffn]),
      crashkernel: { start: 0x200000000n, end: 0x21fffffffn },
      crashkernelLow: { start: 0xaf000000n, end: 0xbeffffffn },
    });

    it('excludes the low 1M, then crashk_res, then crashk_low_res', () => {
      expect(crashMemory(system).excluded.map((h) => h.name)).toEqual(['low 1M', 'crashkernel', 'crashkernelLow']);
    });

    it('splits each range a reservation lies inside', () => {
      expect(pairs(crashMemory(system).mem.ranges)).toEqual([
        [0x100000n, 0xaeffffffn],
        [0xbf000000n, 0xbffdffffn],
        [0x100000000n, 0x1ffffffffn],
        [0x220000000n, 0x23fffffffn],
      ]);
    });
  });

  describe('when crashkernelLow ends at 0 (no crashk_low_res)', () => {
    it('does not exclude it', () => {
      const m = crashMemory(x86System({ crashkernelLow: { start: 0n, end: 0n } }));
      expect(m.excluded.map((h) => h.name)).toEqual(['low 1M', 'crashkernel']);
    });
  });

  describe('when a crash reservation starts where a range starts', () => {
    it('trims the head of that range, and its PT_LOAD starts after the reservation', () => {
      const system = x86System({
        ram: systemRam([0x1000n, 0x9fbffn], [0x100000n, 0xbfffffffn], [0x100000000n, 0x13fffffffn]),
        crashkernel: { start: 0x100000000n, end: 0x10fffffffn },
      });
      const b = buildSystemElfcorehdr(system, x86Plugin());
      expect(pairs(b.crashMemory.mem.ranges)).toEqual([
        [0x100000n, 0xbfffffffn],
        [0x110000000n, 0x13fffffffn],
      ]);
      expect(phdrAt(b.bytes, 7)).toEqual(load(0x110000000n, 0xffff888110000000n, 0x30000000n));
    });
  });

  describe('when sizing the crash_mem array', () => {
    it('gives it the System RAM count + 3 on current kernels', () => {
      for (const kernel of ['6.12', '6.18']) {
        expect(crashMemory(x86System({ kernel, ram: sparseRam(10) })).mem.maxNrRanges, kernel).toBe(13);
      }
    });

    it('gives it the System RAM count + 2 on 6.1 and 6.6, before the array-overflow fix', () => {
      for (const kernel of ['6.1', '6.6']) {
        expect(crashMemory(x86System({ kernel, ram: sparseRam(10) })).mem.maxNrRanges, kernel).toBe(12);
      }
    });

    // The low-1M hole starts at 0, so it can only delete or trim a head, never split; crashk_res and
    // crashk_low_res split at most once each. So the room always suffices for a real /proc/iomem.
    itProp.prop([
      fc.constantFrom('6.1', '6.18'),
      fc.array(fc.record({ gap: fc.nat(0x100), len: fc.nat(0x100) }), { minLength: 1, maxLength: 8 }),
      fc.nat(0x1000),
      fc.nat(0x400),
      fc.nat(0x1000),
      fc.nat(0x400),
    ])('never runs out of room for sorted, disjoint System RAM and any two reservations', (kernel, shape, ck, ckLen, lo, loLen) => {
      const page = 0x1000n;
      const ram: NamedRange[] = [];
      let next = 1n;
      for (const { gap, len } of shape) {
        const start = (next + BigInt(gap)) * page;
        ram.push({ name: 'System RAM', start, end: start + BigInt(len + 1) * page - 1n });
        next = start / page + BigInt(len + 1) + 1n;
      }
      const m = crashMemory(
        x86System({
          kernel,
          ram,
          crashkernel: { start: BigInt(ck) * page, end: BigInt(ck + ckLen + 1) * page - 1n },
          crashkernelLow: { start: BigInt(lo) * page, end: BigInt(lo + loLen + 1) * page - 1n },
        }),
      );
      expect(m.mem.ranges.length).toBeLessThanOrEqual(m.mem.maxNrRanges);
    });
  });

  describe('when an exclusion needs a split the array has no room for', () => {
    // Only a hand-written range list that overlaps itself gets here (see the property above): two
    // copies of one range, each split by both reservations, need 4 extra slots and there are 3.
    it('fails the load with E_RANGES_FULL, named after the port and hook', () => {
      const system = x86System({
        ram: systemRam([0x100000n, 0xbfffffffn], [0x200000n, 0xbfffffffn]),
        crashkernel: { start: 0x2000000n, end: 0x11ffffffn },
        crashkernelLow: { start: 0x20000000n, end: 0x2fffffffn },
      });
      const err = thrown(() => buildSystemElfcorehdr(system, x86Plugin()));
      expect(err.code).toBe('E_RANGES_FULL');
      expect(err.message).toMatch(/^x86_64 crashMemory: excluding \[0x20000000, 0x2fffffff\]/);
    });
  });

  describe('when there is no System RAM', () => {
    it('fails as the kernel does (-ENOMEM) with E_BAD_SYSTEM', () => {
      expect(thrown(() => buildSystemElfcorehdr(x86System({ ram: [] }), x86Plugin())).code).toBe('E_BAD_SYSTEM');
    });
  });

  describe('when kernelImage is missing', () => {
    it('refuses with E_BAD_SYSTEM: x86_64 always writes the kernel-text PT_LOAD', () => {
      expect(thrown(() => buildSystemElfcorehdr(x86System({ kernelImage: undefined }), x86Plugin())).code).toBe('E_BAD_SYSTEM');
    });
  });
});

describe('x86_64 CPU notes by kernel release (§2.4 history, §13.5)', () => {
  // 67 ranges put the page boundary between "sized for 2 CPUs" and "sized for 4": 64 + (2+2+67)·56 =
  // 4040 fits a page, 64 + (4+2+67)·56 = 4152 does not.
  const ram = x86RamWithRanges(67);
  const cpus = { possible: cpuIds(4), present: [0, 1] };

  describe('when a 6.1 kernel has possible 0-3 and present 0-1', () => {
    const b = buildSystemElfcorehdr(x86System({ kernel: '6.1', cpus, ram }), x86Plugin());

    it('writes PT_NOTEs for the 2 present CPUs only', () => {
      expect(b.layout.phnum).toBe(2 + 1 + 1 + 67);
      expect(phdrAt(b.bytes, 0)).toEqual(note(crashNotes(0), 368n));
      expect(phdrAt(b.bytes, 1)).toEqual(note(crashNotes(1), 368n));
      expect(phdrAt(b.bytes, 2)).toEqual(note(W1.vmcoreinfo.address, 4132n));
      expect(new DataView(b.bytes.buffer).getUint16(56, true)).toBe(71);
    });

    it('sizes the buffer for the 4 possible CPUs: 8192 bytes, not 4096', () => {
      expect(b.layout.sizedPhnum).toBe(4 + 1 + 67 + 1);
      expect(b.bytes.length).toBe(8192);
    });
  });

  describe('when a 6.6+ kernel has the same CPUs', () => {
    it('writes PT_NOTEs for all 4 possible CPUs', () => {
      const b = buildSystemElfcorehdr(x86System({ kernel: '6.6', cpus, ram }), x86Plugin());
      expect(b.layout.phnum).toBe(4 + 1 + 1 + 67);
      expect([0, 1, 2, 3].map((i) => phdrAt(b.bytes, i))).toEqual([0, 1, 2, 3].map((c) => note(crashNotes(c), 368n)));
      expect(b.bytes.length).toBe(8192);
    });
  });
});
