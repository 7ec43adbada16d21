// `--out -`: the bytes go to standard output, so the report moves to standard error (a script
// piping the header on gets the header alone, and still sees the report).

import type { CliContext } from './context.js';
import { writeFileAtomic } from './files.js';

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

/** "FILE" or "standard output", for "Wrote N bytes to …". */
export function outputName(path: string): string {
  return toStdout(path) ? 'standard output' : path;
}
