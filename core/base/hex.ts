// Hex formatting and parsing of 64-bit values; the system description writes them as "0x…" strings.

export const U64_MAX = (1n << 64n) - 1n;

export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}

/** Zero-padded to 16 digits, as readelf prints 64-bit fields. */
export function hex16(value: bigint): string {
  return `0x${value.toString(16).padStart(16, '0')}`;
}

/**
 * Parse "0x1f", "31" or a size with a binary suffix ("128M", "1G", "4K"). Returns undefined when
 * the text is not a non-negative integer that fits in 64 bits, so callers can say where it was.
 */
export function parseU64(text: string): bigint | undefined {
  const t = text.trim();
  let value: bigint;
  const sized = /^(\d+)([KMGT])(i?B)?$/i.exec(t);
  if (sized) {
    const shift = { K: 10n, M: 20n, G: 30n, T: 40n }[sized[2]!.toUpperCase() as 'K' | 'M' | 'G' | 'T'];
    value = BigInt(sized[1]!) << shift;
  } else if (/^0x[0-9a-f]+$/i.test(t)) {
    value = BigInt(t);
  } else if (/^\d+$/.test(t)) {
    value = BigInt(t);
  } else {
    return undefined;
  }
  return value <= U64_MAX ? value : undefined;
}

export function alignUp(value: bigint, align: bigint): bigint {
  return ((value + align - 1n) / align) * align;
}

export function alignUpNumber(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}
