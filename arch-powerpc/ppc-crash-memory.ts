// `get_crash_memory_ranges` (arch/powerpc/kexec/ranges.c, facts §6.2): memblock regions with the
// first 64 KiB left out, crashkernel (and from 6.19 the CMA ranges) cut out, RTAS and OPAL added, then the backup region [0, 0xffff]
// as its own range, sorted without merging. The same list is rebuilt at every memory event.

import { type CrashMemory, CrashplugError, excludeWith, hex, type NamedRange, type Range, type SystemDescription } from '../core/port/index.js';
import { powerpcProfile } from './ppc-profile.js';
import { type FirmwareRegion, opalRegion, rtasRegion } from './ppc-firmware.js';
import { addMemRange, emptyCrashMem, frozen, growCrashMem, sortMemoryRanges, type WorkingCrashMem } from './ppc-mem-ranges.js';
import type { PowerpcOptions } from './ppc-options.js';

/** BACKUP_SRC_START..BACKUP_SRC_END: the first 64 KiB, which purgatory copies to backup_start. */
export const BACKUP_SRC_START = 0n;
export const BACKUP_SRC_END = 0xffffn;
export const BACKUP_SRC_SIZE = 0x1_0000n;

export const BACKUP_REGION: NamedRange = { name: 'backup region', start: BACKUP_SRC_START, end: BACKUP_SRC_END };

/** The guarded exclusion: make room for one split, then cut out the hole (old or current algorithm). */
function excludeGuarded(mem: WorkingCrashMem, system: SystemDescription, start: bigint, end: bigint): void {
  if (mem.ranges.length >= mem.maxNrRanges) growCrashMem(mem);
  const out = excludeWith(system.kernel.excludeAlgorithm, frozen(mem), start, end);
  mem.ranges = out.ranges.slice();
}

function named(r: FirmwareRegion): NamedRange {
  return { name: r.name, start: r.base, end: r.base + r.size - 1n };
}

/**
 * powerpc never reserves crash memory in the first 64 KiB: the running kernel starts at 0 and the
 * reservation lies above it. A machine that has one there is refused rather than given a backup
 * PT_LOAD that would cover the reservation.
 */
function assertReservationsAboveBackup(system: SystemDescription): void {
  for (const [name, r] of [
    ['crashkernel', system.crashkernel],
    ['crashkernelLow', system.crashkernelLow],
  ] as const) {
    if (r === undefined || r.end === 0n || r.start > BACKUP_SRC_END) continue;
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: ${name} [${hex(r.start)}, ${hex(r.end)}] reaches into the first 64 KiB, where a powerpc kernel runs and ` +
        'which kdump backs up as a region of its own; no powerpc kernel reserves crash memory there — move the reservation above 0xffff',
    );
  }
}

export function ppcCrashMemory(system: SystemDescription, options: PowerpcOptions): CrashMemory {
  assertReservationsAboveBackup(system);
  const mem = emptyCrashMem();
  for (const region of system.memory.systemRam) {
    let base = region.start;
    let size = region.end - region.start + 1n;
    // The first 64 KiB is dumped from its backup copy, so it gets a range of its own below.
    if (base === BACKUP_SRC_START) {
      if (size <= BACKUP_SRC_SIZE) continue;
      base = BACKUP_SRC_END + 1n;
      size -= BACKUP_SRC_SIZE;
    }
    addMemRange(mem, base, size);
    // A full array is sorted and merged before it would grow: with more regions than one chunk
    // holds, adjacent regions of different NUMA nodes end up merged here (OBSERVED in the code).
    if (mem.ranges.length === mem.maxNrRanges) sortMemoryRanges(mem, true);
  }

  const excluded: NamedRange[] = [];
  const holes: [string, Range | undefined][] = [
    ['crashkernel', system.crashkernel],
    ['crashkernelLow', system.crashkernelLow],
  ];
  // 6.19+: each CMA range through the guarded exclusion, right after crashk_res (b4a96ab50f36).
  if (powerpcProfile(system.kernel).cutsCma) (system.crashkernelCma ?? []).forEach((r, i) => holes.push([`crashkernelCma[${i}]`, r]));
  for (const [name, r] of holes) {
    if (r === undefined || r.end === 0n) continue;
    excludeGuarded(mem, system, r.start, r.end);
    excluded.push({ name, start: r.start, end: r.end });
  }

  const added: NamedRange[] = [];
  // Not dumped for their content: the kernel adds them to stay in step with kexec-tools.
  for (const r of [...rtasRegion(system, options), ...opalRegion(system, options)]) {
    addMemRange(mem, r.base, r.size);
    if (r.size > 0n) added.push(named(r));
  }
  addMemRange(mem, BACKUP_SRC_START, BACKUP_SRC_SIZE);
  added.push(BACKUP_REGION);
  sortMemoryRanges(mem, false);
  return { mem: frozen(mem), systemRam: system.memory.systemRam, excluded, added };
}
