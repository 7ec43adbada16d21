// Reads a flattened device tree blob (version 16 or 17) into the `Fdt` model. The blob may be
// hostile: every offset and length is checked before use, every loop is bounded by the blob's
// size, and anything wrong is refused with E_BAD_FDT and the byte offset it was found at.

import {
  type Fdt,
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_MAGIC,
  FDT_MAX_DEPTH,
  FDT_NOP,
  FDT_PROP,
  FDT_VERSION,
  type FdtNode,
  type FdtProperty,
  type FdtReservation,
  fdtError,
} from './fdt.js';
import { latin1 } from './value.js';
import { hex } from '../base/hex.js';

/** Version 16 has no size_dt_struct field; anything older laid properties out differently. */
const OLDEST_VERSION = 16;
const V16_HEADER_SIZE = 36;
const RESERVATION_SIZE = 16;

interface Header {
  readonly totalsize: number;
  readonly offStruct: number;
  readonly offStrings: number;
  readonly offRsvmap: number;
  readonly bootCpuidPhys: number;
  readonly sizeStrings: number;
  readonly sizeStruct: number;
}

interface OpenNode {
  readonly name: string;
  readonly offset: number;
  readonly properties: FdtProperty[];
  readonly children: FdtNode[];
}

/** The tree in `blob`. Property values are views into `blob`, so the blob must not change afterwards. */
export function parseFdt(blob: Uint8Array, origin = 'device tree'): Fdt {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const header = readHeader(blob, view, origin);
  return {
    origin,
    bootCpuidPhys: header.bootCpuidPhys,
    reservations: readReservations(view, header, origin),
    root: readStructure(blob, view, header, origin),
  };
}

function readHeader(blob: Uint8Array, view: DataView, origin: string): Header {
  const u32 = (at: number): number => view.getUint32(at, false);
  if (blob.length < 4) throw fdtError(origin, 0, `${blob.length} bytes is too short to be a device tree`);
  if (u32(0) !== FDT_MAGIC) {
    throw fdtError(origin, 0, `magic is ${hex(u32(0))}, not ${hex(FDT_MAGIC)}: this is not a flattened device tree`);
  }
  if (blob.length < V16_HEADER_SIZE) {
    throw fdtError(origin, blob.length, `the blob ends inside its header (${blob.length} of ${FDT_HEADER_SIZE} bytes)`);
  }
  const version = u32(20);
  const lastComp = u32(24);
  if (version < OLDEST_VERSION) {
    throw fdtError(origin, 20, `version ${version} is older than ${OLDEST_VERSION}; recompile it with "dtc -I dtb -O dtb"`);
  }
  if (lastComp > FDT_VERSION) {
    throw fdtError(origin, 24, `last_comp_version ${lastComp} means a reader must know version ${lastComp}; this one knows ${FDT_VERSION}`);
  }
  const headerSize = version >= FDT_VERSION ? FDT_HEADER_SIZE : V16_HEADER_SIZE;
  if (blob.length < headerSize) {
    throw fdtError(origin, blob.length, `the blob ends inside its header (${blob.length} of ${headerSize} bytes)`);
  }
  const totalsize = u32(4);
  if (totalsize > blob.length) {
    throw fdtError(origin, 4, `totalsize ${totalsize} is past the end of the ${blob.length}-byte blob (truncated?)`);
  }
  if (totalsize < headerSize) throw fdtError(origin, 4, `totalsize ${totalsize} is smaller than the ${headerSize}-byte header`);
  const offStruct = u32(8);
  const offStrings = u32(12);
  const offRsvmap = u32(16);
  const sizeStrings = u32(32);
  const sizeStruct = version >= FDT_VERSION ? u32(36) : totalsize - Math.min(offStruct, totalsize);
  const block = (name: string, field: number, off: number, size: number): void => {
    if (off < headerSize || off > totalsize || size > totalsize - off) {
      throw fdtError(origin, field, `the ${name} block [${off}, ${off + size}) lies outside the header-to-totalsize span [${headerSize}, ${totalsize})`);
    }
  };
  block('structure', 8, offStruct, sizeStruct);
  block('strings', 12, offStrings, sizeStrings);
  block('memory reservation', 16, offRsvmap, 0);
  return { totalsize, offStruct, offStrings, offRsvmap, bootCpuidPhys: u32(28), sizeStrings, sizeStruct };
}

function readReservations(view: DataView, h: Header, origin: string): FdtReservation[] {
  const out: FdtReservation[] = [];
  for (let at = h.offRsvmap; ; at += RESERVATION_SIZE) {
    if (at + RESERVATION_SIZE > h.totalsize) {
      throw fdtError(origin, at, 'the memory reservation block runs past totalsize without its (0, 0) terminator');
    }
    const address = view.getBigUint64(at, false);
    const size = view.getBigUint64(at + 8, false);
    if (address === 0n && size === 0n) return out;
    out.push({ address, size });
  }
}

