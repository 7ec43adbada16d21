// A crash range list packed into one BigUint64Array of (start, end) pairs, as the C `struct
// crash_mem` holds it. The header writer reads a range from it with two typed-array loads instead
// of two property loads on an object per range, and a caller that writes the header again and
// again (a benchmark, a rebuild) packs the list once. It remembers which list it was made from, so
// a writer handed a packed list that belongs to other ranges can tell and not use it.

import type { Range } from './range.js';

export interface PackedRanges {
  /** The list this was packed from: it describes exactly these ranges, in this order. */
  readonly source: readonly Range[];
  /** start of range i at 2·i, its inclusive end at 2·i + 1. */
  readonly bounds: BigUint64Array;
}

/**
 * Pack `ranges`. BigUint64Array keeps values modulo 2^64, as the header's u64 fields do: whatever
 * the writer derives from them (start, end − start + 1, start + an offset) comes out the same in
 * the field, even for a range whose end is below its start.
 */
export function packRanges(ranges: readonly Range[]): PackedRanges {
  const bounds = new BigUint64Array(ranges.length * 2);
  // Indexed, not for…of: this runs once per build on lists of thousands of ranges.
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    bounds[2 * i] = r.start;
    bounds[2 * i + 1] = r.end;
  }
  return { source: ranges, bounds };
}

/** Whether `packed` was made from `ranges` (the very list: the writer trusts no copy). */
export function isPackingOf(packed: PackedRanges | undefined, ranges: readonly Range[]): packed is PackedRanges {
  return packed !== undefined && packed.source === ranges && packed.bounds.length === ranges.length * 2;
}
