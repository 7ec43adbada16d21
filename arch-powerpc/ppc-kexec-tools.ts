// ppc64 kexec-tools (kexec/arch/ppc64/crashdump-ppc64.c, facts §8.2, §8.3, §13.9): the crash memory
// list `kexec -p` builds from /proc/device-tree for a kexec_load image. Written from the source's
// behaviour, not its text:
//
// - the list starts with the backup region [0, 64 KiB) as its own RAM entry; its PT_LOAD's p_offset
//   is the backup copy (backup_start) that purgatory fills at crash time;
// - then the root directory of /proc/device-tree is read in readdir order — kernfs order, by name
//   hash — and every `memory`/`memory@…` node (unless its compatible says coherent device memory)
//   gives the first (base, size) pair of its `reg` as two big-endian u64s, whatever the cells say;
//   `/ibm,dynamic-reconfiguration-memory` gives its assigned, unreserved LMBs, consecutive ones
//   joined into one range;
// - a range starting at 0 and reaching past 64 KiB starts at 64 KiB instead (the backup covers it);
// - the crash reservation is cut out of each range as it is read (one reservation, no crashkernel
//   low on ppc64);
// - RTAS, then OPAL, are added **only** where they overlap the crash reservation, clipped to it, the
//   end rounded up to a page (getpagesize) — appended after all RAM, so out of address order;
// - the list holds exclusive ends until load_crashdump_segments subtracts 1 from every one;
// - no kernel PT_LOAD; p_vaddr = PAGE_OFFSET (0xc000000000000000) + pa; native byte order with a
//   matching EI_DATA (ppc64: MSB, ppc64le: LSB);
// - the header segment's memsz is the 1 KiB-rounded buffer, or with --hotplug the sysfs size rounded
//   to 1 KiB when that is larger (2.0.29, b8408c9).

import {
  alignUp,
  type ByteOrder,
  CrashplugError,
  type Fdt,
  type FdtNode,
  fdtProperty,
  fdtRootChildren,
  hex,
  type KexecToolsBackup,
  type KexecToolsRange,
  type KexecToolsRanges,
  type KexecToolsSegmentRule,
  lmbIsAssigned,
  readDrconfMemory,
  readNumber,
  type SystemDescription,
} from '../core/port/index.js';
import { opalRegion, rtasRegion } from './ppc-firmware.js';
import { deviceTreeOf, type PowerpcOptions } from './ppc-options.js';

/** kexec-tools' PAGE_OFFSET for ppc64 (kexec/arch/ppc64/crashdump-ppc64.h). */
export const KEXEC_TOOLS_PPC64_PAGE_OFFSET = 0xc000_0000_0000_0000n;
/** The backup source: the first 64 KiB (BACKUP_SRC_START..BACKUP_SRC_END). */
export const KEXEC_TOOLS_PPC64_BACKUP: { readonly start: bigint; readonly end: bigint } = { start: 0n, end: 0xffffn };
const BACKUP_SIZE = 0x1_0000n;
/** The backup segment and the header are added with 1 KiB alignment. */
const SEGMENT_ALIGN = 1024n;

/** ppc64 load_crashdump_segments: just the buffer; --hotplug takes the sysfs size only when larger. */
export const KEXEC_TOOLS_PPC64_SEGMENT: KexecToolsSegmentRule = {
  source: 'kexec/arch/ppc64/crashdump-ppc64.c',
  minMemsz: 0,
  hotplug: 'when-larger',
};

const U64 = (1n << 64n) - 1n;
const GOLDEN_RATIO_64 = 0x61c8_8646_80b5_83ebn;
const DRCONF_NAME = 'ibm,dynamic-reconfiguration-memory';
const COHERENT_DEVICE_MEMORY = 'ibm,coherent-device-memory';

/**
 * The position kernfs gives a name in its directory (fs/kernfs/dir.c kernfs_name_hash, with the
 * 64-bit string hash of include/linux/stringhash.h and hash_64): readdir walks a directory in
 * ascending (hash, name) order, so this is the order kexec-tools meets the device-tree nodes in.
 */
export function kernfsNameHash(name: string): number {
  let h = 0n;
  for (const c of new TextEncoder().encode(name)) {
    const b = BigInt(c);
    h = ((h + (b << 4n) + (b >> 4n)) * 11n) & U64;
  }
  let hash = Number((((h * GOLDEN_RATIO_64) & U64) >> 32n) & 0x7fff_ffffn);
  if (hash < 2) hash += 2;
  if (hash >= 0x7fff_ffff) hash = 0x7fff_fffe;
  return hash;
}

