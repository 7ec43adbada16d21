// The pseries dynamic-reconfiguration memory node (`/ibm,dynamic-reconfiguration-memory`): memory
// described as equal-sized logical memory blocks (LMBs), in the v1 list or the v2 run-length form,
// each with flags saying whether it is assigned to this partition. Runs are kept as runs, so a v2
// set of millions of LMBs costs one entry.

import { type Fdt, type FdtNode, type FdtProperty, fdtError, fdtLookup, fdtProperty } from './fdt.js';
import { type FdtCells, readNumber, rootCellsOf, valueOffset } from './value.js';
import { U64_MAX } from '../base/hex.js';

export const DRCONF_NODE_PATH = '/ibm,dynamic-reconfiguration-memory';

/** LMB flags (arch/powerpc/include/asm/drmem.h). */
export const DRCONF_MEM_ASSIGNED = 0x8;
export const DRCONF_MEM_AI_INVALID = 0x40;
export const DRCONF_MEM_RESERVED = 0x80;
export const DRCONF_MEM_HOTREMOVABLE = 0x100;

/** `count` consecutive LMBs sharing flags and associativity (v1 lists are runs of one). */
export interface LmbRun {
  readonly base: bigint;
  readonly count: bigint;
  readonly drcIndex: number;
  readonly aaIndex: number;
  readonly flags: number;
  /** Byte offset of the entry in the blob. */
  readonly offset?: number | undefined;
}

/**
 * The LMB list as it sits in the blob, read in place: no object and no BigInt per entry, so a
 * 65 536-LMB list costs one pass over its bytes. Entry i starts at byte `4 + i·entryBytes` of `cells`.
 * Its entries are not yet checked to end within 64 bits: `runs` checks them, and so must any other
 * reader (one that only trusts ends below 2^53, as a double walk does, needs nothing more).
 */
export interface LmbTable {
  readonly length: number;
  /** The property's value, big-endian cells. */
  readonly cells: DataView;
  readonly entryBytes: number;
  /** Root #address-cells: 1 or 2. */
  readonly addressCells: number;
  /** The v2 form: each entry starts with its LMB count. */
  readonly v2: boolean;
}

/** Entry i of the table, its fields as numbers (base = baseHi·2^32 + baseLo). */
export function lmbEntry(t: LmbTable, i: number): { count: number; baseHi: number; baseLo: number; drcIndex: number; aaIndex: number; flags: number } {
  const v = t.cells;
  let p = 4 + i * t.entryBytes;
  const count = t.v2 ? v.getUint32(p) : 1;
  if (t.v2) p += 4;
  const baseHi = t.addressCells === 2 ? v.getUint32(p) : 0;
  const baseLo = v.getUint32(p + 4 * (t.addressCells - 1));
  p += 4 * t.addressCells;
  // v1 after the base: drc_index, reserved, aa_index, flags. v2: drc_index, aa_index, flags.
  return { count, baseHi, baseLo, drcIndex: v.getUint32(p), aaIndex: v.getUint32(t.v2 ? p + 4 : p + 8), flags: v.getUint32(t.v2 ? p + 8 : p + 12) };
}

export interface DrconfMemory {
  readonly format: 'ibm,dynamic-memory' | 'ibm,dynamic-memory-v2';
  readonly lmbSize: bigint;
  readonly table: LmbTable;
  /** The entries as objects, made on first use (from `table`). */
  readonly runs: readonly LmbRun[];
  /** `linux,drconf-usable-memory`, present only in a kdump kernel's tree. */
  readonly usableMemory?: FdtProperty | undefined;
  readonly node: FdtNode;
}

/** Present in memblock: assigned to this partition and not reserved by firmware. */
export function lmbIsAssigned(flags: number): boolean {
  return (flags & DRCONF_MEM_ASSIGNED) !== 0 && (flags & DRCONF_MEM_RESERVED) === 0;
}

function u32At(value: Uint8Array, at: number): number {
  return ((value[at]! << 24) | (value[at + 1]! << 16) | (value[at + 2]! << 8) | value[at + 3]!) >>> 0;
}

/**
 * The LMBs of the tree, or undefined when it has no usable drconf node. Like Linux, a node without
 * a well-formed `ibm,lmb-size` contributes nothing; `ibm,dynamic-memory` wins over the v2 form.
 */
