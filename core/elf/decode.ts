// Reads an elfcorehdr back from bytes and refuses a bad one with the byte offset that is wrong.
// A header whose fields are big-endian under an LSB tag (big-endian ppc64 kexec_file) is read in
// the order that makes it consistent, with a warning: a tool trusting EI_DATA would misread it.

import { EHDR_SIZE, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, type ByteOrder, type ElfCoreHeader, type ElfHeader, type ProgramHeader, PHDR_SIZE } from './elf.js';
import { CrashplugError } from '../base/errors.js';

export interface DecodedElfCoreHeader extends ElfCoreHeader {
  readonly warnings: readonly string[];
}

function bad(where: string, message: string): CrashplugError {
  return new CrashplugError('E_BAD_ELF', `${where}: ${message}`);
}

function readHeader(view: DataView, le: boolean): ElfHeader {
  return {
    data: view.getUint8(5),
    osabi: view.getUint8(7),
    type: view.getUint16(16, le),
    machine: view.getUint16(18, le),
    version: view.getUint32(20, le),
    entry: view.getBigUint64(24, le),
    phoff: view.getBigUint64(32, le),
    shoff: view.getBigUint64(40, le),
    flags: view.getUint32(48, le),
    ehsize: view.getUint16(52, le),
    phentsize: view.getUint16(54, le),
    phnum: view.getUint16(56, le),
    shentsize: view.getUint16(58, le),
    shnum: view.getUint16(60, le),
    shstrndx: view.getUint16(62, le),
  };
}

const sane = (h: ElfHeader): boolean => h.ehsize === EHDR_SIZE && h.phentsize === PHDR_SIZE;

/** The Ehdr of `bytes` (at least 64 bytes from the file's start), in the byte order its fields are really in. */
export interface DecodedElfHeader {
  readonly header: ElfHeader;
  readonly byteOrder: ByteOrder;
  readonly warnings: readonly string[];
}

/** Decode and check the 64-byte ELF header at the start of `bytes` (named `source` in errors). */
export function decodeElfHeader(bytes: Uint8Array, source = 'buffer'): DecodedElfHeader {
  if (bytes.length < EHDR_SIZE) {
    throw bad(
      `${source} at byte ${bytes.length}`,
      `truncated: ${bytes.length} bytes, but an ELF64 header alone takes ${EHDR_SIZE}; is this the whole elfcorehdr?`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, false) !== 0x7f454c46) {
    const got = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw bad(`${source} at byte 0`, `bad magic ${got}, expected 7f 45 4c 46 ("\\x7fELF"); this is not an ELF file`);
  }
  const cls = view.getUint8(4);
  if (cls !== ELFCLASS64) {
    throw bad(`${source} at byte 4`, `EI_CLASS is ${cls}, expected ${ELFCLASS64} (ELFCLASS64); elfcorehdrs of 64-bit kernels are ELF64`);
  }
  const data = view.getUint8(5);
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) {
    throw bad(`${source} at byte 5`, `EI_DATA is ${data}, expected 1 (LSB) or 2 (MSB)`);
  }
  const warnings: string[] = [];
  let order: ByteOrder = data === ELFDATA2LSB ? 'le' : 'be';
  let header = readHeader(view, order === 'le');
  if (!sane(header)) {
    const other: ByteOrder = order === 'le' ? 'be' : 'le';
    const flipped = readHeader(view, other === 'le');
    if (sane(flipped)) {
      warnings.push(
        `EI_DATA says ${order === 'le' ? 'little' : 'big'}-endian but the fields are ${other === 'le' ? 'little' : 'big'}-endian ` +
          `(as a big-endian ppc64 kernel writes them under its hard-coded LSB tag); read in ${other === 'le' ? 'little' : 'big'}-endian order`,
      );
      order = other;
      header = flipped;
    }
  }
  if (header.phentsize !== PHDR_SIZE) {
    throw bad(`${source} at byte 54`, `e_phentsize is ${header.phentsize}, expected ${PHDR_SIZE} (sizeof Elf64_Phdr)`);
  }
  if (header.phoff < BigInt(EHDR_SIZE)) {
    throw bad(`${source} at byte 32`, `e_phoff is ${header.phoff}, inside the ELF header; expected ${EHDR_SIZE}`);
  }
  return { header, byteOrder: order, warnings };
}

/** Whether the 8 bytes at `a` and at `b` are the same. */
function same8(view: DataView, a: number, b: number): boolean {
  return view.getUint32(a) === view.getUint32(b) && view.getUint32(a + 4) === view.getUint32(b + 4);
}

