// File input and output for the commands — the one place they read and write files.
//
// Reading: `readInputFile(path, what, kind)` reads one whole input, checked first (api/checked-read.ts):
// a regular file within the cap of its kind (INPUT_CAPS), else a coded error (E_IO: missing, not a
// regular file — FIFOs, sockets and devices such as /dev/zero are refused at once —; E_TOO_LARGE:
// over the cap). System descriptions go through api/system-file.ts's loadSystemFile, which reads the
// description and its memory.iomem / memory.dtb the same way. While a command runs (runCli opens the
// journal) every input read is remembered by device and inode.
//
// Writing: the outputs of one command land together or not at all. Render everything first, then
//
//     new OutputSet().add(opts.out, bytes, 'header').add(opts.svg, svg, 'SVG picture').commit();
//
// (`add` ignores an undefined path, so an optional output is one line) or, for a single file,
// `writeFileAtomic(path, bytes, what)`. `commit` refuses before writing anything: an output that is
// one of the command's inputs (same device and inode: an input is never overwritten), the same file
// given twice, a folder, a block device or socket, a symbolic link to nothing. Then it writes every
// regular output to a temporary in its target's folder (a short name, `.crashplug-PID-RANDOM.tmp`, so
// any legal target name works), writes character devices (/dev/null) and FIFOs in place (a FIFO
// with no reader is E_IO at once, never a wait), and renames every temporary over its target; any
// failure removes every temporary and puts back every target already replaced, so existing files
// stay byte-identical. A symbolic link is written through to its target, as cp does; the link
// stays. A replaced file keeps its permission bits. Report text goes to stdout only after commit.
//
// Port commands get the same through PortCommandIo (cli/port-commands.ts): `writeOutput` adds to
// the run's output set, committed when `run` returns, and `readInput` is readInputFile.

import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileTypeOf, type InputKind, inputReadAs, ioReason, readCheckedFile } from '../api/checked-read.js';
import { CrashplugError } from '../core/base/index.js';

export { INPUT_CAPS, type InputKind } from '../api/checked-read.js';

/** Read a whole input file, checked (regular file, within the cap of `kind`); E_IO / E_TOO_LARGE naming it. */
export function readInputFile(path: string, what: string, kind: InputKind = 'other'): Uint8Array {
  return readCheckedFile(path, kind, `${path}: cannot read the ${what}`);
}

