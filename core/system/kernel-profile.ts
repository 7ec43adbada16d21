// What a given kernel release does, in one place. Every behaviour that changed between releases
// is a field here, decided from the version once; nothing else in crashplug compares versions.

import { CrashplugError } from '../base/errors.js';
import type { ExcludeAlgorithm } from '../memory/exclude-mem-range.js';

export type HotplugGeneration =
  /** ≤6.5: no crash hot-plug; udev unloads and reloads the image. */
  | 'none'
  /** 6.6–6.9: `update_elfcorehdr`, kexec_load flag 0x4 only. */
  | 'update-elfcorehdr'
  /** 6.10+: `hotplug_support`, flag 0x8 (x86 still takes 0x4). */
  | 'hotplug-support';

export interface KernelProfile {
  /** Normalised from what was given: "6.1", "6.10", or with a stable sublevel "6.12.107". */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  /**
   * The stable sublevel when the version names one ("6.12.107" → 107); undefined otherwise, which
   * means "the series as released" (x.y.0). Core's behaviour never depends on it: it is for ports
   * whose fixes reached a stable series part-way (powerpc's 6.12.y rules).
   */
  readonly sublevel?: number | undefined;
  /** Which CPUs get a PT_NOTE: present (≤6.5) or possible (6.6+). */
  readonly cpuNotes: 'present' | 'possible';
  readonly excludeAlgorithm: ExcludeAlgorithm;
  readonly hotplug: HotplugGeneration;
  /** How the generic crash hot-plug handler and the kexec loaders behave in this release. */
  readonly crashHotplug: CrashHotplugBehaviour;
  /**
   * The kernel parses `crashkernel=…,cma` and keeps up to CRASHKERNEL_CMA_RANGES_MAX (4)
   * `crashk_cma_ranges` ("kdump: add crashkernel cma suffix" 35c18f2933c5, with "kdump: implement
   * reserve_crashkernel_cma" ab475510e042; the non-MM pull of the 6.17 merge window). Which arch
   * cuts them out of its header, and from when, is each port's own fact.
   */
  readonly crashkernelCma: boolean;
  /**
   * Where the kexec files live in sysfs: `flat` (/sys/kernel/kexec_loaded, …, crash_elfcorehdr_size),
   * or `kexec-dir` (/sys/kernel/kexec/…, the old names kept as compatibility symlinks; "kexec: move
   * sysfs entries to /sys/kernel/kexec" cf4340bdd967, 6.19). 6.19 also exports the CMA ranges
   * ("crash: export crashkernel CMA reservation to userspace" aa0145563ce2).
   */
  readonly kexecSysfs: 'flat' | 'kexec-dir';
  /**
   * The generic `crash_prepare_headers()` builds the header from the arch's populate / exclude
   * hooks ("crash: Add crash_prepare_headers() to exclude crash kernel memory" 5beabef0cffa, merged
   * with "Merge tag 'kexec-v7.3-rc1'" ba24659b1dbe, 7.3). The ports that use it read this flag.
   */
  readonly sharedHeaderBuilder: boolean;
  /** Version comparison for port-local tables (a port keeps its own per-version facts in one place). */
  atLeast(major: number, minor: number): boolean;
}

/**
 * Release facts of `crash_handle_hotplug_event` and of kexec segment placement (facts §2.7, §10;
 * the UNSURE points were settled against the kernel and mailing-list history, see
 * docs/hotplug.md "Kernel versions").
 */
