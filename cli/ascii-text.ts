// ASCII text written straight into a growing byte buffer: hex of 64-bit values given as two 32-bit
// halves, decimals, padding. A report of 16 000 program headers formatted this way makes no BigInt
// and no string per field; the buffer becomes one flat one-byte string at the end.

const HEX = '0123456789abcdef';

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

export class AsciiBuffer {
  #bytes: Uint8Array;
  /** Bytes written so far. */
  length = 0;

  constructor(capacity = 1 << 16) {
    this.#bytes = new Uint8Array(Math.max(16, capacity));
  }

  /** Room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.length));
    this.#bytes = grown;
  }

  byte(c: number): void {
    this.reserve(1);
    this.#bytes[this.length++] = c;
  }

  /** `n` spaces (none for n ≤ 0). */
  spaces(n: number): void {
    if (n <= 0) return;
    this.reserve(n);
    this.#bytes.fill(0x20, this.length, this.length + n);
    this.length += n;
  }

  /** A string of ASCII characters (the callers write only those: labels, type names, titles). */
  text(s: string): void {
    this.reserve(s.length);
    const b = this.#bytes;
    let at = this.length;
    for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** The hex digits of `hi`·2³² + `lo`, zero-padded on the left to `minDigits`, without "0x". */
  hex(hi: number, lo: number, minDigits: number): void {
    const digits = Math.max(minDigits, hexDigitsOf(hi, lo));
    this.reserve(digits);
    const b = this.#bytes;
    const end = this.length + digits;
    let at = end;
    // The low half gives the last 8 digits, the high half the ones before; zeros fill the rest.
    for (let k = 0; k < 8 && at > this.length; k++) {
      b[--at] = HEX.charCodeAt(lo & 0xf);
      lo >>>= 4;
    }
    while (at > this.length) {
      b[--at] = HEX.charCodeAt(hi & 0xf);
      hi >>>= 4;
    }
    this.length = end;
  }

  /** A non-negative safe integer in decimal. */
  decimal(n: number): void {
    const digits = decimalDigitsOf(n);
    this.reserve(digits);
    const b = this.#bytes;
    let at = this.length + digits;
    this.length = at;
    do {
      const q = Math.floor(n / 10);
      b[--at] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** The bytes from `from` to the end as a string (one byte per character). */
  textFrom(from: number): string {
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + from, this.length - from).toString('latin1');
  }

  toString(): string {
    return this.textFrom(0);
  }
}
