// The elfcorehdr kexec-tools writes for kexec_load (kexec/crashdump-elf.c, facts §8.1): PT_NOTEs
// for the CPUs that have a sysfs node, the vmcoreinfo note, the kernel PT_LOAD, one PT_LOAD per
// RAM entry of the arch's own range list, in a buffer rounded to 1 KiB. The arch supplies the
// list (a KexecToolsRangesHook); this file lays the header out and hands it to the encoder.

import { alignUpNumber, hex } from '../base/hex.js';
import {
  EHDR_SIZE,
  ELFDATA2LSB,
  ELFDATA2MSB,
  type ElfCoreHeader,
  coreElfHeader,
  PF_RWX,
  PHDR_SIZE,
  PN_XNUM,
  type ProgramHeader,
  PT_LOAD,
  PT_NOTE,
} from '../elf/elf.js';
import { encodeElfCoreHeader } from '../elf/encode.js';
import type { PhdrRole } from '../elf/elfcorehdr.js';
import { CrashplugError } from '../base/errors.js';
import type { KexecToolsHooks, KexecToolsRanges, KexecToolsRangesHook } from './kexec-tools-hooks.js';
import type { ArchPlugin } from '../port/plugin.js';
import { crashNotesAddress, type SystemDescription } from '../system/system.js';

/**
 * kexec-tools' ELF_CORE_HEADER_ALIGN: the capture kernel is told where the header is with a
 * memmap=/elfcorehdr= option in KiB, so 1 KiB is all the alignment it needs.
 */
export const KEXEC_TOOLS_ELF_CORE_HEADER_ALIGN = 1024;

const U64 = (1n << 64n) - 1n;

/** A phdr's role; a RAM PT_LOAD also says where it sits in kexec-tools' list and if it is the backup. */
export type KexecToolsPhdrRole =
  | Exclude<PhdrRole, { readonly kind: 'ram' }>
  | {
      readonly kind: 'ram';
      /** Position among the RAM PT_LOADs. */
      readonly index: number;
      /** Position in kexec-tools' whole list (RAM and non-RAM entries). */
      readonly listIndex: number;
      /** p_offset is the backup copy, not the range itself. */
      readonly backup: boolean;
    };

export interface KexecToolsLayout {
  /** sysconf(_SC_NPROCESSORS_CONF): the CPU device nodes glibc counts. */
  readonly nrCpus: number;
  /** CPUs that get a PT_NOTE, in CPU order. */
  readonly noteCpus: readonly number[];
  readonly hasKernelMap: boolean;
  /** Entries of kexec-tools' list, every kind: what the buffer is sized for. */
  readonly rangeCount: number;
  /** RAM PT_LOADs written (the list's RAM entries other than [0, 0]). */
  readonly loadCount: number;
  readonly phnum: number;
  /** The phdr count the buffer was sized for: nrCpus + vmcoreinfo + rangeCount (+ kernel). */
  readonly sizedPhnum: number;
  /** round_up(64 + 56·sizedPhnum, 1024): the bufsz kexec-tools hands to add_buffer. */
  readonly size: number;
  readonly roles: readonly KexecToolsPhdrRole[];
}

export interface KexecToolsElfcorehdr {
  /** `size` bytes, zero past the last program header. */
  readonly bytes: Uint8Array;
  readonly header: ElfCoreHeader;
  readonly layout: KexecToolsLayout;
  /** What the arch reported: the list with backup offsets, the exclusions, the kernel map. */
  readonly ranges: KexecToolsRanges;
  readonly size: number;
}

function note(addr: bigint, size: bigint): ProgramHeader {
  return { type: PT_NOTE, flags: 0, offset: addr, vaddr: 0n, paddr: addr, filesz: size, memsz: size, align: 0n };
}

function load(offset: bigint, vaddr: bigint, paddr: bigint, size: bigint): ProgramHeader {
  return { type: PT_LOAD, flags: PF_RWX, offset, vaddr, paddr, filesz: size, memsz: size, align: 0n };
}

function hookOf(plugin: ArchPlugin, given: KexecToolsRangesHook | undefined): KexecToolsRangesHook | undefined {
  if (given !== undefined) return given;
  // Until ArchHooks declares kexecToolsRanges, a plug-in may or may not carry it.
  const own = (plugin as ArchPlugin & Partial<KexecToolsHooks>).kexecToolsRanges;
  return own === undefined ? undefined : (system) => own.call(plugin, system);
}

