// The x86_64 port: what arch/x86/kernel/crash.c does differently from the generic core.

import { injectable } from 'inversify';
import {
  type ArchPort,
  CrashplugError,
  crashHotplugBuilt,
  type ElfcorehdrLayout,
  type ElfcorehdrSegmentSpec,
  type HostIdentity,
  type HotplugSupportQuery,
  type KernelMap,
  type SystemDescription,
} from '../core/port/index.js';
import { x86CrashMemory } from './x86-crash-memory.js';
import { X86_UPDATE_MESSAGES, x86HandleHotplugEvent, x86KexecToolsHotplugFlag } from './x86-hotplug.js';
import { x86KexecToolsRanges } from './x86-kexec-tools.js';
import { x86ElfcorehdrSegment, x86SysfsElfcorehdrSize } from './x86-sizing.js';

/** KEXEC_UPDATE_ELFCOREHDR (6.6) and KEXEC_CRASH_HOTPLUG_SUPPORT (6.10): x86 accepts both. */
const X86_HOTPLUG_FLAGS = 0x4 | 0x8;

/** ELF e_machine of x86_64 (include/uapi/linux/elf-em.h). */
export const EM_X86_64 = 62;

/** What an x86_64 host looks like to --host: `_text` links at 0xffffffff81000000 without KASLR. */
export const X86_64_HOST: HostIdentity = {
  nodeArch: 'x64',
  unameMachine: 'x86_64',
  kernelTextWithoutKaslr: 0xffff_ffff_8100_0000n,
  kcoreGivesPageOffset: true,
};

/** sizeof(note_buf_t) on x86_64: 24 + 8 + sizeof(elf_prstatus) 336. */
export const X86_64_NOTE_SIZE = 368n;

@injectable()
export class X86Port implements ArchPort {
  readonly id = 'x86_64';
  readonly description = 'x86_64 (arch/x86/kernel/crash.c): low 1 MiB excluded, kernel-text PT_LOAD';
  readonly machine = EM_X86_64;
  readonly machineName = 'EM_X86_64';
  readonly host = X86_64_HOST;
  readonly updateMessages = X86_UPDATE_MESSAGES;
  readonly noteSize = X86_64_NOTE_SIZE;
  readonly defaults = { pageOffset: 0xffff_8880_0000_0000n, pageSize: 4096 };
  /** walk_system_ram_res: every System RAM resource one range, a hot-added DIMM its own (facts §13.7). */
  readonly ramWalk = 'iomem' as const;

  crashMemory = x86CrashMemory;
  kexecToolsRanges = x86KexecToolsRanges;
  handleHotplugEvent = x86HandleHotplugEvent;
  kexecToolsHotplugFlag = x86KexecToolsHotplugFlag;

  /** need_kernel_map = IS_ENABLED(CONFIG_X86_64): the kernel text is always a PT_LOAD. */
  kernelMap(system: SystemDescription): KernelMap {
    const k = system.kernelImage;
    if (k === undefined) {
      throw new CrashplugError(
        'E_BAD_SYSTEM',
        `${system.origin}: kernelImage is required on x86_64 (the header has a kernel-text PT_LOAD); ` +
          'give kernelImage.text (_text), kernelImage.textPhys and kernelImage.size (_end − _text)',
      );
    }
    return { vaddr: k.text, paddr: k.textPhys, size: k.size };
  }

  /** x86 selects ARCH_SUPPORTS_CRASH_HOTPLUG from the first release with crash hot-plug (6.6). */
  archSupportsCrashHotplug(): boolean {
    return true;
  }

  elfcorehdrSegment(system: SystemDescription, layout: ElfcorehdrLayout): ElfcorehdrSegmentSpec {
    return x86ElfcorehdrSegment(system, layout, crashHotplugBuilt(system, this));
  }

  sysfsElfcorehdrSize(system: SystemDescription): number {
    return x86SysfsElfcorehdrSize(system, crashHotplugBuilt(system, this));
  }

  supportsHotplug(q: HotplugSupportQuery): boolean {
    return q.fileMode || (q.flags & X86_HOTPLUG_FLAGS) !== 0;
  }
}
