// arm64 kexec-tools (kexec/arch/arm64/crashdump-arm64.c, kexec/mem_regions.c, facts §8.3, §13.9):
// the crash memory list `kexec -p` builds from /proc/iomem for a kexec_load image. Written from the
// source's behaviour, not its text:
//
// - every /proc/iomem line, at any depth, whose name starts with "System RAM" is a RAM entry, in
//   file order; each line starting with "Crash kernel" is a reservation (one or two: low and high);
// - each reservation, in file order, is cut out of the entry that wholly contains it (a reservation
//   no single entry contains is not cut at all); a split appends the tail at the end of the list;
// - the list is then sorted by start;
// - the kernel PT_LOAD: p_vaddr = `_text` from /proc/kallsyms, p_paddr = __pa(_text) (the "Kernel
//   code" start, moved back to _text when that line starts at _stext), p_filesz = the end of
//   "Kernel data" − p_paddr (= _end − _text);
// - p_vaddr of RAM = pa − PHYS_OFFSET + PAGE_OFFSET; no backup region; native byte order;
// - the header segment's memsz is the 1 KiB-rounded buffer, --hotplug or not.
//
// kexec-tools 2.0.25 read `_text` as 0 on a 6.1 kernel and wrote a kernel PT_LOAD with vaddr
// 0xffffffffffffffff and page_offset 0 (facts §13.9); that broken header is not modelled.

import {
  CrashplugError,
  hex,
  type IomemResource,
  iomemKernelSections,
  iomemWalk,
  type KernelMap,
  type KexecToolsRange,
  type KexecToolsRanges,
  type KexecToolsSegmentRule,
  type NamedRange,
  type Range,
  type SystemDescription,
} from '../core/port/index.js';

/** arm64 load_crashdump_segments: memsz = bufsz; it never looks at crash_elfcorehdr_size. */
export const KEXEC_TOOLS_ARM64_SEGMENT: KexecToolsSegmentRule = {
  source: 'kexec/arch/arm64/crashdump-arm64.c',
  minMemsz: 0,
  hotplug: 'never',
};

/** CRASH_MAX_MEMORY_RANGES of kexec/arch/arm64/crashdump-arm64.h. */
export const KEXEC_TOOLS_ARM64_MAX_RANGES = 32768;

interface Entry {
  start: bigint;
  end: bigint;
}

/** System RAM entries and the "Crash kernel" reservations, in /proc/iomem order. */
function readIomem(system: SystemDescription): { ram: Entry[]; crash: NamedRange[] } {
  const ram: Entry[] = [];
  const crash: NamedRange[] = [];
  if (system.memory.iomem === undefined) {
    for (const r of system.memory.systemRam) ram.push({ start: r.start, end: r.end });
    const reservations: NamedRange[] = [];
    if (system.crashkernelLow !== undefined && system.crashkernelLow.end !== 0n) reservations.push({ name: 'crashkernelLow', ...system.crashkernelLow });
    if (system.crashkernel !== undefined) reservations.push({ name: 'crashkernel', ...system.crashkernel });
    crash.push(...reservations.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)));
  } else {
    for (const r of iomemWalk(system.memory.iomem)) {
      if (r.name.startsWith('System RAM')) ram.push({ start: r.start, end: r.end });
      else if (r.name.startsWith('Crash kernel')) crash.push({ name: 'Crash kernel', start: r.start, end: r.end });
    }
  }
  if (crash.length === 0) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: no crash kernel reservation; kexec -p on arm64 refuses to load without a "Crash kernel" line — give crashkernel`,
    );
  }
  if (crash.length > 2) {
    throw new CrashplugError('E_BAD_SYSTEM', `${system.origin}: ${crash.length} "Crash kernel" lines; kexec-tools on arm64 takes at most two (low and high)`);
  }
  return { ram, crash };
}

/** mem_regions_exclude: only an entry that wholly contains the hole is cut; a split's tail goes last. */
function exclude(list: Entry[], hole: Range): void {
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (!(r.start <= hole.start && r.end >= hole.end)) continue;
    if (r.start === hole.start) {
      if (r.end === hole.end) {
        list.splice(i, 1);
        // The entry that slid into slot i is not looked at again (it cannot contain the hole).
      } else {
        r.start = hole.end + 1n;
      }
    } else if (r.end === hole.end) {
      r.end = hole.start - 1n;
    } else {
      if (list.length >= KEXEC_TOOLS_ARM64_MAX_RANGES) {
        throw new CrashplugError(
          'E_RANGES_FULL',
          `excluding [${hex(hole.start)}, ${hex(hole.end)}] needs a ${list.length + 1}th range; kexec-tools holds ${KEXEC_TOOLS_ARM64_MAX_RANGES}`,
        );
      }
      list.push({ start: hole.end + 1n, end: r.end });
      r.end = hole.start - 1n;
      return;
    }
  }
}

/** _text and __pa(_text) from kallsyms and iomem; the size reaches the end of "Kernel data". */
function kernelMapOf(system: SystemDescription): KernelMap {
  const k = system.kernelImage;
  if (k === undefined) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: kernelImage is required on arm64 (kexec-tools writes a kernel PT_LOAD from _text and the "Kernel code"/"Kernel data" lines); ` +
        'give kernelImage.text (_text), kernelImage.textPhys and kernelImage.size (_end − _text)',
    );
  }
  const data = system.memory.iomem === undefined ? undefined : iomemKernelSections(system.memory.iomem, system.memory.origin).data;
  const paddr = k.textPhys;
  const size = data === undefined ? k.size : data.end + 1n - paddr;
  return { vaddr: k.text, paddr, size };
}

/** The arm64 kexecToolsRanges hook. */
export function arm64KexecToolsRanges(system: SystemDescription): KexecToolsRanges {
  const { ram, crash } = readIomem(system);
  for (const hole of crash) exclude(ram, hole);
  ram.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const ranges: KexecToolsRange[] = ram.map((r) => ({ start: r.start, end: r.end, type: 'ram', offset: r.start }));
  return {
    ranges,
    excluded: crash,
    kernelMap: kernelMapOf(system),
    linearMap: { pageOffset: system.pageOffset, physOffset: system.physOffset },
    segment: KEXEC_TOOLS_ARM64_SEGMENT,
    byteOrder: 'le',
  };
}
