// Range arithmetic the checks need at the scale of the largest machines (8192+ ranges): linear
// sweeps over sorted, merged lists instead of core's pairwise subtractRanges, and hex text.

import { hex } from '../core/base/index.js';
import type { Range } from '../core/memory/index.js';

/** `a` minus `b`; both sorted and merged (core's mergeRanges), and so is the result. */
export function minus(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const r of a) {
    while (j < b.length && b[j]!.end < r.start) j++;
    let start = r.start;
    for (let k = j; k < b.length && b[k]!.start <= r.end; k++) {
      const hole = b[k]!;
      if (hole.start > start) out.push({ start, end: hole.start - 1n });
      if (hole.end + 1n > start) start = hole.end + 1n;
      if (start > r.end) break;
    }
    if (start <= r.end) out.push({ start, end: r.end });
  }
  return out;
}

export function rangeText(r: Range): string {
  return `[${hex(r.start)}, ${hex(r.end)}]`;
}

/** Up to `max` ranges as text, with a count of the rest. */
export function rangesText(list: readonly Range[], max = 3): string {
  const shown = list.slice(0, max).map(rangeText).join(', ');
  return list.length > max ? `${shown} and ${list.length - max} more` : shown;
}

/** Where each address falls among `entries` (any order): the entry's index, or −1. */
export function entryIndexer(entries: readonly Range[]): (address: bigint) => number {
  const sorted = entries.map((r, index) => ({ r, index })).sort((x, y) => (x.r.start < y.r.start ? -1 : x.r.start > y.r.start ? 1 : 0));
  return (address) => {
    let lo = 0;
    let hi = sorted.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.r.start <= address) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // Overlapping entries are not expected in a RAM walk; the last one starting at or below wins.
    const hit = found >= 0 ? sorted[found]! : undefined;
    return hit !== undefined && address <= hit.r.end ? hit.index : -1;
  };
}
