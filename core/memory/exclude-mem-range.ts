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
  const out: Range[] = mem.ranges.slice();
  for (let i = 0; i < out.length; i++) {
    const cur = out[i]!;
    if (mstart > cur.end) continue;
    if (mend < cur.start) break; // sorted: nothing further can overlap
    const ps = mstart > cur.start ? mstart : cur.start;
    const pe = mend < cur.end ? mend : cur.end;
    if (ps === cur.start && pe === cur.end) {
      out.splice(i, 1);
      i--;
    } else if (ps > cur.start && pe < cur.end) {
      if (out.length >= mem.maxNrRanges) throw rangesFull(mem, mstart, mend);
      out.splice(i, 1, { start: cur.start, end: ps - 1n }, { start: pe + 1n, end: cur.end });
      i++;
    } else if (ps !== cur.start) {
      out[i] = { start: cur.start, end: ps - 1n };
    } else {
      out[i] = { start: pe + 1n, end: cur.end };
    }
  }
  return { maxNrRanges: mem.maxNrRanges, ranges: out };
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
