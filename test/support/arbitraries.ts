// fast-check arbitraries the property tests share: u64 field values with the edges where a fast
// path could go wrong (2^32, 2^53, 2^64 − 1, every hex width), and ranges made of them.

import { fc } from '@fast-check/vitest';
import { U64_MAX } from '../../core/base/index.js';
import type { ByteOrder, ElfcorehdrInput } from '../../core/elf/index.js';

/** A u64 field: any value, values a double holds exactly, the 2^53 boundary, and the 32/64-bit edges. */
export const u64Field = fc.oneof(
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.bigInt({ min: 0n, max: (1n << 53n) - 1n }),
  fc.bigInt({ min: (1n << 53n) - 4n, max: (1n << 53n) + 4n }),
  fc.constantFrom(0n, 0xffff_ffffn, 0x1_0000_0000n, U64_MAX),
);

/** Mostly start ≤ end; one in ten ends below its start (the 6.10 powerpc defect), which wraps in a u64 field. */
export const anyU64Range = fc.oneof(
  { weight: 9, arbitrary: fc.tuple(u64Field, u64Field).map(([a, b]) => (a <= b ? { start: a, end: b } : { start: b, end: a })) },
  { weight: 1, arbitrary: fc.tuple(u64Field, u64Field).map(([start, end]) => ({ start, end })) },
);

/** A u64 for text: every hex width from 1 to 16 digits with its smallest and largest value, small values and the edges. */
export const u64Digits = fc.oneof(
  fc.integer({ min: 1, max: 16 }).chain((d) => fc.constantFrom(1n << BigInt(4 * (d - 1)), (1n << BigInt(4 * d)) - 1n)),
  fc.bigInt(0n, 0xffffffn),
  fc.bigInt(0n, U64_MAX),
  fc.constantFrom(0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, U64_MAX - 1n, U64_MAX),
);

/**
 * A header writer input from plain values: up to 40 CPUs, each with its crash_notes address, and up
 * to `maxRanges` ranges, with p_vaddr = p_paddr + `pageOffset` (mod 2^64). `noteOf` maps each CPU to
 * its note address, for a test that prepares the same input another way.
 */
export function writerInput(maxRanges: number): fc.Arbitrary<{ input: ElfcorehdrInput; noteOf: ReadonlyMap<number, bigint>; pageOffset: bigint }> {
  return fc
    .record({
      machine: fc.constantFrom(62, 183, 21, 243),
      cpus: fc.uniqueArray(fc.integer({ min: 0, max: 4095 }), { maxLength: 40 }),
      extraPossible: fc.integer({ min: 0, max: 8 }),
      notes: fc.array(u64Field, { minLength: 40, maxLength: 40 }),
      noteSize: u64Field,
      vmcoreinfo: fc.record({ address: u64Field, size: u64Field }),
      kernelMap: fc.option(fc.record({ vaddr: u64Field, paddr: u64Field, size: u64Field }), { nil: undefined }),
      ranges: fc.array(anyU64Range, { maxLength: maxRanges }),
      pageOffset: u64Field,
      byteOrder: fc.constantFrom<ByteOrder>('le', 'be'),
    })
    .map((r) => {
      const cpus = [...r.cpus].sort((a, b) => a - b);
      const noteOf = new Map(cpus.map((c, i) => [c, r.notes[i]!]));
      const input: ElfcorehdrInput = {
        machine: r.machine,
        noteCpus: cpus,
        possibleCpuCount: cpus.length + r.extraPossible,
        crashNotes: (cpu) => noteOf.get(cpu)!,
        noteSize: r.noteSize,
        vmcoreinfo: r.vmcoreinfo,
        kernelMap: r.kernelMap,
        ranges: r.ranges,
        va: (pa) => BigInt.asUintN(64, pa + r.pageOffset),
        byteOrder: r.byteOrder,
      };
      return { input, noteOf, pageOffset: r.pageOffset };
    });
}
