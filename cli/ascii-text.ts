// Small pieces for writing ASCII text straight into a byte buffer (phdr-table-bytes.ts,
// ram-list-text.ts): how many digits a value takes, a decimal, a u64 in hex, a run of blanks. A report of 16 000
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

/** The digits 0-9a-f as ASCII. */
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/** The 16 hex digits of the u64 `hi`·2³² + `lo` at `at` (`hi`, `lo` as 32-bit words, either sign). */
export function hex16(out: Uint8Array, at: number, hi: number, lo: number): void {
  for (let k = at + 15; k >= at + 8; k--) {
    out[k] = HEX[lo & 15]!;
    lo >>>= 4;
  }
  for (let k = at + 7; k >= at; k--) {
    out[k] = HEX[hi & 15]!;
    hi >>>= 4;
  }
}

/** The u64 `hi`·2³² + `lo` in hex at `at`, without leading zeros but at least `min` digits; returns the end. */
export function hexMin(out: Uint8Array, at: number, hi: number, lo: number, min: number): number {
  const digits = Math.max(min, hexDigitsOf(hi >>> 0, lo >>> 0));
  const end = at + digits;
  let k = end - 1;
  for (const stop = Math.max(at, end - 8); k >= stop; k--) {
    out[k] = HEX[lo & 15]!;
    lo >>>= 4;
  }
  for (; k >= at; k--) {
    out[k] = HEX[hi & 15]!;
    hi >>>= 4;
  }
  return end;
}

/** The bytes of `text` at `at`; returns the end. A loop: the constants are a few bytes, shorter than a call to `set` costs. */
export function put(out: Uint8Array, at: number, text: Uint8Array): number {
  for (let k = 0; k < text.length; k++) out[at + k] = text[k]!;
  return at + text.length;
}
