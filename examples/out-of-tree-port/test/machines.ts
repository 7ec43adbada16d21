// loongarch64 test machines, built in code from the kernel's rules (README "The machines"), not
// captured. `loongarchSystem()` is a Loongson-3A6000 desktop of 16 GiB with 8 logical CPUs as a 6.18
// kernel describes it: memblock RAM from the EFI memory map (low 256 MiB less the firmware's
// runtime area, then the high window from 0x90000000), the kernel at VMLINUX_LOAD_ADDRESS and
// 2 MiB physical, crashkernel=512M placed top-down below 4 GiB. Every field can be overridden.

import { type CpuSets, type KernelConfig, type KernelProfile, kernelProfile, type RamRange, type Range, type SystemDescription } from 'crashplug';

const GIB = 1n << 30n;
const MIB = 1n << 20n;

export const LA = {
  /** memblock.memory: EFI conventional/loader/boot-services memory; runtime areas are holes. */
  ram: [
    { name: 'System RAM', start: 0x0n, end: 0x0eff_ffffn },
    { name: 'System RAM', start: 0x9000_0000n, end: 0x4_7fff_ffffn },
  ] as RamRange[],
  /** crashkernel=512M: CRASH_ALIGN 2 MiB, top-down below CRASH_ADDR_LOW_MAX (4 GiB). */
  crashkernel: { start: 0xe000_0000n, end: 0xffff_ffffn } as Range,
  /** crashkernel=1G,high: the high part at the top of DRAM … */
  crashkernelHigh: { start: 0x4_4000_0000n, end: 0x4_7fff_ffffn } as Range,
  /** … and the default 128 MiB low part below 4 GiB. */
  crashkernelLow: { start: 0xf800_0000n, end: 0xffff_ffffn } as Range,
  /** _text at VMLINUX_LOAD_ADDRESS, loaded 2 MiB into RAM (memblock_init keeps the first 2 MiB). */
  kernelImage: { text: 0x9000_0000_0020_0000n, textPhys: 0x20_0000n, size: 0x26f_0000n },
  /** Per-CPU crash_notes, one percpu unit apart, near the top of node 0's RAM. */
  crashNotesBase: 0x4_7fe1_0200n,
  crashNotesStride: 0x2_0000n,
  /** vmcoreinfo_note: VMCOREINFO_NOTE_SIZE with 16 KiB pages = 24 + 12 + 16384. */
  vmcoreinfo: { address: 0x4_7c0f_0000n, size: 0x4024n },
} as const;

/** NR_CPUS defaults to 2048 on loongarch; CONFIG_CRASH_HOTPLUG is left on so the port's own "no" is what counts. */
export const LOONGARCH_CONFIG: KernelConfig = { nrCpusDefault: 2048, crashMaxMemoryRanges: 8192, memoryHotplug: true, crashHotplug: true };

export type LoongarchOverrides = Partial<Omit<SystemDescription, 'kernel' | 'config' | 'cpus'>> & {
  readonly kernel?: string | KernelProfile;
  readonly config?: Partial<KernelConfig>;
  readonly possible?: number;
  readonly cpus?: CpuSets;
  readonly ram?: readonly RamRange[];
};

export function loongarchSystem(o: LoongarchOverrides = {}): SystemDescription {
  const { kernel, config, possible, cpus, ram, ...rest } = o;
  const ids = Array.from({ length: possible ?? 8 }, (_, i) => i);
  const systemRam = ram ?? LA.ram;
  return {
    arch: 'loongarch64',
    origin: 'loongarch64 test machine',
    memory: { source: 'ranges', origin: 'loongarch64 test machine', systemRam },
    cpus: cpus ?? { possible: ids, present: ids, online: ids },
    crashNotes: { kind: 'stride', base: LA.crashNotesBase, stride: LA.crashNotesStride },
    vmcoreinfo: LA.vmcoreinfo,
    crashkernel: LA.crashkernel,
    kernelImage: LA.kernelImage,
    pageOffset: 0x9000_0000_0000_0000n,
    physOffset: 0n,
    pageSize: 16384,
    kernel: typeof kernel === 'object' ? kernel : kernelProfile(kernel ?? '6.18'),
    builder: 'kernel',
    config: { ...LOONGARCH_CONFIG, ...config },
    ...rest,
  };
}

/** `count` ranges of 256 MiB with 256 MiB holes from 32 GiB up: sparse memory. */
export function sparseRam(count: number): RamRange[] {
  return Array.from({ length: count }, (_, i) => {
    const start = 32n * GIB + BigInt(i) * 512n * MIB;
    return { name: 'System RAM', start, end: start + 256n * MIB - 1n };
  });
}

/**
 * A two-socket Loongson-3C5000 server: node 1's memory sits at node id << 44 (the Loongson node
 * address space), so the two nodes never touch.
 */
export const NUMA2_RAM: RamRange[] = [
  { name: 'System RAM', start: 0x0n, end: 0x0eff_ffffn, nid: 0 },
  { name: 'System RAM', start: 0x9000_0000n, end: 0x8_7fff_ffffn, nid: 0 },
  { name: 'System RAM', start: 0x1000_0000_0000n, end: 0x1007_ffff_ffffn, nid: 1 },
];