/** The file-system calls an output set makes; tests inject faults through it. */
export interface OutputFs {
  lstatSync(path: string): nodeFs.Stats;
  statSync(path: string): nodeFs.Stats;
  realpathSync(path: string): string;
  openSync(path: string, flags: number | string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fchmodSync(fd: number, mode: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, link: string): void;
  unlinkSync(path: string): void;
}

const NODE_FS: OutputFs = {
  lstatSync: (p) => nodeFs.lstatSync(p),
  statSync: (p) => nodeFs.statSync(p),
  realpathSync: (p) => nodeFs.realpathSync(p),
  openSync: (p, f, m) => nodeFs.openSync(p, f, m),
  writeSync: (fd, b, o, l) => nodeFs.writeSync(fd, b, o, l),
  fchmodSync: (fd, m) => nodeFs.fchmodSync(fd, m),
  closeSync: (fd) => nodeFs.closeSync(fd),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  linkSync: (a, b) => nodeFs.linkSync(a, b),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
};

/** How long a write to a FIFO may wait for its reader to make room. */
const FIFO_WRITE_TIMEOUT_MS = 10_000;

interface Planned {
  readonly path: string;
  readonly what: string;
  readonly bytes: Uint8Array;
  /** Where the bytes go: the path, or a symbolic link's target. */
  readonly target: string;
  /** new: no file yet; replace: a regular file; in-place: a character device or FIFO. */
  readonly how: 'new' | 'replace' | 'in-place';
  /** Permission bits a replaced file keeps. */
  readonly mode?: number | undefined;
  /** Two outputs with the same identity are the same file. */
  readonly identity: string;
  temp?: string | undefined;
  backup?: string | undefined;
  renamed?: boolean | undefined;
}

function ioError(p: { path: string; what: string }, why: string, cause?: unknown): CrashplugError {
  return new CrashplugError('E_IO', `${p.path}: cannot write the ${p.what} (${why}); nothing was written`, cause === undefined ? undefined : { cause });
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** The outputs of one command, written together by `commit` or not at all. */
export class OutputSet {
  readonly #files: { path: string; bytes: Uint8Array; what: string }[] = [];

  constructor(private readonly fs: OutputFs = NODE_FS) {}

  /** One more output; an undefined path (an option not given) is skipped. Strings are written as UTF-8. */
  add(path: string | undefined, bytes: Uint8Array | string, what: string): this {
    if (path !== undefined) this.#files.push({ path, bytes: typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes, what });
    return this;
  }

  get size(): number {
    return this.#files.length;
  }

  /** Write them all, or (with a coded error) none, leaving every existing file as it was. */
  commit(): void {
    const plan = this.#files.map((f) => this.#plan(f));
    refuseTwice(plan);
    try {
      for (const p of plan) if (p.how !== 'in-place') this.#writeTemp(p);
      this.#writeInPlace(plan.filter((p) => p.how === 'in-place'));
      this.#renameAll(plan);
    } finally {
      for (const p of plan) {
        if (p.temp !== undefined) this.#quietUnlink(p.temp);
        if (p.backup !== undefined) this.#quietUnlink(p.backup);
      }
    }
  }

  #plan(f: { path: string; bytes: Uint8Array; what: string }): Planned {
    const fs = this.fs;
    let st: nodeFs.Stats | undefined;
    let target = f.path;
    try {
      st = fs.lstatSync(f.path);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw ioError(f, ioReason(err), err);
    }
    if (st?.isSymbolicLink() === true) {
      try {
        st = fs.statSync(f.path);
      } catch (err) {
        if (errnoOf(err) === 'ENOENT') {
          throw ioError(f, 'it is a symbolic link to nothing; crashplug writes through a link to its target, as cp does, and does not create the target', err);
        }
        throw ioError(f, ioReason(err), err);
      }
      if (st.isFile()) {
        try {
          target = fs.realpathSync(f.path);
        } catch (err) {
          throw ioError(f, ioReason(err), err);
        }
      }
    }
    if (st === undefined) {
      let dir: string;
      try {
        dir = fs.realpathSync(dirname(resolve(f.path)));
      } catch (err) {
        throw ioError(f, `its folder ${dirname(f.path)}: ${ioReason(err)}`, err);
      }
      return { ...f, target, how: 'new', identity: `path:${join(dir, basename(f.path))}` };
    }
    const identity = `ino:${st.dev}:${st.ino}`;
    if (st.isFile()) {
      const input = inputReadAs(st);
      if (input !== undefined) {
        throw new CrashplugError(
          'E_BAD_ARGUMENT',
          `${f.path}: the ${f.what} would overwrite ${input === f.path ? 'an input of this command' : `the input ${input}`} (the same file); write it to another file`,
        );
      }
      return { ...f, target, how: 'replace', mode: st.mode & 0o7777, identity };
    }
    if (st.isCharacterDevice() || st.isFIFO()) return { ...f, target, how: 'in-place', identity };
    throw ioError(f, `it is ${fileTypeOf(st)}; crashplug writes regular files, and character devices and FIFOs in place, nothing else`);
  }

  #writeAll(fd: number, bytes: Uint8Array, deadline?: number): void {
    for (let at = 0; at < bytes.length; ) {
      try {
        at += this.fs.writeSync(fd, bytes, at, bytes.length - at);
      } catch (err) {
        // A FIFO opened without blocking says EAGAIN while its reader is behind.
        if (errnoOf(err) !== 'EAGAIN' || deadline === undefined) throw err;
        if (Date.now() > deadline) throw Object.assign(new Error('the reader took no data for 10 s'), { code: 'ETIMEDOUT' });
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  }

  #writeTemp(p: Planned): void {
    const fs = this.fs;
    // Short and fixed-length: a 255-byte target name still leaves room.
    const temp = join(dirname(p.target), `.crashplug-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    let fd: number;
    try {
      fd = fs.openSync(temp, 'wx', 0o666);
    } catch (err) {
      throw ioError(p, ioReason(err), err);
    }
    p.temp = temp;
    try {
      if (p.mode !== undefined) fs.fchmodSync(fd, p.mode);
      this.#writeAll(fd, p.bytes);
    } catch (err) {
      throw ioError(p, ioReason(err), err);
    } finally {
      fs.closeSync(fd);
    }
  }

  #writeInPlace(devices: readonly Planned[]): void {
    const fs = this.fs;
    const fds: number[] = [];
    try {
      // Open them all first: a FIFO without a reader is refused before any bytes go anywhere.
      for (const p of devices) {
        try {
          fds.push(fs.openSync(p.path, nodeFs.constants.O_WRONLY | nodeFs.constants.O_NONBLOCK | nodeFs.constants.O_NOCTTY));
        } catch (err) {
          const why = errnoOf(err) === 'ENXIO' ? 'it is a FIFO that no process has open for reading' : ioReason(err);
          throw ioError(p, why, err);
        }
      }
      devices.forEach((p, i) => {
        try {
          this.#writeAll(fds[i]!, p.bytes, Date.now() + FIFO_WRITE_TIMEOUT_MS);
        } catch (err) {
          throw new CrashplugError(
            'E_IO',
            `${p.path}: cannot write the ${p.what} in place (${ioReason(err)}); part of it may have reached it, no other output was written`,
            { cause: err },
          );
        }
      });
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
  }

  #renameAll(plan: Planned[]): void {
    const fs = this.fs;
    const files = plan.filter((p) => p.temp !== undefined);
    // A second name for each file about to be replaced, so a failure half-way can put it back.
    for (const p of files) {
      if (p.how !== 'replace' || files.length < 2) continue;
      const backup = join(dirname(p.target), `.crashplug-${process.pid}-${randomBytes(4).toString('hex')}.old`);
      try {
        fs.linkSync(p.target, backup);
        p.backup = backup;
      } catch (err) {
        throw ioError(p, `cannot keep a copy of the file while replacing it: ${ioReason(err)}`, err);
      }
    }
    for (const p of files) {
      try {
        fs.renameSync(p.temp!, p.target);
        p.temp = undefined;
        p.renamed = true;
      } catch (err) {
        this.#undo(files);
        throw ioError(p, ioReason(err), err);
      }
    }
  }

  /** Put back what the renames so far replaced; a new file goes away again. */
  #undo(files: readonly Planned[]): void {
    for (const p of files) {
      if (p.renamed !== true) continue;
      try {
        if (p.backup !== undefined) {
          this.fs.renameSync(p.backup, p.target);
          p.backup = undefined;
        } else if (p.how === 'new') {
          this.fs.unlinkSync(p.target);
        }
      } catch {
        // The error worth reporting is the rename's.
      }
    }
  }

  #quietUnlink(path: string): void {
    try {
      this.fs.unlinkSync(path);
    } catch {
      // Gone already, or the error worth reporting is another.
    }
  }
}

function refuseTwice(plan: readonly Planned[]): void {
  const seen = new Map<string, Planned>();
  for (const p of plan) {
    const first = seen.get(p.identity);
    // /dev/null may take any number of outputs.
    if (first !== undefined && p.how !== 'in-place') {
      const same = first.path === p.path ? '' : ` (as ${first.path})`;
      throw new CrashplugError('E_BAD_ARGUMENT', `${p.path}: the ${first.what}${same} and the ${p.what} would go to the same file; give each its own file`);
    }
    seen.set(p.identity, p);
  }
}

/** One output, written whole or not at all (an OutputSet of one). */
export function writeFileAtomic(path: string, bytes: Uint8Array, what = 'header'): void {
  new OutputSet().add(path, bytes, what).commit();
}
