// crash_exclude_mem_range in its two kernel versions, held against the facts: W3 (several entries
// overlapped), every row of the kernel's KUnit table (W4), both KUnit regressions (W5), and properties
// of the current algorithm checked against a tiny oracle written here (not core's range algebra).

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { U64_MAX } from '../core/base/index.js';
import { type CrashMem, excludeMemRange, excludeMemRangeOld, excludeWith, type Range } from '../core/memory/index.js';
import { crashplugErrorOf as thrown } from './support/errors.js';

const r = (start: number | bigint, end: number | bigint): Range => ({ start: BigInt(start), end: BigInt(end) });
const mem = (maxNrRanges: number, ...ranges: Range[]): CrashMem => ({ maxNrRanges, ranges });
const pairs = (m: CrashMem): [bigint, bigint][] => m.ranges.map((x) => [x.start, x.end]);

/** Deep-freeze so that any in-place write by the algorithm throws instead of passing unnoticed. */
function frozen(m: CrashMem): CrashMem {
  for (const x of m.ranges) Object.freeze(x);
  Object.freeze(m.ranges);
  return Object.freeze(m);
}

describe('excludeMemRange (current crash_exclude_mem_range, ≈6.8+)', () => {
  describe('when the hole overlaps two adjacent entries (W3)', () => {
    it('trims the tail of the first and the head of the second', () => {
      const out = excludeMemRange(mem(2, r(0, 99), r(100, 199)), 50n, 150n);
      expect(pairs(out)).toEqual([
        [0n, 49n],
        [151n, 199n],
      ]);
    });
  });

  // W4: the kernel's KUnit table, base range B = [100, 199]; each row is [exclude, max, result].
  describe('when one entry B = [100, 199] meets each hole of the KUnit table (W4)', () => {
    const B = r(100, 199);
    const rows: [string, Range, number, [bigint, bigint][]][] = [
      ['wholly below B', r(10, 50), 1, [[100n, 199n]]],
      ['ending just before B', r(10, 99), 1, [[100n, 199n]]],
      ['covering the head of B', r(50, 149), 1, [[150n, 199n]]],
      [
        'strictly inside B, with room',
        r(120, 179),
        2,
        [
          [100n, 119n],
          [180n, 199n],
        ],
      ],
      ['covering the tail of B', r(150, 249), 1, [[100n, 149n]]],
      ['starting just after B', r(200, 250), 1, [[100n, 199n]]],
      ['covering B on both sides', r(50, 250), 1, []],
      ['covering B and ending at its end', r(50, 199), 1, []],
      ['starting at B and running past it', r(100, 250), 1, []],
      ['equal to B', r(100, 199), 1, []],
      ['the point at B’s start', r(100, 100), 1, [[101n, 199n]]],
      [
        'a point inside B, with room',
        r(150, 150),
        2,
        [
          [100n, 149n],
          [151n, 199n],
        ],
      ],
      ['the point at B’s end', r(199, 199), 1, [[100n, 198n]]],
    ];
    for (const [what, hole, max, expected] of rows) {
      it(`gives ${expected.length === 0 ? 'no ranges (nr 0)' : JSON.stringify(expected.map(([s, e]) => `[${s},${e}]`))} for a hole ${what} [${hole.start},${hole.end}], max ${max}`, () => {
        const input = frozen(mem(max, B));
        const out = excludeMemRange(input, hole.start, hole.end);
        expect(pairs(out)).toEqual(expected);
        expect(out.maxNrRanges).toBe(max);
      });
    }

    it('refuses a split with no room (-ENOMEM → E_RANGES_FULL) and nr stays 1', () => {
      const input = frozen(mem(1, B));
      const err = thrown(() => excludeMemRange(input, 120n, 179n));
      expect(err.code).toBe('E_RANGES_FULL');
      expect(pairs(input)).toEqual([[100n, 199n]]);
    });
  });

  describe('when the KUnit regressions are replayed (W5)', () => {
    it('deletes three entries wholly inside the hole, leaving 0 ranges', () => {
      const input = frozen(mem(3, r(0, 0x3efff), r(0x3f000, 0x3ffff), r(0x40000, 0x9ffff)));
      const out = excludeMemRange(input, 0n, 0xfffffn);
      expect(out.ranges).toEqual([]);
    });

    it('refuses a split when nr == max (E_RANGES_FULL) and leaves the array unchanged', () => {
      const input = frozen(mem(3, r(1, 299), r(401, 1000), r(1001, 2000)));
      const err = thrown(() => excludeMemRange(input, 100n, 200n));
      expect(err.code).toBe('E_RANGES_FULL');
      // The message names the hole, the count and the fix, so a user can act on it.
      expect(err.message).toContain('[0x64, 0xc8]');
      expect(err.message).toContain('3 of 3');
      expect(pairs(input)).toEqual([
        [1n, 299n],
        [401n, 1000n],
        [1001n, 2000n],
      ]);
    });
  });

  describe('when the hole reaches the top of the 64-bit space', () => {
    it('trims without wrapping around', () => {
      const out = excludeMemRange(mem(1, r(0x1000, U64_MAX)), 0x8000n, U64_MAX);
      expect(pairs(out)).toEqual([[0x1000n, 0x7fffn]]);
    });
  });
});

