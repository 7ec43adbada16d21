// What userspace reads about kexec and crash hot-plug (facts §2.8): /sys/devices/system/{cpu,memory}/crash_hotplug
// — "1" when the kernel will update the loaded image itself, which is what udev's rule tests to skip
// its reload — and the kexec files of /sys/kernel. Up to 6.18 those sit in /sys/kernel itself
// (kexec_loaded, kexec_crash_loaded, kexec_crash_size, crash_elfcorehdr_size). From 6.19 they live in
// /sys/kernel/kexec/ (loaded, crash_loaded, crash_size, crash_cma_ranges, crash_elfcorehdr_size;
// "kexec: move sysfs entries to /sys/kernel/kexec" cf4340bdd967) and the old names are symlinks to
// them, made by compat_only_sysfs_link_entry_to_kobj and documented obsolete ("removed after 2028").
// crash_cma_ranges is new in 6.19 ("crash: export crashkernel CMA reservation to userspace"
// aa0145563ce2): one "%08llx-%08llx\n" line per CMA range, inclusive end, empty without any.
// Files a kernel without CONFIG_CRASH_HOTPLUG lacks are left out.

import { CrashplugError } from '../base/errors.js';
import type { Range } from '../memory/range.js';
import { kernelHasCrashHotplug } from './loader.js';
import type { KexecState } from './state.js';
import type { ArchPlugin } from '../port/plugin.js';
import type { KernelProfile } from '../system/kernel-profile.js';
import type { SystemDescription } from '../system/system.js';

export const CPU_CRASH_HOTPLUG = '/sys/devices/system/cpu/crash_hotplug';
export const MEMORY_CRASH_HOTPLUG = '/sys/devices/system/memory/crash_hotplug';
/** The old (≤6.18) path, a compatibility symlink from 6.19. */
export const CRASH_ELFCOREHDR_SIZE = '/sys/kernel/crash_elfcorehdr_size';
/** The kobject "kexec" under kernel_kobj (6.19+). */
export const KEXEC_SYSFS_DIR = '/sys/kernel/kexec';

/** The files of /sys/kernel/kexec/ (6.19+), each with its name in /sys/kernel before the move. */
export const KEXEC_SYSFS_FILES = {
  loaded: 'kexec_loaded',
  crash_loaded: 'kexec_crash_loaded',
  crash_size: 'kexec_crash_size',
  crash_cma_ranges: 'kexec_crash_cma_ranges',
  crash_elfcorehdr_size: 'crash_elfcorehdr_size',
} as const;

export type KexecSysfsFile = keyof typeof KEXEC_SYSFS_FILES;

/**
 * Where one kexec file is in this release: `path` (the file itself), and from 6.19 `compat`, the old
 * name as a symlink to it. Undefined for a file the release does not have (crash_cma_ranges ≤6.18).
 */
export function kexecSysfsPath(kernel: KernelProfile, file: KexecSysfsFile): { readonly path: string; readonly compat?: string } | undefined {
  const old = `/sys/kernel/${KEXEC_SYSFS_FILES[file]}`;
  if (kernel.kexecSysfs === 'kexec-dir') return { path: `${KEXEC_SYSFS_DIR}/${file}`, compat: old };
  return file === 'crash_cma_ranges' ? undefined : { path: old };
}

/** The text of crash_cma_ranges: "%08llx-%08llx\n" per range (lower-case, no 0x, end inclusive). */
export function crashCmaRangesText(ranges: readonly Range[]): string {
  return ranges.map((r) => `${r.start.toString(16).padStart(8, '0')}-${r.end.toString(16).padStart(8, '0')}\n`).join('');
}

/**
 * Reads crash_cma_ranges back: one "start-end" line of hex per range, inclusive end; an empty
 * file means no CMA reservation. A malformed line is refused with E_BAD_SYSTEM naming it.
 */
