// Loading a kdump image into the crash reservation, both ways Linux offers. `file` mode is
// kexec_file_load: the kernel builds the elfcorehdr, sizes its segment for hot-plug and, where the
// arch does, records its index before hashing. `load` mode is kexec_load fed by kexec-tools: the
// header as kexec-tools writes it (present CPUs only), its segment sized from
// /sys/kernel/crash_elfcorehdr_size with --hotplug, the arch's hot-plug flag, and an index the
// kernel only finds later by scanning. Flags a kernel does not know fail as -EINVAL does.

import { buildSystemElfcorehdr } from '../build/system-elfcorehdr.js';
import { CrashplugError } from '../base/errors.js';
import { alignUp, hex } from '../base/hex.js';
import { lengthOf, materialize } from '../memory/lazy-tail.js';
import {
  KEXEC_ARCH_MASK,
  KEXEC_CRASH_HOTPLUG_SUPPORT,
  KEXEC_CRASH_HP_NONE,
  KEXEC_FILE_NO_INITRAMFS,
  KEXEC_FILE_ON_CRASH,
  KEXEC_ON_CRASH,
  KEXEC_PRESERVE_CONTEXT,
  KEXEC_UPDATE_ELFCOREHDR,
  type KexecImage,
  type KexecSegment,
  type SegmentKind,
  kexecArchFlag,
} from './image.js';
import { loaderPayloadBytes as payloadBytes, type PayloadKind, type PayloadSizes, REALISTIC_PAYLOAD } from './payload.js';
import { type HoleRequest, kernelLocateMemHole, kexecToolsLocateHole, NO_LIMIT, type Placed } from './placement.js';
import type { KexecState } from './state.js';
import { buildKexecToolsElfcorehdr } from './kexec-tools-builder.js';
import type { KexecToolsRanges } from './kexec-tools-hooks.js';
import { kexecToolsSegmentRuleOf, kexecToolsSegmentSize } from './kexec-tools-segment.js';
import { type ArchPlugin, crashHotplugBuilt } from '../port/plugin.js';
import { loadDigestOf, type StoredDigest, storePurgatoryDigest } from './purgatory.js';
import type { SystemDescription } from '../system/system.js';

export type LoadMode = 'file' | 'load';

export interface LoadOptions {
  readonly mode: LoadMode;
  /** load mode: run kexec-tools with --hotplug (default true). */
  readonly hotplug?: boolean | undefined;
  /** load mode: the kexec_load flags to pass instead of kexec-tools' choice. */
  readonly flags?: number | undefined;
  readonly payload?: PayloadSizes | undefined;
  /**
   * Hash the elfcorehdr into the purgatory digest anyway, as kernels before 6.6 did (and x86 does
   * when its segment size overflows PN_XNUM): any in-place update then breaks the purgatory check.
   */
  readonly digestIncludesElfcorehdr?: boolean | undefined;
}

/** Boot-protocol floors below which the loaders place nothing (MIN_*_ADDR). */
const MIN_PURGATORY_ADDR = 0x3000n;
const MIN_BOOTPARAM_ADDR = 0x3000n;
const MIN_KERNEL_LOAD_ADDR = 0x10_0000n;
const MIN_INITRD_LOAD_ADDR = 0x100_0000n;
/** The setup header's kernel_alignment (CONFIG_PHYSICAL_ALIGN, 2 MiB). */
const KERNEL_ALIGNMENT = 0x20_0000;
const KEXEC_TOOLS_ELF_ALIGN = 1024;

/** The flags kexec_load accepts on this kernel (KEXEC_FLAGS; KEXEC_JUMP assumed built in). */
export function kexecLoadFlagsKnown(system: SystemDescription): number {
  const g = system.kernel.hotplug;
  return KEXEC_ON_CRASH | KEXEC_PRESERVE_CONTEXT | (g !== 'none' ? KEXEC_UPDATE_ELFCOREHDR : 0) | (g === 'hotplug-support' ? KEXEC_CRASH_HOTPLUG_SUPPORT : 0);
}

/** kexec_load_check and the arch test of kexec_load: unknown flag bits or a foreign arch are -EINVAL. */
export function kexecLoadCheck(system: SystemDescription, plugin: ArchPlugin, flags: number): void {
  const known = kexecLoadFlagsKnown(system);
  const nonArch = (flags & ~KEXEC_ARCH_MASK) >>> 0;
  const unknown = (nonArch & ~known) >>> 0;
  if (unknown !== 0) {
    throw new CrashplugError(
      'E_KEXEC_EINVAL',
      `kexec_load flags ${hex(flags >>> 0)}: kernel ${system.kernel.version} does not know bit ${hex(unknown)} ` +
        `(it accepts ${hex(known)}) and fails with -EINVAL; ` +
        (unknown & KEXEC_CRASH_HOTPLUG_SUPPORT ? 'before 6.10 the hot-plug flag is 0x4 (KEXEC_UPDATE_ELFCOREHDR)' : 'drop that flag'),
    );
  }
  const arch = (flags & KEXEC_ARCH_MASK) >>> 0;
  if (arch !== 0 && arch !== kexecArchFlag(plugin.machine)) {
    throw new CrashplugError(
      'E_KEXEC_EINVAL',
      `kexec_load flags ${hex(flags >>> 0)} name arch ${arch >>> 16}, not ${plugin.machine} (${plugin.id}); the kernel fails with -EINVAL`,
    );
  }
}

