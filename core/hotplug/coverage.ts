// How well an installed elfcorehdr covers the machine as it is now: the memory its PT_LOADs list
// that the machine no longer has (stale: a dump would read memory that is gone), and the memory a
// fresh header of this machine would list that it leaves out (missing: a dump would lack it).
//
// Stale memory is what x86 keeps after a DIMM is removed (docs/kernel-profiles.md, "Memory removal on x86"):
// MEM_OFFLINE reaches the crash notifier as REMOVE_MEMORY, but x86's handler rebuilds from the
// System RAM resources, which still hold the offline DIMM, so the header keeps it; the DIMM's
// resource is released later by remove_memory() (try_remove_memory → release_mem_region_adjustable),
// which sends no memory notifier event, so nothing rewrites the header until the next memory event
// or a reload. powerpc cuts the block at MEM_OFFLINE and is not affected.

import { decodeElfCoreHeader } from '../elf/decode.js';
import { PT_LOAD } from '../elf/elf.js';
import { mergeRanges, type Range } from '../memory/range.js';
import type { ArchPlugin } from '../port/plugin.js';
import type { SystemDescription } from '../system/system.js';

export interface RamCoverage {
  /** Memory the header's PT_LOADs list that is neither System RAM of the machine now nor added by the arch. */
  readonly staleRam: readonly Range[];
  /** Memory a fresh header of the machine now would list that the header's PT_LOADs leave out. */
  readonly missingRam: readonly Range[];
}

/** `a` minus `b`, both sorted and merged: one pass over each (no quadratic path at 8192+ ranges). */
export function minusMerged(a: readonly Range[], b: readonly Range[]): Range[] {
  const out: Range[] = [];
  let j = 0;
  for (const piece of a) {
    let start = piece.start;
    const end = piece.end;
    while (j < b.length && b[j]!.end < start) j++;
    let k = j;
    let done = false;
    while (k < b.length && b[k]!.start <= end) {
      const hole = b[k]!;
      if (hole.start > start) out.push({ start, end: hole.start - 1n });
      if (hole.end >= end) {
        done = true;
        break;
      }
      start = hole.end + 1n;
      k++;
    }
    if (!done) out.push({ start, end });
  }
  return out;
}

/**
 * The memory PT_LOADs of a header as ranges [p_paddr, p_paddr + p_memsz − 1]. An entry whose end
 * wraps below its start (powerpc's 6.10 remove_mem_range defect writes one) covers nothing usable
 * and is left out.
 */
export function headerLoadRanges(header: Uint8Array): Range[] {
  const out: Range[] = [];
  for (const p of decodeElfCoreHeader(header, 'the installed elfcorehdr').phdrs) {
    if (p.type !== PT_LOAD || p.memsz === 0n) continue;
    const end = BigInt.asUintN(64, p.paddr + p.memsz - 1n);
    if (end >= p.paddr) out.push({ start: p.paddr, end });
  }
  return out;
}

/**
 * Compare the header installed in an image (its bytes) with the machine now (`system`, e.g.
 * `MachineState.system` after the events): what it lists that the machine lacks, and what it
 * misses that a fresh build would list. The arch's own additions (powerpc's RTAS, OPAL and backup
 * region) count as the machine's.
 */
export function headerRamCoverage(header: Uint8Array, system: SystemDescription, plugin: ArchPlugin): RamCoverage {
  const listed = mergeRanges(headerLoadRanges(header));
  const fresh = plugin.crashMemory(system);
  const machine = mergeRanges([...system.memory.systemRam, ...fresh.added]);
  const wanted = mergeRanges(fresh.mem.ranges.filter((r) => r.end >= r.start));
  return { staleRam: minusMerged(listed, machine), missingRam: minusMerged(wanted, listed) };
}
