// Accounts for the RAM behind the PT_LOADs: what the arch's walk found, what each exclusion took
// out, and anything the result holds that no rule explains (a defect of an old kernel shows here).

import { mergeRanges, type NamedRange, type Range, subtractRanges } from '../core/memory/index.js';
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
 */
export function memoryAccount(cm: CrashMemory): MemoryAccount {
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

