// System RAM from a device tree, as memblock holds it after boot: the `/memory` nodes' `reg` (or
// `linux,usable-memory`) plus the assigned LMBs of `/ibm,dynamic-reconfiguration-memory`, capped by
// `/chosen` `linux,usable-memory-range`, minus `no-map` reserved memory, then sorted and merged —
// but adjacent memory merges only within one NUMA node and one hot-plug flag, as memblock merges.

import { type Fdt, type FdtNodeRef, fdtError, fdtLookup, fdtProperty, fdtRootChildren } from './fdt.js';
import {
  type DrconfMemory,
  type LmbTable,
  DRCONF_MEM_ASSIGNED,
  DRCONF_MEM_HOTREMOVABLE,
  DRCONF_MEM_RESERVED,
  lmbIsAssigned,
  readDrconfMemory,
} from './drconf.js';
import { lmbNid, lmbNidOf, memoryNodeNid, NUMA_NO_NODE, type NumaScheme, numaSchemeOf } from './numa.js';
import { parseFdt } from './read.js';
import { decodeReg, decodeTuples, type FdtCells, propString, readNumber, rootCellsOf, valueOffset } from './value.js';
import { firstStartingAbove, mergeRanges, type NamedRange, type Range, subtractRanges } from '../memory/range.js';

export const SYSTEM_RAM = 'System RAM';

/** One piece of memory the tree describes, before merging, and where it came from. */
export interface FdtMemoryPiece extends Range {
  /**
   * "/memory@40000000", "/ibm,dynamic-reconfiguration-memory LMB drc 0x80000004", or for LMBs that
   * follow each other (contiguous, consecutive drc indexes, one node and flag) "… LMB drc 0x80000004…0x8000000f".
   */
  readonly source: string;
  /** NUMA node; undefined when an of_numa tree leaves the node out. */
  readonly nid: number | undefined;
  readonly hotpluggable: boolean;
}

/** A memblock region: a maximal run of RAM on one node with one hot-plug flag. */
export interface FdtMemoryRegion extends NamedRange {
  readonly nid: number;
  readonly hotpluggable: boolean;
}

/** What `/chosen` tells a kdump kernel. */
export interface FdtChosen {
  /** `linux,elfcorehdr`: where the first kernel put the ELF core header. */
  readonly elfcorehdr?: Range | undefined;
  /** `linux,usable-memory-range`: the crash kernel's own memory (crashkernel first, then low). */
  readonly usableMemoryRanges: readonly Range[];
}

export interface FdtMemory {
  /** What `for_each_mem_range` walks: the regions without their node, named "System RAM". */
  readonly systemRam: readonly NamedRange[];
  readonly regions: readonly FdtMemoryRegion[];
  readonly pieces: readonly FdtMemoryPiece[];
  readonly numa: NumaScheme;
  /** True when an of_numa tree left some memory without a node and Linux fell back to node 0. */
  readonly numaFellBack: boolean;
  /** `/reserved-memory` regions marked `no-map`, which memblock walks skip. */
  readonly noMap: readonly Range[];
  readonly chosen: FdtChosen;
  /** Things Linux silently ignores in this tree, worth telling a user. */
  readonly warnings: readonly string[];
}

function available(fdt: Fdt, ref: FdtNodeRef): boolean {
  const status = fdtProperty(ref.node, 'status');
  if (status === undefined) return true;
  const s = propString(fdt.origin, status);
  return s === 'okay' || s === 'ok';
}

function isMemoryNode(fdt: Fdt, ref: FdtNodeRef): boolean {
  const type = fdtProperty(ref.node, 'device_type');
  return type !== undefined && propString(fdt.origin, type) === 'memory' && available(fdt, ref);
}

function rangeOf(address: bigint, size: bigint): Range {
  return { start: address, end: address + size - 1n };
}

function memoryNodePieces(fdt: Fdt, scheme: NumaScheme, ref: FdtNodeRef): FdtMemoryPiece[] {
  // A kdump kernel's tree may narrow a node with linux,usable-memory; Linux reads it instead of reg.
  const entries = decodeReg(fdt.origin, ref, 'linux,usable-memory') ?? decodeReg(fdt.origin, ref) ?? [];
  const nid = memoryNodeNid(fdt, scheme, ref);
  const hotpluggable = fdtProperty(ref.node, 'hotpluggable') !== undefined;
  return entries.filter((e) => e.size > 0n).map((e) => ({ ...rangeOf(e.address, e.size), source: ref.path, nid, hotpluggable }));
}

