// `--out -`: the bytes go to standard output, so the report moves to standard error (a script
// piping the header on gets the header alone, and still sees the report).

import { CrashplugError } from '../core/base/index.js';
import type { CliContext } from './context.js';
import { OutputSet, writeFileAtomic } from './files.js';
import { pieceText } from './report-text.js';

/** The `--out` value that means standard output. */
export const STDOUT_PATH = '-';

export function toStdout(path: string | undefined): boolean {
  return path === STDOUT_PATH;
}

/** Write `bytes` to the file `path`, whole or not at all, or to standard output for "-". */
export function writeOutput(ctx: CliContext, path: string, bytes: Uint8Array): void {
  if (toStdout(path)) {
    if (ctx.outBytes === undefined) throw new Error('this caller gave no binary standard output');
    ctx.outBytes(bytes);
  } else {
    writeFileAtomic(path, bytes);
  }
}

/** Where the report goes: standard output, unless the bytes took it. */
export function reportStream(ctx: CliContext, bytesToStdout: boolean): (text: string) => void {
  return bytesToStdout ? (ctx.err ?? (() => {})) : ctx.out;
}

/**
 * Where a piece of the report that is UTF-8 bytes goes: written as it is to standard output when
 * the caller can take bytes there, else decoded for reportStream's writer (standard error, or a
 * caller that takes text only).
 */
export function reportBytesStream(ctx: CliContext, bytesToStdout: boolean): (bytes: Uint8Array) => void {
  if (!bytesToStdout && ctx.outBytes !== undefined) return ctx.outBytes;
  const text = reportStream(ctx, bytesToStdout);
  return (bytes) => text(pieceText(bytes));
}

/** "FILE" or "standard output", for "Wrote N bytes to …". */
export function outputName(path: string): string {
  return toStdout(path) ? 'standard output' : path;
}

/**
 * The outputs of one command, all or nothing (files.ts's OutputSet), where "-" means standard
 * output: the files land first, then the bytes for "-" are written, after every file is in place.
 */
export class CommandOutputs {
  readonly #files = new OutputSet();
  #stdout: Uint8Array | undefined;

  constructor(private readonly ctx: CliContext) {}

  add(path: string | undefined, bytes: Uint8Array | string, what: string): this {
    if (toStdout(path)) {
      if (this.#stdout !== undefined) throw new CrashplugError('E_BAD_ARGUMENT', `${what}: only one output can go to standard output ("-")`);
      this.#stdout = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    } else {
      this.#files.add(path, bytes, what);
    }
    return this;
  }

  /** Whether an output took standard output (then the report goes to standard error). */
  get toStdout(): boolean {
    return this.#stdout !== undefined;
  }

  commit(): void {
    this.#files.commit();
    if (this.#stdout !== undefined) {
      if (this.ctx.outBytes === undefined) throw new Error('this caller gave no binary standard output');
      this.ctx.outBytes(this.#stdout);
    }
  }
}
