// What a DIMM arriving or leaving does to System RAM as the arch's crash code walks it (RamWalk).
// The iomem walk sees each DIMM as a top-level resource of its own: inserted in address order,
// never merged, and removed only whole. memblock merges a new DIMM with an adjacent region of the
// same NUMA node and the same flags (memblock_add_node; facts §13.3, §13.7: "on x86 a hot-added
// DIMM next to boot RAM is its own PT_LOAD; on ppc it merges"), and removing one cuts it out of
// whatever region holds it, splitting that region when the DIMM sat in its middle.

import { CrashplugError } from '../base/errors.js';
import { hex } from '../base/hex.js';
import type { RamWalk } from '../port/plugin.js';
import { firstStartingAbove, type Range } from '../memory/range.js';
import type { RamRange } from './system.js';

/** The node of a range; memory a source gives no node for is on node 0, as Linux puts it. */
export function nodeOf(r: RamRange): number {
  return r.nid ?? 0;
}

function byStart(a: Range, b: Range): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}

const sortedArrays = new WeakSet<readonly Range[]>();

/** Sorted by start (each start ≥ the one before); remembered per array, so a list is read once. */
export function isSortedByStart(ranges: readonly Range[]): boolean {
  if (sortedArrays.has(ranges)) return true;
  for (let i = 1; i < ranges.length; i++) if (ranges[i]!.start < ranges[i - 1]!.start) return false;
  sortedArrays.add(ranges);
  return true;
}

/**
 * `[...ranges, r].sort(byStart)` without the sort when `ranges` is sorted: the same stable order (r
 * after every range with its start) by one binary search and a copy — O(n) per DIMM, not O(n log n).
 */
export function withInserted<R extends Range>(ranges: readonly R[], r: R): R[] {
  if (!isSortedByStart(ranges)) return [...ranges, r].sort(byStart);
  const lo = firstStartingAbove(ranges, r.start);
  const out = ranges.slice(0, lo);
  out.push(r);
  for (let i = lo; i < ranges.length; i++) out.push(ranges[i]!);
  sortedArrays.add(out);
  return out;
}

const disjointArrays = new WeakSet<readonly Range[]>();

/** Sorted and disjoint (each start above the end before it); remembered per array. */
function isSortedDisjoint(ranges: readonly Range[]): boolean {
  if (disjointArrays.has(ranges)) return true;
  for (let i = 1; i < ranges.length; i++) if (ranges[i]!.start <= ranges[i - 1]!.end) return false;
  disjointArrays.add(ranges);
  return true;
}

/**
 * Whether any range holds `at`: a binary search over sorted, disjoint ranges (what the walks keep),
 * a scan otherwise. Each memory-block event asks this, so it must not read all RAM.
 */
export function holdsAddress(ranges: readonly Range[], at: bigint): boolean {
  if (!isSortedDisjoint(ranges)) return ranges.some((r) => r.start <= at && at <= r.end);
  const lo = firstStartingAbove(ranges, at);
  return lo > 0 && at <= ranges[lo - 1]!.end;
}

function bad(message: string): CrashplugError {
  return new CrashplugError('E_BAD_ARGUMENT', message);
}

/** RAM after `dimm` (which overlaps no RAM) is added. Only the DIMM merges: other regions stay as given. */
export function addDimmRam(ram: readonly RamRange[], dimm: RamRange, walk: RamWalk): RamRange[] {
  if (walk === 'iomem') return withInserted(ram, dimm);
  let merged: RamRange = dimm;
  const rest: RamRange[] = [];
  for (const r of ram) {
    const sameNode = nodeOf(r) === nodeOf(dimm);
    if (sameNode && r.end + 1n === dimm.start) merged = { ...r, end: merged.end };
    else if (sameNode && dimm.end + 1n === r.start) merged = { ...merged, end: r.end };
    else rest.push(r);
  }
  return withInserted(rest, merged);
}

/** RAM after the DIMM `gone` is removed; it must be exactly a resource (iomem) or wholly RAM (memblock). */
export function removeDimmRam(ram: readonly RamRange[], gone: Range, walk: RamWalk): RamRange[] {
  const what = `DIMM [${hex(gone.start)}, ${hex(gone.end)}]`;
  if (walk === 'iomem') {
    if (!ram.some((r) => r.start === gone.start && r.end === gone.end)) {
      throw bad(`${what} is not a System RAM resource of its own; on this arch a DIMM goes away whole, as it came`);
    }
    return ram.filter((r) => !(r.start === gone.start && r.end === gone.end));
  }
  const out: RamRange[] = [];
  let covered = 0n;
  for (const r of ram) {
    if (r.end < gone.start || gone.end < r.start) {
      out.push(r);
      continue;
    }
    covered += (r.end < gone.end ? r.end : gone.end) - (r.start > gone.start ? r.start : gone.start) + 1n;
    if (r.start < gone.start) out.push({ ...r, end: gone.start - 1n });
    if (gone.end < r.end) out.push({ ...r, start: gone.end + 1n });
  }
  if (covered !== gone.end - gone.start + 1n) throw bad(`${what} is not all System RAM; remove only memory that was added`);
  return out.sort(byStart);
}