function readdirOrder(a: string, b: string): number {
  const ha = kernfsNameHash(a);
  const hb = kernfsNameHash(b);
  if (ha !== hb) return ha - hb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A range with an exclusive end, as kexec-tools keeps it until the header is made. */
interface Span {
  start: bigint;
  end: bigint;
}

/** The crash reservation kexec-tools reads from /chosen (linux,crashkernel-base and -size). */
function crashRegion(system: SystemDescription): Span {
  const ck = system.crashkernel;
  if (ck === undefined) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: no crash kernel reservation; kexec -p on ppc64 refuses to load without /chosen/linux,crashkernel-base — ` +
        'give crashkernel (or a memory.iomem with a "Crash kernel" line)',
    );
  }
  return { start: ck.start, end: ck.end + 1n };
}

/** One range read from the tree: the backup adjustment, then the reservation cut out of it. */
function addRange(list: Span[], start: bigint, end: bigint, crash: Span): void {
  if (start === 0n && end >= BACKUP_SIZE) start = BACKUP_SIZE;
  if (!(crash.start < end && crash.end > start)) {
    list.push({ start, end });
    return;
  }
  if (start < crash.start) list.push({ start, end: crash.start });
  if (end > crash.end) list.push({ start: crash.end, end });
}

function isCoherentDeviceMemory(node: FdtNode): boolean {
  const compatible = fdtProperty(node, 'compatible');
  if (compatible === undefined) return false;
  return new TextDecoder('latin1').decode(compatible.value.subarray(0, COHERENT_DEVICE_MEMORY.length)) === COHERENT_DEVICE_MEMORY;
}

/** Assigned, unreserved LMBs; a run that starts where the previous one ended extends it. */
function drconfRanges(fdt: Fdt, list: Span[], crash: Span): void {
  const drconf = readDrconfMemory(fdt);
  if (drconf === undefined) return;
  let from = 0n;
  let to = 0n;
  for (const run of drconf.runs) {
    let start = run.base;
    const end = (run.base + run.count * drconf.lmbSize) & U64;
    if (start === 0n && end >= BACKUP_SIZE) start = BACKUP_SIZE;
    if (!lmbIsAssigned(run.flags)) continue;
    if (start !== to) {
      if (from !== to) addRange(list, from, to, crash);
      from = start;
    }
    to = end;
  }
  if (from !== to) addRange(list, from, to, crash);
}

function treeRanges(system: SystemDescription, fdt: Fdt, list: Span[], crash: Span): void {
  const children = fdtRootChildren(fdt).sort((a, b) => readdirOrder(a.node.name, b.node.name));
  for (const ref of children) {
    const name = ref.node.name;
    if (name === DRCONF_NAME) {
      drconfRanges(fdt, list, crash);
      continue;
    }
    if (name !== 'memory' && !name.startsWith('memory@')) continue;
    if (isCoherentDeviceMemory(ref.node)) continue;
    const reg = fdtProperty(ref.node, 'reg');
    if (reg === undefined) continue;
    if (reg.value.length < 16) {
      throw new CrashplugError(
        'E_BAD_FDT',
        `${fdt.origin}: ${ref.path}/reg is ${reg.value.length} bytes; kexec-tools reads a 64-bit base and a 64-bit size from it — ` +
          `give the node #address-cells = #size-cells = 2 values (${system.origin})`,
      );
    }
    const start = readNumber(reg.value, 0, 2);
    addRange(list, start, (start + readNumber(reg.value, 8, 2)) & U64, crash);
  }
}

/** RTAS or OPAL, clipped to the reservation and page-rounded, when it overlaps it at all. */
function firmwareInCrash(base: bigint, size: bigint, crash: Span, page: bigint): Span | undefined {
  if (!(crash.start < base + size && base < crash.end)) return undefined;
  const start = base < crash.start ? crash.start : base;
  const end = base + size > crash.end ? crash.end : base + size;
  return { start, end: alignUp(end, page) };
}

/** The ppc64/ppc64le kexecToolsRanges hook. `byteOrder` is the port's native order. */
export function ppcKexecToolsRanges(system: SystemDescription, options: PowerpcOptions, byteOrder: ByteOrder): KexecToolsRanges {
  const crash = crashRegion(system);
  const list: Span[] = [{ start: KEXEC_TOOLS_PPC64_BACKUP.start, end: KEXEC_TOOLS_PPC64_BACKUP.end + 1n }];
  const fdt = deviceTreeOf(system, options);
  if (fdt !== undefined) {
    treeRanges(system, fdt, list, crash);
  } else {
    // Without a tree, each RAM range stands for a memory node's reg, in the description's order.
    for (const r of system.memory.systemRam) addRange(list, r.start, r.end + 1n, crash);
  }
  const page = BigInt(system.pageSize);
  const ramEntries = list.length;
  for (const r of [...rtasRegion(system, options), ...opalRegion(system, options)]) {
    const span = firmwareInCrash(r.base, r.size, crash, page);
    if (span !== undefined) list.push(span);
  }

  const backupStart = system.backupStart ?? system.crashkernel!.start;
  const backup: KexecToolsBackup = {
    source: KEXEC_TOOLS_PPC64_BACKUP,
    start: backupStart,
    segmentSize: alignUp(BACKUP_SIZE, SEGMENT_ALIGN),
    startFrom: system.backupStart === undefined ? 'derived' : 'system',
  };
  const ranges: KexecToolsRange[] = list.map((s) => {
    const end = (s.end - 1n) & U64;
    const isBackup = s.start === backup.source.start && ((end - s.start + 1n) & U64) === BACKUP_SIZE;
    return { start: s.start, end, type: 'ram', offset: isBackup ? backup.start : s.start };
  });
  if (ramEntries <= 1) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: kexec-tools would find no memory outside the crash reservation ${hex(crash.start)}–${hex(crash.end - 1n)} ` +
        "(no memory node, no assigned LMB); give the machine's device tree (memory.dtb) or its RAM ranges",
    );
  }
  return {
    ranges,
    excluded: [{ name: 'crashkernel', start: crash.start, end: crash.end - 1n }],
    backup,
    linearMap: { pageOffset: KEXEC_TOOLS_PPC64_PAGE_OFFSET, physOffset: 0n },
    segment: KEXEC_TOOLS_PPC64_SEGMENT,
    byteOrder,
  };
}
