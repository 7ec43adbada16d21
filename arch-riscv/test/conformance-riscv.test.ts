// The riscv64 port under the conformance kit. The spec is arch/riscv/kernel/machine_kexec_file.c
// and arch/riscv/include/asm/page.h as arch-riscv/README.md reads them, written here without
// looking at the port's code: what the kernel excludes, how __va maps, what it leaves in the dump.

import { fileURLToPath } from 'node:url';
import { riscvModule } from '../index.js';
import { registryOf } from '../../core/port/index.js';
import { type SystemDescription } from '../../core/system/index.js';
import { type ConformanceSpec, describeConformance } from '../../conformance/index.js';
import { RV, riscvSparseRam, riscvSystem } from '../../test/fixtures/riscv64/riscv-systems.js';
import { loadSystemFile } from '../../api/system-file.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/riscv64/system.json', import.meta.url));
const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function fixture(): SystemDescription {
  return { ...loadSystemFile(FIXTURE, registryOf([riscvModule])), origin: 'QEMU virt 4 GiB (system.json, iomem)' };
}

export const RISCV_MACHINES = (): SystemDescription[] => [
  fixture(),
  riscvSystem({ origin: 'QEMU virt 4 GiB, kernel 6.12' }),
  riscvSystem({ origin: 'QEMU virt with crashkernel-low', crashkernelLow: RV.crashkernelLow }),
  riscvSystem({ origin: 'kernel 5.19, the first with kexec_file crash', kernel: '5.19' }),
  riscvSystem({ origin: 'kernel 6.4: phys_ram_base not yet PMD aligned', kernel: '6.4' }),
  riscvSystem({ origin: 'one CPU', possible: 1 }),
  riscvSystem({ origin: '64 possible CPUs, 8 present, kernel 6.18', kernel: '6.18', cpus: { possible: ids(64), present: ids(8), online: ids(8) } }),
  riscvSystem({ origin: '64 possible CPUs, 8 present, kernel 6.1', kernel: '6.1', cpus: { possible: ids(64), present: ids(8), online: ids(8) } }),
  riscvSystem({ origin: 'sparse memory above 8 GiB', ram: [...RV.ram, ...riscvSparseRam(48)] }),
  riscvSystem({
    origin: 'two banks, crashkernel at the head of the second',
    ram: [
      { name: 'System RAM', start: 0x8000_0000n, end: 0xbfff_ffffn },
      { name: 'System RAM', start: 0x1_0000_0000n, end: 0x1_7fff_ffffn },
    ],
    crashkernel: { start: 0x1_0000_0000n, end: 0x1_0fff_ffffn },
    crashNotes: { kind: 'stride', base: 0xbfe0_0000n, stride: 0x1_0000n },
    vmcoreinfo: { address: 0x8153_c000n, size: 0x1024n },
  }),
  riscvSystem({
    origin: 'Sv39 board with DRAM at 1 GiB (8 GiB)',
    kernel: '6.6',
    ram: [{ name: 'System RAM', start: 0x4000_0000n, end: 0x2_3fff_ffffn }],
    physOffset: 0x4000_0000n,
    pageOffset: 0xffff_ffd8_0000_0000n,
    crashkernel: { start: 0x1_ee00_0000n, end: 0x2_2dff_ffffn },
    crashNotes: { kind: 'stride', base: 0x2_3fe1_a200n, stride: 0x1_0000n },
    vmcoreinfo: { address: 0x4153_c000n, size: 0x1024n },
    kernelImage: { ...RV.kernelImage, textPhys: 0x4020_2000n },
  }),
];

const PMD_SIZE = 0x20_0000n;

export const RISCV_SPEC: ConformanceSpec = {
  arch: 'riscv64',
  // EM_RISCV, include/uapi/linux/elf-em.h.
  machine: 243,
  // 24 + 8 + ALIGN(112 + sizeof(struct user_regs_struct) 32 × 8 + 4, 8) = 24 + 8 + 376.
  noteSize: 408n,
  machines: RISCV_MACHINES,
  // prepare_elf_headers: crash_prepare_elf64_headers(cmem, true, …).
  kernelMap: true,
  // walk_system_ram_res, never sorted or merged.
  loadOrder: 'walk-order',
  // Only crashk_res; crashk_low_res stays (the fix is still on the list).
  exclusions: (s) => (s.crashkernel === undefined ? [] : [{ name: 'crashkernel', ...s.crashkernel }]),
  keptReservations: [{ name: 'crashkernelLow', why: 'riscv prepare_elf_headers excludes only crashk_res (OBSERVED through 6.18)' }],
  // __va(x) = x + va_pa_offset, va_pa_offset = PAGE_OFFSET − phys_ram_base (PMD-aligned from 6.5).
  va: (pa, s) => {
    const base = s.kernel.atLeast(6, 5) ? s.physOffset & ~(PMD_SIZE - 1n) : s.physOffset;
    return BigInt.asUintN(64, pa - base + s.pageOffset);
  },
  // No ARCH_SUPPORTS_CRASH_HOTPLUG on riscv.
  supportsHotplug: () => false,
  // NR_CPUS tops out at 512 on riscv64; the header is exactly its own size, whatever the machine.
  largestMachine: () => riscvSystem({ origin: '512 CPUs and 8193 System RAM ranges', possible: 512, ram: [...RV.ram, ...riscvSparseRam(8192)] }),
};

describeConformance('riscv64 conformance', riscvModule, RISCV_SPEC);
