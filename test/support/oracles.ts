// The simple algorithms crashplug used before its fast paths, kept verbatim as test oracles: each
// property test holds a fast path to the one here on random inputs. Plain data and no vitest.

import type { Range } from '../../core/memory/index.js';
import { mergeRanges, overlaps, range } from '../../core/memory/index.js';
import type { CrashMemory } from '../../core/port/index.js';
import type { ExclusionEffect, MemoryAccount } from '../../cli/memory-account.js';

/** `a` minus `b`, one merged hole at a time over every piece: O(n·m). */
export function subtractRangesSimple(a: readonly Range[], b: readonly Range[]): Range[] {
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

export function intersectSimple(a: readonly Range[], b: readonly Range[]): Range[] {
  return subtractRangesSimple(a, subtractRangesSimple(a, b));
}

/** The report's memory account as first written: every exclusion against whole lists. */
export function memoryAccountSimple(cm: CrashMemory): MemoryAccount {
  const ram = mergeRanges(cm.systemRam);
  const kept = cm.mem.ranges;
  const dropped = subtractRangesSimple(ram, kept);
  let claimed: Range[] = [];
  const exclusions = cm.excluded.map((hole): ExclusionEffect => {
    const removed = intersectSimple(subtractRangesSimple(dropped, claimed), [hole]);
    claimed = mergeRanges([...claimed, ...removed]);
    return { ...hole, removed, leftIn: intersectSimple(intersectSimple(kept, [hole]), ram) };
  });
  return {
    systemRam: cm.systemRam,
    exclusions,
    added: cm.added,
    unexplained: subtractRangesSimple(dropped, claimed),
    beyondRam: subtractRangesSimple(kept, [...ram, ...cm.added]),
  };
}
