// powerpc facts that changed between kernel releases, decided once from the version (facts §6,
// §7, §10, §13.1, §13.2). Nothing else in the port compares versions. Where a fix reached a stable
// series at an unknown sublevel, the rule below is the one README.md "Kernel versions" documents.

import type { KernelProfile } from '../core/port/index.js';

/**
 * What `remove_mem_range` does with a block cut out of the middle of a crash range (facts §13.1).
 * - `defect-6.10`: the tail's size is taken after the entry was truncated; the appended range is
 *   inverted and its size wraps around 2^64 (849599b702ef, 6.10, until 7afe2383eff0).
 * - `upstream-fix`: the size is taken first, but from an inclusive end, so the appended tail is one
 *   byte too long: `[end + 1, old_end + 1]` (7afe2383eff0; what current kernels write).
 * - `exact`: the split a correct implementation gives, as the proposal to reuse the generic
 *   `crash_exclude_mem_range` would (never shipped in a release).
 */
export type RemoveMemRangeVariant = 'defect-6.10' | 'upstream-fix' | 'exact';

export const REMOVE_MEM_RANGE_VARIANTS: readonly RemoveMemRangeVariant[] = ['defect-6.10', 'upstream-fix', 'exact'];

/**
 * The backup-region PT_LOAD's p_offset (facts §13.2). Before 789335cacdf3 the kexec_file fix-up
 * looked at the first program header on every pass of its loop (a CPU note, never at address 0),
 * so the PT_LOAD kept p_offset 0; the fix set it to backup_start and re-applies it after memory
 * events.
 */
export type BackupPhdrBehaviour = 'stays-zero' | 'backup-start';

export const BACKUP_PHDR_BEHAVIOURS: readonly BackupPhdrBehaviour[] = ['stays-zero', 'backup-start'];

export interface PowerpcProfile {
  /** kexec_file_load can load a crash kernel (file_load_64.c's kdump support, 5.9). */
  readonly kexecFileCrash: boolean;
  /** ARCH_SUPPORTS_CRASH_HOTPLUG on PPC64 (6.10): hotplug_support, the sysfs size, the extra room. */
  readonly crashHotplug: boolean;
  /** What this release's `remove_mem_range` does; undefined where there is no crash hot-plug. */
  readonly removeMemRangeShipped: RemoveMemRangeVariant | undefined;
  readonly backupPhdr: BackupPhdrBehaviour;
  /** fadump's second kernel builds the elfcorehdr from a FADMPSIG header (6.10). */
  readonly fadumpSecondKernelHeader: boolean;
}

/**
 * The lowest 6.12.y seen with both fixes on a real machine: 6.12.95 (test/fixtures/real-ppc64le-6.12,
 * which also confirms facts §13.1/§13.2 for 6.12.107). Earlier 6.12.y are taken as without them.
 */
const STABLE_6_12_WITH_FIXES = 95;

function inSeries(kernel: KernelProfile, major: number, minor: number): boolean {
  return kernel.major === major && kernel.minor === minor;
}

export function powerpcProfile(kernel: KernelProfile): PowerpcProfile {
  // A profile without a sublevel ("6.12") is the series as released, before either backport.
  const sub = kernel.sublevel;
  const fixedStable = inSeries(kernel, 6, 12) && sub !== undefined && sub >= STABLE_6_12_WITH_FIXES;
  const crashHotplug = kernel.atLeast(6, 10);
  // 7afe2383eff0 entered mainline for 6.19 and was backported to 6.18.y and 6.12.y.
  const splitFixed = kernel.atLeast(6, 19) || fixedStable;
  // 789335cacdf3 entered mainline in March 2026, during the 7.0 release candidates.
  const backupFixed = kernel.atLeast(7, 0) || fixedStable;
  return {
    kexecFileCrash: kernel.atLeast(5, 9),
    crashHotplug,
    removeMemRangeShipped: crashHotplug ? (splitFixed ? 'upstream-fix' : 'defect-6.10') : undefined,
    backupPhdr: backupFixed ? 'backup-start' : 'stays-zero',
    fadumpSecondKernelHeader: kernel.atLeast(6, 10),
  };
}
