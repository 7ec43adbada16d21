// How powerpc sizes the kexec_file elfcorehdr segment (load_elfcorehdr_segment with
// kdump_extra_elfcorehdr_size, facts §6.3, W11), what /sys/kernel/crash_elfcorehdr_size shows
// (arch_crash_get_elfcorehdr_size), and the backup-region p_offset fix-up (facts §13.2).

import { EHDR_SIZE, type ElfcorehdrLayout, type ElfcorehdrSegmentSpec, PHDR_SIZE, PN_XNUM, type SystemDescription } from '../core/port/index.js';
import { BACKUP_SRC_START } from './ppc-crash-memory.js';

/** Bytes reserved past the header for ranges hot-plug may add, and what the kernel warns while sizing. */
export function ppcExtraElfcorehdrSize(system: SystemDescription, nrRanges: number, hotplugBuilt: boolean): { extra: number; warning?: string } {
  const c = system.config;
  if (!hotplugBuilt || !c.memoryHotplug) return { extra: 0 };
  if (c.crashMaxMemoryRanges > PN_XNUM) return { extra: 0, warning: `Number of Phdrs ${c.crashMaxMemoryRanges} exceeds max` };
  if (nrRanges >= c.crashMaxMemoryRanges) return { extra: 0, warning: 'Configured crash mem ranges may not be enough' };
  return { extra: (c.crashMaxMemoryRanges - nrRanges) * PHDR_SIZE };
}

/**
 * The kbuf of the elfcorehdr: the header bytes plus the hot-plug room, placed bottom-up. powerpc
 * does not record the segment's index; the first hot-plug event finds it by its ELF magic.
 */
export function ppcElfcorehdrSegment(system: SystemDescription, layout: ElfcorehdrLayout, hotplugBuilt: boolean): ElfcorehdrSegmentSpec {
  const { extra, warning } = ppcExtraElfcorehdrSize(system, layout.rangeCount, hotplugBuilt);
  return {
    memsz: layout.size + extra,
    // image->elf_headers_sz stays the header alone in the releases read (README "Open points").
    elfHeadersSize: layout.size,
    // The kbuf is the one the kernel image was loaded with, aligned at least to a page.
    align: system.pageSize,
    topDown: false,
    presetIndex: false,
    warning,
  };
}

/**
 * /sys/kernel/crash_elfcorehdr_size for kexec_load: unlike x86 it counts the Ehdr, the CPUs
 * possible now, one vmcoreinfo note and (with memory hot-plug) CRASH_MAX_MEMORY_RANGES ranges.
 */
export function ppcSysfsElfcorehdrSize(system: SystemDescription, hotplugBuilt: boolean): number {
  if (!hotplugBuilt) return 0;
  const c = system.config;
  const phdrs = system.cpus.possible.length + 1 + (c.memoryHotplug ? c.crashMaxMemoryRanges : 0);
  return EHDR_SIZE + phdrs * PHDR_SIZE;
}

/**
 * Set the backup PT_LOAD's p_offset (the first program header whose p_paddr is 0) to `backupStart`,
 * when the release does so. Before the fix the loop never advanced past the first program header,
 * a CPU note, so nothing changed; that is modelled by doing nothing.
 */
export function syncBackupRegionPhdr(bytes: Uint8Array, phnum: number, le: boolean, backupStart: bigint): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < phnum; i++) {
    const at = EHDR_SIZE + i * PHDR_SIZE;
    if (view.getBigUint64(at + 24, le) === BACKUP_SRC_START) {
      view.setBigUint64(at + 8, backupStart, le);
      return true;
    }
  }
  return false;
}
