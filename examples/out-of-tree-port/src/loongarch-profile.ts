// loongarch64 facts that changed between kernel releases, decided once from the description's
// kernel (README "Since when"). Nothing else in the port compares versions.

import type { KernelProfile } from './crashplug.js';

export interface LoongarchProfile {
  /**
   * kexec_file_load can load a crash kernel, so the kernel builds the elfcorehdr itself: "LoongArch:
   * Add crash dump support for kexec_file" (1bcca8620a91), pulled with the LoongArch changes for 6.18.
   */
  readonly kexecFileCrash: boolean;
}

export function loongarchProfile(kernel: KernelProfile): LoongarchProfile {
  return { kexecFileCrash: kernel.atLeast(6, 18) };
}
