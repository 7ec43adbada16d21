// What the `elfcorehdr` report is made from: a built header, the role of each of its program
// headers, and the builder's own account of memory and sizing — the kernel's or kexec-tools'.

import type { ElfCoreHeader, ProgramHeaderTable } from '../core/elf/index.js';
import type { SystemDescription } from '../core/system/index.js';
import type { KernelReportInput } from './describe-kernel.js';
import type { KexecToolsReportInput } from './describe-kexec-tools.js';
import type { ReportRole } from './phdr-roles.js';

export interface ReportCommon {
  readonly system: SystemDescription;
  /** e_machine's name, from the port. */
  readonly machineName: string;
  readonly header: ElfCoreHeader;
  /** One role per program header the builder wrote, in header order. */
  readonly roles: readonly ReportRole[];
  /** Bytes of the buffer the builder returns (4 KiB-aligned for the kernel, 1 KiB for kexec-tools). */
  readonly size: number;
  /** The program-header count that buffer was sized for. */
  readonly sizedPhnum: number;
  /**
   * Where `header`'s program headers are in the bytes it was decoded from, when the caller has
   * them: the text report then writes its table from the bytes (cli/phdr-table-bytes.ts), with
   * the kernel builder's roles read from its layout (so `roles` must be rolesOfLayout(layout)).
   */
  readonly phdrTable?: ProgramHeaderTable | undefined;
}

export type BuiltReportInput = KernelReportInput | KexecToolsReportInput;
