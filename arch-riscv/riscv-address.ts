// riscv64 address translation (arch/riscv/include/asm/page.h, arch/riscv/mm/init.c): the linear
// map puts physical p at p + va_pa_offset, where va_pa_offset = PAGE_OFFSET − phys_ram_base; the
// kernel image has its own mapping at KERNEL_LINK_ADDR, which gives the kernel-map PT_LOAD.

import { CrashplugError, hex, type KernelMap, type SystemDescription } from '../core/port/index.js';
import { riscvProfile } from './riscv-profile.js';

/** PAGE_OFFSET for each MMU mode the kernel may boot in (the widest the hart supports). */
export const RISCV_PAGE_OFFSET_SV57 = 0xff60_0000_0000_0000n;
export const RISCV_PAGE_OFFSET_SV48 = 0xffff_af80_0000_0000n;
export const RISCV_PAGE_OFFSET_SV39 = 0xffff_ffd8_0000_0000n;

/** KERNEL_LINK_ADDR = ADDRESS_SPACE_END − SZ_2G + 1: the kernel image mapping without KASLR. */
export const RISCV_KERNEL_LINK_ADDR = 0xffff_ffff_8000_0000n;

/** PMD_SIZE with 4 KiB pages: the granule phys_ram_base is rounded to, and the image's load alignment. */
export const RISCV_PMD_SIZE = 0x20_0000n;

/** phys_ram_base: the physical address PAGE_OFFSET maps to. */
export function riscvPhysRamBase(system: SystemDescription): bigint {
  const base = system.physOffset;
  return riscvProfile(system.kernel).pmdAlignedRamBase ? base & ~(RISCV_PMD_SIZE - 1n) : base;
}

/** `__va(p)` = p + kernel_map.va_pa_offset, in 64-bit arithmetic as the kernel does it. */
export function riscvVa(pa: bigint, system: SystemDescription): bigint {
  return BigInt.asUintN(64, pa - riscvPhysRamBase(system) + system.pageOffset);
}

/** kernel_map.va_pa_offset (PAGE_OFFSET − phys_ram_base, as a u64): what `__va` adds to every RAM address. */
export function riscvVaOffset(system: SystemDescription): bigint {
  return BigInt.asUintN(64, system.pageOffset - riscvPhysRamBase(system));
}

/** prepare_elf_headers passes need_kernel_map = true: `_text`, `__pa_symbol(_text)`, `_end − _text`. */
export function riscvKernelMap(system: SystemDescription): KernelMap {
  const k = system.kernelImage;
  if (k === undefined) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: kernelImage is required on riscv64 (the header has a kernel-image PT_LOAD); give kernelImage.text ` +
        `(_text from System.map, ${hex(RISCV_KERNEL_LINK_ADDR)} plus a small offset without KASLR), ` +
        'kernelImage.textPhys (__pa_symbol(_text)) and kernelImage.size (_end − _text)',
    );
  }
  return { vaddr: k.text, paddr: k.textPhys, size: k.size };
}
