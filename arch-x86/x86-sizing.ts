// How x86 sizes the elfcorehdr segment for hot-plug (crash_load_segments, facts §4.3, W2) and
// what /sys/kernel/crash_elfcorehdr_size shows (arch_crash_get_elfcorehdr_size, §4.4).

import {
  EHDR_SIZE,
  ELF_CORE_HEADER_ALIGN,
  type ElfcorehdrLayout,
  type ElfcorehdrSegmentSpec,
  PHDR_SIZE,
  PN_XNUM,
  type SystemDescription,
} from '../core/port/index.js';

/** Program headers the segment is reserved for: 2 + NR_CPUS_DEFAULT + (max ranges or current ranges). */
export function x86HotplugPhdrCount(system: SystemDescription, currentRanges: number): number {
  const c = system.config;
  return 2 + c.nrCpusDefault + (c.memoryHotplug ? c.crashMaxMemoryRanges : currentRanges);
}

/** `hotplugBuilt`: core's crashHotplugBuilt for this machine (CONFIG_CRASH_HOTPLUG in this release). */
export function x86ElfcorehdrSegment(system: SystemDescription, layout: ElfcorehdrLayout, hotplugBuilt: boolean): ElfcorehdrSegmentSpec {
  const base = { align: ELF_CORE_HEADER_ALIGN, topDown: false };
  if (!hotplugBuilt) {
    return { ...base, memsz: layout.size, elfHeadersSize: layout.size, presetIndex: false };
  }
  const pnum = x86HotplugPhdrCount(system, layout.rangeCount);
  if (pnum >= PN_XNUM) {
    return {
      ...base,
      memsz: layout.size,
      elfHeadersSize: layout.size,
      presetIndex: false,
      warning: `number of Phdrs ${pnum} exceeds max`,
    };
  }
  const memsz = pnum * PHDR_SIZE + EHDR_SIZE;
  return { ...base, memsz, elfHeadersSize: memsz, presetIndex: true };
}

/** Program headers only: the Ehdr is not counted (OBSERVED, facts §4.4 and §13.6). */
export function x86SysfsElfcorehdrSize(system: SystemDescription, hotplugBuilt: boolean): number {
  if (!hotplugBuilt) return 0;
  const c = system.config;
  return (2 + c.nrCpusDefault + (c.memoryHotplug ? c.crashMaxMemoryRanges : 0)) * PHDR_SIZE;
}
