// The arch half of the elfcorehdr kexec-tools builds for kexec_load: its own crash memory list,
// the backup region, the kernel-text PT_LOAD and the linear map it assumes. Every arch of
// kexec-tools reads these differently (kexec/arch/*/crashdump-*.c); the header itself is generic.

import type { KexecToolsSegmentRule } from './kexec-tools-segment.js';
import type { ByteOrder } from '../elf/elf.js';
import type { KernelMap } from '../elf/elfcorehdr.js';
import type { NamedRange, Range } from '../memory/range.js';
import type { SystemDescription } from '../system/system.js';

/**
 * kexec-tools' `RANGE_*` kinds. Only `ram` becomes a PT_LOAD, but every entry of the list is
 * counted when the buffer is sized, so the non-RAM kinds are kept.
 */
export type KexecToolsRangeType = 'ram' | 'reserved' | 'acpi' | 'acpi-nvs' | 'pmem' | 'pram';

export interface KexecToolsRange extends Range {
  readonly type: KexecToolsRangeType;
  /** The PT_LOAD p_offset: the start, except for the backup source, whose copy lives elsewhere. */
  readonly offset: bigint;
}

/** The low memory purgatory copies away before the capture kernel runs over it. */
export interface KexecToolsBackup {
  /** The range kexec-tools copies (backup_src_start, backup_src_size). */
  readonly source: Range;
  /** Where the copy goes (backup_start): the p_offset of the source's PT_LOAD. */
  readonly start: bigint;
  /** Bytes of the backup segment kexec-tools adds. */
  readonly segmentSize: bigint;
  /** `system` when the description gave backupStart; `derived` when the port placed it itself. */
  readonly startFrom: 'system' | 'derived';
}

export interface KexecToolsRanges {
  /** kexec-tools' crash memory list in its own order, after its exclusions. */
  readonly ranges: readonly KexecToolsRange[];
  /** What was cut out of the list, in the order it was cut. */
  readonly excluded: readonly NamedRange[];
  readonly backup?: KexecToolsBackup | undefined;
  /** The kernel PT_LOAD (elf_info kern_*), when the arch's kexec-tools writes one. */
  readonly kernelMap?: KernelMap | undefined;
  /** phys_to_virt as kexec-tools computes it: p_vaddr = pa − physOffset + pageOffset. */
  readonly linearMap: { readonly pageOffset: bigint; readonly physOffset: bigint };
  /**
   * CPUs with a /sys/devices/system/cpu/cpuN node (and so a crash_notes file): what glibc counts
   * for sysconf(_SC_NPROCESSORS_CONF). Core takes the present CPUs when a port leaves it out.
   */
  readonly cpuDevices?: readonly number[] | undefined;
  /** How kexec-tools sizes the elfcorehdr segment on this arch (load_crashdump_segments). */
  readonly segment?: KexecToolsSegmentRule | undefined;
  /** Field order of the header kexec-tools writes (native, and EI_DATA says so). Default 'le'. */
  readonly byteOrder?: ByteOrder | undefined;
}

/** The hook: kexec-tools' view of a machine, or undefined when the port does not model kexec-tools. */
export type KexecToolsRangesHook = (system: SystemDescription) => KexecToolsRanges | undefined;

/** The hook as `ArchHooks` declares it. */
export interface KexecToolsHooks {
  kexecToolsRanges(system: SystemDescription): KexecToolsRanges | undefined;
}

/** Core's default: not modelled. The builder turns that into E_UNSUPPORTED, never a guess. */
export const noKexecToolsRanges: KexecToolsRangesHook = () => undefined;
