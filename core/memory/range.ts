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
  return [...ranges].sort(compareByStart);
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

/** `a` minus `b`, both as sets of bytes; the result is sorted and merged. */
export function subtractRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  let pieces = mergeRanges(a);
  for (const hole of mergeRanges(b)) {
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
