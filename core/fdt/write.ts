// Serialises the `Fdt` model to a version-17 blob laid out as dtc lays one out: header, memory
// reservation block, structure block, strings block, nothing spare. Property names are stored once
// each in the strings block, in order of first use, so a tree dtc wrote comes out byte for byte.

import { CrashplugError } from '../base/errors.js';
import {
  type Fdt,
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_LAST_COMP_VERSION,
  FDT_MAGIC,
  FDT_MAX_DEPTH,
  FDT_PROP,
  FDT_VERSION,
  type FdtNode,
} from './fdt.js';
import { latin1Bytes } from './value.js';
import { U64_MAX } from '../base/hex.js';

/** Names longer than this are not offered for tail sharing (no real property name comes close). */
const SHARED_SUFFIX_LIMIT = 256;

/** A byte buffer that grows as it is written, big-endian like every FDT field. */
class BlobWriter {
  bytes = new Uint8Array(4096);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  u32(v: number): void {
    this.room(4);
    new DataView(this.bytes.buffer).setUint32(this.length, v >>> 0, false);
    this.length += 4;
  }

  u64(v: bigint): void {
    this.room(8);
    new DataView(this.bytes.buffer).setBigUint64(this.length, v, false);
    this.length += 8;
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  /** Zero bytes up to the next multiple of 4 (the buffer is zero-filled already). */
  align4(): void {
    const pad = (4 - (this.length % 4)) % 4;
    this.room(pad);
    this.length += pad;
  }

  done(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function assertNodeName(name: string, isRoot: boolean): Uint8Array {
  if (name === '') {
    if (isRoot) return new Uint8Array(0);
    throw new CrashplugError('E_BAD_ARGUMENT', 'a device-tree node other than the root needs a name');
  }
  if (name.includes('/')) {
    throw new CrashplugError('E_BAD_ARGUMENT', `device-tree node name "${name}" contains "/"; give the path's last component only`);
  }
  return latin1Bytes(name, 'device-tree node name');
}

export function serializeFdt(fdt: Fdt): Uint8Array {
  const strings = new BlobWriter();
  const nameOffsets = new Map<string, number>();
  const nameOffset = (name: string): number => {
    const known = nameOffsets.get(name);
    if (known !== undefined) return known;
    const off = strings.length;
    strings.raw(name === '' ? new Uint8Array(0) : latin1Bytes(name, 'device-tree property name'));
    strings.raw(new Uint8Array(1));
    // dtc reuses the tail of a stored name ("status" inside "secure-status"); doing the same keeps
    // our blobs byte-identical to dtc's. Very long names are stored whole, to keep this linear.
    const tails = name.length <= SHARED_SUFFIX_LIMIT ? name.length : 0;
    for (let i = tails; i >= 0; i--) {
      const tail = name.slice(i);
      if (!nameOffsets.has(tail)) nameOffsets.set(tail, off + i);
    }
    nameOffsets.set(name, off);
    return off;
  };

  const struct = new BlobWriter();
  // Iterative, so a deep tree cannot overflow the call stack: a node is opened, its properties
  // written, its children pushed in reverse; a null marks where the node closes.
  const stack: (FdtNode | null)[] = [fdt.root];
  let depth = 0;
  let first = true;
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === null) {
      struct.u32(FDT_END_NODE);
      depth--;
      continue;
    }
    if (++depth > FDT_MAX_DEPTH) {
      throw new CrashplugError('E_BAD_ARGUMENT', `the device tree nests nodes more than ${FDT_MAX_DEPTH} deep; Linux would refuse it`);
    }
    struct.u32(FDT_BEGIN_NODE);
    struct.raw(assertNodeName(node.name, first));
    first = false;
    struct.raw(new Uint8Array(1));
    struct.align4();
    for (const prop of node.properties) {
      struct.u32(FDT_PROP);
      struct.u32(prop.value.length);
      struct.u32(nameOffset(prop.name));
      struct.raw(prop.value);
      struct.align4();
    }
    stack.push(null);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  struct.u32(FDT_END);

  const offRsvmap = FDT_HEADER_SIZE;
  const rsvmapSize = 16 * (fdt.reservations.length + 1);
  const offStruct = offRsvmap + rsvmapSize;
  const offStrings = offStruct + struct.length;
  const totalsize = offStrings + strings.length;

  const out = new BlobWriter();
  for (const v of [
    FDT_MAGIC,
    totalsize,
    offStruct,
    offStrings,
    offRsvmap,
    FDT_VERSION,
    FDT_LAST_COMP_VERSION,
    fdt.bootCpuidPhys,
    strings.length,
    struct.length,
  ]) {
    out.u32(v);
  }
  for (const r of fdt.reservations) {
    if (r.address < 0n || r.address > U64_MAX || r.size < 0n || r.size > U64_MAX) {
      throw new CrashplugError('E_BAD_ARGUMENT', `memory reservation (0x${r.address.toString(16)}, 0x${r.size.toString(16)}) does not fit in 64 bits`);
    }
    out.u64(r.address);
    out.u64(r.size);
  }
  out.u64(0n);
  out.u64(0n);
  out.raw(struct.done());
  out.raw(strings.done());
  return out.done();
}
