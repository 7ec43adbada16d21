// The bytes a list of ranges covers, counted once (totalSize(mergedView(ranges))), for the
// report's "Crash memory: N ranges, X" line. A crash memory array is merged already, and summing
// its 8192 sizes as BigInts made three BigInts a range, garbage a cold run pays for in young
// memory touched and scavenges; here the sizes are summed as 16-bit quarters in four numbers.

import { U64_MAX } from '../core/base/index.js';
import { mergedView, type Range, totalSize } from '../core/memory/index.js';

/**
 * Ranges past which a column sum of 16-bit differences could leave the small integers V8 keeps
 * unboxed (±2³⁰): 16 383 differences of at most 2¹⁶ − 1 stay inside.
 */
const MAX_FAST = 16_383;

/** totalSize(mergedView(ranges)): the same value, without a BigInt per range when the list is merged. */
export function mergedTotal(ranges: readonly Range[]): bigint {
  const n = ranges.length;
  if (n > MAX_FAST) return totalSize(mergedView(ranges));
  const bounds = new BigUint64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const r = ranges[i]!;
    // Outside u64 the typed array would wrap: such a list goes the plain way.
    if (!(r.start >= 0n && r.end <= U64_MAX)) return totalSize(mergedView(ranges));
    bounds[2 * i] = r.start;
    bounds[2 * i + 1] = r.end;
  }
  // Quarters in the host's order (little-endian on every machine Node runs crashplug on; checked).
  if (n > 0 && new Uint8Array(bounds.buffer)[0] !== Number(ranges[0]!.start & 0xffn)) return totalSize(mergedView(ranges));
  const sum = sumIfMerged(new Uint16Array(bounds.buffer), n);
  return sum === undefined ? totalSize(mergedView(ranges)) : sum;
}

/**
 * The sum of end − start + 1 over the `n` (start, end) pairs of u64s in `q` (as 16-bit quarters,
 * least significant first), or undefined when the list is not what isMerged accepts: each end at
 * or past its start, each start more than one past the end before. Quarters, not 32-bit halves:
 * the loop runs cold, unoptimized, and there every number past ±2³⁰ is an object on the heap
 * (halves made 700 KB of them for 8192 ranges); quarters and their sums never are.
 */
function sumIfMerged(q: Uint16Array, n: number): bigint | undefined {
  // Σ end − Σ start, column by column.
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  for (let i = 0; i < n; i++) {
    const s = 8 * i;
    if (belowU64(q, s + 4, s, 0)) return undefined;
    if (i > 0 && belowU64(q, s, s - 4, 2)) return undefined;
    c0 += q[s + 4]! - q[s]!;
    c1 += q[s + 5]! - q[s + 1]!;
    c2 += q[s + 6]! - q[s + 2]!;
    c3 += q[s + 7]! - q[s + 3]!;
  }
  return BigInt(n) + BigInt(c0) + (BigInt(c1) << 16n) + (BigInt(c2) << 32n) + (BigInt(c3) << 48n);
}

/** Whether the u64 at `a` minus the u64 at `b` (quarters of `q`) is below `min` (0, 1 or 2), as exact integers. */
function belowU64(q: Uint16Array, a: number, b: number, min: number): boolean {
  // The difference's quarters, with the borrow carried up; below 0 when the last borrows.
  let d = q[a]! - q[b]!;
  let borrow = d < 0 ? 1 : 0;
  const d0 = d + borrow * 0x1_0000;
  d = q[a + 1]! - q[b + 1]! - borrow;
  borrow = d < 0 ? 1 : 0;
  const d1 = d + borrow * 0x1_0000;
  d = q[a + 2]! - q[b + 2]! - borrow;
  borrow = d < 0 ? 1 : 0;
  const d2 = d + borrow * 0x1_0000;
  d = q[a + 3]! - q[b + 3]! - borrow;
  if (d < 0) return true;
  return d === 0 && d2 === 0 && d1 === 0 && d0 < min;
}
