// What a given kernel release does, in one place. Every behaviour that changed between releases
// is a field here, decided from the version once; nothing else in crashplug compares versions.

import { CrashplugError } from './errors.js';
import type { ExcludeAlgorithm } from './exclude-mem-range.js';

export type HotplugGeneration =
  /** ≤6.5: no crash hot-plug; udev unloads and reloads the image. */
  | 'none'
  /** 6.6–6.9: `update_elfcorehdr`, kexec_load flag 0x4 only. */
  | 'update-elfcorehdr'
  /** 6.10+: `hotplug_support`, flag 0x8 (x86 still takes 0x4). */
  | 'hotplug-support';

export interface KernelProfile {
  /** As given: "6.1", "6.10", … */
  readonly version: string;
  readonly major: number;
  readonly minor: number;
  /** Which CPUs get a PT_NOTE: present (≤6.5) or possible (6.6+). */
  readonly cpuNotes: 'present' | 'possible';
  readonly excludeAlgorithm: ExcludeAlgorithm;
  readonly hotplug: HotplugGeneration;
  /** Version comparison for port-local tables (a port keeps its own per-version facts in one place). */
  atLeast(major: number, minor: number): boolean;
}

/** The newest behaviour crashplug models; the default profile. */
export const NEWEST_KERNEL = '6.18';

export function kernelProfile(version: string, where = 'kernel'): KernelProfile {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(version.trim());
  if (!m) {
    throw new CrashplugError('E_BAD_SYSTEM', `${where}: "${version}" is not a kernel version; write it as "6.1" or "6.10"`);
  }
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const atLeast = (a: number, b: number): boolean => major > a || (major === a && minor >= b);
  if (!atLeast(5, 4)) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${where}: kernel ${version} is older than 5.4, the oldest release crashplug models; use "5.4" or newer`,
    );
  }
  return {
    version: `${major}.${minor}`,
    major,
    minor,
    cpuNotes: atLeast(6, 6) ? 'possible' : 'present',
    excludeAlgorithm: atLeast(6, 8) ? 'current' : 'old',
    hotplug: atLeast(6, 10) ? 'hotplug-support' : atLeast(6, 6) ? 'update-elfcorehdr' : 'none',
    atLeast,
  };
}
