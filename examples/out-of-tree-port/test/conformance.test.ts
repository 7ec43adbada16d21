// The loongarch64 port under crashplug's conformance kit. The spec is what the kernel's sources say
// (README "Facts"), written here without looking at the port's code: EM_LOONGARCH, the 45-register
// elf_gregset_t, memblock's sorted ranges, crashk_res then crashk_low_res cut out, __va through the
// DMW1 window, a kernel-image PT_LOAD, no crash hot-plug.

import { fileURLToPath } from 'node:url';
import portModule from '../src/index.js';
import { loadSystemFile, type SystemDescription } from 'crashplug';
import { type ConformanceSpec, describeConformance } from 'crashplug/conformance';
import { registryOf } from 'crashplug/port';
import { LA, loongarchSystem, NUMA2_RAM, sparseRam } from './machines.js';

const EXAMPLE = fileURLToPath(new URL('../example.json', import.meta.url));
const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function example(): SystemDescription {
  return { ...loadSystemFile(EXAMPLE, registryOf([portModule])), origin: 'Loongson-3A6000 16 GiB (example.json)' };
}

export const LOONGARCH_MACHINES = (): SystemDescription[] => [
  example(),
  loongarchSystem({ origin: 'Loongson-3A6000 16 GiB, kernel 6.18' }),
  loongarchSystem({ origin: 'kernel 7.0', kernel: '7.0' }),
  loongarchSystem({
    origin: 'crashkernel=1G,high with the default low part',
    crashkernel: LA.crashkernelHigh,
    crashkernelLow: LA.crashkernelLow,
    crashNotes: { kind: 'stride', base: 0x4_3fe1_0200n, stride: 0x2_0000n },
    vmcoreinfo: { address: 0x4_3c0f_0000n, size: 0x4024n },
  }),
  loongarchSystem({ origin: 'one CPU', possible: 1 }),
  loongarchSystem({
    origin: 'Loongson-3C5000L, 2048 possible CPUs, 64 present',
    cpus: { possible: ids(2048), present: ids(64), online: ids(64) },
  }),
  loongarchSystem({
    origin: 'two NUMA nodes (node 1 at 1 << 44)',
    ram: NUMA2_RAM,
    cpus: { possible: ids(32), present: ids(32), online: ids(32) },
    crashNotes: { kind: 'stride', base: 0x8_7fe1_0200n, stride: 0x4_0000n },
    vmcoreinfo: { address: 0x8_7c0f_0000n, size: 0x4024n },
  }),
  loongarchSystem({ origin: 'sparse memory above 32 GiB', ram: [...LA.ram, ...sparseRam(48)] }),
  loongarchSystem({
    origin: 'crashkernel at the head of the high window',
    crashkernel: { start: 0x9000_0000n, end: 0xafff_ffffn },
  }),
  loongarchSystem({ origin: '4 KiB pages (4KB_4LEVEL)', pageSize: 4096, vmcoreinfo: { address: LA.vmcoreinfo.address, size: 0x1024n } }),
  loongarchSystem({ origin: '64 KiB pages (64KB_3LEVEL)', pageSize: 65536, vmcoreinfo: { address: LA.vmcoreinfo.address, size: 0x1_0024n } }),
  loongarchSystem({
    origin: 'KASLR: kernel 16 MiB higher in the window',
    kernelImage: { text: 0x9000_0000_0120_0000n, textPhys: 0x120_0000n, size: LA.kernelImage.size },
  }),
  loongarchSystem({
    origin: 'QEMU virt 4 GiB (low 256 MiB, high from 2 GiB)',
    ram: [
      { name: 'System RAM', start: 0x0n, end: 0x0fff_ffffn },
      { name: 'System RAM', start: 0x8000_0000n, end: 0x1_6fff_ffffn },
    ],
    crashkernel: { start: 0xc000_0000n, end: 0xdfff_ffffn },
    possible: 4,
    crashNotes: { kind: 'stride', base: 0x1_6fe1_0200n, stride: 0x1_0000n },
    vmcoreinfo: { address: 0x1_6c0f_0000n, size: 0x4024n },
  }),
];

/** CACHE_BASE = CSR_DMW1_BASE = 0x9000 << DMW_PABITS (48); PHYS_OFFSET is 0. */
const CACHE_BASE = 0x9000n << 48n;

export const LOONGARCH_SPEC: ConformanceSpec = {
  arch: 'loongarch64',
  // EM_LOONGARCH, include/uapi/linux/elf-em.h.
  machine: 258,
  // 2 × 12 + 8 + ALIGN(112 + ELF_NGREG 45 × 8 + 4, 8) = 24 + 8 + 480.
  noteSize: 512n,
  machines: LOONGARCH_MACHINES,
  // prepare_elf_headers: crash_prepare_elf64_headers(cmem, true, …).
  kernelMap: true,
  // for_each_mem_range walks memblock.memory, which memblock keeps sorted and merged.
  loadOrder: 'sorted',
  // crash_exclude_mem_range(crashk_res), then crashk_low_res when its end is not 0.
  exclusions: (s) => [
    ...(s.crashkernel === undefined ? [] : [{ name: 'crashkernel', ...s.crashkernel }]),
    ...(s.crashkernelLow === undefined || s.crashkernelLow.end === 0n ? [] : [{ name: 'crashkernelLow', ...s.crashkernelLow }]),
  ],
  // __va(x) = x + PAGE_OFFSET − PHYS_OFFSET, PAGE_OFFSET = CACHE_BASE + PHYS_OFFSET.
  va: (pa) => BigInt.asUintN(64, pa + CACHE_BASE),
  // No ARCH_SUPPORTS_CRASH_HOTPLUG in arch/loongarch/Kconfig.
  supportsHotplug: () => false,
  // No ARCH_SUPPORTS_KEXEC_PURGATORY on loongarch: nothing checks a digest at crash time.
  purgatoryChecksDigest: false,
  // NR_CPUS tops out at 2048; the header is exactly its own size, whatever the machine.
  largestMachine: () => loongarchSystem({ origin: '2048 CPUs and 8194 memblock regions', possible: 2048, ram: [...LA.ram, ...sparseRam(8192)] }),
};

describeConformance('loongarch64 conformance', portModule, LOONGARCH_SPEC);
