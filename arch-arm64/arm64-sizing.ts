// How arm64 sizes and places the elfcorehdr segment (load_other_segments, facts §5.2) and what
// /sys/kernel/crash_elfcorehdr_size shows. Mainline: exactly the header, 64 KiB aligned, top down.
// The proposed crash hot-plug series reserves room for every possible CPU and, with memory
// hot-plug, CRASH_MAX_MEMORY_RANGES ranges, the way x86 does.

import { EHDR_SIZE, type ElfcorehdrLayout, type ElfcorehdrSegmentSpec, PHDR_SIZE, PN_XNUM, type SystemDescription } from '../core/port/index.js';

/** SZ_64K: "largest supported page size", so the header stays aligned under any arm64 page size. */
export const ARM64_ELFCOREHDR_ALIGN = 0x1_0000;

/** Program headers the series reserves: vmcoreinfo, kernel map, possible CPUs, and the ranges. */
export function arm64HotplugPhdrCount(system: SystemDescription, currentRanges: number): number {
  const c = system.config;
  return 2 + system.cpus.possible.length + (c.memoryHotplug ? c.crashMaxMemoryRanges : currentRanges);
}

/** `hotplugBuilt`: core's crashHotplugBuilt for this machine (true only with the series applied). */
export function arm64ElfcorehdrSegment(system: SystemDescription, layout: ElfcorehdrLayout, hotplugBuilt: boolean): ElfcorehdrSegmentSpec {
  // arm64 has no purgatory to digest the segments, so nothing needs the index recorded early:
  // the handler finds the header by its ELF magic.
  const base = { align: ARM64_ELFCOREHDR_ALIGN, topDown: true, presetIndex: false };
  if (!hotplugBuilt) return { ...base, memsz: layout.size, elfHeadersSize: layout.size };
  const pnum = arm64HotplugPhdrCount(system, layout.rangeCount);
  if (pnum >= PN_XNUM) {
    return { ...base, memsz: layout.size, elfHeadersSize: layout.size, warning: `number of Phdrs ${pnum} exceeds max` };
  }
  const memsz = EHDR_SIZE + pnum * PHDR_SIZE;
  return { ...base, memsz, elfHeadersSize: memsz };
}

/** The series' arch_crash_get_elfcorehdr_size: unlike x86 it counts the Ehdr and the possible CPUs. */
export function arm64SysfsElfcorehdrSize(system: SystemDescription, hotplugBuilt: boolean): number {
  if (!hotplugBuilt) return 0;
  const c = system.config;
  return EHDR_SIZE + (2 + system.cpus.possible.length + (c.memoryHotplug ? c.crashMaxMemoryRanges : 0)) * PHDR_SIZE;
}
