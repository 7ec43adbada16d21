// The machine crashplug models, after the system description (README.md, format 1) has been read
// and every default filled in. Immutable: a hot-plug event makes a new SystemDescription.

import type { Fdt } from '../fdt/fdt.js';
import type { KernelProfile } from './kernel-profile.js';
import type { NamedRange, Range } from '../memory/range.js';

export type MemorySourceKind = 'iomem' | 'dtb' | 'ranges';

/**
 * One System RAM range. `nid` is its NUMA node where the source says (a device tree's memblock
 * regions); a range without one is on node 0, where Linux puts memory it knows no node for. Only
 * memblock cares: it merges adjacent memory of one node (facts §13.3), the iomem walk never merges.
 */
export interface RamRange extends NamedRange {
  readonly nid?: number | undefined;
}

/** One node of a `/proc/iomem` tree. */
export interface IomemResource extends NamedRange {
  /** 1-based line in the file it came from. */
  readonly line: number;
  readonly children: readonly IomemResource[];
}

export interface MemoryDescription {
  readonly source: MemorySourceKind;
  /** Where it came from (a path, "host", or "system description"), for messages. */
  readonly origin: string;
  /** System RAM the way the arch's walk sees it: iomem top-level lines in file order, or memblock regions. */
  readonly systemRam: readonly RamRange[];
  /** The full resource tree when the memory came from `/proc/iomem`. */
  readonly iomem?: readonly IomemResource[] | undefined;
  /**
   * The whole device tree when the memory came from one (`memory.dtb`): ports read more than
   * memory from it — powerpc its RTAS/OPAL nodes, `/cpus` and the kdump kernel's usable memory.
   */
  readonly fdt?: Fdt | undefined;
}

export interface CpuSets {
  readonly possible: readonly number[];
  readonly present: readonly number[];
  readonly online: readonly number[];
}

export type CrashNotes =
  | { readonly kind: 'stride'; readonly base: bigint; readonly stride: bigint }
  | { readonly kind: 'table'; readonly addresses: ReadonlyMap<number, bigint> };

export interface KernelImage {
  /** `_text`, virtual. */
  readonly text: bigint;
  /** `__pa_symbol(_text)`. */
  readonly textPhys: bigint;
  /** `_end − _text`. */
  readonly size: bigint;
}

/** Kernel build options that size the hot-plug elfcorehdr segment. */
export interface KernelConfig {
  /** CONFIG_NR_CPUS_DEFAULT (x86_64: 64; 8192 with MAXSMP). */
  readonly nrCpusDefault: number;
  /** CONFIG_CRASH_MAX_MEMORY_RANGES (8192). */
  readonly crashMaxMemoryRanges: number;
  /** CONFIG_MEMORY_HOTPLUG. */
  readonly memoryHotplug: boolean;
  /** CONFIG_CRASH_HOTPLUG. */
  readonly crashHotplug: boolean;
}

export type HeaderBuilder = 'kernel' | 'kexec-tools';

export interface SystemDescription {
  readonly arch: string;
  /** The file the description came from, or "host". */
  readonly origin: string;
  readonly memory: MemoryDescription;
  readonly cpus: CpuSets;
  readonly crashNotes: CrashNotes;
  readonly vmcoreinfo: { readonly address: bigint; readonly size: bigint };
  readonly crashkernel?: Range | undefined;
  readonly crashkernelLow?: Range | undefined;
  /**
   * The `crashkernel=…,cma` reservations (`crashk_cma_ranges`, inclusive ends, at most
   * CRASHKERNEL_CMA_RANGES_MAX = 4), in the kernel's order. They are not `Crash kernel` lines in
   * /proc/iomem; 6.19+ lists them in /sys/kernel/kexec/crash_cma_ranges. Absent or empty: none.
   */
  readonly crashkernelCma?: readonly Range[] | undefined;
  readonly kernelImage?: KernelImage | undefined;
  readonly pageOffset: bigint;
  readonly physOffset: bigint;
  readonly pageSize: number;
  readonly backupStart?: bigint | undefined;
  readonly kernel: KernelProfile;
  readonly builder: HeaderBuilder;
  readonly config: KernelConfig;
  /**
   * The raw JSON of the top-level sections ports declare (`ArchIdentity.extensionKeys`, e.g. an
   * `arm64` or `fadump` object), by key, for the port that reads them; core only checks that each
   * is an object. Absent for descriptions built in code without any.
   */
  readonly extensions?: Readonly<Record<string, unknown>> | undefined;
}

/** Physical address of CPU `cpu`'s `crash_notes`. */
export function crashNotesAddress(notes: CrashNotes, cpu: number): bigint {
  if (notes.kind === 'stride') return notes.base + BigInt(cpu) * notes.stride;
  const a = notes.addresses.get(cpu);
  if (a === undefined) throw new Error(`no crash_notes address for CPU ${cpu}`);
  return a;
}

/** VMCOREINFO_NOTE_SIZE: two note headers, the padded name "VMCOREINFO", and one page of data. */
export function vmcoreinfoNoteSize(pageSize: number): bigint {
  return BigInt(2 * 12 + 12 + pageSize);
}
