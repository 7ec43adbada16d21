// x86_64 kexec-tools (kexec/arch/i386/crashdump-x86.c, facts §8.3): the crash memory list it reads
// from /proc/iomem, the reservations it cuts out, the low-memory backup region, the kernel-text
// PT_LOAD it finds through /proc/kcore, and the PAGE_OFFSET it infers. Quirks are kept: this is
// what a kexec_load'ed header looks like, not what it ought to look like.

import {
  alignUp,
  CrashplugError,
  hex,
  type IomemResource,
  iomemKernelSections,
  iomemWalk,
  type KernelMap,
  type NamedRange,
  type KexecToolsBackup,
  type KexecToolsRange,
  type KexecToolsRanges,
  type KexecToolsRangeType,
  type KexecToolsSegmentRule,
  type Range,
  type SystemDescription,
} from '../core/port/index.js';

/** kexec-tools' CRASH_MAX_MEMORY_RANGES on x86: it stops reading /proc/iomem there and refuses a split past it. */
export const KEXEC_TOOLS_X86_MAX_RANGES = 32768;

/** x86 load_crashdump_segments: at least 16 KiB; with --hotplug always the kernel's advertised size. */
export const KEXEC_TOOLS_X86_SEGMENT: KexecToolsSegmentRule = {
  source: 'kexec/arch/i386/crashdump-x86.c',
  minMemsz: 16 * 1024,
  hotplug: 'always',
};

/** When no RAM entry lies in the first 640 KiB, kexec-tools backs up [0, 640 KiB) anyway. */
export const KEXEC_TOOLS_X86_DEFAULT_BACKUP: Range = { start: 0n, end: 0x9_ffffn };

/** A backup source must end at or below this; it is compared with the inclusive end, so 0xa0000 itself passes. */
const LOW_640K = 0xa_0000n;
/** The backup segment and the header are placed with 1 KiB alignment (memmap= granularity). */
const SEGMENT_ALIGN = 1024n;
/** kexec-tools rounds the kernel mapping's start down to 1 MiB. */
const KERN_VADDR_ALIGN = 0x10_0000n;
/** With a randomised linear map, kexec-tools takes the lowest /proc/kcore address, masked to 1 GiB. */
const PUD_SIZE = 1n << 30n;
const U64 = (1n << 64n) - 1n;

/** The iomem names kexec-tools keeps, matched whole. */
const IOMEM_TYPES: ReadonlyMap<string, KexecToolsRangeType> = new Map([
  ['System RAM', 'ram'],
  ['ACPI Tables', 'acpi'],
  ['ACPI Non-volatile Storage', 'acpi-nvs'],
  ['Persistent Memory (legacy)', 'pram'],
  ['Persistent Memory', 'pmem'],
  ['reserved', 'reserved'],
  ['Reserved', 'reserved'],
]);

interface Entry {
  start: bigint;
  end: bigint;
  type: KexecToolsRangeType;
}

/**
 * Every iomem line at any depth whose name kexec-tools knows, in file order. A description without
 * an iomem tree only has its RAM, so the list (and the buffer size) then lacks the reserved entries.
 */
function readList(system: SystemDescription): { entries: Entry[]; gart: Range | undefined } {
  const entries: Entry[] = [];
  let gart: Range | undefined;
  if (system.memory.iomem === undefined) {
    for (const r of system.memory.systemRam.slice(0, KEXEC_TOOLS_X86_MAX_RANGES)) entries.push({ start: r.start, end: r.end, type: 'ram' });
    return { entries, gart };
  }
  for (const r of iomemWalk(system.memory.iomem)) {
    if (entries.length >= KEXEC_TOOLS_X86_MAX_RANGES) break;
    if (r.name === 'GART') {
      gart = { start: r.start, end: r.end }; // only the last aperture is remembered
      continue;
    }
    const type = IOMEM_TYPES.get(r.name);
    if (type !== undefined) entries.push({ start: r.start, end: r.end, type });
  }
  return { entries, gart };
}

/**
 * kexec-tools' exclude_region, faithfully: overlap is tested with strict inequalities (a hole that
 * only touches an entry's first or last byte is missed), an entry the hole covers exactly or
 * overhangs is left inverted or empty rather than removed, a split tail is always typed RAM, and
 * only the last split of one call is inserted.
 */
function excludeRegion(list: Entry[], hole: NamedRange): void {
  const { start, end } = hole;
  let tail: Entry | undefined;
  let at = -1;
  for (const [i, r] of list.entries()) {
    if (!(start < r.end && end > r.start)) continue;
    if (start !== r.start && end !== r.end) {
      tail = { start: (end + 1n) & U64, end: r.end, type: 'ram' };
      r.end = (start - 1n) & U64;
      at = i + 1;
    } else if (start !== r.start) {
      r.end = (start - 1n) & U64;
    } else {
      r.start = (end + 1n) & U64;
    }
  }
  if (tail === undefined) return;
  if (list.length >= KEXEC_TOOLS_X86_MAX_RANGES) {
    throw new CrashplugError(
      'E_RANGES_FULL',
      `excluding ${hole.name} [${hex(start)}, ${hex(end)}] splits a range, but kexec-tools' list already holds ` +
        `${list.length} entries (its limit); kexec -p fails with "Number of crash memory ranges excedeed the max limit"`,
    );
  }
  list.splice(at, 0, tail);
}

