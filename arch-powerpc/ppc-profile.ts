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
 * - `exact`: the generic guarded exclusion (`crash_exclude_mem_range` with a spare slot made
 *   first): an exact split kept in sorted order; what 7.3 ships (202b5de3ec34).
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
  /**
   * What this release does with a block going offline; undefined where there is no crash hot-plug.
   * `exact` from 7.3: remove_mem_range is gone and the generic guarded exclusion cuts the block
   * ("powerpc/crash: sort crash memory ranges before preparing elfcorehdr" 202b5de3ec34).
   */
  readonly removeMemRangeShipped: RemoveMemRangeVariant | undefined;
  readonly backupPhdr: BackupPhdrBehaviour;
  /** fadump's second kernel builds the elfcorehdr from a FADMPSIG header (6.10). */
  readonly fadumpSecondKernelHeader: boolean;
  /**
   * get_crash_memory_ranges cuts the `crashkernel=…,cma` ranges after crashk_res, each through the
   * guarded exclusion ("powerpc/kdump: Add support for crashkernel CMA reservation" b4a96ab50f36,
   * pulled with powerpc-6.19-1).
   */
  readonly cutsCma: boolean;
}

/**
 * The lowest 6.12.y seen with the split fix on a real machine: 6.12.95 (test/fixtures/real-ppc64le-6.12,
 * which also confirms facts §13.1/§13.2 for 6.12.107). Earlier 6.12.y are taken as without it.
 */
const STABLE_6_12_WITH_SPLIT_FIX = 95;

/**
 * The first stable sublevel of each series carrying 789335cacdf3 ("powerpc/crash: fix backup
 * region offset update to elfcorehdr"; mainline 7.1), from the stable review cycles that carried
 * it ("[ Upstream commit 789335cacdf3 ]"): 7.0.10, 6.18.32, 6.12.91, 6.6.141, 6.1.175, 5.15.209.
 * The release tags themselves were not checked; 6.18's may be .33 (UNSURE, docs/kernel-profiles.md).
 */
export const BACKUP_PHDR_FIX_STABLE: Readonly<Record<string, number>> = {
  '7.0': 10,
  '6.18': 32,
  '6.12': 91,
  '6.6': 141,
  '6.1': 175,
  '5.15': 209,
};

/** Whether a stable series got a fix at `sublevel` and the profile names that sublevel or a later one. */
function stableHas(kernel: KernelProfile, table: Readonly<Record<string, number>>): boolean {
  const first = table[`${kernel.major}.${kernel.minor}`];
  return first !== undefined && kernel.sublevel !== undefined && kernel.sublevel >= first;
}

export function powerpcProfile(kernel: KernelProfile): PowerpcProfile {
  // A profile without a sublevel ("6.12") is the series as released, before any backport.
  const crashHotplug = kernel.atLeast(6, 10);
  // 7afe2383eff0 entered mainline for 6.19 (powerpc-6.19-1) and was backported to 6.18.y and 6.12.y.
  const splitFixed = kernel.atLeast(6, 19) || stableHas(kernel, { '6.12': STABLE_6_12_WITH_SPLIT_FIX });
  // 789335cacdf3 reached mainline with powerpc-7.1-1 (3203a08c1266), and the stable series above.
  const backupFixed = kernel.atLeast(7, 1) || stableHas(kernel, BACKUP_PHDR_FIX_STABLE);
  const removal: RemoveMemRangeVariant = kernel.atLeast(7, 3) ? 'exact' : splitFixed ? 'upstream-fix' : 'defect-6.10';
  return {
    kexecFileCrash: kernel.atLeast(5, 9),
    crashHotplug,
    removeMemRangeShipped: crashHotplug ? removal : undefined,
    backupPhdr: backupFixed ? 'backup-start' : 'stays-zero',
    fadumpSecondKernelHeader: kernel.atLeast(6, 10),
    cutsCma: kernel.atLeast(6, 19),
  };
}