/**
 * Assigned LMBs that follow each other (contiguous, consecutive drc indexes) on one node with one
 * hot-plug flag, as one piece each: a 65 536-LMB list is then a few pieces, not 65 536 objects that
 * every later step (merge, partition by node) walks. Only for a tidy tree — LMBs in ascending,
 * disjoint order, none overlapping a /memory node — where joining cannot change which node a byte
 * is on; otherwise undefined, and the caller keeps one piece per run.
 *
 * Read from the LMB table in doubles while every address is below 2^52 (exact there: 4 PiB of
 * address space), so no object or BigInt is made per LMB; past it, the same walk in BigInt over the runs.
 */
function joinedLmbPieces(drconf: DrconfMemory, scheme: NumaScheme, others: readonly Range[], source: (drc: number) => string): FdtMemoryPiece[] | undefined {
  if (drconf.lmbSize === 0n) return undefined;
  const found: number[] = [];
  const scan = scanLmbTable(drconf.table, Number(drconf.lmbSize), scheme, found);
  if (scan === 'past 2^52') return joinedLmbPiecesExact(drconf, scheme, others, source);
  if (scan === 'untidy') return undefined;
  const pieces: FdtMemoryPiece[] = [];
  for (let k = 0; k < found.length; k += PIECE_FIELDS) {
    const firstDrc = found[k + 4]!;
    const lastDrc = found[k + 5]!;
    pieces.push({
      start: BigInt(found[k]!),
      end: BigInt(found[k + 1]!),
      source: firstDrc === lastDrc ? source(firstDrc) : `${source(firstDrc)}…0x${lastDrc.toString(16)}`,
      nid: found[k + 2]!,
      hotpluggable: found[k + 3] === 1,
    });
  }
  return overlapsAny(pieces, others) ? undefined : pieces;
}

/** start, end, nid, hot-pluggable (0/1), first and last drc index: one joined piece in `scanLmbTable`'s output. */
const PIECE_FIELDS = 6;

/**
 * The walk itself, kept small and free of BigInt and strings so that V8 compiles it soon: it runs
 * once per LMB, mostly before it is compiled, and the interpreter reads a local faster than a field.
 * Appends each joined piece to `out` (PIECE_FIELDS numbers); stops early when the list is not tidy
 * or an entry reaches 2^52 (where doubles could stop being exact).
 */
function scanLmbTable(t: LmbTable, size: number, scheme: NumaScheme, out: number[]): 'ok' | 'untidy' | 'past 2^52' {
  let open = false;
  let start = 0;
  let end = 0;
  let nid = 0;
  let hotpluggable = false;
  let firstDrc = 0;
  let lastDrc = 0;
  let lastAa = -1;
  let lastFlags = -1;
  // lmbEntry's reads, inline.
  const v = t.cells;
  const a = t.addressCells;
  const v2 = t.v2;
  const baseAt = v2 ? 4 : 0;
  const fieldsAt = baseAt + 4 * a;
  const flagsAt = fieldsAt + (v2 ? 8 : 12);
  const aaAt = fieldsAt + (v2 ? 4 : 8);
  const stop = 4 + t.length * t.entryBytes;
  for (let at = 4; at < stop; at += t.entryBytes) {
    const count = v2 ? v.getUint32(at) : 1;
    if (count === 0) continue;
    const base = a === 2 ? v.getUint32(at + baseAt) * TWO_32 + v.getUint32(at + baseAt + 4) : v.getUint32(at + baseAt);
    // Every entry, assigned or not, ends below 2^52 here, or the BigInt walk (which checks each
    // entry against 2^64) takes over: doubles are exact below 2^53.
    const last = base + count * size - 1;
    if (last >= EXACT_DOUBLES) return 'past 2^52';
    const flags = v.getUint32(at + flagsAt);
    if ((flags & ASSIGNED_MASK) !== DRCONF_MEM_ASSIGNED) continue;
    if (open && base <= end) return 'untidy';
    const aaIndex = v.getUint32(at + aaAt);
    // Neighbours mostly share both, so the node is looked up again only when one changes.
    const sameAttributes = aaIndex === lastAa && flags === lastFlags;
    if (!sameAttributes) {
      lastAa = aaIndex;
      lastFlags = flags;
    }
    const drc = v.getUint32(at + fieldsAt);
    if (open && sameAttributes && end + 1 === base && lastDrc + 1 === drc) {
      end = last;
      lastDrc = drc + count - 1;
      continue;
    }
    const entryNid = sameAttributes ? nid : lmbNidOf(scheme, aaIndex, flags);
    const entryHot = (flags & DRCONF_MEM_HOTREMOVABLE) !== 0;
    if (open && end + 1 === base && entryNid === nid && entryHot === hotpluggable && lastDrc + 1 === drc) {
      end = last;
      lastDrc = drc + count - 1;
      continue;
    }
    if (open) out.push(start, end, nid, hotpluggable ? 1 : 0, firstDrc, lastDrc);
    open = true;
    start = base;
    end = last;
    nid = entryNid;
    hotpluggable = entryHot;
    firstDrc = drc;
    lastDrc = drc + count - 1;
  }
  if (open) out.push(start, end, nid, hotpluggable ? 1 : 0, firstDrc, lastDrc);
  return 'ok';
}

