// arm64 address translation (arch/arm64/include/asm/memory.h, facts §5.3): the linear map puts
// physical address p at (p − PHYS_OFFSET) | PAGE_OFFSET; the kernel image has its own mapping.

import { CrashplugError, hex, type SystemDescription } from '../core/port/index.js';

/** PAGE_OFFSET = −(1 << VA_BITS). */
export function arm64PageOffset(vaBits: 39 | 48 | 52): bigint {
  return BigInt.asUintN(64, -(1n << BigInt(vaBits)));
}

/** 48-bit VA, the default of distribution kernels. */
export const ARM64_PAGE_OFFSET_48 = arm64PageOffset(48);

/** KIMAGE_VADDR with 48-bit VA (MODULES_END = _PAGE_END(48) + 2 GiB), before any KASLR offset. */
export const ARM64_KIMAGE_VADDR_48 = 0xffff_8000_8000_0000n;

/** `__va(p)`: ((p − PHYS_OFFSET) | PAGE_OFFSET), in 64-bit arithmetic as the kernel does it. */
export function arm64Va(pa: bigint, system: SystemDescription): bigint {
  return BigInt.asUintN(64, pa - system.physOffset) | system.pageOffset;
}

/** The kernel-image PT_LOAD: arm64 passes need_kernel_map = true (facts §5.1). */
export function arm64KernelMap(system: SystemDescription): { vaddr: bigint; paddr: bigint; size: bigint } {
  const k = system.kernelImage;
  if (k === undefined) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: kernelImage is required on arm64 (the header has a kernel-image PT_LOAD); give kernelImage.text ` +
        `(_text, e.g. ${hex(ARM64_KIMAGE_VADDR_48)} plus the KASLR offset), kernelImage.textPhys (_text − kimage_voffset) and kernelImage.size (_end − _text)`,
    );
  }
  return { vaddr: k.text, paddr: k.textPhys, size: k.size };
}
