// The loongarch64 port: what arch/loongarch/kernel/machine_kexec_file.c (6.18+) does differently
// from crashplug's generic core (README). The RAM walk is memblock's, the exclusions are the ones
// core's default already makes (crashkernel, then crashkernel-low when reserved), and __va is core's
// pa + PAGE_OFFSET, so those hooks stay core's. What differs: the identity (EM_LOONGARCH, a 512-byte
// note, 16 KiB pages, the DMW1 window as PAGE_OFFSET), a kernel-image PT_LOAD, a 64 KiB-aligned
// top-down header, and no crash-kernel loading with kexec_file before 6.18. LoongArch selects no
// ARCH_SUPPORTS_CRASH_HOTPLUG: core's "no hot-plug" stands and udev's reload keeps the header right.

import { injectable } from 'inversify';
import {
  type ArchPort,
  type CrashMemory,
  CrashplugError,
  type ElfcorehdrLayout,
  type ElfcorehdrSegmentSpec,
  genericCrashMemory,
  hex,
  type HostIdentity,
  type KernelMap,
  type SystemDescription,
} from './crashplug.js';
import { loongarchProfile } from './loongarch-profile.js';

/** EM_LOONGARCH (include/uapi/linux/elf-em.h), the ELF_ARCH of arch/loongarch/include/asm/elf.h. */
export const EM_LOONGARCH = 258;

/**
 * sizeof(note_buf_t): 2 × 12 (note headers) + 8 ("CORE" padded) + sizeof(struct elf_prstatus) 480 —
 * the 112-byte common part, elf_gregset_t (ELF_NGREG 45 × 8 = 360) and pr_fpvalid, padded to 8.
 */
export const LOONGARCH64_NOTE_SIZE = 512n;

/** A loongarch64 host: Node calls it loong64, uname loongarch64; __va is pa + PAGE_OFFSET, so /proc/kcore gives it. */
export const LOONGARCH64_HOST: HostIdentity = {
  nodeArch: 'loong64',
  unameMachine: 'loongarch64',
  kernelTextWithoutKaslr: 0x9000_0000_0020_0000n,
  kcoreGivesPageOffset: true,
};

/** Bits of a physical address the direct-map windows pass through (DMW_PABITS 48). */
export const LOONGARCH_DMW_PABITS = 48n;

/** CACHE_BASE = CSR_DMW1_BASE = 0x9000 << DMW_PABITS; PAGE_OFFSET = CACHE_BASE + PHYS_OFFSET (0). */
export const LOONGARCH_PAGE_OFFSET = 0x9000n << LOONGARCH_DMW_PABITS;

/** The default page size: the 16KB_3LEVEL page-table layout Kconfig picks for 64-bit. */
export const LOONGARCH_PAGE_SIZE = 16384;

/** `_text` of a kernel at its link address: VMLINUX_LOAD_ADDRESS (arch/loongarch/Makefile). */
export const LOONGARCH_VMLINUX_LOAD_ADDRESS = 0x9000_0000_0020_0000n;

/** prepare_elf_headers: nr_ranges = 2 + the memblock regions, room for two splits. */
export const LOONGARCH_EXTRA_SLOTS = 2;

/** The elfcorehdr kexec_buf's buf_align: SZ_64K, "the largest supported page size". */
export const LOONGARCH_ELFCOREHDR_ALIGN = 0x1_0000;

/** __pa_symbol on loongarch is PHYSADDR: the address with the window bits above bit 48 masked off. */
export function loongarchPhysAddr(va: bigint): bigint {
  return va & ((1n << LOONGARCH_DMW_PABITS) - 1n);
}

@injectable()
export class Loongarch64Port implements ArchPort {
  readonly id = 'loongarch64';
  readonly description = 'loongarch64 (arch/loongarch/kernel/machine_kexec_file.c, 6.18+): memblock ranges, kernel-image PT_LOAD, 64 KiB-aligned header';
  readonly machine = EM_LOONGARCH;
  readonly machineName = 'EM_LOONGARCH';
  readonly host = LOONGARCH64_HOST;
  readonly noteSize = LOONGARCH64_NOTE_SIZE;
  readonly defaults = { pageOffset: LOONGARCH_PAGE_OFFSET, pageSize: LOONGARCH_PAGE_SIZE };
  /** for_each_mem_range: memblock.memory, where adjacent regions of one node are one region. */
  readonly ramWalk = 'memblock' as const;

  /**
   * Core's ranges and exclusions are loongarch's (2 spare slots; crashk_res, then crashk_low_res
   * when its end is not 0). Before 6.18 kexec_file could not load a crash kernel at all.
   */
  crashMemory(system: SystemDescription): CrashMemory {
    if (!loongarchProfile(system.kernel).kexecFileCrash) {
      throw new CrashplugError(
        'E_UNSUPPORTED',
        `${system.origin}: kernel ${system.kernel.version} cannot load a crash kernel with kexec_file_load on loongarch64 ` +
          '(that came with 6.18; older kernels take kexec-tools\' header, which this port does not model); use kernel "6.18" or newer',
      );
    }
    return genericCrashMemory(system, LOONGARCH_EXTRA_SLOTS);
  }

  /** need_kernel_map = true: `_text` (p_vaddr), `__pa_symbol(_text)` (p_paddr, p_offset), `_end − _text`. */
  kernelMap(system: SystemDescription): KernelMap {
    const k = system.kernelImage;
    if (k === undefined) {
      throw new CrashplugError(
        'E_BAD_SYSTEM',
        `${system.origin}: kernelImage is required on loongarch64 (the header has a kernel-image PT_LOAD); give kernelImage.text ` +
          `(_text from System.map, ${hex(LOONGARCH_VMLINUX_LOAD_ADDRESS)} without KASLR), kernelImage.textPhys ` +
          '(__pa_symbol(_text), _text with the top 16 bits cleared) and kernelImage.size (_end − _text)',
      );
    }
    const pa = loongarchPhysAddr(k.text);
    if (k.textPhys !== pa) {
      throw new CrashplugError(
        'E_BAD_SYSTEM',
        `${system.origin}: kernelImage.textPhys ${hex(k.textPhys)} is not __pa_symbol(${hex(k.text)}) = ${hex(pa)}; ` +
          'the loongarch kernel runs in a direct-map window, so its physical address is _text with the window bits masked off',
      );
    }
    return { vaddr: k.text, paddr: k.textPhys, size: k.size };
  }

  /** The header alone (no hot-plug room), 64 KiB aligned, top-down, no elfcorehdr_index recorded. */
  elfcorehdrSegment(_system: SystemDescription, layout: ElfcorehdrLayout): ElfcorehdrSegmentSpec {
    return {
      memsz: layout.size,
      elfHeadersSize: layout.size,
      align: LOONGARCH_ELFCOREHDR_ALIGN,
      topDown: true,
      presetIndex: false,
    };
  }
}
