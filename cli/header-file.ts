// Bounded, streaming access to a header file of any size (/proc/vmcore, a saved multi-GiB vmcore):
// positioned reads on one file descriptor, nothing read that the caller does not ask for. Core gets
// the `read(offset, length)` function; it never sees the file.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CrashplugError } from '../core/base/index.js';
import type { ByteReader } from '../core/elf/index.js';

export interface HeaderFile {
  readonly path: string;
  /** Bytes of the file (st_size; for /proc/vmcore the dump's size). */
  readonly size: number;
  readonly read: ByteReader;
  /** Bytes read so far, for the report and the tests. */
  bytesRead(): number;
  close(): void;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a folder';
  return err instanceof Error ? err.message : String(err);
}

/** The largest single read a header reader asks for (a phdr table of 65535 entries is 3.6 MB). */
const MAX_READ = 64 << 20;

export function openHeaderFile(path: string, what: string): HeaderFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new CrashplugError('E_IO', `${path}: cannot read the ${what} (${reason(err)}); check the path`, { cause: err });
  }
  let size: number;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    size = st.size;
  } catch (err) {
    closeSync(fd);
    throw new CrashplugError('E_IO', `${path}: cannot read the ${what} (${reason(err)}); check the path`, { cause: err });
  }
  let total = 0;
  const read: ByteReader = (offset, length) => {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0 || length > MAX_READ) {
      throw new CrashplugError(
        'E_BAD_ELF',
        `${path}: a read of ${length} bytes at offset ${offset} is out of range; the header names an impossible offset or size`,
      );
    }
    const buf = new Uint8Array(Math.min(length, Math.max(0, size - offset)));
    let got = 0;
    try {
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, offset + got);
        if (n === 0) break;
        got += n;
      }
    } catch (err) {
      throw new CrashplugError('E_IO', `${path}: cannot read ${length} bytes at offset ${offset} (${reason(err)})`, { cause: err });
    }
    total += got;
    return got === buf.length ? buf : buf.subarray(0, got);
  };
  return {
    path,
    size,
    read,
    bytesRead: () => total,
    close: () => closeSync(fd),
  };
}
