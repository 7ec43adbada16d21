// The checks on the memory PT_LOADs: their fields, their order, that they lie in RAM (or in what
// the arch adds), that they are disjoint, that they miss the crash reservations the arch excludes,
// and that together they are RAM minus the declared exclusions — the property a dump relies on.

import { hex } from '../core/base/index.js';
import { PF_RWX, type ProgramHeader, PT_LOAD } from '../core/elf/index.js';
import { mergeRanges, type NamedRange, type Range } from '../core/memory/index.js';
import type { SystemDescription } from '../core/system/index.js';
import type { Findings } from './findings.js';
import type { MachineContext } from './header-checks.js';
import { entryIndexer, minus, rangesText, rangeText } from './ranges.js';
import type { ConformanceSpec, LoadOrder } from './spec.js';

/** The exclusions a spec declares, or the generic pair every arch cuts: crashkernel, then crashkernelLow. */
export function declaredExclusions(spec: ConformanceSpec, system: SystemDescription): readonly NamedRange[] {
  if (spec.exclusions !== undefined) return spec.exclusions(system);
  return reservationsOf(system);
}

/** The crash reservations of a machine (crashk_low_res only when its end is not 0, as the kernel tests it). */
export function reservationsOf(system: SystemDescription): NamedRange[] {
  const out: NamedRange[] = [];
  if (system.crashkernel !== undefined) out.push({ name: 'crashkernel', ...system.crashkernel });
  if (system.crashkernelLow !== undefined && system.crashkernelLow.end !== 0n) out.push({ name: 'crashkernelLow', ...system.crashkernelLow });
  return out;
}

export function checkMemoryLoads(f: Findings, ctx: MachineContext, phdrs: readonly ProgramHeader[], firstIndex: number): void {
  const { system, spec, plugin, name } = ctx;
  f.note('load-fields', name, fieldProblems(ctx, phdrs, firstIndex));
  const loads: Range[] = phdrs.filter((p) => p.type === PT_LOAD && p.filesz > 0n).map((p) => ({ start: p.paddr, end: p.paddr + p.filesz - 1n }));
  const ram = system.memory.systemRam;
  const additions = spec.additions !== undefined ? spec.additions(system, plugin) : plugin.crashMemory(system).added;

  f.note('load-order', name, orderProblems(spec.loadOrder, loads, ram, system));

  const allowed = mergeRanges([...ram, ...additions]);
  const outside = minus(mergeRanges(loads), allowed);
  f.note(
    'loads-in-ram',
    name,
    outside.length === 0 ? [] : [`${rangesText(outside)} ${outside.length === 1 ? 'is' : 'are'} dumped but neither System RAM nor added by the arch`],
  );

  const sorted = [...loads].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const overlapping: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start <= sorted[i - 1]!.end) overlapping.push(`${rangeText(sorted[i - 1]!)} overlaps ${rangeText(sorted[i]!)}`);
  }
  f.note('loads-disjoint', name, overlapping);

  const kept = new Set((spec.keptReservations ?? []).map((k) => k.name));
  const dumped = mergeRanges(loads);
  const reservationProblems = reservationsOf(system)
    .filter((r) => !kept.has(r.name as 'crashkernel' | 'crashkernelLow'))
    .flatMap((r) => {
      const inDump = minus([r], minus([r], dumped));
      return inDump.length === 0 ? [] : [`${r.name} ${rangeText(r)} is dumped at ${rangesText(inDump)}`];
    });
  f.note('reservations-excluded', name, reservationProblems);

  const exclusions = mergeRanges(declaredExclusions(spec, system));
  const expected = mergeRanges([...minus(mergeRanges(ram), exclusions), ...additions]);
  const missing = minus(expected, dumped);
  const extra = minus(dumped, expected);
  const coverage: string[] = [];
  if (missing.length > 0) coverage.push(`not dumped: ${rangesText(missing)}`);
  if (extra.length > 0) coverage.push(`dumped although RAM minus the declared exclusions leaves it out: ${rangesText(extra)}`);
  f.note('ram-coverage', name, coverage);
}

function fieldProblems(ctx: MachineContext, phdrs: readonly ProgramHeader[], firstIndex: number): string[] {
  const { spec, system } = ctx;
  const va = spec.va ?? ((pa: bigint, s: SystemDescription) => BigInt.asUintN(64, pa + s.pageOffset));
  const offsetOf = spec.loadOffset ?? ((pa: bigint) => pa);
  const out: string[] = [];
  phdrs.forEach((p, i) => {
    const at = `phdr ${firstIndex + i}`;
    if (p.type !== PT_LOAD) {
      out.push(`${at} is type ${p.type}, expected a memory PT_LOAD`);
      return;
    }
    if (p.flags !== PF_RWX) out.push(`${at} p_flags ${p.flags}, expected RWX (7)`);
    if (p.align !== 0n) out.push(`${at} p_align ${p.align}, expected 0`);
    if (p.filesz !== p.memsz || p.filesz === 0n) out.push(`${at} filesz ${hex(p.filesz)} memsz ${hex(p.memsz)}: expected equal and not zero`);
    const vaddr = va(p.paddr, system);
    if (p.vaddr !== vaddr) out.push(`${at} paddr ${hex(p.paddr)} has vaddr ${hex(p.vaddr)}, __va gives ${hex(vaddr)}`);
    const offset = offsetOf(p.paddr, system);
    if (p.offset !== offset) out.push(`${at} paddr ${hex(p.paddr)} has p_offset ${hex(p.offset)}, expected ${hex(offset)}`);
  });
  return out;
}

function orderProblems(order: LoadOrder, loads: readonly Range[], ram: readonly Range[], system: SystemDescription): string[] {
  if (typeof order === 'function') {
    const why = order(loads, system);
    return why === undefined ? [] : [why];
  }
  switch (order) {
    case 'sorted':
      return descents(loads, 0).map((i) => `PT_LOAD ${rangeText(loads[i]!)} follows ${rangeText(loads[i - 1]!)}: not ascending`);
    case 'sorted-except-appended-tail': {
      // The ascending run from the start; what follows it are tails appended by hot-unplug, in any order.
      const firstDescent = descents(loads, 0)[0] ?? loads.length;
      const head = loads.slice(0, firstDescent);
      const tail = loads.slice(firstDescent);
      const last = head[head.length - 1];
      const misplaced = last === undefined ? [] : tail.filter((r) => r.start > last.end);
      return misplaced.map((r) => `PT_LOAD ${rangeText(r)} sits after the ascending run but would extend it: a sorted list was left unsorted`);
    }
    case 'walk-order': {
      const indexOf = entryIndexer(ram);
      const out: string[] = [];
      let previous = -1;
      loads.forEach((r, i) => {
        const entry = indexOf(r.start);
        if (entry < previous || (entry === previous && r.start <= loads[i - 1]!.start)) {
          out.push(`PT_LOAD ${rangeText(r)} comes after ${rangeText(loads[i - 1]!)}, against the order of the System RAM walk`);
        }
        if (entry >= 0) previous = entry;
      });
      return out;
    }
    default: {
      const never: never = order;
      return [`unknown load order ${String(never)}`];
    }
  }
}

/** Indices i ≥ 1 (from `from`) where loads[i] does not start above loads[i − 1]. */
function descents(loads: readonly Range[], from: number): number[] {
  const out: number[] = [];
  for (let i = Math.max(1, from); i < loads.length; i++) if (loads[i]!.start <= loads[i - 1]!.start) out.push(i);
  return out;
}
