// Which NUMA node a device tree puts each piece of memory on, the way Linux decides it: the
// `numa-node-id` of a memory node (arm64, riscv: of_numa), or the `ibm,associativity` domain at the
// primary index named by `ibm,associativity-reference-points` (pseries and powernv). memblock keeps
// adjacent memory of different nodes apart, so this decides how RAM ranges merge (facts §13.3).

import { type Fdt, type FdtNodeRef, fdtLookup, fdtProperty } from './fdt.js';
import { type AssociativityArrays, associativityCell, DRCONF_MEM_AI_INVALID, DRCONF_NODE_PATH, type LmbRun, readAssociativityArrays } from './drconf.js';
import { propCells, propU32 } from './value.js';

/** Linux's NUMA_NO_NODE: the memory belongs to no node the kernel could name. */
export const NUMA_NO_NODE = -1;
/** An associativity domain of 0xffff means "invalid" to pseries firmware and to Linux. */
const INVALID_DOMAIN = 0xffff;

export type NumaScheme =
  /** No NUMA description: every range is on node 0 and adjacent ranges merge. */
  | { readonly kind: 'none' }
  /** `numa-node-id` on memory nodes (of_numa). */
  | { readonly kind: 'numa-node-id' }
  /** `ibm,associativity` with the 1-based primary domain index (first reference point). */
  | { readonly kind: 'ibm,associativity'; readonly primaryIndex: number; readonly arrays: AssociativityArrays | undefined };

/**
 * Decide the scheme from what the tree carries. The first cell of the reference points is the
 * primary domain for FORM1 and FORM2 affinity, which every current pseries and powernv firmware
 * uses; FORM0 (second cell) is not modelled. Without reference points Linux turns NUMA off.
 */
export function numaSchemeOf(fdt: Fdt, memoryNodes: readonly FdtNodeRef[]): NumaScheme {
  const hasAssociativity = memoryNodes.some((m) => fdtProperty(m.node, 'ibm,associativity') !== undefined) || fdtLookup(fdt, DRCONF_NODE_PATH) !== undefined;
  if (hasAssociativity) {
    const holder = fdtLookup(fdt, '/rtas')?.node ?? fdt.root;
    const refs = fdtProperty(holder, 'ibm,associativity-reference-points') ?? fdtProperty(fdt.root, 'ibm,associativity-reference-points');
    const cells = refs === undefined ? [] : propCells(fdt.origin, refs);
    const primaryIndex = cells[0];
    if (primaryIndex === undefined || primaryIndex === 0) return { kind: 'none' };
    return { kind: 'ibm,associativity', primaryIndex, arrays: readAssociativityArrays(fdt) };
  }
  if (memoryNodes.some((m) => fdtProperty(m.node, 'numa-node-id') !== undefined)) return { kind: 'numa-node-id' };
  return { kind: 'none' };
}

function domainToNid(domain: number | undefined): number {
  return domain === undefined || domain === INVALID_DOMAIN ? NUMA_NO_NODE : domain;
}

/**
 * The node of a `/memory` node's ranges; undefined when an of_numa tree leaves it out (Linux then
 * falls back to one node for everything, see `fdt-memory.ts`).
 */
export function memoryNodeNid(fdt: Fdt, scheme: NumaScheme, ref: FdtNodeRef): number | undefined {
  switch (scheme.kind) {
    case 'none':
      return 0;
    case 'numa-node-id': {
      const prop = fdtProperty(ref.node, 'numa-node-id');
      return prop === undefined ? undefined : propU32(fdt.origin, prop);
    }
    case 'ibm,associativity': {
      const prop = fdtProperty(ref.node, 'ibm,associativity');
      // parse_numa_properties: memory nodes without associativity go to the default node, 0.
      if (prop === undefined) return 0;
      const cells = propCells(fdt.origin, prop);
      // Cell 0 is the count of domains that follow, so the primary index reads it 1-based.
      const length = cells[0] ?? 0;
      return scheme.primaryIndex <= length ? domainToNid(cells[scheme.primaryIndex]) : NUMA_NO_NODE;
    }
    default: {
      const never: never = scheme;
      throw new Error(`unknown NUMA scheme ${String(never)}`);
    }
  }
}

/** The node of a run of LMBs: its lookup array, read without a length cell (of_drconf_to_nid_single). */
export function lmbNid(scheme: NumaScheme, run: LmbRun): number {
  return lmbNidOf(scheme, run.aaIndex, run.flags);
}

/** `lmbNid` from the entry's lookup-array index and flags. */
export function lmbNidOf(scheme: NumaScheme, aaIndex: number, flags: number): number {
  if (scheme.kind !== 'ibm,associativity') return 0;
  if (scheme.arrays === undefined || (flags & DRCONF_MEM_AI_INVALID) !== 0) return NUMA_NO_NODE;
  return domainToNid(associativityCell(scheme.arrays, aaIndex, scheme.primaryIndex - 1));
}
