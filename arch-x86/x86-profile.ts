// x86_64 facts that changed between kernel releases, kept in one table (facts §4.1, §10).

import type { KernelProfile } from '../core/port/index.js';

export interface X86Profile {
  /**
   * Extra crash_mem slots beyond the System RAM count: +2 until "x86/crash: fix potential
   * cmem->ranges array overflow" (6.9), +3 after; from 6.17 also one per CMA range
   * (`nr_ranges += 3 + crashk_cma_cnt`). Use `x86ExtraSlots` for the count of a machine.
   */
  readonly extraSlots: number;
  /**
   * The `crashkernel=…,cma` ranges are cut out after crashk_res and crashk_low_res ("x86: implement
   * crashkernel cma reservation", Jiri Bohac's series, 6.17).
   */
  readonly cutsCma: boolean;
  /**
   * Where the low 1 MiB is cut: `first` (elf_header_exclude_ranges, before the reservations) or
   * `last` (the arch_crash_exclude_ranges hook that crash_prepare_headers() calls after the
   * reservations: "x86/crash: Use crash_prepare_headers() helper to simplify code" a8f09f2a7485,
   * 7.3). The bytes are the same either way (x86-facts test "the low 1 MiB cut last").
   */
  readonly lowMiB: 'first' | 'last';
}

export function x86Profile(kernel: KernelProfile): X86Profile {
  return {
    extraSlots: kernel.atLeast(6, 9) ? 3 : 2,
    cutsCma: kernel.crashkernelCma,
    lowMiB: kernel.sharedHeaderBuilder ? 'last' : 'first',
  };
}