/** The "Crash kernel" lines in address order (iomem order), as kexec-tools collects them. */
function reservations(system: SystemDescription): NamedRange[] {
  const out: NamedRange[] = [];
  if (system.crashkernel !== undefined) out.push({ name: 'crashkernel', ...system.crashkernel });
  if (system.crashkernelLow !== undefined && system.crashkernelLow.end !== 0n) out.push({ name: 'crashkernelLow', ...system.crashkernelLow });
  if (out.length === 0) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: no crash kernel reservation; kexec -p refuses to load without a "Crash kernel" range — ` +
        'give crashkernel (or a memory.iomem with a "Crash kernel" line)',
    );
  }
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/**
 * The backup segment is the first buffer kexec-tools places for a bzImage crash load, top-down in
 * the highest reservation, its size rounded to 1 KiB and then to a page. A description that gives
 * backupStart wins: any other load order moves it.
 */
function backupOf(system: SystemDescription, list: readonly Entry[], crash: readonly NamedRange[]): KexecToolsBackup {
  const low = list.find((r) => r.type === 'ram' && r.end <= LOW_640K);
  const source: Range = low === undefined ? KEXEC_TOOLS_X86_DEFAULT_BACKUP : { start: low.start, end: low.end };
  const segmentSize = alignUp((source.end - source.start + 1n) & U64, SEGMENT_ALIGN);
  if (system.backupStart !== undefined) return { source, start: system.backupStart, segmentSize, startFrom: 'system' };
  const top = crash[crash.length - 1]!;
  const memsz = alignUp(segmentSize, BigInt(system.pageSize));
  const start = ((top.end + 1n - memsz) / SEGMENT_ALIGN) * SEGMENT_ALIGN;
  if (start < top.start) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: the ${hex(memsz)}-byte backup segment does not fit in the crash reservation ` +
        `[${hex(top.start)}, ${hex(top.end)}]; reserve more crash kernel memory or give backupStart`,
    );
  }
  return { source, start, segmentSize, startFrom: 'derived' };
}

/**
 * The kernel PT_LOAD: the physical start of the "Kernel code" iomem line, and the /proc/kcore
 * text mapping around _stext — its start rounded down to 1 MiB, its length up to a page.
 */
function kernelMapOf(system: SystemDescription): KernelMap {
  const k = system.kernelImage;
  if (k === undefined) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: kernelImage is required on x86_64 (kexec-tools writes a kernel-text PT_LOAD); ` +
        'give kernelImage.text (_text), kernelImage.textPhys and kernelImage.size (_end − _text)',
    );
  }
  const code = system.memory.iomem === undefined ? undefined : iomemKernelSections(system.memory.iomem, system.memory.origin).code;
  const vaddr = (k.text / KERN_VADDR_ALIGN) * KERN_VADDR_ALIGN;
  const size = alignUp(k.text + k.size - vaddr, BigInt(system.pageSize));
  return { vaddr, paddr: code?.start ?? k.textPhys, size };
}

/**
 * PAGE_OFFSET as kexec-tools infers it: the lowest /proc/kcore address (the linear map of the first
 * RAM page) masked to 1 GiB. It equals PAGE_OFFSET unless RAM starts at or above 1 GiB.
 */
function pageOffsetOf(system: SystemDescription): bigint {
  const ram = system.memory.systemRam;
  if (ram.length === 0) {
    throw new CrashplugError('E_BAD_SYSTEM', `${system.memory.origin}: no System RAM found; kexec-tools has nothing to dump`);
  }
  const lowest = ram.reduce((m, r) => (r.start < m ? r.start : m), ram[0]!.start);
  return (((system.pageOffset + lowest) & U64) / PUD_SIZE) * PUD_SIZE;
}

/** The x86_64 kexecToolsRanges hook. */
export function x86KexecToolsRanges(system: SystemDescription): KexecToolsRanges {
  const { entries, gart } = readList(system);
  const crash = reservations(system);
  const excluded: NamedRange[] = [...crash];
  if (gart !== undefined) excluded.push({ name: 'GART', ...gart });
  for (const hole of excluded) excludeRegion(entries, hole);
  const backup = backupOf(system, entries, crash);
  const ranges: KexecToolsRange[] = entries.map((r) => ({
    start: r.start,
    end: r.end,
    type: r.type,
    offset:
      r.type === 'ram' && r.start === backup.source.start && ((r.end - r.start + 1n) & U64) === backup.source.end - backup.source.start + 1n
        ? backup.start
        : r.start,
  }));
  return {
    ranges,
    excluded,
    backup,
    kernelMap: kernelMapOf(system),
    linearMap: { pageOffset: pageOffsetOf(system), physOffset: 0n },
    segment: KEXEC_TOOLS_X86_SEGMENT,
    byteOrder: 'le',
  };
}
