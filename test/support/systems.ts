// Test machines. `x86System()` is the W1 machine of the facts (§11 W1: System RAM [0x1000–0x9fbff] and
// [0x100000–0xbfffffff], crashk_res [0x2000000–0x11ffffff], 4 possible CPUs, no KASLR, 4-level paging);
// every field can be overridden. Plain data and no vitest, so bench/ and any test can use it.

import { x86Module } from '../../arch-x86/index.js';
import type { NamedRange, Range } from '../../core/memory/index.js';
import { type ArchPlugin, registryOf } from '../../core/port/index.js';
import { type CpuSets, type KernelConfig, type KernelProfile, kernelProfile, type MemoryDescription, type SystemDescription } from '../../core/system/index.js';

/** `[start, end]` with an inclusive end, as the system description writes ranges. */
export type RangePair = readonly [bigint, bigint];

/** System RAM lines, named as `/proc/iomem` names them. */
export function systemRam(...pairs: readonly RangePair[]): NamedRange[] {
  return pairs.map(([start, end]) => ({ name: 'System RAM', start, end }));
}

/** CPUs 0..n-1, the cpulist `0-(n-1)`. */
export function cpuIds(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** W1's inputs, and the values W1 leaves open chosen once here (crash_notes, vmcoreinfo, kernel size). */
export const W1 = {
  ram: systemRam([0x1000n, 0x9_fbffn], [0x10_0000n, 0xbfff_ffffn]),
  crashkernel: { start: 0x200_0000n, end: 0x11ff_ffffn } as Range,
  possible: cpuIds(4),
  /** CPU n's crash_notes = base + n·stride (W1 does not fix them; these sit inside RAM). */
  crashNotesBase: 0xbfc1_a600n,
  crashNotesStride: 0x10_0000n,
  vmcoreinfo: { address: 0xbe31_a000n, size: 0x1024n },
  /** No KASLR: _text at __START_KERNEL_map + CONFIG_PHYSICAL_START (facts §4.2, §13.8). */
  kernelImage: { text: 0xffff_ffff_8100_0000n, textPhys: 0x100_0000n, size: 0xe0_0000n },
  /** 4-level paging, no memory KASLR. */
  pageOffset: 0xffff_8880_0000_0000n,
} as const;

/** The x86_64 build most tests assume: NR_CPUS_DEFAULT 64, 8192 crash ranges, memory and crash hot-plug on. */
export const X86_DEFAULT_CONFIG: KernelConfig = {
  nrCpusDefault: 64,
  crashMaxMemoryRanges: 8192,
  memoryHotplug: true,
  crashHotplug: true,
};

export type X86SystemOverrides = Partial<Omit<SystemDescription, 'kernel' | 'config' | 'cpus' | 'memory'>> & {
  /** A version ("6.1") or a ready profile. */
  readonly kernel?: string | KernelProfile;
  /** Merged over X86_DEFAULT_CONFIG. */
  readonly config?: Partial<KernelConfig>;
  /** `present` and `online` default to `possible`, as in the system description. */
  readonly cpus?: Partial<CpuSets>;
  readonly memory?: MemoryDescription;
  /** Shorthand for `memory`: System RAM as a static list (ignored when `memory` is given). */
  readonly ram?: readonly NamedRange[];
};

/** An x86_64 SystemDescription: W1 unless overridden. `crashkernel: undefined` removes the reservation. */
export function x86System(overrides: X86SystemOverrides = {}): SystemDescription {
  const { kernel, config, cpus, memory, ram, ...rest } = overrides;
  const possible = cpus?.possible ?? W1.possible;
  const present = cpus?.present ?? possible;
  return {
    arch: 'x86_64',
    origin: 'test machine',
    memory: memory ?? { source: 'ranges', origin: 'test machine', systemRam: ram ?? W1.ram },
    cpus: { possible, present, online: cpus?.online ?? present },
    crashNotes: { kind: 'stride', base: W1.crashNotesBase, stride: W1.crashNotesStride },
    vmcoreinfo: W1.vmcoreinfo,
    crashkernel: W1.crashkernel,
    kernelImage: W1.kernelImage,
    pageOffset: W1.pageOffset,
    physOffset: 0x1000n,
    pageSize: 4096,
    builder: 'kernel',
    ...rest,
    kernel: typeof kernel === 'object' ? kernel : kernelProfile(kernel ?? '6.18'),
    config: { ...X86_DEFAULT_CONFIG, ...config },
  };
}

/**
 * `count` System RAM ranges of `size` bytes each, `size + gap` apart, starting at `base`: the sparse
 * machine CRASH_MAX_MEMORY_RANGES was sized for (128 MiB memory blocks with holes between them).
 */
export function sparseRam(count: number, base = 0x1_0000_0000n, size = 0x800_0000n, gap = 0x800_0000n): NamedRange[] {
  const out: NamedRange[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const start = base + BigInt(i) * (size + gap);
    out[i] = { name: 'System RAM', start, end: start + size - 1n };
  }
  return out;
}

/**
 * System RAM that leaves exactly `rangesAfterExclusion` PT_LOADs on x86 with W1's crashkernel: W1's two
 * ranges (the low one deleted by the low-1M exclusion, the other split in two by crashk_res) plus
 * `rangesAfterExclusion − 2` sparse ranges above 4 GiB.
 */
export function x86RamWithRanges(rangesAfterExclusion: number): NamedRange[] {
  if (rangesAfterExclusion < 2) throw new Error('x86RamWithRanges: W1 memory always leaves at least 2 ranges');
  return [...W1.ram, ...sparseRam(rangesAfterExclusion - 2)];
}

let plugin: ArchPlugin | undefined;

/** The resolved x86_64 plug-in, through the registry as the CLI gets it. */
export function x86Plugin(): ArchPlugin {
  plugin ??= registryOf([x86Module]).get('x86_64');
  return plugin;
}
