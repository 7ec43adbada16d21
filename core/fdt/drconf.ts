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

export interface DrconfMemory {
  readonly format: 'ibm,dynamic-memory' | 'ibm,dynamic-memory-v2';
  readonly lmbSize: bigint;
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
  return Number(readNumber(value, at, 1));
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
  const runs = readRuns(origin, prop, cells, lmbSize, prop === v2);
  return { format: prop === v1 ? 'ibm,dynamic-memory' : 'ibm,dynamic-memory-v2', lmbSize, runs, usableMemory, node: ref.node };
}

function readRuns(origin: string, prop: FdtProperty, cells: FdtCells, lmbSize: bigint, v2: boolean): LmbRun[] {
  const a = cells.addressCells;
  if (a < 1 || a > 2) throw fdtError(origin, prop.offset, `"${prop.name}" needs a root #address-cells of 1 or 2, not ${a}`);
  // v1 entry: base, drc_index, reserved, aa_index, flags. v2 entry: count, base, drc_index, aa_index, flags.
  const entry = 4 * (a + 4);
  const value = prop.value;
  if (value.length < 4) throw fdtError(origin, prop.offset, `"${prop.name}" is too short to hold its entry count`);
  const n = u32At(value, 0);
  if (n > (value.length - 4) / entry) {
    throw fdtError(origin, valueOffset(prop), `"${prop.name}" claims ${n} entries of ${entry} bytes but holds only ${Math.floor((value.length - 4) / entry)}`);
  }
  const runs: LmbRun[] = [];
  for (let i = 0, at = 4; i < n; i++, at += entry) {
    let count = 1n;
    let p = at;
    if (v2) {
      count = BigInt(u32At(value, p));
      p += 4;
    }
    const base = readNumber(value, p, a);
    p += 4 * a;
    const drcIndex = u32At(value, p);
    const aaIndex = u32At(value, v2 ? p + 4 : p + 8);
    const flags = u32At(value, v2 ? p + 8 : p + 12);
    if (count > 0n && base + count * lmbSize - 1n > U64_MAX) {
      throw fdtError(origin, valueOffset(prop, at), `"${prop.name}" entry ${i} (${count} LMBs at 0x${base.toString(16)}) runs past the 64-bit address space`);
    }
    runs.push({ base, count, drcIndex, aaIndex, flags, offset: valueOffset(prop, at) });
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
