// The ppc64 (big-endian) and ppc64le ports: what arch/powerpc/kexec does differently from the
// generic core. One code path for both; they differ only in the byte order of the header's fields
// (the kernel fills C structs natively, under the LSB tag it always writes; facts §13.4).

import { inject, injectable } from 'inversify';
import {
  type ArchPort,
  type ArchSegment,
  type ByteOrder,
  type CrashMemory,
  crashHotplugBuilt,
  CrashplugError,
  type ElfcorehdrLayout,
  type ElfcorehdrSegmentSpec,
  type HostIdentity,
  type HotplugContext,
  type HotplugSupportQuery,
  type SystemDescription,
} from '../core/port/index.js';
import { PPC_HEADER_CHECKS } from './ppc-checks.js';
import { ppcCrashMemory } from './ppc-crash-memory.js';
import { PPC_UPDATE_MESSAGES, ppcHandleHotplugEvent } from './ppc-hotplug.js';
import { ppcKexecToolsRanges } from './ppc-kexec-tools.js';
import { kdumpFdtSegment } from './ppc-kdump-fdt.js';
import { FADUMP_SECTION_READER } from './fadump-config.js';
import { FADUMP_SECTION, POWERPC_SECTION, POWERPC_SECTION_READER, type PowerpcOptions, powerpcOptionsOf } from './ppc-options.js';
import { powerpcProfile } from './ppc-profile.js';
import { ppcElfcorehdrSegment, ppcSysfsElfcorehdrSize, syncBackupRegionPhdr } from './ppc-sizing.js';

/** ELF e_machine of 64-bit PowerPC, both byte orders (include/uapi/linux/elf-em.h). */
export const EM_PPC64 = 21;

/**
 * The options a powerpc port is built with (a ContainerModule binds them; `powerpcModuleWith`
 * binds others): the port never changes after it is made, and a description's `powerpc` object
 * wins over them machine by machine.
 */
export const POWERPC_OPTIONS = Symbol.for('crashplug.powerpc.Options');

/** sizeof(note_buf_t) on ppc64: 24 + 8 + sizeof(elf_prstatus) 504 (ELF_NGREG 48; README "Verified"). */
export const PPC64_NOTE_SIZE = 536n;

/** KEXEC_CRASH_HOTPLUG_SUPPORT: the only kexec_load flag powerpc honours (not 0x4, unlike x86). */
export const PPC_HOTPLUG_FLAG = 0x8;

/** PAGE_OFFSET of the ppc64 linear map (book3s64, hash and radix alike). */
export const PPC64_PAGE_OFFSET = 0xc000_0000_0000_0000n;
/** CONFIG_PPC_64K_PAGES: what distribution kernels build; Debian 13's ppc64el uses 4 KiB (facts §13.7). */
export const PPC64_PAGE_SIZE = 65536;

/** Where the first 64 KiB was copied: the description's backupStart, else the crash reservation's start. */
export function backupStartOf(system: SystemDescription): bigint {
  const start = system.backupStart ?? system.crashkernel?.start;
  if (start === undefined) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.origin}: neither backupStart nor crashkernel is given, so the backup region's p_offset is unknown; ` +
        'give crashkernel (the crash reservation) or backupStart (where the first 64 KiB was copied)',
    );
  }
  return start;
}

export abstract class PowerpcPort implements ArchPort {
  abstract readonly id: string;
  abstract readonly description: string;
  /** Field order of the kexec_file header this kernel writes. */
  abstract readonly byteOrder: ByteOrder;
  readonly machine = EM_PPC64;
  readonly machineName = 'EM_PPC64';
  readonly updateMessages = PPC_UPDATE_MESSAGES;
  /** Both byte orders are Node's "ppc64"; os.endianness() tells them apart. */
  abstract readonly host: HostIdentity;
  readonly noteSize = PPC64_NOTE_SIZE;
  readonly defaults = { pageOffset: PPC64_PAGE_OFFSET, pageSize: PPC64_PAGE_SIZE };
  /** The description's `powerpc` object (ppc-options.ts) and `fadump` object (fadump-config.ts). */
  readonly sections = { [POWERPC_SECTION]: POWERPC_SECTION_READER, [FADUMP_SECTION]: FADUMP_SECTION_READER };
  /** get_crash_memory_ranges walks memblock: a hot-added DIMM merges with a same-node neighbour (facts §13.7). */
  readonly ramWalk = 'memblock' as const;
  /** arch/powerpc/purgatory/trampoline_64.S copies the backup region and jumps: it never checks the digest (facts §2.9). */
  readonly kexecFilePurgatory = 'ignores' as const;
  /** `crashplug check`: remove_mem_range's tails, the backup p_offset, big-endian fields (ppc-checks.ts). */
  readonly headerChecks = PPC_HEADER_CHECKS;