/**
 * Whether the loaded image gets hot-plug support (facts §2.6): only crash loads, only on a kernel
 * built with crash hot-plug, and then what the arch answers — on 6.6–6.9 the generic rule instead:
 * file mode, or kexec_load with 0x4, on an arch that has crash hot-plug at all.
 */
export function hotplugSupportAtLoad(system: SystemDescription, plugin: ArchPlugin, fileMode: boolean, flags: number): boolean {
  const crash = fileMode ? (flags & KEXEC_FILE_ON_CRASH) !== 0 : (flags & KEXEC_ON_CRASH) !== 0;
  if (!crash || !kernelHasCrashHotplug(system, plugin)) return false;
  if (system.kernel.hotplug === 'update-elfcorehdr') return fileMode || (flags & KEXEC_UPDATE_ELFCOREHDR) !== 0;
  return plugin.supportsHotplug({ fileMode, flags, system });
}

/** CONFIG_CRASH_HOTPLUG is built: core's one answer (crashHotplugBuilt), from the release, the config and the arch. */
export function kernelHasCrashHotplug(system: SystemDescription, plugin: ArchPlugin): boolean {
  return crashHotplugBuilt(system, plugin);
}

function segment(kind: SegmentKind, buf: Uint8Array, mem: bigint, memsz: number): KexecSegment {
  // A synthetic payload's tail may not be allocated yet: its length is what a reader will see.
  const bufsz = lengthOf(buf);
  if (bufsz > memsz) throw new CrashplugError('E_KEXEC_EINVAL', `the ${kind} segment's ${bufsz} bytes exceed its memsz ${memsz} (-EINVAL)`);
  return { kind, buf, bufsz, mem, memsz };
}

function reservationOf(system: SystemDescription) {
  if (system.crashkernel === undefined) {
    throw new CrashplugError('E_BAD_SYSTEM', `${system.origin}: no crashkernel reservation; a kdump image has nowhere to go — give crashkernel`);
  }
  return system.crashkernel;
}

/** The non-header segments, in the order the loaders add them, with their placement requests. */
function payloadRequests(p: PayloadSizes): { kind: PayloadKind; buf: Uint8Array; req: Omit<HoleRequest, 'topDown'> }[] {
  const kernel = payloadBytes('kernel', p.kernel);
  return [
    {
      kind: 'purgatory',
      buf: payloadBytes('purgatory', p.purgatory),
      req: { bufsz: p.purgatory, memsz: p.purgatory, align: 4096, min: MIN_PURGATORY_ADDR, max: NO_LIMIT, what: 'purgatory' },
    },
    {
      kind: 'boot-params',
      buf: payloadBytes('boot-params', p.bootParams),
      req: { bufsz: p.bootParams, memsz: p.bootParams, align: 16, min: MIN_BOOTPARAM_ADDR, max: NO_LIMIT, what: 'boot parameters' },
    },
    {
      kind: 'kernel',
      buf: kernel,
      req: {
        bufsz: p.kernel,
        memsz: Math.max(p.kernel, p.kernelInitSize ?? 0),
        align: KERNEL_ALIGNMENT,
        min: MIN_KERNEL_LOAD_ADDR,
        max: NO_LIMIT,
        what: 'kernel',
      },
    },
    {
      kind: 'initrd',
      buf: payloadBytes('initrd', p.initrd),
      req: { bufsz: p.initrd, memsz: p.initrd, align: 4096, min: MIN_INITRD_LOAD_ADDR, max: NO_LIMIT, what: 'initrd' },
    },
  ];
}

/** The buffers of this load's synthetic segments: made by payloadBytes for it alone. */
function payloadBuffers(segments: readonly KexecSegment[]): Set<Uint8Array> {
  return new Set(segments.filter((s) => PAYLOAD_KINDS.has(s.kind)).map((s) => s.buf));
}
const PAYLOAD_KINDS: ReadonlySet<SegmentKind> = new Set<SegmentKind>(['kernel', 'initrd', 'boot-params', 'purgatory', 'backup']);

/**
 * Copy the segments into the crash region. A synthetic payload made for this load (`own`) whose
 * buffer is exactly memsz bytes becomes the region's memory itself: nothing else holds it, and
 * nothing reads a segment's buf after the load, so the image is held once rather than twice.
 */
