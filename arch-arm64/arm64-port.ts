// The arm64 port: what arch/arm64/kernel/machine_kexec_file.c does differently from the generic
// core (facts §5): memblock ranges with room for two splits, crashkernel then crashkernel-low cut
// out (no low-1 MiB hole), a kernel-image PT_LOAD, the linear-map __va, a 64 KiB-aligned header
// placed top-down. Mainline has no crash hot-plug; a subclass models the proposed series.

import { injectable } from 'inversify';
import {
  type ArchPort,
  type CrashMemory,
  crashHotplugBuilt,
  type ElfcorehdrLayout,
  type ElfcorehdrSegmentSpec,
  genericCrashMemory,
  type HostIdentity,
  type HotplugContext,
  type HotplugSupportQuery,
  KEXEC_CRASH_HOTPLUG_SUPPORT,
  type KernelMap,
  type SystemDescription,
} from '../core/port/index.js';
import { ARM64_PAGE_OFFSET_48, arm64KernelMap, arm64Va } from './arm64-address.js';
import { ARM64_HEADER_CHECKS } from './arm64-checks.js';
import { ARM64_HOTPLUG_MESSAGES, arm64HandleHotplugEvent } from './arm64-hotplug.js';
import { arm64KexecToolsRanges } from './arm64-kexec-tools.js';
import { arm64Profile } from './arm64-profile.js';
import { ARM64_CRASH_HOTPLUG_SERIES, ARM64_MAINLINE, ARM64_SECTION, ARM64_SECTION_READER, type Arm64Options, arm64OptionsOf } from './arm64-options.js';
import { arm64ElfcorehdrSegment, arm64SysfsElfcorehdrSize } from './arm64-sizing.js';

/** ELF e_machine of arm64 (include/uapi/linux/elf-em.h). */
export const EM_AARCH64 = 183;

/** An arm64 host: `__va` is not a plain offset (PHYS_OFFSET is subtracted), so /proc/kcore does not give PAGE_OFFSET. */
export const ARM64_HOST: HostIdentity = { nodeArch: 'arm64', unameMachine: 'aarch64', kcoreGivesPageOffset: false };

/** sizeof(note_buf_t) on arm64: 24 + 8 + sizeof(elf_prstatus) 392 (facts §1.4). */
export const ARM64_NOTE_SIZE = 424n;

/** prepare_elf_headers: nr_ranges = 2 + the memblock regions ("for exclusion of crashkernel region"). */
export const ARM64_EXTRA_SLOTS = 2;

@injectable()
export class Arm64Port implements ArchPort {
  readonly id = 'arm64';
  readonly description = 'arm64 (arch/arm64/kernel/machine_kexec_file.c): memblock ranges, kernel-image PT_LOAD, 64 KiB-aligned header';
  readonly machine = EM_AARCH64;
  readonly machineName = 'EM_AARCH64';
  readonly updateMessages = { buildFailed: ARM64_HOTPLUG_MESSAGES.buildFailed, tooLarge: ARM64_HOTPLUG_MESSAGES.tooLarge };
  readonly host = ARM64_HOST;
  readonly noteSize = ARM64_NOTE_SIZE;
  readonly defaults = { pageOffset: ARM64_PAGE_OFFSET_48, pageSize: 4096 };
  /** A description may choose the kernel per machine with an `arm64` object (README "Loading it"). */
  readonly sections = { [ARM64_SECTION]: ARM64_SECTION_READER };
  /** for_each_mem_range: memblock regions, so a hot-added DIMM merges with a same-node neighbour (facts §13.3). */
  readonly ramWalk = 'memblock' as const;
  /** arm64's kexec_file_load loads kernel, initrd, dtb and elfcorehdr only: no purgatory checks anything (facts §2.9). */
  readonly kexecFilePurgatory = 'none' as const;
  /** `crashplug check`: kexec-tools' header without _text (arm64-checks.ts). */
  readonly headerChecks = ARM64_HEADER_CHECKS;
  /** The kernel this port models unless a system description says otherwise. */
  readonly options: Arm64Options = ARM64_MAINLINE;

  /** The options in force for one machine. */
  optionsFor(system: SystemDescription): Arm64Options {
    return arm64OptionsOf(system, this.options);
  }

  /** kexec-tools' header for kexec_load (arm64-kexec-tools.ts): iomem RAM, kernel PT_LOAD from _text. */
  kexecToolsRanges = arm64KexecToolsRanges;

  va(pa: bigint, system: SystemDescription): bigint {
    return arm64Va(pa, system);
  }

  kernelMap(system: SystemDescription): KernelMap {
    return arm64KernelMap(system);
  }

  /**
   * No low-1 MiB exclusion on arm64: only crashk_res, then crashk_low_res when its end is not 0,
   * and from 7.3 the CMA ranges, with one more slot for each (arm64-profile.ts).
   */
  crashMemory(system: SystemDescription): CrashMemory {
    const cma = arm64Profile(system.kernel).cutsCma ? (system.crashkernelCma ?? []).length : 0;
    return genericCrashMemory(system, ARM64_EXTRA_SLOTS + cma, cma > 0);
  }

  elfcorehdrSegment(system: SystemDescription, layout: ElfcorehdrLayout): ElfcorehdrSegmentSpec {
    return arm64ElfcorehdrSegment(system, layout, crashHotplugBuilt(system, this));
  }

  sysfsElfcorehdrSize(system: SystemDescription): number {
    return arm64SysfsElfcorehdrSize(system, crashHotplugBuilt(system, this));
  }

  /**
   * Mainline: no (the generic stub), so a loaded image is never updated in place and udev's
   * unload-and-reload is what keeps it right. The series: file mode, or kexec_load with
   * KEXEC_CRASH_HOTPLUG_SUPPORT — it does not take x86's older 0x4.
   */
  /** Mainline arm64 never selects ARCH_SUPPORTS_CRASH_HOTPLUG; the series does, on the 6.10+ hot-plug API. */
  archSupportsCrashHotplug(system: SystemDescription): boolean {
    return this.optionsFor(system).crashHotplug && system.kernel.hotplug === 'hotplug-support';
  }

  supportsHotplug(q: HotplugSupportQuery): boolean {
    return q.fileMode || (q.flags & KEXEC_CRASH_HOTPLUG_SUPPORT) !== 0;
  }

  handleHotplugEvent(ctx: HotplugContext): void {
    // Core only calls this for an image supportsHotplug accepted, so mainline never gets here.
    arm64HandleHotplugEvent(ctx, (c) => this.crashMemory(c.system));
  }
}

/** The port for a kernel carrying the proposed arm64 crash hot-plug series. */
@injectable()
export class Arm64CrashHotplugPort extends Arm64Port {
  override readonly options: Arm64Options = ARM64_CRASH_HOTPLUG_SERIES;
}
