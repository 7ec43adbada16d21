// riscv64 facts that changed between kernel releases, kept in one table (README "Kernel versions").

import type { KernelProfile } from '../core/port/index.js';

export interface RiscvProfile {
  /** kexec_file_load can load a crash kernel ("riscv: kexec: add kexec_file_load() support", 5.19). */
  readonly kexecFileCrash: boolean;
  /**
   * setup_bootmem rounds phys_ram_base down to PMD_SIZE (the fix for 3335068f8721, 6.5 and the
   * 6.4 stable series). Before, the linear map starts exactly at the description's physOffset.
   */
  readonly pmdAlignedRamBase: boolean;
  /**
   * `crashk_low_res` is cut out after crashk_res, with a second spare slot ("riscv: kexec_file:
   * Fix crashk_low_res not exclude bug" 5fc6e7d45373, 7.3; in 6.12.y from 6.12.110 as
   * 25edf6788ab3). Before it, a crashkernel=…,low reservation is dumped like RAM.
   */
  readonly cutsLow: boolean;
  /**
   * The `crashkernel=…,cma` ranges are cut out last, one more slot each ("riscv: kexec_file: Add
   * support for crashkernel CMA reservation" a037fe3c58ed, 7.3).
   */
  readonly cutsCma: boolean;
}

/** The first 6.12.y with the crashk_low_res fix (Linux 6.12.110, stable push of 14 Sep 2026). */
export const RISCV_STABLE_6_12_LOW_FIX = 110;

export function riscvProfile(kernel: KernelProfile): RiscvProfile {
  const stable612 = kernel.major === 6 && kernel.minor === 12 && (kernel.sublevel ?? 0) >= RISCV_STABLE_6_12_LOW_FIX;
  return {
    kexecFileCrash: kernel.atLeast(5, 19),
    pmdAlignedRamBase: kernel.atLeast(6, 5),
    cutsLow: kernel.atLeast(7, 3) || stable612,
    cutsCma: kernel.atLeast(7, 3),
  };
}
