// What the kdump kernel may use, written into its device tree (file_load_64.c, facts §6.5):
// `linux,usable-memory` on every memory node and `linux,drconf-usable-memory` on the LMB node,
// each a list of big-endian u64s clipped from the usable ranges — [0, crashkernel end], RTAS,
// OPAL and the TCE tables, in the order they were added, never sorted.

import {
  CrashplugError,
  DRCONF_NODE_PATH,
  type Fdt,
  fdtLookup,
  fdtProperty,
  fdtSetProperty,
  fdtWalk,
  propString,
  readDrconfMemory,
  readNumber,
  type Range,
  regCellsOf,
  type SystemDescription,
} from '../core/port/index.js';
import { opalRegion, rtasRegion, tceRegions } from './ppc-firmware.js';
import { addMemRange, emptyCrashMem } from './ppc-mem-ranges.js';
import type { PowerpcOptions } from './ppc-options.js';

/** `get_usable_memory_ranges`: low memory up to the end of the crash reservation, then firmware. */
export function usableMemoryRanges(system: SystemDescription, options: PowerpcOptions): Range[] {
  const crash = system.crashkernel;
  if (crash === undefined) {
    throw new CrashplugError('E_BAD_SYSTEM', `${system.origin}: no crashkernel reservation, so the kdump kernel has no usable memory; give crashkernel`);
  }
  const mem = emptyCrashMem();
  // The first memory block is kept usable as a whole: guests failed to boot without it.
  const low = system.crashkernelLow;
  if (low !== undefined && low.end !== 0n) {
    addMemRange(mem, 0n, low.end + 1n);
    addMemRange(mem, crash.start, crash.end - crash.start + 1n);
  } else {
    addMemRange(mem, 0n, crash.end + 1n);
  }
  for (const r of [...rtasRegion(system, options), ...opalRegion(system, options), ...tceRegions(system, options)]) addMemRange(mem, r.base, r.size);
  return mem.ranges;
}

/**
 * `add_usable_mem`: every usable range inside [base, end] whole, and every one that overlaps it
 * clipped — with strict comparisons, so a usable range that meets the block only at its first or
 * last byte is missed (OBSERVED).
 */
export function usableWithin(usable: readonly Range[], base: bigint, end: bigint): bigint[] {
  const out: bigint[] = [];
  for (const r of usable) {
    let lo = r.start;
    let hi = r.end;
    if (lo >= base && hi <= end) {
      // inside
    } else if (base < hi && end > lo) {
      if (lo < base) lo = base;
      if (hi > end) hi = end;
    } else {
      continue;
    }
    out.push(lo, hi - lo + 1n);
  }
  return out;
}

function u64s(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(8 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigUint64(8 * i, BigInt.asUintN(64, v), false));
  return out;
}

export interface UsableMemoryProperty {
  readonly path: string;
  readonly name: 'linux,usable-memory' | 'linux,drconf-usable-memory';
  /** The property as u64 values (counts, bases and sizes). */
  readonly values: readonly bigint[];
}

/** The `linux,drconf-usable-memory` value: for every LMB (assigned or not), a count then (base, size) pairs. */
function drconfProperty(fdt: Fdt, usable: readonly Range[]): UsableMemoryProperty | undefined {
  const drconf = readDrconfMemory(fdt);
  if (fdtLookup(fdt, DRCONF_NODE_PATH) === undefined) return undefined;
  if (drconf === undefined) {
    throw new CrashplugError(
      'E_BAD_FDT',
      `${fdt.origin}: ${DRCONF_NODE_PATH} has no usable "ibm,lmb-size" or LMB list; the kernel cannot walk its LMBs and the load fails ` +
        '("Could not setup linux,drconf-usable-memory property for kdump")',
    );
  }
  if (drconf.usableMemory !== undefined) {
    throw new CrashplugError(
      'E_BAD_FDT',
      `${fdt.origin}: ${DRCONF_NODE_PATH} already has "linux,drconf-usable-memory": this is a kdump kernel's tree, and the kernel refuses ` +
        'to load a crash kernel from one ("linux,drconf-usable-memory property already exists!")',
    );
  }
  const values: bigint[] = [];
  for (const run of drconf.runs) {
    for (let k = 0n; k < run.count; k++) {
      const base = run.base + k * drconf.lmbSize;
      const pairs = usableWithin(usable, base, base + drconf.lmbSize - 1n);
      values.push(BigInt(pairs.length / 2), ...pairs);
    }
  }
  return { path: DRCONF_NODE_PATH, name: 'linux,drconf-usable-memory', values };
}

/** Every property `update_usable_mem_fdt` writes, in the order it writes them. */
export function usableMemoryProperties(fdt: Fdt, usable: readonly Range[]): UsableMemoryProperty[] {
  const out: UsableMemoryProperty[] = [];
  const drconf = drconfProperty(fdt, usable);
  if (drconf !== undefined) out.push(drconf);
  for (const ref of fdtWalk(fdt)) {
    const type = fdtProperty(ref.node, 'device_type');
    if (type === undefined || propString(fdt.origin, type) !== 'memory') continue;
    const reg = fdtProperty(ref.node, 'reg');
    if (reg === undefined || reg.value.length === 0) continue;
    const { addressCells: a, sizeCells: s } = regCellsOf(fdt.origin, ref);
    // A trailing partial tuple is ignored, as the kernel's count of tuples rounds down.
    const tuples = Math.floor(reg.value.length / 4 / (a + s));
    const values: bigint[] = [];
    for (let i = 0; i < tuples; i++) {
      const at = 4 * i * (a + s);
      const base = readNumber(reg.value, at, a);
      const size = readNumber(reg.value, at + 4 * a, s);
      values.push(...usableWithin(usable, base, BigInt.asUintN(64, base + size - 1n)));
    }
    // Nothing usable: a (0, 0) pair, so the kdump kernel ignores the node.
    out.push({ path: ref.path, name: 'linux,usable-memory', values: values.length === 0 ? [0n, 0n] : values });
  }
  return out;
}

/** The kdump kernel's tree with the usable-memory properties set (new properties go first, as libfdt puts them). */
export function withUsableMemory(fdt: Fdt, usable: readonly Range[]): Fdt {
  let out = fdt;
  for (const p of usableMemoryProperties(fdt, usable)) out = fdtSetProperty(out, p.path, p.name, u64s(p.values));
  return out;
}
