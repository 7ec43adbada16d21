// The riscv64 port: what arch/riscv/kernel/machine_kexec_file.c does differently from the generic
// core (README): System RAM resources with room for one split, only crashkernel cut out, a
// kernel-image PT_LOAD, the linear-map __va, a page-aligned header placed top-down. riscv has no
// ARCH_SUPPORTS_CRASH_HOTPLUG, so core's "no" stands: udev's unload-and-reload keeps the image right.

import { injectable } from 'inversify';
import {
  type ArchPort,
  type CrashMemory,
  type ElfcorehdrLayout,
  type ElfcorehdrSegmentSpec,
  type HostIdentity,
  type KernelMap,
  type SystemDescription,
} from '../core/port/index.js';
import { RISCV_PAGE_OFFSET_SV39, riscvKernelMap, riscvVa, riscvVaOffset } from './riscv-address.js';
import { riscvCrashMemory } from './riscv-crash-memory.js';
import { riscvElfcorehdrSegment } from './riscv-sizing.js';

/** ELF e_machine of RISC-V (include/uapi/linux/elf-em.h). */
export const EM_RISCV = 243;

/** A riscv64 host: its linear map is not a plain offset of the physical address (riscv-address.ts). */
export const RISCV64_HOST: HostIdentity = { nodeArch: 'riscv64', unameMachine: 'riscv64', kcoreGivesPageOffset: false };

/**
 * sizeof(note_buf_t) on riscv64: 24 + 8 + sizeof(struct elf_prstatus) 376 — the 112-byte common
 * part, elf_gregset_t (struct user_regs_struct, 32 × 8 = 256) and pr_fpvalid, padded to 8.
 */
export const RISCV64_NOTE_SIZE = 408n;

@injectable()
export class Riscv64Port implements ArchPort {
  readonly id = 'riscv64';
  readonly description = 'riscv64 (arch/riscv/kernel/machine_kexec_file.c): System RAM walk, crashkernel excluded, kernel-image PT_LOAD';
  readonly machine = EM_RISCV;
  readonly machineName = 'EM_RISCV';
  readonly host = RISCV64_HOST;
  readonly noteSize = RISCV64_NOTE_SIZE;
  /** Sv39: what shipping riscv64 hardware implements; QEMU's virt machine boots Sv57 (give pageOffset). */
  readonly defaults = { pageOffset: RISCV_PAGE_OFFSET_SV39, pageSize: 4096 };

  va(pa: bigint, system: SystemDescription): bigint {
    return riscvVa(pa, system);
  }

  /** The linear map is one offset for all of RAM, so the header writer may add it instead of calling va. */
  vaOffset(system: SystemDescription): bigint {
    return riscvVaOffset(system);
  }

  kernelMap(system: SystemDescription): KernelMap {
    return riscvKernelMap(system);
  }

  crashMemory(system: SystemDescription): CrashMemory {
    return riscvCrashMemory(system);
  }

  elfcorehdrSegment(system: SystemDescription, layout: ElfcorehdrLayout): ElfcorehdrSegmentSpec {
    return riscvElfcorehdrSegment(system, layout);
  }
}
