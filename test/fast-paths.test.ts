// Every fast path against the simple algorithm it replaced (test/support/oracles.ts), on random
// inputs: same ranges, same order, same errors. Ranges are drawn from a small space so that they
// overlap, touch and nest often, and some end below their start (the defects old kernels write).

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { phdrTable } from '../cli/describe.js';
import { memoryAccount } from '../cli/memory-account.js';
import { formatColumns } from '../cli/report-text.js';
import type { ElfCoreHeader } from '../core/elf/index.js';
import { addMemRange, emptyCrashMem, removeMemRange, sortMemoryRanges, type WorkingCrashMem } from '../arch-powerpc/ppc-mem-ranges.js';
import { excludeMemRangeInPlace, intersectRanges, type NamedRange, type Range, subtractRanges } from '../core/memory/index.js';
import {
  addMemRangeSimple,
  excludeMemRangeSimple,
  formatColumnsSimple,
  intersectSimple,
  removeMemRangeSimple,
  sortMemoryRangesSimple,
  memoryAccountSimple,
  phdrTableSimple,
  subtractRangesSimple,
} from './support/oracles.js';

const plain = (rs: readonly Range[]) => rs.map((r) => [r.start, r.end]);
/** Any range in [0, 200], often touching or overlapping its neighbours. */
const anyRange = fc.tuple(fc.bigInt(0n, 200n), fc.bigInt(0n, 40n)).map(([s, len]): Range => ({ start: s, end: s + len }));
/** Sometimes inverted (end < start), as the 6.10 powerpc defect leaves one. */
const maybeInverted = fc.oneof({ weight: 9, arbitrary: anyRange }, { weight: 1, arbitrary: anyRange.map((r) => ({ start: r.end + 1n, end: r.start })) });
const ranges = fc.array(anyRange, { maxLength: 30 });
const rangesInv = fc.array(maybeInverted, { maxLength: 30 });
const named =
  (name: string) =>
  (r: Range): NamedRange => ({ name, ...r });

describe('subtractRanges and intersectRanges (two-pointer sweeps)', () => {
  itProp.prop([ranges, ranges])('subtract equals the hole-by-hole subtraction on well-formed ranges', (a, b) => {
    expect(plain(subtractRanges(a, b))).toEqual(plain(subtractRangesSimple(a, b)));
  });
  itProp.prop([rangesInv, rangesInv])('subtract equals it with inverted ranges too', (a, b) => {
    expect(plain(subtractRanges(a, b))).toEqual(plain(subtractRangesSimple(a, b)));
  });
  itProp.prop([rangesInv, rangesInv])('intersect equals a − (a − b)', (a, b) => {
    expect(plain(intersectRanges(a, b))).toEqual(plain(intersectSimple(a, b)));
  });
});

describe('memoryAccount (binary searches into merged lists)', () => {
  const crashMemory = (inv: boolean) =>
    fc.record({
      systemRam: fc.array(inv ? maybeInverted : anyRange, { maxLength: 20 }).map((rs) => rs.map(named('System RAM'))),
      kept: fc.array(inv ? maybeInverted : anyRange, { maxLength: 20 }),
      excluded: fc.array(inv ? maybeInverted : anyRange, { maxLength: 6 }).map((rs) => rs.map(named('hole'))),
      added: fc.array(anyRange, { maxLength: 3 }).map((rs) => rs.map(named('added'))),
    });
  for (const inv of [false, true]) {
    itProp.prop([crashMemory(inv)])(`equals the account made against whole lists${inv ? ' (with inverted ranges)' : ''}`, (c) => {
      const cm = { mem: { maxNrRanges: 64, ranges: c.kept }, systemRam: c.systemRam, excluded: c.excluded, added: c.added };
      expect(JSON.parse(JSON.stringify(memoryAccount(cm), (_, v) => (typeof v === 'bigint' ? `${v}` : v)))).toEqual(
        JSON.parse(JSON.stringify(memoryAccountSimple(cm), (_, v) => (typeof v === 'bigint' ? `${v}` : v))),
      );
    });
  }
});

