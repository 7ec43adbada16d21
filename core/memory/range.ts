// 64-bit physical ranges with an inclusive end, as the kernel's `struct range`, and the
// `struct crash_mem` array that crash code fills, trims and splits.

export interface Range {
  readonly start: bigint;
  /** Inclusive, as in the kernel. */
  readonly end: bigint;
}

/** A range with a name saying what it is ("System RAM", "crashkernel", "low 1M", …). */
export interface NamedRange extends Range {
  readonly name: string;
}

/** `struct crash_mem`: a fixed-capacity array of ranges. `ranges.length` is `nr_ranges`. */
export interface CrashMem {
  readonly maxNrRanges: number;
  readonly ranges: readonly Range[];
}

export function range(start: bigint, end: bigint): Range {
  return { start, end };
}

export function rangeSize(r: Range): bigint {
  return r.end - r.start + 1n;
}

export function overlaps(a: Range, b: Range): boolean {
  return a.start <= b.end && b.start <= a.end;
}

export function contains(outer: Range, inner: Range): boolean {
  return outer.start <= inner.start && inner.end <= outer.end;
}

export function compareByStart(a: Range, b: Range): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0;
}

export function sortRanges<R extends Range>(ranges: readonly R[]): R[] {
  // Ranges mostly arrive sorted (walks, merges, the kernel's own arrays): one pass says so and
  // saves the n·log n comparator calls, which dominate the cold start of a one-shot CLI run.
  let sorted = true;
  for (let i = 1; i < ranges.length && sorted; i++) sorted = compareByStart(ranges[i - 1]!, ranges[i]!) <= 0;
  return sorted ? ranges.slice() : [...ranges].sort(compareByStart);
}

/**
 * Sort, then merge ranges that overlap or touch (start ≤ previous end + 1), as powerpc's
 * `__merge_memory_ranges` and memblock do.
 */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const out: { start: bigint; end: bigint }[] = [];
  for (const r of sortRanges(ranges)) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else {
      out.push({ start: r.start, end: r.end });
    }
  }
  return out;
}

/** Total bytes covered by disjoint ranges. */
export function totalSize(ranges: readonly Range[]): bigint {
  let sum = 0n;
  for (const r of ranges) sum += rangeSize(r);
  return sum;
}

/** True when no range ends below its start (what the sweeps below require). */
export function wellFormed(ranges: readonly Range[]): boolean {
  for (let i = 0; i < ranges.length; i++) if (ranges[i]!.end < ranges[i]!.start) return false;
  return true;
}

/**
 * `a` minus `b`, both as sets of bytes; the result is sorted and merged. Both sides are merged
 * (sorted, disjoint, not touching), then swept once with two pointers: O((n + m) log(n + m)) for
 * the sort, linear after it. A range that ends below its start (a defect some kernels write) has
 * no meaning as a set of bytes; with one present the hole-by-hole subtraction below runs as before,
 * so such inputs keep the exact result they always had.
 */
export function subtractRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const pieces = mergeRanges(a);
  const holes = mergeRanges(b);
  if (!wellFormed(pieces) || !wellFormed(holes)) return subtractHoleByHole(pieces, holes);
  // Holes are merged, so the ones inside a piece are in order and apart from each other.
  return sweepSubtract(pieces, holes);
}

/** The bytes in both `a` and `b`, sorted and merged: `a − (a − b)`, in one sweep when well formed. */
export function intersectRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  const x = mergeRanges(a);
  const y = mergeRanges(b);
  if (!wellFormed(x) || !wellFormed(y)) return subtractRanges(x, subtractRanges(x, y));
  return sweepIntersect(x, y);
}

/** In ranges sorted by start: the index of the first one starting above `at` (how many start at or below it). */
export function firstStartingAbove(ranges: readonly Range[], at: bigint): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]!.start <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The first index of a sorted, disjoint list whose range ends at or after `at` (`ranges.length`
 * when none does): where a sweep over `[at, …]` starts.
 */
export function firstEndingAtOrAfter(ranges: readonly Range[], at: bigint): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]!.end < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The pieces of a sorted, disjoint, well-formed list inside `[start, end]`, clipped to it. */
export function clipRanges(ranges: readonly Range[], start: bigint, end: bigint): Range[] {
  const out: Range[] = [];
  for (let i = firstEndingAtOrAfter(ranges, start); i < ranges.length && ranges[i]!.start <= end; i++) {
    const r = ranges[i]!;
    out.push(range(r.start > start ? r.start : start, r.end < end ? r.end : end));
  }
  return out;
}

/** Subtraction one merged hole at a time over every piece: O(n·m), kept for ill-formed input. */
function subtractHoleByHole(merged: Range[], holes: readonly Range[]): Range[] {
  let pieces = merged;
  for (const hole of holes) {
    const next: Range[] = [];
    for (const p of pieces) {
      if (!overlaps(p, hole)) {
        next.push(p);
        continue;
      }
      if (p.start < hole.start) next.push(range(p.start, hole.start - 1n));
      if (p.end > hole.end) next.push(range(hole.end + 1n, p.end));
    }
    pieces = next;
  }
  return pieces;
}

/**
 * True when `ranges` is already what mergeRanges would make of it, as bytes: sorted by start,
 * well formed, and each range starting more than one byte past the end of the one before (not
 * overlapping, not touching). One pass, nothing copied: lists that are merged already (a walk's
 * System RAM, the kernel's crash_mem array) can then be swept as they are.
 */
export function isMerged(ranges: readonly Range[]): boolean {
  // One read of each range and one BigInt sum per range: run cold on 8192 ranges, as a report
  // does, this form took about 0.5 ms where re-reading the range before took 0.8.
  let next = -1n;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    const start = r.start;
    if (r.end < start || (i > 0 && start <= next)) return false;
    next = r.end + 1n;
  }
  return true;
}

/** `ranges` itself when it is merged already (isMerged), else mergeRanges(ranges): no copy of a list that needs none. */
export function mergedView(ranges: readonly Range[]): readonly Range[] {
  return isMerged(ranges) ? ranges : mergeRanges(ranges);
}

/** `a` minus `b` for lists the caller knows are merged (isMerged): one sweep, no check, fresh objects. */
export function sweepSubtract(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    let start = p.start;
    const end = p.end;
    while (j < b.length && b[j]!.end < start) j++;
    // The last hole inside this piece may reach into the next piece, hence `k` and not `j` walks them.
    for (let k = j; k < b.length && start <= end; k++) {
      const h = b[k]!;
      if (h.start > end) break;
      if (h.start > start) out.push(range(start, h.start - 1n));
      start = h.end + 1n;
    }
    if (start <= end) out.push(range(start, end));
  }
  return out;
}

/** The bytes in both `a` and `b`, for lists the caller knows are merged (isMerged): one sweep, no check. */
export function sweepIntersect(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const p = a[i]!;
    const q = b[j]!;
    const start = p.start > q.start ? p.start : q.start;
    const end = p.end < q.end ? p.end : q.end;
    if (start <= end) out.push(range(start, end));
    if (p.end < q.end) i++;
    else j++;
  }
  return out;
}
