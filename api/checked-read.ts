// Every file crashplug reads is checked before a byte of it is read: it must be a regular file
// (a FIFO, a socket, a terminal or /dev/zero is refused at once, never waited on or read without
// end), and it must fit the cap of its kind. Both refusals are coded one-line errors that name
// the file, and the cap. The FIFO check needs the open itself not to wait for a writer, so files are
// opened with O_NONBLOCK and checked with fstat on the descriptor (no race with a rename between a
// stat and the open).
//
// Each file read while an input journal is open (the CLI opens one per command) is remembered by
// device and inode, so the output set (cli/files.ts) can refuse to write over one of the inputs.

import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { CrashplugError } from '../core/base/index.js';

/** The kinds of input crashplug reads, each with its own cap. */
export type InputKind = 'system' | 'iomem' | 'dtb' | 'elfcorehdr' | 'fadump-header' | 'events' | 'other';

const MiB = 1024 * 1024;

/**
 * Largest input of each kind, in bytes. Each is far above any real file of its kind: a system
 * description with 100 000 inline ranges is ~10 MiB; /proc/iomem of a large server well under
 * 1 MiB; a powerpc device tree with 256 Ki drconf LMBs (64 TiB in 256 MiB blocks) ~6 MiB; the
 * largest kernel elfcorehdr ((2 + 8192 CPUs + 8192 ranges) × 56 + 64 bytes) under 1 MiB; the
 * fadump crash-info header one page plus its CPU mask.
 */
export const INPUT_CAPS: Readonly<Record<InputKind, number>> = {
  system: 64 * MiB,
  iomem: 16 * MiB,
  dtb: 32 * MiB,
  elfcorehdr: 16 * MiB,
  'fadump-header': 1 * MiB,
  events: 256 * MiB,
  other: 64 * MiB,
};

const KIND_NAMES: Readonly<Record<InputKind, string>> = {
  system: 'a system description',
  iomem: 'an iomem text',
  dtb: 'a device tree blob',
  elfcorehdr: 'an elfcorehdr',
  'fadump-header': 'a fadump crash-info header',
  events: 'an events log',
  other: 'an input file',
};

/** "16 MiB", "512 bytes". */
export function sizeText(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** "ENOENT: no such file": the system's code, which scripts and searches know, and what it means. */
export function ioReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const meaning: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a folder on its path is a file',
    ELOOP: 'too many symbolic links',
    ENOSPC: 'no space left on the device',
    EROFS: 'read-only file system',
    ENXIO: 'no process has it open for reading',
    ENAMETOOLONG: 'the name is too long',
    EXDEV: 'on another file system',
  };
  if (typeof e?.code === 'string') return meaning[e.code] === undefined ? `${e.code}: ${e.message}` : `${e.code}: ${meaning[e.code]}`;
  return err instanceof Error ? err.message : String(err);
}

/** What a file that is not a regular file is, for messages. */
export function fileTypeOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'a regular file';
}

/** dev:ino of the inputs read since the journal was opened; undefined when none is open. */
let journal: Map<string, string> | undefined;

/** Start remembering the inputs read (the CLI does this once per command). */
export function openInputJournal(): void {
  journal = new Map();
}

/** Stop remembering; what was remembered is dropped. */
export function closeInputJournal(): void {
  journal = undefined;
}

/** The path an input with this identity was read as, if one was. */
export function inputReadAs(st: { readonly dev: number | bigint; readonly ino: number | bigint }): string | undefined {
  return journal?.get(`${st.dev}:${st.ino}`);
}

/**
 * Read a whole input file, checked: a regular file no larger than the cap of its kind. `what`
 * starts every message ("x.json: cannot read the system description"). E_IO when it cannot be
 * read or is not a regular file, E_TOO_LARGE when it passes the cap.
 */
export function readCheckedFile(path: string, kind: InputKind, what: string): Uint8Array {
  const cap = INPUT_CAPS[kind];
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    throw new CrashplugError('E_IO', `${what} (${ioReason(err)}); check the path and its permissions`, { cause: err });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new CrashplugError(
        'E_IO',
        `${what}: ${path} is ${fileTypeOf(st)}, not a regular file; crashplug reads inputs from regular files only, so save it to a file first`,
      );
    }
    const tooLarge = (size: string): CrashplugError =>
      new CrashplugError('E_TOO_LARGE', `${what}: ${path} is ${size}, over the ${sizeText(cap)} cap on ${KIND_NAMES[kind]}; check that this is the right file`);
    if (st.size > cap) throw tooLarge(`${st.size} bytes`);
    // The size is read as it is now; a file that grows while read is still cut at the cap.
    // Files of /proc and /sys report size 0 and are read until their end all the same.
    let buf = Buffer.allocUnsafe(Math.min(cap + 1, Math.max(st.size + 1, 64 * 1024)));
    let length = 0;
    for (;;) {
      if (length === buf.length) {
        if (length > cap) throw tooLarge(`more than ${cap} bytes`);
        const bigger = Buffer.allocUnsafe(Math.min(cap + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, length);
        buf = bigger;
      }
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > cap) throw tooLarge(`more than ${cap} bytes`);
    journal?.set(`${st.dev}:${st.ino}`, path);
    return new Uint8Array(buf.buffer, buf.byteOffset, length);
  } catch (err) {
    if (CrashplugError.is(err)) throw err;
    throw new CrashplugError('E_IO', `${what} (${ioReason(err)}); check the path and its permissions`, { cause: err });
  } finally {
    closeSync(fd);
  }
}

/** A checked text input, decoded as UTF-8 (TextDecoder drops a leading byte-order mark). */
export function readCheckedText(path: string, kind: InputKind, what: string): string {
  return new TextDecoder('utf-8').decode(readCheckedFile(path, kind, what));
}
