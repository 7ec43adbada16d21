// The simple algorithms crashplug used before its fast paths, kept verbatim as test oracles: each
// property test holds a fast path to the one here on random inputs. Plain data and no vitest.

import type { Range } from '../../core/memory/index.js';
import { mergeRanges, overlaps, range } from '../../core/memory/index.js';
import type { CrashMemory } from '../../core/port/index.js';
import { hex, hex16 } from '../../core/base/index.js';
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
    const row = [String(i), phdrTypeName(p.type), hex16(p.offset), hex16(p.vaddr), hex16(p.paddr), sizeHex(p.filesz), sizeHex(p.memsz), flagLetters(p.flags), hex(p.align)];
    if (what !== undefined) row.push(what[i]?.label ?? '');
    return row;
  });
  return formatColumnsSimple([head, ...rows]);
}