function install(kexec: KexecState, image: KexecImage, stored: StoredDigest, own: ReadonlySet<Uint8Array> = new Set()): void {
  kexec.memory.clear();
  for (const s of image.segments) {
    if (own.has(s.buf) && lengthOf(s.buf) === s.memsz && s.bufsz === s.memsz) kexec.memory.adopt(s.mem, s.buf);
    else kexec.memory.allocate(s.mem, s.memsz).set(materialize(s.buf).subarray(0, s.bufsz));
  }
  // Memory now holds exactly the bytes just hashed (bufsz bytes, then zeros): marked here, the
  // crash-time check may reuse the digest for as long as nothing writes to them.
  image.loadDigest = loadDigestOf(stored, kexec.memory);
  kexec.loaded = image;
  kexec.crashImage = image;
}

/** kexec_file_load(…, KEXEC_FILE_ON_CRASH): the kernel does everything. */
function fileLoad(kexec: KexecState, system: SystemDescription, plugin: ArchPlugin, o: LoadOptions): KexecImage {
  const reservation = reservationOf(system);
  const payload = o.payload ?? REALISTIC_PAYLOAD;
  const flags = KEXEC_FILE_ON_CRASH | (payload.initrd === 0 ? KEXEC_FILE_NO_INITRAMFS : 0);
  const page = system.pageSize;
  const exact = system.kernel.crashHotplug.exactTopDownHole;
  const segments: KexecSegment[] = [];
  const built = buildSystemElfcorehdr(system, plugin);
  const spec = plugin.elfcorehdrSegment(system, built.layout);
  if (spec.warning !== undefined) kexec.log.printk('err', `crash: ${spec.warning}`);
  let elfcorehdrIndex = -1;
  const hdr = kernelLocateMemHole(
    reservation,
    segments,
    { bufsz: built.layout.size, memsz: spec.memsz, align: spec.align, min: 0n, max: NO_LIMIT, topDown: spec.topDown, what: 'elfcorehdr' },
    page,
    exact,
  );
  if (spec.presetIndex) elfcorehdrIndex = segments.length;
  segments.push(segment('elfcorehdr', built.bytes, hdr.mem, hdr.memsz));
  let purgatoryIndex = -1;
  for (const { kind, buf, req } of payloadRequests(payload)) {
    if (kind === 'initrd' && payload.initrd === 0) continue;
    const at = kernelLocateMemHole(reservation, segments, { ...req, topDown: true }, page, exact);
    if (kind === 'purgatory') purgatoryIndex = segments.length;
    segments.push(segment(kind, buf, at.mem, at.memsz));
  }
  // The arch's own segments come last, as powerpc's loader adds the device tree after the rest.
  const undigested = new Set<number>();
  for (const extra of plugin.kexecFileSegments(system)) {
    const req = { bufsz: extra.buf.length, memsz: extra.memsz, align: extra.align, min: 0n, max: NO_LIMIT, topDown: extra.topDown, what: extra.kind };
    const at = kernelLocateMemHole(reservation, segments, req, page, exact);
    if (extra.excludeFromDigest) undigested.add(segments.length);
    segments.push(segment(extra.kind, extra.buf, at.mem, at.memsz));
  }
  const image: KexecImage = {
    fileMode: true,
    flags,
    segments,
    purgatoryIndex,
    hotplugSupport: hotplugSupportAtLoad(system, plugin, true, flags),
    elfcorehdrIndex,
    elfcorehdrUpdated: false,
    hpAction: KEXEC_CRASH_HP_NONE,
  };
  const skipHeader = system.config.crashHotplug && !o.digestIncludesElfcorehdr;
  const stored = storePurgatoryDigest(segments, purgatoryIndex, (i) => !(skipHeader && i === image.elfcorehdrIndex) && !undigested.has(i));
  install(kexec, image, stored, payloadBuffers(segments));
  return image;
}

/** The size kexec-tools reads from /sys/kernel/crash_elfcorehdr_size, or why it dies. */
function elfcorehdrSysfsSize(system: SystemDescription, plugin: ArchPlugin): number {
  const size = kernelHasCrashHotplug(system, plugin) ? plugin.sysfsElfcorehdrSize(system) : 0;
  if (size <= 0) {
    throw new CrashplugError(
      'E_UNSUPPORTED',
      `kexec --hotplug: Path /sys/kernel/crash_elfcorehdr_size does not exist, the kernel needs CONFIG_CRASH_HOTPLUG ` +
        `(kernel ${system.kernel.version}${system.config.crashHotplug ? '' : ', crashHotplug off'}); load without --hotplug`,
    );
  }
  return size;
}

