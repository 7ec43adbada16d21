// The kdump device tree's `/cpus`, as `update_cpus_node` rewrites it at load and after a CPU is
// added (core_64.c, facts §6.4): the node is deleted and rebuilt from the live tree with libfdt,
// which puts every new property and subnode first — so properties and CPU nodes come out in
// reverse order — inside a blob whose free space was reserved for every possible CPU at load.

import {
  CrashplugError,
  type Fdt,
  fdtAddNode,
  fdtBaseName,
  fdtDeleteNode,
  fdtError,
  fdtLookup,
  type FdtNode,
  fdtProperty,
  type FdtProperty,
  fdtSetProperty,
  fdtWalk,
  latin1Bytes,
  parseFdt,
  propString,
  serializeFdt,
} from '../core/port/index.js';

/**
 * A live node's properties as the kernel holds them: unflattening a tree without a "name"
 * property appends one holding the node name up to "@" (with its NUL).
 */
export function liveProperties(node: FdtNode): FdtProperty[] {
  const props = node.properties.slice();
  if (fdtProperty(node, 'name') === undefined) {
    const base = fdtBaseName(node.name);
    const value = new Uint8Array(base.length + 1);
    value.set(latin1Bytes(base, 'node name'));
    props.push({ name: 'name', value });
  }
  return props;
}

function isCpu(fdt: Fdt, node: FdtNode): boolean {
  const type = fdtProperty(node, 'device_type');
  return type !== undefined && propString(fdt.origin, type) === 'cpu';
}

/** Every node of type "cpu", in the kernel's all-nodes order (depth first). */
export function cpuNodes(fdt: Fdt): FdtNode[] {
  const out: FdtNode[] = [];
  for (const ref of fdtWalk(fdt)) if (isCpu(fdt, ref.node)) out.push(ref.node);
  return out;
}

/** `cpu_node_size`: the first CPU node's name + 5, plus each property's name length and value length. */
export function cpuNodeSize(live: Fdt): number {
  const first = cpuNodes(live)[0];
  if (first === undefined) return 0;
  let size = fdtBaseName(first.name).length + 5;
  for (const p of liveProperties(first)) size += p.name.length + p.value.length;
  return size;
}

/** Threads per core: the entries of the first CPU node's `ibm,ppc-interrupt-server#s` (1 without it). */
export function threadsPerCore(live: Fdt): number {
  const first = cpuNodes(live)[0];
  const servers = first === undefined ? undefined : fdtProperty(first, 'ibm,ppc-interrupt-server#s');
  return servers === undefined || servers.value.length < 4 ? 1 : servers.value.length / 4;
}

/**
 * The room `kdump_extra_fdt_size_ppc64` reserves for CPU nodes not yet present: (possible CPUs /
 * threads per core − CPU nodes now) × cpu_node_size, when that is positive.
 */
export function possibleCpuNodesRoom(live: Fdt, possibleCpus: number): number {
  const possibleNodes = Math.floor(possibleCpus / threadsPerCore(live));
  const nodes = cpuNodes(live).length;
  return possibleNodes > nodes ? (possibleNodes - nodes) * cpuNodeSize(live) : 0;
}

function addProps(fdt: Fdt, path: string, props: readonly FdtProperty[]): Fdt {
  let out = fdt;
  for (const p of props) out = fdtSetProperty(out, path, p.name, p.value);
  return out;
}

/** `update_cpus_node`: the kdump tree with `/cpus` rebuilt from the live tree. */
export function updateCpusNode(kdump: Fdt, live: Fdt): Fdt {
  const liveCpus = fdtLookup(live, '/cpus');
  if (liveCpus === undefined) {
    throw new CrashplugError(
      'E_BAD_FDT',
      `${live.origin}: the live tree has no /cpus node to copy; the kernel fails with -EINVAL ("Failed to update crash FDT")`,
    );
  }
  let out = kdump;
  if (fdtLookup(out, '/cpus') !== undefined) out = fdtDeleteNode(out, '/cpus');
  out = fdtAddNode(out, '/', 'cpus');
  out = addProps(out, '/cpus', liveProperties(liveCpus.node));
  for (const cpu of cpuNodes(live)) {
    out = fdtAddNode(out, '/cpus', cpu.name);
    out = addProps(out, `/cpus/${cpu.name}`, liveProperties(cpu));
  }
  return out;
}

const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, false);

/** The names in a blob's strings block, and the block's size. */
function stringsOf(blob: Uint8Array): { names: Set<string>; size: number } {
  const off = u32(blob, 12);
  const size = u32(blob, 32);
  const names = new Set<string>();
  let start = off;
  for (let i = off; i < off + size; i++) {
    if (blob[i] === 0) {
      names.add(String.fromCharCode(...blob.subarray(start, i)));
      start = i + 1;
    }
  }
  return { names, size };
}

function propertyNames(fdt: Fdt): Set<string> {
  const out = new Set<string>();
  for (const ref of fdtWalk(fdt)) for (const p of ref.node.properties) out.add(p.name);
  return out;
}

/**
 * The bytes libfdt needs for `next` edited in place inside `old`: the structure block as it now is,
 * plus the old strings block (libfdt never removes a string) and any name it had to append.
 */
export function libfdtUsedSize(old: Uint8Array, next: Fdt): number {
  const packed = serializeFdt(next);
  const structEnd = u32(packed, 8) + u32(packed, 36);
  const { names, size } = stringsOf(old);
  let strings = size;
  for (const n of propertyNames(next)) if (!names.has(n)) strings += n.length + 1;
  return structEnd + strings;
}

/** A blob as libfdt leaves it after fdt_open_into: packed, then free space up to `capacity`. */
export function withCapacity(blob: Uint8Array, capacity: number): Uint8Array {
  if (capacity < blob.length) throw new Error(`capacity ${capacity} is below the blob's ${blob.length} bytes`);
  const out = new Uint8Array(capacity);
  out.set(blob);
  new DataView(out.buffer).setUint32(4, capacity, false);
  return out;
}

export type CrashFdtUpdate = { readonly ok: true; readonly blob: Uint8Array; readonly used: number } | { readonly ok: false; readonly message: string };

/**
 * `update_crash_fdt`'s edit of the FDT segment: rebuild /cpus from the live tree inside the
 * blob's own totalsize. If it does not fit, libfdt answers -FDT_ERR_NOSPACE and the kernel prints
 * "Failed to update crash FDT"; the segment is then left as it was.
 */
export function rewriteCrashFdt(segment: Uint8Array, live: Fdt, origin = 'crash FDT segment'): CrashFdtUpdate {
  const capacity = u32(segment, 4);
  if (capacity > segment.length) throw fdtError(origin, 4, `totalsize ${capacity} is past the segment's ${segment.length} bytes`);
  const current = parseFdt(segment.subarray(0, capacity), origin);
  let next: Fdt;
  try {
    next = updateCpusNode(current, live);
  } catch (err) {
    if (!CrashplugError.is(err)) throw err;
    return { ok: false, message: `Failed to update crash FDT (${err.message})` };
  }
  const used = libfdtUsedSize(segment, next);
  if (used > capacity) {
    return { ok: false, message: `Failed to update crash FDT (FDT_ERR_NOSPACE: /cpus needs ${used} bytes of a ${capacity}-byte tree)` };
  }
  return { ok: true, blob: withCapacity(serializeFdt(next), capacity), used };
}
