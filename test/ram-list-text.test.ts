// The System RAM list written from 32-bit halves into one buffer (cli/ram-list-text.ts) against
// the plain version (describe-kernel.ts ramLines): random lists with bounds of every hex width, the
// edges 0 and 2^64 - 1, runs of equal sizes (one size text made per run) and sizes that print "≈".

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ramLines } from '../cli/describe-kernel.js';
import { ramListText } from '../cli/ram-list-text.js';
import type { Range } from '../core/memory/index.js';
import { u64Digits } from './support/arbitraries.js';

const MAX = (1n << 64n) - 1n;
const u64 = u64Digits;
const span = fc.oneof(fc.constantFrom(0n, 0xfffn, 0x0fff_ffffn, 0xffff_ffffn, 0x1_7fff_ffffn), fc.bigInt(0n, MAX));
/** A range from a start and a length, the end clamped to 2^64 - 1. */
const range = fc.tuple(u64, span).map(([start, len]): Range => ({ start, end: start + len > MAX ? MAX : start + len }));
/** Runs of ranges of one size, as DIMMs are. */
const runs = fc
  .array(fc.tuple(u64, span, fc.integer({ min: 1, max: 6 })), { maxLength: 6 })
  .map((rs) =>
    rs.flatMap(([start, len, k]) =>
      Array.from({ length: k }, (_, i) => ({ start: start + BigInt(i) * (len + 1n), end: start + BigInt(i) * (len + 1n) + len })),
    ),
  )
  .map((rs) => rs.filter((r) => r.end <= MAX));

function plain(ram: readonly Range[]): string {
  const lines: string[] = [];
  ramLines(ram, lines);
  return lines.map((l) => `${l}\n`).join('');
}

describe('ramListText', () => {
  itProp.prop([fc.oneof(fc.array(range, { maxLength: 20 }), runs)], { numRuns: 300 })('is ramLines, byte for byte', (ram) => {
    expect(ramListText(ram)).toBe(plain(ram));
  });

  it('leaves a range that ends below its start to the plain version', () => {
    expect(ramListText([{ start: 0x2000n, end: 0x1000n }])).toBeUndefined();
  });

  it('writes nothing for no ranges, and the whole address space as one size', () => {
    expect(ramListText([])).toBe('');
    expect(ramListText([{ start: 0n, end: MAX }])).toBe(plain([{ start: 0n, end: MAX }]));
  });
});