export function readDrconfMemory(fdt: Fdt, warnings: string[] = []): DrconfMemory | undefined {
  const ref = fdtLookup(fdt, DRCONF_NODE_PATH);
  if (ref === undefined) return undefined;
  const origin = fdt.origin;
  const cells = rootCellsOf(origin, fdt.root);
  const sizeProp = fdtProperty(ref.node, 'ibm,lmb-size');
  if (sizeProp === undefined || sizeProp.value.length < 4 * cells.sizeCells || cells.sizeCells < 1 || cells.sizeCells > 2) {
    warnings.push(`${origin}: ${DRCONF_NODE_PATH} has no usable "ibm,lmb-size", so its LMBs are ignored, as Linux ignores them`);
    return undefined;
  }
  const lmbSize = readNumber(sizeProp.value, 0, cells.sizeCells);
  const usableMemory = fdtProperty(ref.node, 'linux,drconf-usable-memory');
  const v1 = fdtProperty(ref.node, 'ibm,dynamic-memory');
  const v2 = fdtProperty(ref.node, 'ibm,dynamic-memory-v2');
  const prop = v1 ?? v2;
  if (prop === undefined) return undefined;
  const table = readTable(origin, prop, cells, prop === v2);
  let runs: LmbRun[] | undefined;
  return {
    format: prop === v1 ? 'ibm,dynamic-memory' : 'ibm,dynamic-memory-v2',
    lmbSize,
    table,
    get runs(): readonly LmbRun[] {
      runs ??= runsOf(origin, table, prop, lmbSize);
      return runs;
    },
    usableMemory,
    node: ref.node,
  };
}

function readTable(origin: string, prop: FdtProperty, cells: FdtCells, v2: boolean): LmbTable {
  const a = cells.addressCells;
  if (a < 1 || a > 2) throw fdtError(origin, prop.offset, `"${prop.name}" needs a root #address-cells of 1 or 2, not ${a}`);
  // v1 entry: base, drc_index, reserved, aa_index, flags. v2 entry: count, base, drc_index, aa_index, flags.
  const entry = 4 * (a + 4);
  const value = prop.value;
  if (value.length < 4) throw fdtError(origin, prop.offset, `"${prop.name}" is too short to hold its entry count`);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const n = view.getUint32(0);
  if (n > (value.length - 4) / entry) {
    throw fdtError(origin, valueOffset(prop), `"${prop.name}" claims ${n} entries of ${entry} bytes but holds only ${Math.floor((value.length - 4) / entry)}`);
  }
  return { length: n, cells: view, entryBytes: entry, addressCells: a, v2 };
}

/** The entries as objects, each checked to end within 64 bits (E_BAD_FDT at the first that does not). */
function runsOf(origin: string, t: LmbTable, prop: FdtProperty, lmbSize: bigint): LmbRun[] {
  const runs: LmbRun[] = new Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const e = lmbEntry(t, i);
    const base = (BigInt(e.baseHi) << 32n) | BigInt(e.baseLo);
    const count = BigInt(e.count);
    const at = 4 + i * t.entryBytes;
    if (count > 0n && base + count * lmbSize - 1n > U64_MAX) {
      throw fdtError(origin, valueOffset(prop, at), `"${prop.name}" entry ${i} (${count} LMBs at 0x${base.toString(16)}) runs past the 64-bit address space`);
    }
    runs[i] = { base, count, drcIndex: e.drcIndex, aaIndex: e.aaIndex, flags: e.flags, offset: valueOffset(prop, at) };
  }
  return runs;
}

/** The associativity lookup arrays (`ibm,associativity-lookup-arrays`): n arrays of m cells. */
export interface AssociativityArrays {
  readonly count: number;
  readonly size: number;
  readonly prop: FdtProperty;
}

export function readAssociativityArrays(fdt: Fdt): AssociativityArrays | undefined {
  const ref = fdtLookup(fdt, DRCONF_NODE_PATH);
  const prop = ref === undefined ? undefined : fdtProperty(ref.node, 'ibm,associativity-lookup-arrays');
  if (prop === undefined || prop.value.length < 8) return undefined;
  const count = u32At(prop.value, 0);
  const size = u32At(prop.value, 4);
  // Linux drops the arrays when the property is shorter than it claims; so do we.
  if (count * size > (prop.value.length - 8) / 4) return undefined;
  return { count, size, prop };
}

/** Cell `index` (0-based) of lookup array `aaIndex`, or undefined when out of range. */
export function associativityCell(arrays: AssociativityArrays, aaIndex: number, index: number): number | undefined {
  if (aaIndex >= arrays.count || index < 0 || index >= arrays.size) return undefined;
  return u32At(arrays.prop.value, 8 + 4 * (aaIndex * arrays.size + index));
}
