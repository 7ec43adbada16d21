// Reads the ELF header of a file of any size — an elfcorehdr, /proc/vmcore, or a saved ELF vmcore of
// many GiB — through a positioned-read function, so core reads no file itself and only ever asks for
// the 64-byte Ehdr, then exactly the program-header table, then (when asked) the PT_NOTE extents.

import { CrashplugError } from '../base/errors.js';
import { decodeElfHeader, decodeProgramHeaders, type DecodedElfCoreHeader } from './decode.js';
import { EHDR_SIZE, PHDR_SIZE, type ProgramHeader, PT_NOTE } from './elf.js';

/**
 * Positioned read: up to `length` bytes at `offset` of the file (fewer only at its end). The CLI
 * gives one over a file descriptor (cli/header-file.ts); a test may give one over a buffer.
 */
export type ByteReader = (offset: number, length: number) => Uint8Array;

/** How much a streamed header may ask for before it is refused as not a kdump header. */
export interface HeaderLimits {
  /** Most program headers accepted (e_phnum is a u16; the kernel's hot-plug room stays below 0xffff). */
  readonly maxPhdrs: number;
  /** Most bytes of PT_NOTE contents read in all. */
  readonly maxNoteBytes: number;
}

/** 65535 phdrs (3.6 MB: e_phnum's whole range) and 64 MiB of notes (8192 CPUs need about 4 MB). */
export const DEFAULT_HEADER_LIMITS: HeaderLimits = { maxPhdrs: 0xffff, maxNoteBytes: 64 << 20 };

/** A header read from a file: the decoded Ehdr and phdrs, and the size of the file they came from. */
export interface StreamedHeader extends DecodedElfCoreHeader {
  /** Bytes of the whole file. */
  readonly fileSize: number;
}

function readExactly(read: ByteReader, offset: number, length: number, source: string, what: string): Uint8Array {
  const bytes = read(offset, length);
  if (bytes.length !== length) {
    throw new CrashplugError(
      'E_BAD_ELF',
      `${source} at byte ${offset + bytes.length}: the file ends inside ${what} (${length} bytes at offset ${offset} wanted, ${bytes.length} there); the file is truncated`,
    );
  }
  return bytes;
}

/**
 * Read the Ehdr, then exactly the program-header table, of a file of `fileSize` bytes. Refuses a
 * table of more than `limits.maxPhdrs` entries (E_TOO_MANY_PHDRS) and one that lies past the end of
 * the file (E_BAD_ELF), each with the byte offset that is wrong.
 */
export function readElfCoreHeader(read: ByteReader, fileSize: number, source: string, limits: HeaderLimits = DEFAULT_HEADER_LIMITS): StreamedHeader {
  const ehdr = readExactly(read, 0, Math.min(EHDR_SIZE, Math.max(fileSize, 0)), source, 'the ELF header');
  const { header, byteOrder, warnings } = decodeElfHeader(ehdr, source);
  if (header.phnum > limits.maxPhdrs) {
    throw new CrashplugError(
      'E_TOO_MANY_PHDRS',
      `${source} at byte 56: e_phnum is ${header.phnum}, more than the ${limits.maxPhdrs} program headers crashplug reads (${limits.maxPhdrs * PHDR_SIZE} bytes); ` +
        'this is not a kdump header, or e_phnum is corrupt',
    );
  }
  const tableBytes = header.phnum * PHDR_SIZE;
  const end = header.phoff + BigInt(tableBytes);
  if (end > BigInt(fileSize)) {
    throw new CrashplugError(
      'E_BAD_ELF',
      `${source} at byte 32: e_phnum ${header.phnum} program headers from offset ${header.phoff} need ${end} bytes, but the file has ${fileSize}; ` +
        'the header is truncated or e_phoff/e_phnum is wrong',
    );
  }
  const phoff = Number(header.phoff);
  const table = readExactly(read, phoff, tableBytes, source, 'the program-header table');
  const phdrs = decodeProgramHeaders(table, 0, header.phnum, byteOrder);
  return { header, phdrs, byteOrder, size: phoff + tableBytes, warnings, fileSize };
}

/** One PT_NOTE's contents as read from the file, or why they were not read. */
export interface NoteExtent {
  readonly phdr: number;
  readonly bytes?: Uint8Array | undefined;
  /** Set when the bytes were not read: past the file's end, or over the limit. */
  readonly skipped?: string | undefined;
}

/**
 * Read the contents of every PT_NOTE (`p_offset`, `p_filesz`) of a file — nothing else. A note past
 * the file's end or beyond `limits.maxNoteBytes` in all is skipped with the reason, not read.
 */
export function readNoteExtents(
  read: ByteReader,
  fileSize: number,
  phdrs: readonly ProgramHeader[],
  limits: HeaderLimits = DEFAULT_HEADER_LIMITS,
): NoteExtent[] {
  const out: NoteExtent[] = [];
  let budget = limits.maxNoteBytes;
  phdrs.forEach((p, i) => {
    if (p.type !== PT_NOTE) return;
    if (p.offset + p.filesz > BigInt(fileSize)) {
      out.push({ phdr: i, skipped: `its ${p.filesz} bytes at offset ${p.offset} lie past the end of the file (${fileSize} bytes)` });
      return;
    }
    if (p.filesz > BigInt(budget)) {
      out.push({ phdr: i, skipped: `its ${p.filesz} bytes would pass the ${limits.maxNoteBytes}-byte limit on note contents` });
      return;
    }
    const length = Number(p.filesz);
    budget -= length;
    out.push({ phdr: i, bytes: readExactly(read, Number(p.offset), length, `phdr ${i}`, 'a PT_NOTE') });
  });
  return out;
}
