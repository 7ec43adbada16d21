// The report's System RAM list ("  [0x…-0x…]  16 MiB", one line per range) written as one UTF-8
// buffer: the bounds go into a BigUint64Array and are read back as 32-bit halves (no BigInt made
// per field), their hex digits written into the buffer as the program-header table's are
// (phdr-table-bytes.ts). describe-kernel.ts ramLines is the plain version, used for anything this
// one does not take; test/ram-list-text.test.ts checks the two agree.

import { U64_MAX } from '../core/base/index.js';
import type { Range } from '../core/memory/index.js';
import { blanks, hexDigitsOf, hexMin, put } from './ascii-text.js';
import { bytesText, pieceText } from './report-text.js';

/** Every line this writes, with its "\n", or undefined when a range ends below its start (then the sizes are not byte counts). */
export function ramListText(ram: readonly Range[]): string | undefined {
  const bytes = ramListBytes(ram);
  return bytes === undefined ? undefined : pieceText(bytes);
}

/** ramListText as UTF-8 bytes. */
export function ramListBytes(ram: readonly Range[]): Uint8Array | undefined {
  const n = ram.length;
  const bounds = new BigUint64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const r = ram[i]!;
    const start = r.start;
    const end = r.end;
    if (!(start >= 0n && end >= start && end <= U64_MAX)) return undefined;
    bounds[2 * i] = start;
    bounds[2 * i + 1] = end;
  }
  // Halves in the host's order (little-endian on every machine Node runs crashplug on; checked).
  const halves = new Uint32Array(bounds.buffer);
  if (n > 0 && new Uint8Array(bounds.buffer)[0] !== Number(ram[0]!.start & 0xffn)) return undefined;
  let width = 0;
  for (let i = 0; i < n; i++) {
    // "[0x" start "-0x" end "]"
    const w = hexDigitsOf(halves[4 * i + 1]!, halves[4 * i]!) + hexDigitsOf(halves[4 * i + 3]!, halves[4 * i + 2]!) + 7;
    if (w > width) width = w;
  }
  /** Room for the longest size text, "≈1023.9 TiB" in UTF-8, and more. */
  const sizeWidth = 24;
  const out = Buffer.allocUnsafe(n * (2 + width + 1 + sizeWidth + 1));
  let sizeHi = -1;
  let sizeLo = -1;
  let size: Uint8Array = new Uint8Array(0);
  let at = 0;
  for (let i = 0; i < n; i++) {
    // end − start, exact in 32-bit halves; the size is that plus one.
    let lo = halves[4 * i + 2]! - halves[4 * i]!;
    let hi = halves[4 * i + 3]! - halves[4 * i + 1]!;
    if (lo < 0) {
      lo += 0x1_0000_0000;
      hi -= 1;
    }
    if (lo !== sizeLo || hi !== sizeHi) {
      [sizeHi, sizeLo] = [hi, lo];
      // UTF-8: bytesText writes "≈" before a rounded size.
      size = Buffer.from(bytesText(ram[i]!.end - ram[i]!.start + 1n), 'utf8');
      if (size.length > sizeWidth) return undefined;
    }
    at = rangeLine(out, at, halves, 4 * i, width, size);
  }
  return out.subarray(0, at);
}

const RANGE_START = Uint8Array.from('  [0x', (c) => c.charCodeAt(0));
const RANGE_TO = Uint8Array.from('-0x', (c) => c.charCodeAt(0));

/**
 * "  [0xstart-0xend]", blanks to `width`, one more, the size and "\n" at `at`, from the halves at
 * `h` (start low, start high, end low, end high); returns the end. One small function per line:
 * optimized early, where the loop around the lines runs once.
 */
function rangeLine(out: Uint8Array, at: number, halves: Uint32Array, h: number, width: number, size: Uint8Array): number {
  const start = at;
  at = put(out, at, RANGE_START);
  at = hexMin(out, at, halves[h + 1]!, halves[h]!, 1);
  at = put(out, at, RANGE_TO);
  at = hexMin(out, at, halves[h + 3]!, halves[h + 2]!, 1);
  out[at++] = 0x5d; // ]
  const to = start + 2 + width + 1;
  blanks(out, at, to);
  at = put(out, to, size);
  out[at] = 0x0a;
  return at + 1;
}