/** lmbIsAssigned: the assigned flag set and the reserved one clear. */
const ASSIGNED_MASK = DRCONF_MEM_ASSIGNED | DRCONF_MEM_RESERVED;

/** Whether any of `others` overlaps one of `joined` (sorted, disjoint): a binary search each. */
function overlapsAny(joined: readonly Range[], others: readonly Range[]): boolean {
  for (const o of others) {
    // The last joined piece starting at or below o.end must end below o.start.
    const lo = firstStartingAbove(joined, o.end);
    if (lo > 0 && joined[lo - 1]!.end >= o.start) return true;
  }
  return false;
}

const TWO_32 = 2 ** 32;
/** Below 2^52 every sum and product of the walk is an integer a double holds exactly. */
const EXACT_DOUBLES = 2 ** 52;

/** The same walk in BigInt over the runs, for trees with addresses at or above 2^52. */
function joinedLmbPiecesExact(
  drconf: DrconfMemory,
  scheme: NumaScheme,
  others: readonly Range[],
  source: (drc: number) => string,
): FdtMemoryPiece[] | undefined {
  if (drconf.lmbSize === 0n) return undefined;
  type Open = { start: bigint; end: bigint; nid: number | undefined; hotpluggable: boolean; firstDrc: number; lastDrc: number };
  const joined: Open[] = [];
  let last: Open | undefined;
  for (const run of drconf.runs) {
    if (!lmbIsAssigned(run.flags) || run.count === 0n) continue;
    if (last !== undefined && run.base <= last.end) return undefined;
    const hotpluggable = (run.flags & DRCONF_MEM_HOTREMOVABLE) !== 0;
    const nid = lmbNid(scheme, run);
    const end = run.base + run.count * drconf.lmbSize - 1n;
    const lastDrc = run.drcIndex + Number(run.count) - 1;
    if (last !== undefined && last.end + 1n === run.base && last.nid === nid && last.hotpluggable === hotpluggable && last.lastDrc + 1 === run.drcIndex) {
      last.end = end;
      last.lastDrc = lastDrc;
      continue;
    }
    last = { start: run.base, end, nid, hotpluggable, firstDrc: run.drcIndex, lastDrc };
    joined.push(last);
  }
  if (overlapsAny(joined, others)) return undefined;
  return joined.map((p) => ({
    start: p.start,
    end: p.end,
    source: p.firstDrc === p.lastDrc ? source(p.firstDrc) : `${source(p.firstDrc)}…0x${p.lastDrc.toString(16)}`,
    nid: p.nid,
    hotpluggable: p.hotpluggable,
  }));
}

