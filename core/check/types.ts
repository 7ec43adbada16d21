// What `crashplug check` reports and what a check sees. A check is a pure function over a decoded
// header (and, with --against, plain facts about the machine); it returns findings, each naming the
// program header and the kernel or kexec-tools commit behind the defect. Core's checks are generic;
// a port adds the ones that belong to its arch (`ArchIdentity.headerChecks`).

import type { DecodedElfCoreHeader } from '../elf/decode.js';
import type { ElfNote } from '../elf/notes.js';
import type { NamedRange } from '../memory/range.js';
import type { RamRange } from '../system/system.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  readonly severity: Severity;
  /** Index of the program header the finding is about; null for the header as a whole. */
  readonly phdr: number | null;
  /** Stable identifier of the check (docs/check.md lists them all). */
  readonly code: string;
  readonly message: string;
  /** The commit behind the defect ("kernel 7afe2383eff0", "kexec-tools 95de9eccf413"), when one is known. */
  readonly commit?: string | undefined;
  /** The range of physical memory the finding is about, inclusive. */
  readonly range?: { readonly start: bigint; readonly end: bigint } | undefined;
}

/**
 * What the file is: an elfcorehdr as the first kernel keeps it (PT_NOTE p_offset = the notes'
 * physical address), or the header of /proc/vmcore or a saved vmcore, where the capture kernel has
 * merged the notes into one PT_NOTE and every p_offset is a file offset.
 */
export type HeaderKind = 'elfcorehdr' | 'vmcore';

/** The notes of one PT_NOTE, when the file's notes were read (vmcore files; --notes). */
export interface PhdrNotes {
  readonly phdr: number;
  readonly notes: readonly ElfNote[];
  /** Why the notes could not be (fully) read, if they could not. */
  readonly problem?: string | undefined;
}

/** Facts about the machine the header should describe (`--against`), as plain data. */
export interface CheckMachine {
  /** The description's name, for messages. */
  readonly origin: string;
  /** System RAM as the arch's walk sees it, each named (and with its NUMA node where known). */
  readonly ram: readonly RamRange[];
  /** Memory the kernel deliberately leaves out (crash reservations, x86's low 1 MiB, …), named. */
  readonly holes: readonly NamedRange[];
  /** The crash reservations (`crashk_res`, `crashk_low_res`). */
  readonly reservations: readonly NamedRange[];
  /** Non-RAM ranges a builder adds on purpose (powerpc RTAS/OPAL, kexec-tools' rounded copies). */
  readonly added: readonly NamedRange[];
  /** sizeof(note_buf_t) of the machine's arch. */
  readonly noteSize: bigint;
  /** VMCOREINFO_NOTE_SIZE for the machine's page size. */
  readonly vmcoreinfoSize: bigint;
  /** /sys/kernel/crash_elfcorehdr_size and the room the segment really has; absent when the kernel has no crash hot-plug. */
  readonly segment?: { readonly sysfsSize: number; readonly memsz: number } | undefined;
}

export interface CheckContext {
  readonly header: DecodedElfCoreHeader;
  readonly kind: HeaderKind;
  /** Index of the kernel-text PT_LOAD (its vaddr − paddr differs from the linear map's), if any. */
  readonly kernelMap: number | undefined;
  /** sizeof(note_buf_t) of every port that writes this e_machine (empty when none does). */
  readonly noteSizes: readonly bigint[];
  /** Page sizes this e_machine's kernels may use, for VMCOREINFO_NOTE_SIZE. */
  readonly pageSizes: readonly number[];
  /** Bytes of the file the header came from, when it was read from one. */
  readonly fileSize?: number | undefined;
  /** Notes read from the file, per PT_NOTE (only when they were read). */
  readonly notes?: readonly PhdrNotes[] | undefined;
  readonly machine?: CheckMachine | undefined;
}

export interface HeaderCheck {
  /** The finding code this check reports (docs/check.md). */
  readonly code: string;
  /**
   * Core checks whose findings this one makes redundant for the same program header (a port's
   * precise diagnosis replaces core's generic one: it names the commit).
   */
  readonly supersedes?: readonly string[] | undefined;
  run(ctx: CheckContext): Finding[];
}
