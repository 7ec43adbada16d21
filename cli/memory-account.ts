// Accounts for the RAM behind the PT_LOADs: what the arch's walk found, what each exclusion took
// out, and anything the result holds that no rule explains (a defect of an old kernel shows here).

import {
  clipRanges,
  firstEndingAtOrAfter,
  isMerged,
  mergeRanges,
  type NamedRange,
  type Range,
  sweepIntersect,
  sweepSubtract,
  subtractRanges,
  wellFormed,
} from '../core/memory/index.js';
import type { CrashMemory } from '../core/port/index.js';

/** The bytes in both `a` and `b`, sorted and merged. */
function intersect(a: readonly Range[], b: readonly Range[]): Range[] {
  return subtractRanges(a, subtractRanges(a, b));
}

/** What one exclusion did to the RAM list. */
export interface ExclusionEffect extends NamedRange {
  /** RAM this exclusion took out (what an earlier exclusion took is not counted again). */
  readonly removed: readonly Range[];
  /** RAM inside the hole that is still in the header (the ≤6.7 algorithm stops early). */
  readonly leftIn: readonly Range[];
}

export interface MemoryAccount {
  readonly systemRam: readonly NamedRange[];
  readonly exclusions: readonly ExclusionEffect[];
  readonly added: readonly NamedRange[];
  /** RAM dropped that no exclusion explains. */
  readonly unexplained: readonly Range[];
  /** Bytes in the header's PT_LOADs that are neither System RAM nor an added range. */
  readonly beyondRam: readonly Range[];
}

/**
 * Accounts for the PT_LOADs from the result rather than by re-running the kernel's algorithm, so
 * what is shown is what the port did, defects of old kernels included.
 *
 * What exclusion k removed is the dropped RAM inside hole k and outside every earlier hole, so one
 * sorted list of the holes seen so far and binary searches into the (sorted) dropped and kept lists
 * make it O((n + h) log(n + h)) for n ranges and h holes. A range ending below its start (the 6.10
 * powerpc defect) has no meaning as bytes; then the account is made hole by hole, as it always was.
 */
export function memoryAccount(cm: CrashMemory): MemoryAccount {
  // A walk's System RAM and the crash_mem array are usually merged already: then they are swept as
  // they are, not merged again by every subtraction (same values either way).
  // A list taken as it is was merged, hence well formed, already.
  const ram = isMerged(cm.systemRam) ? cm.systemRam : mergeRanges(cm.systemRam);
  const kept = isMerged(cm.mem.ranges) ? cm.mem.ranges : mergeRanges(cm.mem.ranges);
  const wellFormedKept = kept === cm.mem.ranges || wellFormed(cm.mem.ranges);
  if (!(ram === cm.systemRam || wellFormed(ram)) || !wellFormedKept || !wellFormed(cm.excluded) || !wellFormed(cm.added)) {
    return memoryAccountHoleByHole(cm);
  }
  // Both are merged now (mergedView), and so are the sweeps' results and `seen`.
  const dropped = sweepSubtract(ram, kept);
  /** Every hole seen so far, merged (sorted, disjoint, not touching). */
  const seen: Range[] = [];
  const exclusions = cm.excluded.map((hole): ExclusionEffect => {
    const removed: Range[] = [];
    for (const part of unseenParts(seen, hole)) removed.push(...clipRanges(dropped, part.start, part.end));
    addHole(seen, hole);
    // The kept RAM inside the hole, from both lists clipped to it: intersecting the whole lists
    // would make a range per kept range (8192 on a big machine) for the few a hole holds.
    const leftIn = sweepIntersect(clipRanges(kept, hole.start, hole.end), clipRanges(ram, hole.start, hole.end));
    return { ...hole, removed, leftIn };
  });
  return {
    systemRam: cm.systemRam,
    exclusions,
    added: cm.added,
    unexplained: sweepSubtract(dropped, seen),
    beyondRam: sweepSubtract(kept, cm.added.length === 0 ? ram : mergeRanges([...ram, ...cm.added])),
  };
}

/** `hole` minus the merged list `seen`: the pieces no earlier hole covered, in order. */
function unseenParts(seen: readonly Range[], hole: Range): Range[] {
  const out: Range[] = [];
  let start = hole.start;
  for (let i = firstEndingAtOrAfter(seen, hole.start); i < seen.length && start <= hole.end; i++) {
    const s = seen[i]!;
    if (s.start > hole.end) break;
    if (s.start > start) out.push({ start, end: s.start - 1n });
    start = s.end + 1n;
  }
  if (start <= hole.end) out.push({ start, end: hole.end });
  return out;
}

/** Insert `hole` into the merged list `seen`, merging with whatever it overlaps or touches. */
function addHole(seen: Range[], hole: Range): void {
  // The first entry that could touch the hole ends at or after hole.start − 1.
  const i = firstEndingAtOrAfter(seen, hole.start === 0n ? 0n : hole.start - 1n);
  let start = hole.start;
  let end = hole.end;
  let j = i;
  while (j < seen.length && seen[j]!.start <= end + 1n) {
    if (seen[j]!.start < start) start = seen[j]!.start;
    if (seen[j]!.end > end) end = seen[j]!.end;
    j++;
  }
  seen.splice(i, j - i, { start, end });
}

/** The account made hole by hole over whole lists: what ill-formed ranges get. */
function memoryAccountHoleByHole(cm: CrashMemory): MemoryAccount {
  const ram = mergeRanges(cm.systemRam);
  const kept = cm.mem.ranges;
  const dropped = subtractRanges(ram, kept);
  let claimed: Range[] = [];
  const exclusions = cm.excluded.map((hole): ExclusionEffect => {
    const removed = intersect(subtractRanges(dropped, claimed), [hole]);
    claimed = mergeRanges([...claimed, ...removed]);
    return { ...hole, removed, leftIn: intersect(intersect(kept, [hole]), ram) };
  });
  return {
    systemRam: cm.systemRam,
    exclusions,
    added: cm.added,
    unexplained: subtractRanges(dropped, claimed),
    beyondRam: subtractRanges(kept, [...ram, ...cm.added]),
  };
}
