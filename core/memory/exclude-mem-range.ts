// `crash_exclude_mem_range`: cut a hole out of a crash_mem, in the two versions Linux has had.
// The current one (≈6.8+) trims every overlapping entry and refuses a split into a full array,
// leaving it untouched; the old one (≤6.7) stops after the first partial overlap and checks the
// *index* rather than the count before inserting, so it can run past the array.

import { CrashplugError } from '../base/errors.js';
import { hex } from '../base/hex.js';
import type { CrashMem, Range } from './range.js';

export type ExcludeAlgorithm = 'current' | 'old';

/** What the old algorithm did, beyond the ranges: it may have returned -ENOMEM or overrun. */
export interface OldExcludeResult {
  readonly mem: CrashMem;
  /** -ENOMEM was returned (with the entry already trimmed, as the old code did). */
  readonly enomem: boolean;
  /** nr_ranges went past max_nr_ranges: the kernel wrote past the end of the array. */
  readonly overran: boolean;
}

function rangesFull(mem: CrashMem, start: bigint, end: bigint): CrashplugError {
  return new CrashplugError(
    'E_RANGES_FULL',
    `excluding [${hex(start)}, ${hex(end)}] splits a range, but the crash_mem array is full ` +
      `(${mem.ranges.length} of ${mem.maxNrRanges} ranges); the kernel returns -ENOMEM here and the ranges stay as they were ` +
      `— give the array more room (max_nr_ranges ≥ nr_ranges + 1 before each exclusion)`,
  );
}

/**
 * The current kernel algorithm. Input must be sorted and disjoint. Returns a new CrashMem;
 * throws E_RANGES_FULL (and changes nothing) when a split does not fit.
 */
export function excludeMemRange(mem: CrashMem, mstart: bigint, mend: bigint): CrashMem {
  const out = { maxNrRanges: mem.maxNrRanges, ranges: mem.ranges.slice() };
  excludeMemRangeInPlace(out, mstart, mend);
  return out;
}

/** A crash_mem whose array may be changed where it is, as the kernel changes its own. */
export interface MutableCrashMem {
  readonly maxNrRanges: number;
  readonly ranges: Range[];
}

/**
 * The current kernel algorithm on the array itself: no copy, and one splice of just the entries the
 * hole touches (the kernel's loop, read first, written after), so a caller cutting several holes out
 * of 16 000 ranges copies nothing. Throws E_RANGES_FULL, with the array untouched, when a split
 * does not fit.
 */
export function excludeMemRangeInPlace(mem: MutableCrashMem, mstart: bigint, mend: bigint): void {
  const rs = mem.ranges;
  // The kernel's loop visits each entry once in order (a split's tail is stepped over); `count` is
  // nr_ranges as it would stand at each step, and the entries from the first one the hole touches up
  // to where the loop stops are replaced by `repl` in one splice at the end.
  let count = rs.length;
  let first = -1;
  let stop = rs.length;
  const repl: Range[] = [];
  for (let i = 0; i < rs.length; i++) {
    const cur = rs[i]!;
    if (mstart > cur.end) {
      if (first >= 0) repl.push(cur);
      continue;
    }
    if (mend < cur.start) {
      stop = i; // sorted: nothing further can overlap
      break;
    }
    if (first < 0) first = i;
    const ps = mstart > cur.start ? mstart : cur.start;
    const pe = mend < cur.end ? mend : cur.end;
    if (ps === cur.start && pe === cur.end) {
      count--;
    } else if (ps > cur.start && pe < cur.end) {
      if (count >= mem.maxNrRanges) throw rangesFull(mem, mstart, mend);
      count++;
      repl.push({ start: cur.start, end: ps - 1n }, { start: pe + 1n, end: cur.end });
    } else if (ps !== cur.start) {
      repl.push({ start: cur.start, end: ps - 1n });
    } else {
      repl.push({ start: pe + 1n, end: cur.end });
    }
  }
  if (first < 0) return;
  if (repl.length === stop - first) {
    for (let j = 0; j < repl.length; j++) rs[first + j] = repl[j]!;
  } else if (repl.length < 4096) {
    rs.splice(first, stop - first, ...repl);
  } else {
    const rest = rs.slice(stop);
    rs.length = first;
    for (const r of repl) rs.push(r);
    for (const r of rest) rs.push(r);
  }
}

/** The ≤6.7 algorithm, including its defects (see the module comment). Never throws. */
export function excludeMemRangeOld(mem: CrashMem, mstart: bigint, mend: bigint): OldExcludeResult {
  const out: Range[] = mem.ranges.slice();
  let split: Range | undefined;
  let i = 0;
  for (; i < out.length; i++) {
    const cur = out[i]!;
    if (mstart > cur.end || mend < cur.start) continue;
    // Clamped to the entry (p_start/p_end in the kernel) before deciding between trim and split.
    const ps = mstart > cur.start ? mstart : cur.start;
    const pe = mend < cur.end ? mend : cur.end;
    if (ps === cur.start && pe === cur.end) {
      const wasLast = i === out.length - 1;
      out.splice(i, 1);
      if (wasLast) return { mem: { maxNrRanges: mem.maxNrRanges, ranges: out }, enomem: false, overran: false };
      i--;
      continue;
    }
    if (ps > cur.start && pe < cur.end) {
      out[i] = { start: cur.start, end: ps - 1n };
      split = { start: pe + 1n, end: cur.end };
    } else if (ps !== cur.start) {
      out[i] = { start: cur.start, end: ps - 1n };
    } else {
      out[i] = { start: pe + 1n, end: cur.end };
    }
    break; // the old code stops after the first partial overlap
  }
  const done = (enomem: boolean): OldExcludeResult => ({
    mem: { maxNrRanges: mem.maxNrRanges, ranges: out },
    enomem,
    overran: out.length > mem.maxNrRanges,
  });
  if (split === undefined) return done(false);
  if (i === mem.maxNrRanges - 1) return done(true);
  out.splice(i + 1, 0, split);
  return done(false);
}

/** Dispatch by algorithm; the old one's -ENOMEM becomes E_RANGES_FULL too (a load would fail). */
export function excludeWith(algorithm: ExcludeAlgorithm, mem: CrashMem, mstart: bigint, mend: bigint): CrashMem {
  switch (algorithm) {
    case 'current':
      return excludeMemRange(mem, mstart, mend);
    case 'old': {
      const r = excludeMemRangeOld(mem, mstart, mend);
      if (r.enomem) throw rangesFull(mem, mstart, mend);
      return r.mem;
    }
    default: {
      const never: never = algorithm;
      throw new Error(`unknown exclude algorithm ${String(never)}`);
    }
  }
}
