// Does an installed elfcorehdr describe the machine as it is now? Its PT_LOADs are compared, as
// sets of physical bytes, with the memory the machine's crash code would list: the arch's crash
// ranges (System RAM less the exclusions, plus what the arch adds such as powerpc's RTAS) less
// the memory blocks that are offline. RAM the header does not cover is *missing* (the dump will
// lack it); memory it lists that is neither a crash range nor System RAM outside the crash
// reservations is *wrong* (a removed DIMM, a stray byte past RAM). Everything is a sweep over
// sorted, merged lists: linear once sorted, and the lists come sorted in the usual case.

import type { Range } from '../memory/range.js';
import type { ArchPlugin } from '../port/plugin.js';
import { headerLoadRanges } from './coverage.js';
import type { MachineState } from './events.js';

export interface HeaderCoverage {
  /** RAM the machine has (online, not excluded) that no PT_LOAD covers; sorted, merged. */
  readonly missing: readonly Range[];
  /** Bytes PT_LOADs list that are not the machine's RAM (or lie in a crash reservation); sorted, merged. */
  readonly wrong: readonly Range[];
  readonly missingBytes: bigint;
  readonly wrongBytes: bigint;
}

interface Span {
  start: bigint;
  end: bigint;
}

function isSorted(ranges: readonly Range[]): boolean {
  for (let i = 1; i < ranges.length; i++) if (ranges[i]!.start < ranges[i - 1]!.start) return false;
  return true;
}

/** Sorted and merged (touching ranges join); sorts only when the input is out of order. */
function normalise(ranges: readonly Range[]): Span[] {
  const sorted = isSorted(ranges) ? ranges : [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Span[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** `a` minus `b`, both sorted and merged: one pass over each. */
function minus(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  let j = 0;
  for (const r of a) {
    let start = r.start;
    while (j < b.length && b[j]!.end < start) j++;
    let k = j;
    while (k < b.length && b[k]!.start <= r.end) {
      const hole = b[k]!;
      if (hole.start > start) out.push({ start, end: hole.start - 1n });
      if (hole.end >= r.end) {
        start = r.end + 1n;
        break;
      }
      start = hole.end + 1n;
      k++;
    }
    if (start <= r.end) out.push({ start, end: r.end });
  }
  return out;
}

function bytes(ranges: readonly Range[]): bigint {
  let sum = 0n;
  for (const r of ranges) sum += r.end - r.start + 1n;
  return sum;
}

/**
 * Which RAM the header `headerBytes` misses, and which memory it lists wrongly, for `machine` as
 * the arch `plugin` walks it. A hot-added DIMM whose blocks are still offline is not missing yet;
 * offline memory that is still System RAM is not wrong to list.
 */
export function headerCoverage(headerBytes: Uint8Array, machine: MachineState, plugin: ArchPlugin): HeaderCoverage {
  const system = machine.system;
  const crash = plugin.crashMemory(system);
  const listed = normalise(headerLoadRanges(headerBytes));
  const offline = normalise([...machine.offlineBlocks].map((b) => ({ start: b * machine.blockSize, end: (b + 1n) * machine.blockSize - 1n })));
  const required = minus(normalise(crash.mem.ranges), offline);
  const reservations = normalise([system.crashkernel, system.crashkernelLow].filter((r): r is Range => r !== undefined));
  const allowed = normalise([...crash.mem.ranges, ...minus(normalise(crash.systemRam), reservations)]);
  const missing = minus(required, listed);
  const wrong = minus(listed, allowed);
  return { missing, wrong, missingBytes: bytes(missing), wrongBytes: bytes(wrong) };
}