function lmbPieces(fdt: Fdt, scheme: NumaScheme, drconf: DrconfMemory, cells: FdtCells, others: readonly Range[]): FdtMemoryPiece[] {
  const out: FdtMemoryPiece[] = [];
  const source = (drc: number): string => `/ibm,dynamic-reconfiguration-memory LMB drc 0x${drc.toString(16)}`;
  const usm = drconf.usableMemory;
  if (usm === undefined) {
    const joined = joinedLmbPieces(drconf, scheme, others, source);
    if (joined !== undefined) return joined;
    for (const run of drconf.runs) {
      if (!lmbIsAssigned(run.flags) || run.count === 0n || drconf.lmbSize === 0n) continue;
      const hotpluggable = (run.flags & DRCONF_MEM_HOTREMOVABLE) !== 0;
      out.push({ ...rangeOf(run.base, run.count * drconf.lmbSize), source: source(run.drcIndex), nid: lmbNid(scheme, run), hotpluggable });
    }
    return out;
  }
  // kdump kernel: for every assigned LMB, a count then that many (base, size) pairs replace it.
  // Each LMB read consumes bytes of the property, so this is bounded by the property's length.
  const value = usm.value;
  const pair = 4 * (cells.addressCells + cells.sizeCells);
  let at = 0;
  for (const run of drconf.runs) {
    if (!lmbIsAssigned(run.flags)) continue;
    const hotpluggable = (run.flags & DRCONF_MEM_HOTREMOVABLE) !== 0;
    for (let i = 0n; i < run.count; i++) {
      if (at + 4 * cells.sizeCells > value.length) {
        throw fdtError(
          fdt.origin,
          valueOffset(usm, at),
          `"linux,drconf-usable-memory" ends before the entry for LMB drc 0x${(run.drcIndex + Number(i)).toString(16)}`,
        );
      }
      const ranges = readNumber(value, at, cells.sizeCells);
      at += 4 * cells.sizeCells;
      if (ranges > BigInt(value.length - at) / BigInt(pair)) {
        throw fdtError(fdt.origin, valueOffset(usm, at), `"linux,drconf-usable-memory" claims ${ranges} ranges but the property ends first`);
      }
      for (let r = 0n; r < ranges; r++, at += pair) {
        const base = readNumber(value, at, cells.addressCells);
        const size = readNumber(value, at + 4 * cells.addressCells, cells.sizeCells);
        if (size > 0n) out.push({ ...rangeOf(base, size), source: source(run.drcIndex + Number(i)), nid: lmbNid(scheme, run), hotpluggable });
      }
    }
  }
  return out;
}

function readChosen(fdt: Fdt, cells: FdtCells): FdtChosen {
  const chosen = fdtLookup(fdt, '/chosen')?.node;
  const tuples = (name: string): Range[] | undefined => {
    const prop = chosen === undefined ? undefined : fdtProperty(chosen, name);
    if (prop === undefined) return undefined;
    return decodeTuples(fdt.origin, prop, cells)
      .filter((e) => e.size > 0n)
      .map((e) => rangeOf(e.address, e.size));
  };
  const elfcorehdr = tuples('linux,elfcorehdr');
  if (elfcorehdr !== undefined && elfcorehdr.length !== 1) {
    throw fdtError(
      fdt.origin,
      chosen === undefined ? undefined : fdtProperty(chosen, 'linux,elfcorehdr')?.offset,
      '"linux,elfcorehdr" must hold exactly one (address, size) pair',
    );
  }
  return { elfcorehdr: elfcorehdr?.[0], usableMemoryRanges: tuples('linux,usable-memory-range') ?? [] };
}

function readNoMap(fdt: Fdt): Range[] {
  const parent = fdtLookup(fdt, '/reserved-memory');
  if (parent === undefined) return [];
  const out: Range[] = [];
  for (const node of parent.node.children) {
    const ref: FdtNodeRef = { path: `${parent.path}/${node.name}`, node, ancestors: [...parent.ancestors, parent.node] };
    if (fdtProperty(node, 'no-map') === undefined || !available(fdt, ref)) continue;
    // Dynamically placed regions (size/alloc-ranges, no reg) are chosen at boot; nothing to read here.
    for (const e of decodeReg(fdt.origin, ref) ?? []) if (e.size > 0n) out.push(rangeOf(e.address, e.size));
  }
  return out;
}

interface Attribute<T> {
  readonly range: Range;
  readonly value: T;
}

/**
 * Cut merged RAM into maximal runs of equal (node, hot-plug flag). Attribute ranges are swept in
 * address order with one pointer each, so this is O(n log n) in the number of pieces.
 */