  constructor(private readonly portOptions: PowerpcOptions) {}

  options(system: SystemDescription): PowerpcOptions {
    return powerpcOptionsOf(system, this.portOptions);
  }

  crashMemory(system: SystemDescription): CrashMemory {
    if (!powerpcProfile(system.kernel).kexecFileCrash) {
      throw new CrashplugError(
        'E_UNSUPPORTED',
        `${system.origin}: kernel ${system.kernel.version} cannot load a crash kernel with kexec_file_load on powerpc (that came with 5.9); ` +
          'use kernel "5.9" or newer, or the kexec-tools builder',
      );
    }
    return ppcCrashMemory(system, this.options(system));
  }

  fieldByteOrder(): ByteOrder {
    return this.byteOrder;
  }

  fixupElfcorehdr(bytes: Uint8Array, layout: ElfcorehdrLayout, system: SystemDescription): void {
    const behaviour = this.options(system).backupPhdr ?? powerpcProfile(system.kernel).backupPhdr;
    if (behaviour === 'stays-zero') return;
    syncBackupRegionPhdr(bytes, layout.phnum, this.byteOrder === 'le', backupStartOf(system));
  }

  /** kexec-tools' header for kexec_load (ppc-kexec-tools.ts): device-tree memory, backup, RTAS last. */
  kexecToolsRanges = (system: SystemDescription) => ppcKexecToolsRanges(system, this.options(system), this.byteOrder);

  /** ARCH_SUPPORTS_CRASH_HOTPLUG on powerpc came with 6.10 ("powerpc: add crash CPU/memory hotplug support"). */
  archSupportsCrashHotplug(system: SystemDescription): boolean {
    return powerpcProfile(system.kernel).crashHotplug;
  }

  elfcorehdrSegment(system: SystemDescription, layout: ElfcorehdrLayout): ElfcorehdrSegmentSpec {
    return ppcElfcorehdrSegment(system, layout, crashHotplugBuilt(system, this));
  }

  sysfsElfcorehdrSize(system: SystemDescription): number {
    return ppcSysfsElfcorehdrSize(system, crashHotplugBuilt(system, this));
  }

  /** The kdump kernel's device tree, which ADD_CPU later finds by its magic and rewrites. */
  kexecFileSegments(system: SystemDescription): readonly ArchSegment[] {
    return [kdumpFdtSegment(system, this.options(system), crashHotplugBuilt(system, this))];
  }

  supportsHotplug(q: HotplugSupportQuery): boolean {
    return q.fileMode || (q.flags & PPC_HOTPLUG_FLAG) !== 0;
  }

  handleHotplugEvent(ctx: HotplugContext): void {
    ppcHandleHotplugEvent(ctx, this.options(ctx.system));
  }
}

@injectable()
export class Ppc64Port extends PowerpcPort {
  // inversify reads the constructor of the bound class itself, so each says what it is made with.
  constructor(@inject(POWERPC_OPTIONS) options: PowerpcOptions) {
    super(options);
  }

  readonly id = 'ppc64';
  readonly host: HostIdentity = { nodeArch: 'ppc64', endianness: 'BE', unameMachine: 'ppc64', kcoreGivesPageOffset: true };
  readonly description = 'ppc64 big-endian (arch/powerpc/kexec): memory from the device tree, backup region, no kernel PT_LOAD, fadump';
  readonly byteOrder: ByteOrder = 'be';
}

@injectable()
export class Ppc64lePort extends PowerpcPort {
  // inversify reads the constructor of the bound class itself, so each says what it is made with.
  constructor(@inject(POWERPC_OPTIONS) options: PowerpcOptions) {
    super(options);
  }

  readonly id = 'ppc64le';
  readonly host: HostIdentity = { nodeArch: 'ppc64', endianness: 'LE', unameMachine: 'ppc64le', kcoreGivesPageOffset: true };
  readonly description = 'ppc64le (arch/powerpc/kexec): memory from the device tree, backup region, no kernel PT_LOAD, fadump';
  readonly byteOrder: ByteOrder = 'le';
}
