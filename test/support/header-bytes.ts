// Editing real captured headers byte by byte, to make the defects `crashplug check` must find out of
// headers real kernels wrote (rather than out of crashplug's own builder alone).

/** Byte offsets of the Elf64_Phdr fields. */
export const PHDR = { type: 0, flags: 4, offset: 8, vaddr: 16, paddr: 24, filesz: 32, memsz: 40, align: 48 } as const;

export function phdrAt(i: number): number {
  return 64 + 56 * i;
}

/** A copy of `bytes` with u64 field `field` of program header `i` set (little-endian). */
export function withPhdr(bytes: Uint8Array, i: number, fields: Partial<Record<keyof typeof PHDR, bigint>>): Uint8Array {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  for (const [k, v] of Object.entries(fields) as [keyof typeof PHDR, bigint][]) {
    const at = phdrAt(i) + PHDR[k];
    if (k === 'type' || k === 'flags') view.setUint32(at, Number(v), true);
    else view.setBigUint64(at, v, true);
  }
  return out;
}

export function phdrU64(bytes: Uint8Array, i: number, field: Exclude<keyof typeof PHDR, 'type' | 'flags'>): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(phdrAt(i) + PHDR[field], true);
}

/** A copy with e_phnum set and the bytes past the new last phdr cut. */
export function withPhnum(bytes: Uint8Array, phnum: number): Uint8Array {
  const out = new Uint8Array(bytes.subarray(0, 64 + 56 * phnum));
  new DataView(out.buffer).setUint16(56, phnum, true);
  return out;
}

/**
 * Every multi-byte field of a little-endian header byte-swapped, e_ident untouched (still
 * ELFDATA2LSB): what a big-endian ppc64 kernel's kexec_file builder writes (facts §13.4).
 */
export function fieldsToBigEndian(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes);
  const src = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dst = new DataView(out.buffer);
  const swap = (at: number, size: 2 | 4 | 8): void => {
    if (size === 2) dst.setUint16(at, src.getUint16(at, true), false);
    else if (size === 4) dst.setUint32(at, src.getUint32(at, true), false);
    else dst.setBigUint64(at, src.getBigUint64(at, true), false);
  };
  const ehdr: [number, 2 | 4 | 8][] = [
    [16, 2],
    [18, 2],
    [20, 4],
    [24, 8],
    [32, 8],
    [40, 8],
    [48, 4],
    [52, 2],
    [54, 2],
    [56, 2],
    [58, 2],
    [60, 2],
    [62, 2],
  ];
  for (const [at, size] of ehdr) swap(at, size);
  const phnum = src.getUint16(56, true);
  for (let i = 0; i < phnum; i++) {
    const p = phdrAt(i);
    swap(p, 4);
    swap(p + 4, 4);
    for (let f = 8; f < 56; f += 8) swap(p + f, 8);
  }
  return out;
}
