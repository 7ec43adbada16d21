// One program header read straight from the bytes at 64 + 56·i (facts §1.2), independently of
// core's decoder, so tests of the builder do not check it with its own mirror image.

export function phdrAt(bytes: Uint8Array, i: number, le = true) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = 64 + 56 * i;
  return {
    type: v.getUint32(at, le),
    flags: v.getUint32(at + 4, le),
    offset: v.getBigUint64(at + 8, le),
    vaddr: v.getBigUint64(at + 16, le),
    paddr: v.getBigUint64(at + 24, le),
    filesz: v.getBigUint64(at + 32, le),
    memsz: v.getBigUint64(at + 40, le),
    align: v.getBigUint64(at + 48, le),
  };
}