/**
 * For each byte of the strings block, where the next NUL is (-1: none). Computed once, so a blob
 * whose properties all point into one long string costs linear time, not quadratic.
 */
function nextNulTable(blob: Uint8Array, start: number, size: number): Int32Array {
  const table = new Int32Array(size);
  let next = -1;
  for (let i = size - 1; i >= 0; i--) {
    if (blob[start + i] === 0) next = i;
    table[i] = next;
  }
  return table;
}

function readStructure(blob: Uint8Array, view: DataView, h: Header, origin: string): FdtNode {
  const end = h.offStruct + h.sizeStruct;
  const strings = latin1(blob, h.offStrings, h.offStrings + h.sizeStrings);
  const nextNul = nextNulTable(blob, h.offStrings, h.sizeStrings);
  const names = new Map<number, string>();
  const stack: OpenNode[] = [];
  const align = (p: number): number => h.offStruct + ((p - h.offStruct + 3) & ~3);
  const openPath = (): string =>
    stack.length <= 1
      ? '/'
      : `/${stack
          .slice(1)
          .map((n) => n.name)
          .join('/')}`;
  let root: FdtNode | undefined;
  let p = h.offStruct;
  // Every pass consumes at least 4 bytes, so this loop runs at most sizeStruct / 4 times.
  for (;;) {
    if (p + 4 > end) {
      throw fdtError(
        origin,
        p,
        stack.length > 0
          ? `the structure block ends inside node "${openPath()}": it never closes (${stack.length} FDT_END_NODE missing)`
          : 'the structure block ends without FDT_END',
      );
    }
    const token = view.getUint32(p, false);
    const at = p;
    p += 4;
    switch (token) {
      case FDT_BEGIN_NODE: {
        if (root !== undefined) throw fdtError(origin, at, 'a second root node follows the first one');
        if (stack.length >= FDT_MAX_DEPTH) {
          throw fdtError(origin, at, `nodes are nested more than ${FDT_MAX_DEPTH} deep (Linux refuses such trees)`);
        }
        const nul = blob.subarray(p, end).indexOf(0);
        if (nul < 0) throw fdtError(origin, p, 'a node name runs to the end of the structure block without a NUL');
        const name = latin1(blob, p, p + nul);
        // A path could not reach such a node, and no writer can store it back.
        if (stack.length > 0 && (name === '' || name.includes('/'))) {
          throw fdtError(origin, p, name === '' ? 'a node other than the root has no name' : `node name "${name}" contains "/"`);
        }
        p = align(p + nul + 1);
        stack.push({ name, offset: at, properties: [], children: [] });
        break;
      }
      case FDT_END_NODE: {
        const open = stack.pop();
        if (open === undefined) throw fdtError(origin, at, 'FDT_END_NODE without a node to close');
        const node: FdtNode = { name: open.name, properties: open.properties, children: open.children, offset: open.offset };
        const parent = stack[stack.length - 1];
        if (parent === undefined) root = node;
        else parent.children.push(node);
        break;
      }
      case FDT_PROP: {
        const node = stack[stack.length - 1];
        if (node === undefined) throw fdtError(origin, at, 'a property outside any node');
        if (p + 8 > end) throw fdtError(origin, p, 'a property header runs past the end of the structure block');
        const len = view.getUint32(p, false);
        const nameoff = view.getUint32(p + 4, false);
        p += 8;
        if (len > end - p) {
          throw fdtError(origin, at + 4, `property length ${len} runs past the end of the structure block (${end - p} bytes left)`);
        }
        // A view, not a copy: a 65 536-LMB list is 1.5 MB, and copying it (fresh pages) cost more than
        // the whole rest of the parse. Nothing writes to a parsed value; the blob must not change after.
        node.properties.push({ name: propertyName(nameoff, at), value: blob.subarray(p, p + len), offset: at });
        p = align(p + len);
        break;
      }
      case FDT_NOP:
        break;
      case FDT_END: {
        if (stack.length > 0) {
          throw fdtError(origin, at, `FDT_END inside node "${openPath()}": ${stack.length} node(s) never close`);
        }
        if (root === undefined) throw fdtError(origin, at, 'FDT_END before any node: the tree has no root');
        return root;
      }
      default:
        throw fdtError(origin, at, `unknown structure token ${hex(token)}`);
    }
  }

  function propertyName(nameoff: number, at: number): string {
    const known = names.get(nameoff);
    if (known !== undefined) return known;
    if (nameoff >= h.sizeStrings) {
      throw fdtError(origin, at + 8, `property name offset ${nameoff} is outside the ${h.sizeStrings}-byte strings block`);
    }
    const nul = nextNul[nameoff]!;
    if (nul < 0) {
      throw fdtError(origin, h.offStrings + nameoff, 'a property name runs to the end of the strings block without a NUL');
    }
    const name = strings.slice(nameoff, nul);
    names.set(nameoff, name);
    return name;
  }
}
