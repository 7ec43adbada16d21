// powerpc's own crash_mem helpers (arch/powerpc/kexec/ranges.c, facts §6.2, §13.1): an array that
// grows in 2 KiB chunks, `add_mem_range` (widen an entry the new range strictly overlaps, else
// append), the sort with its optional merge, and `remove_mem_range` in its three behaviours.
// All arithmetic is u64, so the 6.10 defect wraps exactly as the kernel's does.

import { type CrashMem, CrashplugError, excludeMemRangeInPlace, hex, type Range } from '../core/port/index.js';
import type { RemoveMemRangeVariant } from './ppc-profile.js';

/** MEM_RANGE_CHUNK_SZ: the array is (re)allocated in steps of this many bytes. */
export const MEM_RANGE_CHUNK_SZ = 2048;
/** `struct crash_mem` before its ranges: max_nr_ranges and nr_ranges, two u32s. */
const CRASH_MEM_HEADER = 8;
/** One `struct range`: two u64s. */
const RANGE_BYTES = 16;

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

/** A crash_mem being built: the array the kernel reallocates, mutable while the port works on it. */
export interface WorkingCrashMem {
  maxNrRanges: number;
  ranges: Range[];
}

export function emptyCrashMem(): WorkingCrashMem {
  return { maxNrRanges: 0, ranges: [] };
}

export function frozen(mem: WorkingCrashMem): CrashMem {
  return { maxNrRanges: mem.maxNrRanges, ranges: mem.ranges.slice() };
}

export function working(mem: CrashMem): WorkingCrashMem {
  return { maxNrRanges: mem.maxNrRanges, ranges: mem.ranges.slice() };
}

/**
 * `realloc_mem_ranges`: the allocation is the current one rounded up to a chunk, plus a chunk;
 * the capacity is what fits after the header (127 ranges, then 255, 383, …).
 */
export function growCrashMem(mem: WorkingCrashMem): void {
  const used = mem.maxNrRanges === 0 ? 0 : CRASH_MEM_HEADER + mem.maxNrRanges * RANGE_BYTES;
  const size = Math.ceil(used / MEM_RANGE_CHUNK_SZ) * MEM_RANGE_CHUNK_SZ + MEM_RANGE_CHUNK_SZ;
  mem.maxNrRanges = Math.floor((size - CRASH_MEM_HEADER) / RANGE_BYTES);
}

/**
 * What is known about a working array without reading it, so that adding ranges in address order
 * (every boot, every memory event) costs O(1) per range instead of a scan: an upper bound of every
 * entry's end, and how many leading entries are the untouched output of a merge. Only the functions
 * of this file write entries in place, and they keep both facts true (trims only lower ends); an
 * array replaced or resized elsewhere is measured again.
 */
interface ArrayFacts {
  /** The array length these facts were last brought up to date at. */
  length: number;
  /** No entry ends above this. */
  maxEnd: bigint;
  /** Entries [0, merged) are what a merging sort left, unchanged since. */
  merged: number;
}
const facts = new WeakMap<Range[], ArrayFacts>();

function factsOf(ranges: Range[]): ArrayFacts {
  let f = facts.get(ranges);
  if (f === undefined || f.length !== ranges.length) {
    let maxEnd = 0n;
    for (let i = 0; i < ranges.length; i++) if (ranges[i]!.end > maxEnd) maxEnd = ranges[i]!.end;
    // Resized by someone else: which entries are still merged is not known.
    f = { length: ranges.length, maxEnd, merged: 0 };
    facts.set(ranges, f);
  }
  return f;
}

/** Entry `i` is about to change in place: it and everything after it are no longer known merged. */
function touched(ranges: Range[], i: number): void {
  const f = facts.get(ranges);
  if (f !== undefined && f.merged > i) f.merged = i;
}

/** `__add_mem_range`: append, growing the array when it is full (or not yet allocated). */
function appendRange(mem: WorkingCrashMem, base: bigint, size: bigint): void {
  if (mem.ranges.length >= mem.maxNrRanges) growCrashMem(mem);
  const end = u64(base + size - 1n);
  const f = factsOf(mem.ranges);
  mem.ranges.push({ start: base, end });
  f.length = mem.ranges.length;
  if (end > f.maxEnd) f.maxEnd = end;
}

/**
 * `add_mem_range`: a range that strictly overlaps an entry (base < entry end and end > entry start)
 * widens the first such entry; ranges that only touch are appended, never merged here.
 * Fast path: a range starting at or above every entry's end overlaps none of them, so it is appended
 * without the scan — the kernel's rule, decided in O(1) for ranges that arrive in address order.
 */
export function addMemRange(mem: WorkingCrashMem, base: bigint, size: bigint): void {
  if (size === 0n) return;
  if (base >= factsOf(mem.ranges).maxEnd) {
    appendRange(mem, base, size);
    return;
  }
  const end = u64(base + size - 1n);
  for (let i = 0; i < mem.ranges.length; i++) {
    const r = mem.ranges[i]!;
    if (base < r.end && end > r.start) {
      touched(mem.ranges, i);
      const widened = { start: base < r.start ? base : r.start, end: end > r.end ? end : r.end };
      mem.ranges[i] = widened;
      const f = factsOf(mem.ranges);
      if (widened.end > f.maxEnd) f.maxEnd = widened.end;
      return;
    }
  }
  appendRange(mem, base, size);
}

/**
 * `sort_memory_ranges`: by start only. The kernel's sort() is a heapsort, so two ranges with the
 * same start may come out in either order there; here they keep their order (README "Open points").
 * With `merge`, `__merge_memory_ranges` runs as written: each range is compared with the one before
 * it in the sorted array, and a merged entry takes the later range's end even when it is lower.
 */
