// arm64 facts that changed between kernel releases, kept in one table (docs/kernel-profiles.md).

import type { KernelProfile } from '../core/port/index.js';

export interface Arm64Profile {
  /**
   * The `crashkernel=…,cma` ranges are cut out after crashk_res and crashk_low_res, and
   * arch_get_system_nr_ranges() counts one slot for each ("arm64: kexec_file: Add support for
   * crashkernel CMA reservation" c12c63d05dfe, 7.3).
   */
  readonly cutsCma: boolean;
}

export function arm64Profile(kernel: KernelProfile): Arm64Profile {
  return { cutsCma: kernel.atLeast(7, 3) };
}
