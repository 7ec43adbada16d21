// The bytes a range list covers, counted once (totalSize(mergedView(ranges)), for "Crash memory:
// N ranges, X"). On the 8192-range machine that was a pass making three BigInts a range, garbage a
// cold run pays for in young memory touched and scavenges. Here a merged list's sizes are summed
// column by column in 16-bit quarters, in sums that stay small integers (the pass runs
// unoptimized, and there a number past ±2³⁰ is an object on the heap). Whether the list is merged
// is asked afresh each time: ranges lists are grown in place (the hot-plug machine state), so an
// answer remembered per list could go stale.

import { U64_MAX } from '../core/base/index.js';
import { isMerged, mergedView, type Range, totalSize } from '../core/memory/index.js';

/**
 * Ranges past which a column sum of 16-bit differences could leave the small integers V8 keeps
 * unboxed (±2³⁰): 16 383 differences of at most 2¹⁶ − 1 stay inside.
 */
const MAX_FAST = 16_383;

/** totalSize(mergedView(ranges)): the same value, without a BigInt per range when the list is merged. */
export function mergedTotal(ranges: readonly Range[]): bigint {
  const n = ranges.length;
  if (n === 0) return 0n;
  // A merged list rises strictly: its first start and last end bound every value in it.
  if (n > MAX_FAST || !isMerged(ranges) || ranges[0]!.start < 0n || ranges[n - 1]!.end > U64_MAX) return totalSize(mergedView(ranges));
  const bounds = new BigUint64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const r = ranges[i]!;
    bounds[2 * i] = r.start;
    bounds[2 * i + 1] = r.end;
  }
  // Quarters in the host's order (little-endian on every machine Node runs crashplug on; checked).
  if (new Uint8Array(bounds.buffer)[0] !== Number(ranges[0]!.start & 0xffn)) return totalSize(mergedView(ranges));
  const q = new Uint16Array(bounds.buffer);
  // Σ end − Σ start, column by column; each range adds one more.
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  for (let s = 0; s < 8 * n; s += 8) {
    c0 += q[s + 4]! - q[s]!;
    c1 += q[s + 5]! - q[s + 1]!;
    c2 += q[s + 6]! - q[s + 2]!;
    c3 += q[s + 7]! - q[s + 3]!;
  }
  return BigInt(n) + BigInt(c0) + (BigInt(c1) << 16n) + (BigInt(c2) << 32n) + (BigInt(c3) << 48n);
}