/**
 * Build the header kexec-tools would write for `system`. `kexecToolsRanges` is the arch's hook;
 * without it the plug-in's own `kexecToolsRanges` is used. A port that does not model kexec-tools
 * gets E_UNSUPPORTED rather than a header that merely looks plausible.
 */
export function buildKexecToolsElfcorehdr(system: SystemDescription, plugin: ArchPlugin, kexecToolsRanges?: KexecToolsRangesHook): KexecToolsElfcorehdr {
  const hook = hookOf(plugin, kexecToolsRanges);
  const kt = hook?.(system);
  if (kt === undefined) {
    throw new CrashplugError(
      'E_UNSUPPORTED',
      `${system.origin}: the ${plugin.id} port does not model kexec-tools' crash memory list, so there is no ` +
        `kexec-tools elfcorehdr for it; use the kernel's builder (builder "kernel")`,
    );
  }

  // glibc counts cpuN directories; each of those has a crash_notes file, and kexec-tools walks
  // CPU numbers upwards until it has found that many, so every CPU with a node gets a note.
  const noteCpus = [...(kt.cpuDevices ?? system.cpus.present)].sort((a, b) => a - b);
  const nrCpus = noteCpus.length;
  const km = kt.kernelMap;
  const sizedPhnum = nrCpus + 1 + kt.ranges.length + (km === undefined ? 0 : 1);
  const size = alignUpNumber(EHDR_SIZE + sizedPhnum * PHDR_SIZE, KEXEC_TOOLS_ELF_CORE_HEADER_ALIGN);

  const phdrs: ProgramHeader[] = [];
  const roles: KexecToolsPhdrRole[] = [];
  for (const cpu of noteCpus) {
    phdrs.push(note(crashNotesAddress(system.crashNotes, cpu), plugin.noteSize));
    roles.push({ kind: 'cpu-note', cpu });
  }
  phdrs.push(note(system.vmcoreinfo.address, system.vmcoreinfo.size));
  roles.push({ kind: 'vmcoreinfo' });
  if (km !== undefined) {
    phdrs.push(load(km.paddr, km.vaddr, km.paddr, km.size));
    roles.push({ kind: 'kernel-map' });
  }
  const { pageOffset, physOffset } = kt.linearMap;
  let loadCount = 0;
  kt.ranges.forEach((r, listIndex) => {
    if (r.type !== 'ram' || (r.start === 0n && r.end === 0n)) return;
    // C arithmetic on u64: an entry the exclusions left inverted still gets its (wrapped) size.
    const vaddr = (r.start - physOffset + pageOffset) & U64;
    phdrs.push(load(r.offset, vaddr, r.start, (r.end - r.start + 1n) & U64));
    roles.push({ kind: 'ram', index: loadCount, listIndex, backup: r.offset !== r.start });
    loadCount++;
  });

  if (phdrs.length >= PN_XNUM) {
    throw new CrashplugError(
      'E_TOO_MANY_PHDRS',
      `${system.origin}: the kexec-tools elfcorehdr would need ${phdrs.length} program headers; its 16-bit ` +
        `e_phnum would wrap at ${PN_XNUM + 1} — describe fewer CPUs or memory ranges`,
    );
  }
  const byteOrder = kt.byteOrder ?? 'le';
  const header: ElfCoreHeader = {
    header: coreElfHeader(plugin.machine, phdrs.length, byteOrder === 'le' ? ELFDATA2LSB : ELFDATA2MSB),
    phdrs,
    byteOrder,
    size,
  };
  const bytes = encodeElfCoreHeader(header);
  if (bytes.length !== size) {
    throw new Error(`kexec-tools elfcorehdr: encoded ${bytes.length} bytes for a ${hex(size)}-byte buffer`);
  }
  return {
    bytes,
    header,
    layout: { nrCpus, noteCpus, hasKernelMap: km !== undefined, rangeCount: kt.ranges.length, loadCount, phnum: phdrs.length, sizedPhnum, size, roles },
    ranges: kt,
    size,
  };
}
