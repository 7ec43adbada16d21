// Range arithmetic for the checks, in O((n + m) log(n + m)): headers and machines may have 8192+
// ranges, so nothing here compares every range with every other.

import type { Range } from '../memory/range.js';

/** Sorted, merged copy (touching ranges stay apart only when a gap of at least one byte separates them). */
export function normalise(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.end >= r.start).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end + 1n) {
      if (r.end > last.end) out[out.length - 1] = { start: last.start, end: r.end };
    } else {
      out.push({ start: r.start, end: r.end });
    }
  }
  return out;
}

/** The bytes of `r` that no range of `holes` covers; `holes` sorted and merged (normalise). */
export function subtractFrom(r: Range, holes: readonly Range[]): Range[] {
  const out: Range[] = [];
  let cursor = r.start;
  // First hole that might reach r: binary search on the end.
  let lo = 0;
  let hi = holes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (holes[mid]!.end < r.start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < holes.length && cursor <= r.end; i++) {
    const h = holes[i]!;
    if (h.start > r.end) break;
    if (h.start > cursor) out.push({ start: cursor, end: h.start - 1n });
    if (h.end + 1n > cursor) cursor = h.end + 1n;
  }
  if (cursor <= r.end) out.push({ start: cursor, end: r.end });
  return out;
}

/** The bytes of `r` that `ranges` (sorted and merged) also cover. */
export function intersectWith(r: Range, ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const piece of ranges) {
    if (piece.start > r.end) break;
    if (piece.end < r.start) continue;
    out.push({ start: piece.start > r.start ? piece.start : r.start, end: piece.end < r.end ? piece.end : r.end });
  }
  return out;
}
