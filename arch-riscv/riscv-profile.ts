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
}

export function riscvProfile(kernel: KernelProfile): RiscvProfile {
  return {
    kexecFileCrash: kernel.atLeast(5, 19),
    pmdAlignedRamBase: kernel.atLeast(6, 5),
  };
}
