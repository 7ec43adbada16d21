// The crash memory total summed in 16-bit quarters (cli/range-total.ts) against totalSize of
// mergedView: merged lists (the fast path), lists that touch, overlap, are out of order or end
// below their start (the plain way), the edges 0 and 2^64 - 1, and a list changed in place.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { mergedTotal } from '../cli/range-total.js';
import { mergeRanges, mergedView, type Range, totalSize } from '../core/memory/index.js';
import { u64Digits } from './support/arbitraries.js';

const MAX = (1n << 64n) - 1n;
const range = fc.tuple(u64Digits, u64Digits).map(([a, b]): Range => ({ start: a, end: b }));
/** Mostly ordered lists: sorted starts, some merged already. */
const lists = fc.oneof(
  fc.array(range, { maxLength: 12 }),
  fc.array(range, { maxLength: 12 }).map((rs) => mergeRanges(rs.map((r) => (r.end < r.start ? { start: r.end, end: r.start } : r)))),
  fc.array(fc.tuple(fc.bigInt(0n, 1n << 40n), fc.bigInt(0n, 3n)), { maxLength: 12 }).map((steps) => {
    // Gaps of 0 to 3 bytes between ranges: touching (gap 0) is not merged, a gap of 1 byte is.
    const out: Range[] = [];
    let at = 0n;
    for (const [len, gap] of steps) {
      out.push({ start: at, end: at + len });
      at += len + 1n + gap;
    }
    return out.filter((r) => r.end <= MAX);
  }),
);

describe('mergedTotal', () => {
  itProp.prop([lists], { numRuns: 400 })('is totalSize(mergedView(ranges))', (ranges) => {
    expect(mergedTotal(ranges)).toBe(totalSize(mergedView(ranges)));
  });

  itProp.prop([lists, lists], { numRuns: 200 })('answers for the list as it is now, after it is changed in place', (before, after) => {
    const ranges = [...before];
    expect(mergedTotal(ranges)).toBe(totalSize(mergedView(before)));
    ranges.splice(0, ranges.length, ...after);
    expect(mergedTotal(ranges)).toBe(totalSize(mergedView(after)));
  });

  it('counts the whole address space, and ranges at its top', () => {
    for (const ranges of [
      [{ start: 0n, end: MAX }],
      [
        { start: 0n, end: 0n },
        { start: 2n, end: MAX },
      ],
      [{ start: MAX, end: MAX }],
      [],
    ]) {
      expect(mergedTotal(ranges)).toBe(totalSize(mergedView(ranges)));
    }
  });

  it('leaves values outside u64 to the plain way', () => {
    const ranges = [
      { start: -5n, end: 3n },
      { start: 10n, end: MAX + 4n },
    ];
    expect(mergedTotal(ranges)).toBe(totalSize(mergedView(ranges)));
  });
});