describe('excludeMemRangeOld (≤6.7 crash_exclude_mem_range)', () => {
  describe('when the hole overlaps two adjacent entries (W3)', () => {
    it('trims only the first entry and stops', () => {
      const out = excludeMemRangeOld(mem(2, r(0, 99), r(100, 199)), 50n, 150n);
      expect(pairs(out.mem)).toEqual([
        [0n, 49n],
        [100n, 199n],
      ]);
      expect(out.enomem).toBe(false);
      expect(out.overran).toBe(false);
    });
  });

  describe('when the KUnit regressions are replayed (W5)', () => {
    it('also deletes three covered entries, leaving 0 ranges', () => {
      const out = excludeMemRangeOld(mem(3, r(0, 0x3efff), r(0x3f000, 0x3ffff), r(0x40000, 0x9ffff)), 0n, 0xfffffn);
      expect(out.mem.ranges).toEqual([]);
      expect(out.enomem).toBe(false);
    });

    it('returns 0 but writes past the array: nr becomes 4 with max 3 (overran)', () => {
      const input = frozen(mem(3, r(1, 299), r(401, 1000), r(1001, 2000)));
      const out = excludeMemRangeOld(input, 100n, 200n);
      expect(out.enomem).toBe(false);
      expect(out.overran).toBe(true);
      expect(out.mem.ranges).toHaveLength(4);
      expect(pairs(out.mem)).toEqual([
        [1n, 99n],
        [201n, 299n],
        [401n, 1000n],
        [1001n, 2000n],
      ]);
      expect(pairs(input)).toEqual([
        [1n, 299n],
        [401n, 1000n],
        [1001n, 2000n],
      ]);
    });
  });

  describe('when the hole starts below an entry and covers its head', () => {
    // The old code clamps the hole to the entry (p_start/p_end) before choosing trim or split, so
    // the low-1M exclusion on RAM that crosses 1 MiB trims the head, as the current code does.
    it('trims the head of that entry', () => {
      const out = excludeMemRangeOld(frozen(mem(3, r(0x1000, 0x7ffdefff))), 0n, 0xfffffn);
      expect(pairs(out.mem)).toEqual([[0x100000n, 0x7ffdefffn]]);
    });

    it('trims the tail of an entry the hole starts inside and runs past', () => {
      const out = excludeMemRangeOld(frozen(mem(1, r(100, 199))), 150n, 249n);
      expect(pairs(out.mem)).toEqual([[100n, 149n]]);
    });
  });

  describe('when the split entry sits at index max − 1', () => {
    // The old code compared the index, not the count: -ENOMEM only fires for the last slot.
    it('returns -ENOMEM with the entry already trimmed, and excludeWith reports E_RANGES_FULL', () => {
      const input = mem(2, r(0, 9), r(100, 199));
      const out = excludeMemRangeOld(input, 120n, 179n);
      expect(out.enomem).toBe(true);
      expect(pairs(out.mem)).toEqual([
        [0n, 9n],
        [100n, 119n],
      ]);
      expect(thrown(() => excludeWith('old', input, 120n, 179n)).code).toBe('E_RANGES_FULL');
    });
  });
});

// ---- properties of the current algorithm ----------------------------------------------------------

/** Sorted, disjoint (possibly touching) ranges built from gaps and lengths, offset by `base`. */
const sortedDisjoint = fc
  .record({
    base: fc.constantFrom(0n, 1n << 40n, U64_MAX - 2000n),
    shape: fc.array(fc.record({ gap: fc.nat(20), len: fc.nat(20) }), { maxLength: 12 }),
  })
  .map(({ base, shape }) => {
    const ranges: Range[] = [];
    let next = base;
    for (const { gap, len } of shape) {
      const start = next + BigInt(gap);
      ranges.push({ start, end: start + BigInt(len) });
      next = start + BigInt(len) + 1n;
    }
    return { base, ranges };
  });

