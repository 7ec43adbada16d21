// File input and output for the commands. Reads fail as E_IO naming the file; the header is written
// to a temporary file in the target's folder and renamed over it, so a failure never leaves a
// half-written or clobbered --out file behind.

import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CrashplugError } from '../core/base/index.js';

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a folder';
  return err instanceof Error ? err.message : String(err);
}

export function readInputFile(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CrashplugError('E_IO', `${path}: cannot read the ${what} (${reason(err)}); check the path`, { cause: err });
  }
}

export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  // Same folder, so the rename cannot cross file systems.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temp, bytes, { flag: 'wx' });
    renameSync(temp, path);
  } catch (err) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // The error worth reporting is the write's, not the clean-up's.
    }
    throw new CrashplugError('E_IO', `${path}: cannot write the header (${reason(err)}); nothing was written`, { cause: err });
  }
}