/** The u64 at `at`, or `before` (the value 56 bytes earlier) when the bytes are the same. */
function u64At(view: DataView, at: number, le: boolean, before: bigint | undefined): bigint {
  return before !== undefined && same8(view, at, at - PHDR_SIZE) ? before : view.getBigUint64(at, le);
}

/**
 * The `phnum` program headers of a table that starts at `at` in `bytes`, fields in `order`. A u64
 * field whose bytes equal the same field of the header before (a CPU note's size, an alignment of
 * 0), or p_paddr equal to p_offset and p_memsz to p_filesz, shares that BigInt instead of making
 * another: a 16 000-header table then holds about half as many.
 */
export function decodeProgramHeaders(bytes: Uint8Array, at: number, phnum: number, order: ByteOrder): ProgramHeader[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phdrs: ProgramHeader[] = new Array(phnum);
  const le = order === 'le';
  let prev: ProgramHeader | undefined;
  for (let i = 0; i < phnum; i++) {
    const p = at + i * PHDR_SIZE;
    const offset = u64At(view, p + 8, le, prev?.offset);
    const vaddr = u64At(view, p + 16, le, prev?.vaddr);
    const paddr = same8(view, p + 24, p + 8) ? offset : u64At(view, p + 24, le, prev?.paddr);
    const filesz = u64At(view, p + 32, le, prev?.filesz);
    const memsz = same8(view, p + 40, p + 32) ? filesz : u64At(view, p + 40, le, prev?.memsz);
    const align = u64At(view, p + 48, le, prev?.align);
    prev = { type: view.getUint32(p, le), flags: view.getUint32(p + 4, le), offset, vaddr, paddr, filesz, memsz, align };
    phdrs[i] = prev;
  }
  return phdrs;
}

/** Where the program headers of a checked header lie: `phnum` entries of PHDR_SIZE bytes from `at`. */
export interface ProgramHeaderTable {
  readonly bytes: Uint8Array;
  readonly at: number;
  readonly phnum: number;
  readonly byteOrder: ByteOrder;
}

/** The Ehdr of `bytes` checked, and where its program headers are (refused when they do not fit). */
export function programHeaderTable(bytes: Uint8Array, source = 'buffer'): DecodedElfHeader & { readonly table: ProgramHeaderTable } {
  const { header, byteOrder, warnings } = decodeElfHeader(bytes, source);
  const phoff = Number(header.phoff);
  const end = phoff + header.phnum * PHDR_SIZE;
  if (!Number.isSafeInteger(phoff) || end > bytes.length) {
    throw bad(
      `${source} at byte 56`,
      `e_phnum ${header.phnum} program headers from offset ${header.phoff} need ${end} bytes, but the file has ${bytes.length}; ` +
        'the header is truncated or e_phnum is wrong',
    );
  }
  return { header, byteOrder, warnings, table: { bytes, at: phoff, phnum: header.phnum, byteOrder } };
}

/** Decode `bytes` (named `source` in errors: a file name, or "buffer"). */
export function decodeElfCoreHeader(bytes: Uint8Array, source = 'buffer'): DecodedElfCoreHeader {
  const { header, byteOrder, warnings, table } = programHeaderTable(bytes, source);
  const phdrs = decodeProgramHeaders(bytes, table.at, header.phnum, byteOrder);
  return { header, phdrs, byteOrder, size: bytes.length, warnings };
}

/**
 * decodeElfCoreHeader, checked the same way now, but with `phdrs` decoded on first use: a report
 * written from the bytes (cli/phdr-table-bytes.ts, through `table`) then makes none of the 16 000
 * objects and 40 000 BigInts of a big machine's table. `bytes` must not change afterwards.
 */
export function decodeElfCoreHeaderLazily(
  bytes: Uint8Array,
  source = 'buffer',
): { readonly decoded: DecodedElfCoreHeader; readonly table: ProgramHeaderTable } {
  const { header, byteOrder, warnings, table } = programHeaderTable(bytes, source);
  let phdrs: ProgramHeader[] | undefined;
  const decoded: DecodedElfCoreHeader = {
    header,
    get phdrs(): readonly ProgramHeader[] {
      phdrs ??= decodeProgramHeaders(bytes, table.at, header.phnum, byteOrder);
      return phdrs;
    },
    byteOrder,
    size: bytes.length,
    warnings,
  };
  return { decoded, table };
}
