// Lists of ranges packed into 16-bit quarters, for what the report asks of the same long lists
// more than once: whether a list is merged (isMerged, for the memory account and again for the
// total), and the bytes it covers counted once (totalSize(mergedView(ranges)), for "Crash memory:
// N ranges, X"). On the 8192-range machine each of those was a pass making a BigInt or three a
// range, garbage a cold run pays for in young memory touched and scavenges. Here one pass per
// list checks it and sums end − start column by column, in quarters and sums that stay small
// integers (the pass runs unoptimized, and there a number past ±2³⁰ is an object on the heap).

import { U64_MAX } from '../core/base/index.js';
import { isMerged, mergedView, type Range, totalSize } from '../core/memory/index.js';

/**
 * Ranges past which a column sum of 16-bit differences could leave the small integers V8 keeps
 * unboxed (±2³⁰): 16 383 differences of at most 2¹⁶ − 1 stay inside.
 */
const MAX_FAST = 16_383;

/** What the pass over a list found: whether isMerged holds, and if so Σ end − start by quarter column. */
interface Checked {
  readonly merged: boolean;
  readonly columns: readonly [number, number, number, number];
}

/**
 * Lists already checked, by identity: the account and the total ask about the same crash memory
 * array within one report. The lists are built once and never changed after.
 */
const checked = new WeakMap<readonly Range[], Checked | null>();

/** The pass over `ranges`, once per list; null when it cannot be packed (then the plain functions answer). */
function checkOf(ranges: readonly Range[]): Checked | null {
  let c = checked.get(ranges);
  if (c === undefined) {
    c = check(ranges);
    checked.set(ranges, c);
  }
  return c;
}

function check(ranges: readonly Range[]): Checked | null {
  const n = ranges.length;
  if (n > MAX_FAST) return null;
  const bounds = new BigUint64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const r = ranges[i]!;
    // Outside u64 the typed array would wrap: such a list goes the plain way.
    if (!(r.start >= 0n && r.end <= U64_MAX)) return null;
    bounds[2 * i] = r.start;
    bounds[2 * i + 1] = r.end;
  }
  // Quarters in the host's order (little-endian on every machine Node runs crashplug on; checked).
  if (n > 0 && new Uint8Array(bounds.buffer)[0] !== Number(ranges[0]!.start & 0xffn)) return null;
  const q = new Uint16Array(bounds.buffer);
  // Σ end − Σ start, column by column.
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  for (let i = 0; i < n; i++) {
    const s = 8 * i;
    // isMerged: each end at or past its start, each start more than one past the end before.
    if (belowU64(q, s + 4, s, 0) || (i > 0 && belowU64(q, s, s - 4, 2))) return { merged: false, columns: [0, 0, 0, 0] };
    c0 += q[s + 4]! - q[s]!;
    c1 += q[s + 5]! - q[s + 1]!;
    c2 += q[s + 6]! - q[s + 2]!;
    c3 += q[s + 7]! - q[s + 3]!;
  }
  return { merged: true, columns: [c0, c1, c2, c3] };
}

/** isMerged(ranges), the same answer. */
export function isMergedList(ranges: readonly Range[]): boolean {
  const c = checkOf(ranges);
  return c === null ? isMerged(ranges) : c.merged;
}

/** totalSize(mergedView(ranges)): the same value, without a BigInt per range when the list is merged. */
export function mergedTotal(ranges: readonly Range[]): bigint {
  const c = checkOf(ranges);
  if (c === null || !c.merged) return totalSize(mergedView(ranges));
  const [c0, c1, c2, c3] = c.columns;
  return BigInt(ranges.length) + BigInt(c0) + (BigInt(c1) << 16n) + (BigInt(c2) << 32n) + (BigInt(c3) << 48n);
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
