// Small pieces for writing ASCII text straight into a byte buffer (phdr-table-bytes.ts,
// ram-list-text.ts): how many digits a value takes, a decimal, a run of blanks. A report of 16 000
// program headers written this way makes no BigInt and no string per field.

/** Hex digits of the u64 `hi`·2³² + `lo` (both unsigned 32-bit), at least 1. */
export function hexDigitsOf(hi: number, lo: number): number {
  if (hi !== 0) return 8 + ((31 - Math.clz32(hi)) >> 2) + 1;
  return lo === 0 ? 1 : ((31 - Math.clz32(lo)) >> 2) + 1;
}

/** Decimal digits of a non-negative safe integer. */
export function decimalDigitsOf(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** A non-negative safe integer in decimal at `at`; returns the end. */
export function writeDecimal(out: Uint8Array, at: number, n: number): number {
  const end = at + decimalDigitsOf(n);
  let i = end;
  do {
    const q = Math.floor(n / 10);
    out[--i] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
  return end;
}

/**
 * Blanks from `from` up to `to`: a loop, as the runs are a few bytes and Buffer#fill checks its
 * arguments in JavaScript first (a measurable share of a 16 000-row table).
 */
export function blanks(out: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) out[i] = 0x20;
}

/** Bytes turned to hex per call: the digits pass through a string of twice this, kept small. */
const HEX_CHUNK = 16 * 1024;

/**
 * The hex digits of `bytes` (two per byte, most significant nibble first) written into `out` at
 * `at`, by Buffer#toString('hex') a chunk at a time: one string of megabytes would go straight to
 * the old generation and bring on a full garbage collection.
 */
export function writeHexDigits(out: Buffer, at: number, bytes: Buffer): void {
  for (let from = 0; from < bytes.length; from += HEX_CHUNK) {
    const to = Math.min(bytes.length, from + HEX_CHUNK);
    out.write(bytes.toString('hex', from, to), at + 2 * from, 'latin1');
  }
}
