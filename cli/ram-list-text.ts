// The report's System RAM list ("  [0x…-0x…]  16 MiB", one line per range) written as one UTF-8
// buffer: the bounds go into a BigUint64Array, are read back as 32-bit halves (no BigInt made
// per field) and turned to hex by native calls (writeHexDigits), as the program-header table is
// (phdr-table-bytes.ts). describe-kernel.ts ramLines is the plain version, used for anything this
// one does not take; test/ram-list-text.test.ts checks the two agree.

import { U64_MAX } from '../core/base/index.js';
import type { Range } from '../core/memory/index.js';
import { blanks, hexDigitsOf, writeHexDigits } from './ascii-text.js';
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
  const digits = new Uint8Array(2 * n);
  let width = 0;
  for (let i = 0; i < n; i++) {
    const s = hexDigitsOf(halves[4 * i + 1]!, halves[4 * i]!);
    const e = hexDigitsOf(halves[4 * i + 3]!, halves[4 * i + 2]!);
    digits[2 * i] = s;
    digits[2 * i + 1] = e;
    // "[0x" start "-0x" end "]"
    if (s + e + 7 > width) width = s + e + 7;
  }
  // The rows from 0 of one buffer, the digits of every bound after them (copyWithin within it).
  /** Room for the longest size text, "≈1023.9 TiB" in UTF-8, and more. */
  const sizeWidth = 24;
  const row = 2 + width + 1 + sizeWidth + 1;
  const digitsAt = n * row;
  const out = Buffer.allocUnsafe(digitsAt + 32 * n);
  const swapped = Buffer.from(bounds.buffer, 0, bounds.byteLength);
  swapped.swap64();
  writeHexDigits(out, digitsAt, swapped);
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
    const s = digits[2 * i]!;
    const e = digits[2 * i + 1]!;
    const d = digitsAt + 32 * i;
    out[at] = 0x20;
    out[at + 1] = 0x20;
    out[at + 2] = 0x5b; // [
    out[at + 3] = 0x30;
    out[at + 4] = 0x78;
    out.copyWithin(at + 5, d + 16 - s, d + 16);
    at += 5 + s;
    out[at] = 0x2d; // -
    out[at + 1] = 0x30;
    out[at + 2] = 0x78;
    out.copyWithin(at + 3, d + 32 - e, d + 32);
    at += 3 + e;
    out[at++] = 0x5d; // ]
    const pad = width - s - e - 7 + 1;
    blanks(out, at, at + pad);
    at += pad;
    out.set(size, at);
    at += size.length;
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}
