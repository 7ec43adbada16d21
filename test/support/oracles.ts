// The simple algorithms crashplug used before its fast paths, kept verbatim as test oracles: each
// property test holds a fast path to the one here on random inputs. Plain data and no vitest.

import type { Range } from '../../core/memory/index.js';
import { mergeRanges, overlaps, range } from '../../core/memory/index.js';
import type { CrashMemory } from '../../core/port/index.js';
import { hex, hex16 } from '../../core/base/index.js';
import type { CrashMem } from '../../core/memory/index.js';
import { growCrashMem, type RemoveMemRangeResult, type WorkingCrashMem } from '../../arch-powerpc/ppc-mem-ranges.js';
import type { RemoveMemRangeVariant } from '../../arch-powerpc/ppc-profile.js';
import { type ElfCoreHeader, PF_R, PF_W, PF_X, phdrTypeName } from '../../core/elf/index.js';
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

/** Columns padded to their widest cell, one space apart, trailing blanks dropped (map/join). */
export function formatColumnsSimple(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => (indent + row.map((cell, i) => cell.padEnd(widths[i]!)).join(' ')).trimEnd());
}

/** The `readelf -lW` table as rows of cells handed to formatColumns. */
export function phdrTableSimple(header: ElfCoreHeader, what?: readonly { readonly label: string }[], whatTitle = 'What'): string[] {
  const flagLetters = (f: number) => `${f & PF_R ? 'R' : ' '}${f & PF_W ? 'W' : ' '}${f & PF_X ? 'E' : ' '}`;
  const sizeHex = (v: bigint) => `0x${v.toString(16).padStart(6, '0')}`;
  const head = ['#', 'Type', 'Offset', 'VirtAddr', 'PhysAddr', 'FileSiz', 'MemSiz', 'Flg', 'Align'];
  if (what !== undefined) head.push(whatTitle);
  const rows = header.phdrs.map((p, i) => {
    const row = [
      String(i),
      phdrTypeName(p.type),
      hex16(p.offset),
      hex16(p.vaddr),
      hex16(p.paddr),
      sizeHex(p.filesz),
      sizeHex(p.memsz),
      flagLetters(p.flags),
      hex(p.align),
    ];
    if (what !== undefined) row.push(what[i]?.label ?? '');
    return row;
  });
  return formatColumnsSimple([head, ...rows]);
}

// ---- crash_exclude_mem_range with a copy of the array per call, then powerpc's crash_mem helpers as first written: a full scan per add, a full sort per call ----

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);

function appendRange(mem: WorkingCrashMem, base: bigint, size: bigint): void {
  if (mem.ranges.length >= mem.maxNrRanges) growCrashMem(mem);
  mem.ranges.push({ start: base, end: u64(base + size - 1n) });
}

/**
 * `add_mem_range`: a range that strictly overlaps an entry (base < entry end and end > entry start)
 * widens the first such entry; ranges that only touch are appended, never merged here.
 */
export function addMemRangeSimple(mem: WorkingCrashMem, base: bigint, size: bigint): void {
  if (size === 0n) return;
  const end = u64(base + size - 1n);
  for (let i = 0; i < mem.ranges.length; i++) {
    const r = mem.ranges[i]!;
    if (base < r.end && end > r.start) {
      mem.ranges[i] = { start: base < r.start ? base : r.start, end: end > r.end ? end : r.end };
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
export function sortMemoryRangesSimple(mem: WorkingCrashMem, merge: boolean): void {
  const r = mem.ranges.map((x, i) => ({ x, i }));
  r.sort((a, b) => (a.x.start < b.x.start ? -1 : a.x.start > b.x.start ? 1 : a.i - b.i));
  const ranges = r.map((e) => e.x);
  if (merge && ranges.length > 0) {
    let idx = 0;
    for (let i = 1; i < ranges.length; i++) {
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
}

/**
 * `remove_mem_range(base, size)`: cut out a block going offline. The kernel version only acts on
 * an entry that wholly contains the block; `exact` is the generic exclusion with a spare slot
 * guaranteed first, which keeps the array sorted.
 */
export function removeMemRangeSimple(mem: WorkingCrashMem, base: bigint, size: bigint, variant: RemoveMemRangeVariant): RemoveMemRangeResult {
  if (size === 0n) return { action: 'none' };
  const end = u64(base + size - 1n);
  if (variant === 'exact') {
    if (mem.ranges.length >= mem.maxNrRanges) growCrashMem(mem);
    const before = mem.ranges.length;
    const out = excludeMemRangeSimple({ maxNrRanges: mem.maxNrRanges, ranges: mem.ranges.slice() }, base, end);
    mem.ranges = out.ranges.slice();
    const action = mem.ranges.length > before ? 'split' : mem.ranges.length < before ? 'deleted' : 'none';
    return { action };
  }
  let result: RemoveMemRangeResult = { action: 'none' };
  for (let i = 0; i < mem.ranges.length; i++) {
    const r = mem.ranges[i]!;
    if (!(base >= r.start && end <= r.end)) continue;
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
    addMemRangeSimple(mem, u64(end + 1n), tailSize);
    result = { action: 'split', appended: mem.ranges.length > count ? mem.ranges[mem.ranges.length - 1] : undefined };
    // The kernel's loop goes on after a split; the appended piece starts past the block, so it
    // can never contain it, and no other entry can either (entries do not overlap).
  }
  return result;
}

export function excludeMemRangeSimple(mem: CrashMem, mstart: bigint, mend: bigint): CrashMem {
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
      if (out.length >= mem.maxNrRanges) throw new Error('E_RANGES_FULL');
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