export function parseCrashCmaRanges(text: string, where: string): Range[] {
  const out: Range[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([0-9a-fA-F]{1,16})-([0-9a-fA-F]{1,16})$/.exec(line.trim());
    const start = m === null ? undefined : BigInt(`0x${m[1]}`);
    const end = m === null ? undefined : BigInt(`0x${m[2]}`);
    if (start === undefined || end === undefined || end < start) {
      throw new CrashplugError(
        'E_BAD_SYSTEM',
        `${where}:${i + 1}: ${JSON.stringify(line)} is not a CMA range; the kernel writes "start-end" in hex with an inclusive end, e.g. "100000000-10c7fffff"`,
      );
    }
    out.push({ start, end });
  });
  return out;
}

/**
 * crash_check_hotplug_support(): 0 when the kexec lock is busy (with the handler's message), else
 * the loaded image's hot-plug support, 0 with nothing loaded.
 */
export function crashCheckHotplugSupport(kexec: KexecState, system: SystemDescription): number {
  const profile = system.kernel.crashHotplug;
  if (kexec.kexecInProgress || kexec.lock.held) {
    if (!(profile.quietWhileKexecInProgress && kexec.kexecInProgress)) kexec.log.printk('info', `crash hp: ${profile.trylockFailedMessage}`);
    return 0;
  }
  const image = kexec.crashImage;
  return image !== null && image.hotplugSupport ? 1 : 0;
}

/** Both names of one file where the release has a compatibility link, else the one. */
function named(kernel: KernelProfile, file: KexecSysfsFile, content: string): Record<string, string> {
  const at = kexecSysfsPath(kernel, file);
  if (at === undefined) return {};
  return at.compat === undefined ? { [at.path]: content } : { [at.path]: content, [at.compat]: content };
}

/**
 * The crash hot-plug files as `cat` shows them, keyed by path; absent files are left out. From
 * 6.19 crash_elfcorehdr_size appears under both its new path and the old one (a symlink).
 */
export function crashSysfs(kexec: KexecState, system: SystemDescription, plugin: ArchPlugin): Record<string, string> {
  if (!kernelHasCrashHotplug(system, plugin)) return {};
  const hp = `${crashCheckHotplugSupport(kexec, system)}\n`;
  return {
    [CPU_CRASH_HOTPLUG]: hp,
    [MEMORY_CRASH_HOTPLUG]: hp,
    ...named(system.kernel, 'crash_elfcorehdr_size', `${plugin.sysfsElfcorehdrSize(system)}\n`),
  };
}

/** crash_resource_size(): 0 for a resource whose end is 0 (not reserved), else its size. */
function reservedSize(r: Range | undefined): bigint {
  return r === undefined || r.end === 0n ? 0n : r.end - r.start + 1n;
}

/**
 * Every kexec file of /sys/kernel this release has, as `cat` shows it, keyed by path (the
 * compatibility links of 6.19+ included, reading the same). `loaded` is 0: crashplug models no
 * kexec (non-crash) image. `crash_size` is crash_get_memory_size(): crashk_res plus crashk_low_res.
 */
export function kexecSysfs(kexec: KexecState, system: SystemDescription, plugin: ArchPlugin): Record<string, string> {
  const k = system.kernel;
  const size = reservedSize(system.crashkernel) + reservedSize(system.crashkernelLow);
  const out: Record<string, string> = {
    ...named(k, 'loaded', '0\n'),
    ...named(k, 'crash_loaded', `${kexec.crashImage === null ? 0 : 1}\n`),
    ...named(k, 'crash_size', `${size}\n`),
    ...named(k, 'crash_cma_ranges', crashCmaRangesText(system.crashkernelCma ?? [])),
  };
  if (kernelHasCrashHotplug(system, plugin)) Object.assign(out, named(k, 'crash_elfcorehdr_size', `${plugin.sysfsElfcorehdrSize(system)}\n`));
  return out;
}

/** The compatibility symlinks of this release: old path → the file it points at (none before 6.19). */
export function kexecSysfsLinks(system: SystemDescription, plugin: ArchPlugin): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of Object.keys(KEXEC_SYSFS_FILES) as KexecSysfsFile[]) {
    if (file === 'crash_elfcorehdr_size' && !kernelHasCrashHotplug(system, plugin)) continue;
    const at = kexecSysfsPath(system.kernel, file);
    if (at?.compat !== undefined) out[at.compat] = at.path;
  }
  return out;
}