function partition(ram: readonly Range[], nids: readonly Attribute<number>[], hotplug: readonly Range[], defaultNid: number): FdtMemoryRegion[] {
  const points = new Set<bigint>();
  for (const r of [...ram, ...nids.map((a) => a.range), ...hotplug]) {
    points.add(r.start);
    points.add(r.end + 1n);
  }
  const sorted = [...points].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const byStart = <T extends Range>(xs: readonly T[]): T[] => [...xs].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const nidRanges = byStart(nids.map((a) => ({ ...a.range, nid: a.value })));
  const out: { start: bigint; end: bigint; nid: number; hotpluggable: boolean }[] = [];
  let ri = 0;
  let ni = 0;
  let hi = 0;
  for (let k = 0; k + 1 < sorted.length; k++) {
    const start = sorted[k]!;
    const end = sorted[k + 1]! - 1n;
    while (ri < ram.length && ram[ri]!.end < start) ri++;
    if (ri >= ram.length || ram[ri]!.start > start) continue;
    while (ni < nidRanges.length && nidRanges[ni]!.end < start) ni++;
    // Where node ranges overlap (a broken tree), the one starting lower wins.
    let nid = defaultNid;
    for (let j = ni; j < nidRanges.length && nidRanges[j]!.start <= start; j++) {
      if (nidRanges[j]!.end >= start) {
        nid = nidRanges[j]!.nid;
        break;
      }
    }
    while (hi < hotplug.length && hotplug[hi]!.end < start) hi++;
    const hotpluggable = hi < hotplug.length && hotplug[hi]!.start <= start;
    const last = out[out.length - 1];
    if (last !== undefined && last.end + 1n === start && last.nid === nid && last.hotpluggable === hotpluggable) last.end = end;
    else out.push({ start, end, nid, hotpluggable });
  }
  return out.map((r) => ({ name: SYSTEM_RAM, ...r }));
}

export function readFdtMemory(input: Fdt | Uint8Array, origin = 'device tree'): FdtMemory {
  const fdt = input instanceof Uint8Array ? parseFdt(input, origin) : input;
  const warnings: string[] = [];
  const cells = rootCellsOf(fdt.origin, fdt.root);
  const memoryNodes = fdtRootChildren(fdt).filter((ref) => isMemoryNode(fdt, ref));
  const numa = numaSchemeOf(fdt, memoryNodes);
  const pieces = memoryNodes.flatMap((ref) => memoryNodePieces(fdt, numa, ref));
  const drconf = readDrconfMemory(fdt, warnings);
  if (drconf !== undefined) pieces.push(...lmbPieces(fdt, numa, drconf, cells, pieces));

  const chosen = readChosen(fdt, cells);
  let ram = mergeRanges(pieces);
  const [cap, ...extra] = chosen.usableMemoryRanges;
  if (cap !== undefined) {
    // early_init_dt_check_for_usable_mem_range: cap memblock to the first range, add the others.
    ram = mergeRanges([...subtractRanges(ram, subtractRanges(ram, [cap])), ...extra]);
  }
  const noMap = readNoMap(fdt);
  ram = subtractRanges(ram, noMap);

  const missing = numa.kind === 'numa-node-id' && pieces.some((p) => p.nid === undefined);
  if (missing) {
    warnings.push(`${fdt.origin}: some memory nodes have no "numa-node-id"; Linux then gives up on NUMA and puts all memory on node 0`);
  }
  const single = missing || numa.kind === 'none';
  const nids: Attribute<number>[] = single ? [] : pieces.map((p) => ({ range: p, value: p.nid ?? NUMA_NO_NODE }));
  const regions = partition(ram, nids, mergeRanges(pieces.filter((p) => p.hotpluggable)), single ? 0 : NUMA_NO_NODE);
  return {
    systemRam: regions.map(({ name, start, end }) => ({ name, start, end })),
    regions,
    pieces,
    numa,
    numaFellBack: missing,
    noMap,
    chosen,
    warnings,
  };
}

/**
 * System RAM of a device tree, one range per memblock region (the `memory.dtb` source of a system
 * description). Throws E_BAD_FDT for a corrupt blob or malformed memory properties.
 */
export function fdtSystemRam(blob: Uint8Array | Fdt, origin: string): NamedRange[] {
  return [...readFdtMemory(blob, origin).systemRam];
}