describe('phdrTable and formatColumns (measured, then written line by line)', () => {
  const u64 = fc.oneof(fc.bigInt(0n, 0xffffn), fc.bigInt(0n, (1n << 64n) - 1n), fc.constantFrom(0n, 0xfff_ffffn, 0x1_0000_0000n, (1n << 64n) - 1n));
  const phdr = fc.record({
    type: fc.constantFrom(0, 1, 4, 0x6474e550),
    flags: fc.integer({ min: 0, max: 7 }),
    offset: u64,
    vaddr: u64,
    paddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
  });
  const label = fc.oneof(
    fc.constant(''),
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.constantFrom('ends in blanks  ', '\t', 'ideographic blank\u3000', 'ünïcödé ×', '\u00a0'),
  );
  itProp.prop([fc.array(phdr, { maxLength: 24 }), fc.option(fc.array(fc.record({ label }), { maxLength: 16 }), { nil: undefined })])(
    'phdrTable writes the lines the cell-array version wrote',
    (phdrs, what) => {
      const header = { header: {} as ElfCoreHeader['header'], phdrs, byteOrder: 'le' as const, size: 0 };
      const whats = what?.map((w) => ({ kind: 'other' as const, label: w.label }));
      expect(phdrTable(header, whats)).toEqual(phdrTableSimple(header, whats));
    },
  );
  itProp.prop([fc.array(fc.array(fc.string({ maxLength: 6 }), { maxLength: 5 }), { maxLength: 8 })])('formatColumns equals the map/join version', (rows) => {
    expect(formatColumns(rows)).toEqual(formatColumnsSimple(rows));
  });
});

describe('excludeMemRangeInPlace (one splice, no copy)', () => {
  const sortedDisjoint = fc.array(fc.tuple(fc.bigInt(0n, 30n), fc.bigInt(0n, 30n)), { maxLength: 12 }).map((steps) => {
    const out: Range[] = [];
    let at = 0n;
    for (const [gap, len] of steps) {
      out.push({ start: at + gap, end: at + gap + len });
      at += gap + len + 1n;
    }
    return out;
  });
  const anyList = fc.oneof(sortedDisjoint, rangesInv);
  itProp.prop([anyList, fc.integer({ min: 0, max: 16 }), anyRange])(
    'cuts what the copying version cut, and refuses what it refused, leaving the array as it was',
    (rs, extra, hole) => {
      const max = rs.length + (extra % 3);
      let expected: Range[] | 'full';
      try {
        expected = excludeMemRangeSimple({ maxNrRanges: max, ranges: rs }, hole.start, hole.end).ranges.slice();
      } catch {
        expected = 'full';
      }
      const ranges = rs.slice();
      let got: Range[] | 'full' = ranges;
      try {
        excludeMemRangeInPlace({ maxNrRanges: max, ranges }, hole.start, hole.end);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('E_RANGES_FULL');
        expect(plain(ranges)).toEqual(plain(rs));
        got = 'full';
      }
      expect(got === 'full' ? got : plain(got)).toEqual(expected === 'full' ? expected : plain(expected));
    },
  );
});

describe("powerpc's add_mem_range, sort and remove_mem_range (facts instead of scans)", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), base: fc.bigInt(0n, 300n), size: fc.oneof(fc.bigInt(0n, 40n), fc.constant((1n << 64n) - 5n)) }),
    fc.record({ kind: fc.constant('add-next' as const), gap: fc.bigInt(0n, 3n), size: fc.bigInt(1n, 20n) }),
    fc.record({ kind: fc.constant('sort' as const), merge: fc.boolean() }),
    fc.record({
      kind: fc.constant('remove' as const),
      base: fc.bigInt(0n, 300n),
      size: fc.bigInt(0n, 20n),
      variant: fc.constantFrom('upstream-fix' as const, 'exact' as const, 'defect-6.10' as const),
    }),
  );
  itProp.prop([fc.array(op, { maxLength: 400 })], { numRuns: 300 })('leave the array exactly as the scanning versions do after every step', (ops) => {
    const fast: WorkingCrashMem = emptyCrashMem();
    const slow: WorkingCrashMem = emptyCrashMem();
    let top = 0n;
    for (const o of ops) {
      const run = (f: () => unknown) => {
        try {
          return f();
        } catch (e) {
          return `threw ${(e as Error).message}`;
        }
      };
      let a: unknown;
      let b: unknown;
      if (o.kind === 'add' || o.kind === 'add-next') {
        const base = o.kind === 'add' ? o.base : top + o.gap;
        if (o.kind === 'add-next') top = base + o.size;
        a = run(() => addMemRange(fast, base, o.size));
        b = run(() => addMemRangeSimple(slow, base, o.size));
      } else if (o.kind === 'sort') {
        a = run(() => sortMemoryRanges(fast, o.merge));
        b = run(() => sortMemoryRangesSimple(slow, o.merge));
      } else {
        a = run(() => removeMemRange(fast, o.base, o.size, o.variant));
        b = run(() => removeMemRangeSimple(slow, o.base, o.size, o.variant));
      }
      expect(JSON.stringify(a, (_, v) => (typeof v === 'bigint' ? `${v}` : v))).toBe(JSON.stringify(b, (_, v) => (typeof v === 'bigint' ? `${v}` : v)));
      expect(plain(fast.ranges)).toEqual(plain(slow.ranges));
      expect(fast.maxNrRanges).toBe(slow.maxNrRanges);
    }
  });
});