export function sortMemoryRanges(mem: WorkingCrashMem, merge: boolean): void {
  const all = mem.ranges;
  // Fast path: a merged prefix left by the last merging sort, then entries appended since. When the
  // appended ones sort (stably) after the prefix, the whole sort is the prefix followed by them, and
  // the merge pass, which leaves a merged prefix as it is, need only run from where they start.
  // The array is then sorted and merged where it is, the prefix never copied.
  const f = factsOf(all);
  const k = merge ? f.merged : 0;
  if (k === 0) return sortMemoryRangesFrom(mem, merge, stableByStart(all), 0);
  const tail = stableByStart(all.slice(k));
  if (tail.length > 0 && tail[0]!.start < all[k - 1]!.start) return sortMemoryRangesFrom(mem, merge, stableByStart(all), 0);
  for (let i = 0; i < tail.length; i++) all[k + i] = tail[i]!;
  sortMemoryRangesFrom(mem, merge, all, k);
}

function stableByStart(ranges: readonly Range[]): Range[] {
  let sorted = true;
  for (let i = 1; i < ranges.length && sorted; i++) sorted = ranges[i - 1]!.start <= ranges[i]!.start;
  if (sorted) return ranges.slice();
  const r = ranges.map((x, i) => ({ x, i }));
  r.sort((a, b) => (a.x.start < b.x.start ? -1 : a.x.start > b.x.start ? 1 : a.i - b.i));
  return r.map((e) => e.x);
}

/** The merge pass over sorted `ranges`, from entry `from` (entries before it already merged). */
function sortMemoryRangesFrom(mem: WorkingCrashMem, merge: boolean, ranges: Range[], from: number): void {
  if (merge && ranges.length > 0) {
    let idx = from === 0 ? 0 : from - 1;
    for (let i = from === 0 ? 1 : from; i < ranges.length; i++) {
      if (ranges[i]!.start <= u64(ranges[i - 1]!.end + 1n)) {
        ranges[idx] = { start: ranges[idx]!.start, end: ranges[i]!.end };
      } else {
        idx++;
        if (i !== idx) ranges[idx] = ranges[i]!;
      }
    }
    ranges.length = idx + 1;
  }
  mem.ranges = ranges;
  // Sorted where it was: merging only shortened it, and every end left is one it had.
  const known = facts.get(ranges);
  if (known !== undefined) known.length = ranges.length;
  const f = factsOf(ranges);
  if (merge) f.merged = ranges.length;
}

/** What one `remove_mem_range` call did, for reports and tests. */
export interface RemoveMemRangeResult {
  readonly action: 'none' | 'deleted' | 'head-trimmed' | 'tail-trimmed' | 'split';
  /** The entry appended by a split (unsorted, at the end of the array), if any. */
  readonly appended?: Range | undefined;
}

/**
 * `remove_mem_range(base, size)`: cut out a block going offline. The kernel version only acts on
 * an entry that wholly contains the block; `exact` is the generic exclusion with a spare slot
 * guaranteed first, which keeps the array sorted.
 */
export function removeMemRange(mem: WorkingCrashMem, base: bigint, size: bigint, variant: RemoveMemRangeVariant): RemoveMemRangeResult {
  if (size === 0n) return { action: 'none' };
  const end = u64(base + size - 1n);
  if (variant === 'exact') {
    if (mem.ranges.length >= mem.maxNrRanges) growCrashMem(mem);
    const before = mem.ranges.length;
    touched(mem.ranges, 0);
    excludeMemRangeInPlace(mem, base, end);
    const action = mem.ranges.length > before ? 'split' : mem.ranges.length < before ? 'deleted' : 'none';
    return { action };
  }
  let result: RemoveMemRangeResult = { action: 'none' };
  for (let i = 0; i < mem.ranges.length; i++) {
    const r = mem.ranges[i]!;
    if (!(base >= r.start && end <= r.end)) continue;
    touched(mem.ranges, i);
    if (base === r.start && end === r.end) {
      mem.ranges.splice(i, 1);
      return { action: 'deleted' };
    }
    if (base === r.start) {
      mem.ranges[i] = { start: u64(end + 1n), end: r.end };
      return { action: 'head-trimmed' };
    }
    if (end === r.end) {
      mem.ranges[i] = { start: r.start, end: u64(base - 1n) };
      return { action: 'tail-trimmed' };
    }
    const truncatedEnd = u64(base - 1n);
    // The fix measures the tail before truncating, from an inclusive end (one byte too many);
    // the defect measures it after, from the new end, which lies below the block: it wraps.
    const tailSize = variant === 'upstream-fix' ? u64(r.end - end + 1n) : u64(truncatedEnd - end);
    mem.ranges[i] = { start: r.start, end: truncatedEnd };
    const count = mem.ranges.length;
    addMemRange(mem, u64(end + 1n), tailSize);
    result = { action: 'split', appended: mem.ranges.length > count ? mem.ranges[mem.ranges.length - 1] : undefined };
    // The kernel's loop goes on after a split; the appended piece starts past the block, so it
    // can never contain it, and no other entry can either (entries do not overlap).
  }
  return result;
}

/** A range whose end lies below its start: what the 6.10 defect leaves in the header. */
export function isInverted(r: Range): boolean {
  return r.end < r.start;
}

export function describeRange(r: Range): string {
  return `[${hex(r.start)}, ${hex(r.end)}]`;
}

/** A guard for callers that must not see an inverted range (the usable-memory walk, fadump). */
export function assertNotInverted(r: Range, what: string): void {
  if (isInverted(r)) {
    throw new CrashplugError('E_BAD_SYSTEM', `${what} ${describeRange(r)} ends below its start; give ranges as [start, end] with end ≥ start`);
  }
}