/**
 * The header segment's memsz as the arch's load_crashdump_segments asks for it: by the rule the port
 * reports with its kexec-tools ranges (x86: at least 16 KiB; --hotplug always the sysfs size), else
 * the generic one — the header's own size, or the sysfs size rounded to 1 KiB with --hotplug.
 */
function kexecToolsHeaderMemsz(system: SystemDescription, plugin: ArchPlugin, ranges: KexecToolsRanges, bufsz: number, hotplug: boolean): bigint {
  const rule = kexecToolsSegmentRuleOf(ranges);
  if (!hotplug) return BigInt(rule === undefined ? bufsz : kexecToolsSegmentSize(rule, bufsz, 0, system.pageSize).memsz);
  const sysfs = elfcorehdrSysfsSize(system, plugin);
  if (rule === undefined) return alignUp(BigInt(sysfs), BigInt(KEXEC_TOOLS_ELF_ALIGN));
  const sized = kexecToolsSegmentSize(rule, bufsz, sysfs, system.pageSize).hotplug;
  return BigInt(sized.kind === 'sized' ? sized.memsz : bufsz);
}

/** kexec-tools building the image, then kexec_load(…, KEXEC_ON_CRASH | flag | arch). */
function kexecToolsLoad(kexec: KexecState, system: SystemDescription, plugin: ArchPlugin, o: LoadOptions): KexecImage {
  const reservation = reservationOf(system);
  const payload = o.payload ?? REALISTIC_PAYLOAD;
  const hotplug = o.hotplug ?? true;
  const page = system.pageSize;
  const kt = buildKexecToolsElfcorehdr(system, plugin);
  const memsz = kexecToolsHeaderMemsz(system, plugin, kt.ranges, kt.size, hotplug);
  const flags = o.flags ?? (KEXEC_ON_CRASH | (hotplug ? plugin.kexecToolsHotplugFlag(system) : 0) | kexecArchFlag(plugin.machine)) >>> 0;
  const segments: KexecSegment[] = [];
  const sorted = (): Placed[] => [...segments].sort((a, b) => (a.mem < b.mem ? -1 : a.mem > b.mem ? 1 : 0));
  const backup = kt.ranges.backup;
  if (backup !== undefined) {
    const size = Number(backup.segmentSize);
    segments.push(segment('backup', payloadBytes('backup', size), backup.start, Number(alignUp(BigInt(size), BigInt(page)))));
  }
  const hdr = kexecToolsLocateHole(
    reservation,
    sorted(),
    { bufsz: kt.size, memsz: Number(memsz), align: KEXEC_TOOLS_ELF_ALIGN, min: 0n, max: NO_LIMIT, topDown: true, what: 'elfcorehdr' },
    page,
  );
  segments.push(segment('elfcorehdr', kt.bytes, hdr.mem, hdr.memsz));
  for (const { kind, buf, req } of payloadRequests(payload)) {
    if (kind === 'initrd' && payload.initrd === 0) continue;
    const at = kexecToolsLocateHole(reservation, sorted(), { ...req, topDown: true }, page);
    segments.push(segment(kind, buf, at.mem, at.memsz));
  }
  segments.sort((a, b) => (a.mem < b.mem ? -1 : a.mem > b.mem ? 1 : 0));
  const purgatoryIndex = segments.findIndex((s) => s.kind === 'purgatory');
  // update_purgatory: never the purgatory; with --hotplug, not the header either (x86's arch_do_exclude_segment).
  const headerAt = hdr.mem;
  const stored = storePurgatoryDigest(segments, purgatoryIndex, (i) => !(hotplug && !o.digestIncludesElfcorehdr && segments[i]!.mem === headerAt));
  kexecLoadCheck(system, plugin, flags);
  const image: KexecImage = {
    fileMode: false,
    flags,
    segments,
    purgatoryIndex,
    hotplugSupport: hotplugSupportAtLoad(system, plugin, false, flags),
    elfcorehdrIndex: -1,
    elfcorehdrUpdated: false,
    hpAction: KEXEC_CRASH_HP_NONE,
  };
  install(kexec, image, stored, payloadBuffers(segments));
  return image;
}

/** Load a crash image; the kexec lock is held throughout, as the syscalls hold it. */
export function kexecLoad(kexec: KexecState, system: SystemDescription, plugin: ArchPlugin, options: LoadOptions): KexecImage {
  if (!kexec.lock.trylockUncontended()) throw new Error('kexec load while the kexec lock is held');
  try {
    return options.mode === 'file' ? fileLoad(kexec, system, plugin, options) : kexecToolsLoad(kexec, system, plugin, options);
  } finally {
    kexec.lock.unlock();
  }
}

/** kexec -p -u: the crash image is gone until the next load. */
export function kexecUnload(kexec: KexecState): void {
  kexec.crashImage = null;
  kexec.loaded = undefined;
  kexec.memory.clear();
}