export interface CrashHotplugBehaviour {
  /**
   * `__crash_hotplug_lock` serialises the handler and the sysfs check. It came with
   * "Crash: add lock to serialize crash hotplug handling" (e2a8f20dd8e9), a hotfix merged for
   * 6.6-rc4, so every release with crash hot-plug has it.
   */
  readonly mutex: boolean;
  /** What the handler prints (prefix "crash hp: ") when `kexec_trylock()` fails and it drops the event. */
  readonly trylockFailedMessage: string;
  /**
   * The message is skipped while a kexec reboot is in progress ("kexec/crash: no crash update when
   * kexec in progress", queued by akpm after the 6.12 merge window, so 6.13 — UNSURE of the release).
   */
  readonly quietWhileKexecInProgress: boolean;
  /** The arch hook receives the `memory_notify` ("crash: forward memory_notify arg…", 6.10). */
  readonly hookGetsMemoryNotify: boolean;
  /**
   * `locate_mem_hole_top_down` starts at `end − memsz + 1`; before "kexec_file: fix incorrect
   * temp_start value in locate_mem_hole_top_down()" (6.9) it started one byte lower, which after
   * aligning down costs a whole alignment step at the top of the reservation.
   */
  readonly exactTopDownHole: boolean;
}

/**
 * Every release at which some KernelProfile field changes, oldest first. Add a release here with
 * its behaviour; test/kernel-profiles.test.ts checks the list against kernelProfile().
 */
export const KERNEL_BREAKPOINTS: readonly string[] = ['5.4', '6.6', '6.8', '6.9', '6.10', '6.12', '6.13', '6.17', '6.19', '7.3'];

/** The newest behaviour crashplug models; the default profile. */
export const NEWEST_KERNEL = '7.3';

/**
 * The newest release anything loaded models: core's, or a port's own (`ArchIdentity.releases`)
 * when it is newer. The default profile of a description that names none.
 */
export function newestRelease(portReleases: readonly string[] = []): string {
  let best = NEWEST_KERNEL;
  let bestProfile = kernelProfile(best);
  for (const r of portReleases) {
    const p = kernelProfile(r, "a port's release");
    if (!bestProfile.atLeast(p.major, p.minor)) {
      best = `${p.major}.${p.minor}`;
      bestProfile = p;
    }
  }
  return best;
}

export function kernelProfile(version: string, where = 'kernel'): KernelProfile {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(version.trim());
  if (!m) {
    throw new CrashplugError('E_BAD_SYSTEM', `${where}: "${version}" is not a kernel version; write it as "6.1", "6.10" or "6.12.107"`);
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const sublevel = m[3] === undefined ? undefined : Number(m[3]);
  const atLeast = (a: number, b: number): boolean => major > a || (major === a && minor >= b);
  if (!atLeast(5, 4)) {
    throw new CrashplugError('E_BAD_SYSTEM', `${where}: kernel ${version} is older than 5.4, the oldest release crashplug models; use "5.4" or newer`);
  }
  return {
    version: sublevel === undefined ? `${major}.${minor}` : `${major}.${minor}.${sublevel}`,
    major,
    minor,
    sublevel,
    cpuNotes: atLeast(6, 6) ? 'possible' : 'present',
    // "crash_core: fix and simplify the logic of crash_exclude_mem_range()" (6dff31597264) was the
    // tip of mm-nonmm-stable-2024-01-09, merged for 6.8-rc1; its follow-ups (the early `break`,
    // x86's third slot) came in 6.9 and change nothing for the sorted arrays every arch passes.
    excludeAlgorithm: atLeast(6, 8) ? 'current' : 'old',
    hotplug: atLeast(6, 10) ? 'hotplug-support' : atLeast(6, 6) ? 'update-elfcorehdr' : 'none',
    crashHotplug: {
      mutex: atLeast(6, 6),
      // "elfcorehdr" became "kdump image" with Sourabh Jain's crash_hotplug documentation update,
      // merged for 6.12 (UNSURE of the release; the facts give ~6.12 too).
      trylockFailedMessage: atLeast(6, 12) ? 'kexec_trylock() failed, kdump image may be inaccurate' : 'kexec_trylock() failed, elfcorehdr may be inaccurate',
      quietWhileKexecInProgress: atLeast(6, 13),
      hookGetsMemoryNotify: atLeast(6, 10),
      exactTopDownHole: atLeast(6, 9),
    },
    crashkernelCma: atLeast(6, 17),
    kexecSysfs: atLeast(6, 19) ? 'kexec-dir' : 'flat',
    sharedHeaderBuilder: atLeast(7, 3),
    atLeast,
  };
}