const scenario = sortedDisjoint.chain(({ base, ranges }) =>
  fc
    .record({
      base: fc.constant(base),
      ranges: fc.constant(ranges),
      extraRoom: fc.nat(3),
      holeStart: fc.nat(560),
      holeLen: fc.nat(120),
    })
    .map(({ extraRoom, holeStart, holeLen, ...rest }) => {
      const start = base + BigInt(holeStart);
      const end = start + BigInt(holeLen) > U64_MAX ? U64_MAX : start + BigInt(holeLen);
      return { ...rest, maxNrRanges: rest.ranges.length + extraRoom, hole: { start, end } };
    }),
);

/** Every byte (relative to base) a list of ranges covers; the domain is a few hundred values. */
function bytesOf(ranges: readonly Range[], base: bigint): number[] {
  const out: number[] = [];
  for (const x of ranges) for (let b = x.start; b <= x.end; b++) out.push(Number(b - base));
  return out.sort((a, b) => a - b);
}

/** The oracle: each entry minus the hole, entry by entry, nothing merged (as the kernel never merges). */
function expectedPieces(ranges: readonly Range[], hole: Range): Range[] {
  const out: Range[] = [];
  for (const x of ranges) {
    if (hole.end < x.start || hole.start > x.end) {
      out.push(x);
      continue;
    }
    if (x.start < hole.start) out.push({ start: x.start, end: hole.start - 1n });
    if (hole.end < x.end) out.push({ start: hole.end + 1n, end: x.end });
  }
  return out;
}

const needsSplit = (ranges: readonly Range[], hole: Range): boolean => ranges.some((x) => x.start < hole.start && hole.end < x.end);

describe('excludeMemRange, for any sorted disjoint input and any hole', () => {
  describe('when the split (if any) fits', () => {
    itProp.prop([scenario], { numRuns: 500 })('gives sorted, disjoint ranges covering exactly input minus hole, within max', (s) => {
      fc.pre(!(needsSplit(s.ranges, s.hole) && s.ranges.length >= s.maxNrRanges));
      const input = frozen(mem(s.maxNrRanges, ...s.ranges));
      const out = excludeMemRange(input, s.hole.start, s.hole.end);
      for (let i = 0; i < out.ranges.length; i++) {
        const x = out.ranges[i]!;
        expect(x.start <= x.end).toBe(true);
        if (i > 0) expect(out.ranges[i - 1]!.end < x.start).toBe(true);
      }
      expect(out.ranges.length).toBeLessThanOrEqual(s.maxNrRanges);
      expect(out.maxNrRanges).toBe(s.maxNrRanges);
      const inputBytes = bytesOf(s.ranges, s.base);
      const holeBytes = new Set(bytesOf([s.hole], s.base));
      expect(bytesOf(out.ranges, s.base)).toEqual(inputBytes.filter((b) => !holeBytes.has(b)));
      expect(out.ranges).toEqual(expectedPieces(s.ranges, s.hole));
    });
  });

  describe('when a split is needed and the array is full', () => {
    itProp.prop([scenario.filter((s) => needsSplit(s.ranges, s.hole)).map((s) => ({ ...s, maxNrRanges: s.ranges.length }))], {
      numRuns: 200,
    })('throws E_RANGES_FULL and leaves the input object unchanged', (s) => {
      const input = frozen(mem(s.maxNrRanges, ...s.ranges));
      const before = structuredClone({ maxNrRanges: input.maxNrRanges, ranges: input.ranges.map((x) => ({ ...x })) });
      expect(thrown(() => excludeMemRange(input, s.hole.start, s.hole.end)).code).toBe('E_RANGES_FULL');
      expect({ maxNrRanges: input.maxNrRanges, ranges: input.ranges.map((x) => ({ ...x })) }).toEqual(before);
    });
  });

  describe('when the hole touches at most one entry and there is room', () => {
    // The two versions differ only on multi-entry holes (W3) and on the full-array check (W5).
    itProp.prop([scenario], { numRuns: 300 })('agrees with the old algorithm', (s) => {
      const touched = s.ranges.filter((x) => !(s.hole.end < x.start || s.hole.start > x.end)).length;
      fc.pre(touched <= 1 && s.ranges.length < s.maxNrRanges);
      const cur = excludeMemRange(mem(s.maxNrRanges, ...s.ranges), s.hole.start, s.hole.end);
      const old = excludeMemRangeOld(mem(s.maxNrRanges, ...s.ranges), s.hole.start, s.hole.end);
      expect(old.enomem || old.overran).toBe(false);
      expect(old.mem.ranges).toEqual(cur.ranges);
    });
  });
});
