// The flattened device tree (FDT, "dtb") as plain data: a tree of named nodes holding named byte
// values, plus the header fields and memory reservations a blob carries. The reader, the writer,
// the editor and the memory scan all speak this model; paths follow libfdt's rules.

import { CrashplugError } from '../base/errors.js';
import { hex } from '../base/hex.js';

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;

/** The version we write, and the oldest one a version-17 reader must still understand. */
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
/** Header bytes: ten big-endian u32 fields in version 17 (version 16 lacks size_dt_struct). */
export const FDT_HEADER_SIZE = 40;
/**
 * Linux's unflattener refuses trees nested deeper than this (FDT_MAX_DEPTH in drivers/of/fdt.c),
 * so no tree a kernel boots is deeper; the limit also keeps every walk over a hostile blob shallow.
 */
export const FDT_MAX_DEPTH = 64;

export interface FdtProperty {
  readonly name: string;
  /** Read from a blob, a view into it (parseFdt copies nothing): never write through it. */
  readonly value: Uint8Array;
  /** Byte offset of its FDT_PROP token in the blob it was read from, for messages. */
  readonly offset?: number | undefined;
}

export interface FdtNode {
  /** Name with unit address ("memory@40000000"); the root's is "". */
  readonly name: string;
  readonly properties: readonly FdtProperty[];
  readonly children: readonly FdtNode[];
  /** Byte offset of its FDT_BEGIN_NODE token in the blob it was read from. */
  readonly offset?: number | undefined;
}

/** One entry of the memory reservation block (`/memreserve/`). */
export interface FdtReservation {
  readonly address: bigint;
  readonly size: bigint;
}

export interface Fdt {
  /** Where the tree came from (a path, "QEMU virt", …), for messages. */
  readonly origin: string;
  readonly bootCpuidPhys: number;
  readonly reservations: readonly FdtReservation[];
  readonly root: FdtNode;
}

/** A node found by path, with the nodes above it (root first) for `#address-cells` lookups. */
export interface FdtNodeRef {
  readonly path: string;
  readonly node: FdtNode;
  readonly ancestors: readonly FdtNode[];
}

/** E_BAD_FDT naming the blob and, when known, the byte offset the problem was found at. */
export function fdtError(origin: string, offset: number | undefined, problem: string): CrashplugError {
  const where = offset === undefined ? origin : `${origin}: byte ${offset} (${hex(offset)})`;
  return new CrashplugError('E_BAD_FDT', `${where}: ${problem}; check the blob with "dtc -I dtb -O dts" or dump it again from its source`);
}

export function fdtProperty(node: FdtNode, name: string): FdtProperty | undefined {
  return node.properties.find((p) => p.name === name);
}

/** The part of a node name before its unit address: "memory@0" → "memory". */
export function fdtBaseName(name: string): string {
  const at = name.indexOf('@');
  return at < 0 ? name : name.slice(0, at);
}

/**
 * A child by name. As libfdt does, a name without "@" also matches a child whose name has a unit
 * address ("memory" finds "memory@40000000"), the first one in tree order; an exact name wins.
 */
export function fdtChild(node: FdtNode, name: string): FdtNode | undefined {
  const exact = node.children.find((c) => c.name === name);
  if (exact !== undefined || name.includes('@')) return exact;
  return node.children.find((c) => fdtBaseName(c.name) === name);
}

export function fdtPathComponents(path: string): string[] {
  if (!path.startsWith('/')) {
    throw new CrashplugError('E_BAD_ARGUMENT', `"${path}" is not a device-tree path; paths start with "/" (aliases are not supported)`);
  }
  return path.split('/').filter((c) => c !== '');
}

export function fdtJoinPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

export function fdtLookup(fdt: Fdt, path: string): FdtNodeRef | undefined {
  let node = fdt.root;
  const ancestors: FdtNode[] = [];
  let resolved = '/';
  for (const component of fdtPathComponents(path)) {
    const next = fdtChild(node, component);
    if (next === undefined) return undefined;
    ancestors.push(node);
    node = next;
    resolved = fdtJoinPath(resolved, next.name);
  }
  return { path: resolved, node, ancestors };
}

export function fdtRequire(fdt: Fdt, path: string): FdtNodeRef {
  const ref = fdtLookup(fdt, path);
  if (ref === undefined) {
    throw new CrashplugError('E_BAD_ARGUMENT', `${fdt.origin}: no node "${path}" in the device tree; list its nodes with "dtc -I dtb -O dts"`);
  }
  return ref;
}

/** The root's direct children, as references (Linux scans `/memory` nodes only at this level). */
export function fdtRootChildren(fdt: Fdt): FdtNodeRef[] {
  return fdt.root.children.map((node) => ({ path: fdtJoinPath('/', node.name), node, ancestors: [fdt.root] }));
}

/** Every node in tree order (depth first, parents before children), without recursion. */
export function* fdtWalk(fdt: Fdt): Generator<FdtNodeRef> {
  const stack: FdtNodeRef[] = [{ path: '/', node: fdt.root, ancestors: [] }];
  while (stack.length > 0) {
    const ref = stack.pop()!;
    yield ref;
    const ancestors = [...ref.ancestors, ref.node];
    for (let i = ref.node.children.length - 1; i >= 0; i--) {
      const child = ref.node.children[i]!;
      stack.push({ path: fdtJoinPath(ref.path, child.name), node: child, ancestors });
    }
  }
}
