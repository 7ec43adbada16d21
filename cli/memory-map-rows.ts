// Turns a built header and the builder's account of memory into the rows of the memory-map
// picture: what RAM there is, what is reserved for the crash kernel, what the builder cut out,
// and what the header's PT_LOADs cover — so a gap or an overlap is visible at a glance.

import { PT_LOAD } from '../core/elf/index.js';
import type { Range } from '../core/memory/index.js';
import type { BuiltReportInput } from './report-input.js';
import type { MapBar, MapRow, MemoryMap } from './svg-memory-map.js';

const U64_END = (1n << 64n) - 1n;

function bar(r: Range, kind: MapBar['kind'], label: string): MapBar {
  return { start: r.start, end: r.end, kind, label };
}

export function memoryMapOf(input: BuiltReportInput): MemoryMap {
  const { system, header, roles } = input;
  const ram = system.memory.systemRam.map((r) => bar(r, 'ram', r.name));
  const reserved: MapBar[] = [];
  if (system.crashkernel !== undefined) reserved.push(bar(system.crashkernel, 'reserved', 'crashkernel'));
  if (system.crashkernelLow !== undefined && system.crashkernelLow.end !== 0n) {
    reserved.push(bar(system.crashkernelLow, 'reserved', 'crashkernelLow'));
  }
  const excluded =
    input.builder === 'kernel'
      ? input.crashMemory.excluded.map((r) => bar(r, 'excluded', r.name))
      : input.ranges.excluded.map((r) => bar(r, 'excluded', r.name));
  const added = input.builder === 'kernel' ? input.crashMemory.added.map((r) => bar(r, 'added', r.name)) : [];
  const loads: MapBar[] = [];
  const kernel: MapBar[] = [];
  header.phdrs.forEach((p, i) => {
    if (p.type !== PT_LOAD || p.memsz === 0n) return;
    const end = p.paddr + p.memsz - 1n;
    const r = { start: p.paddr, end: end > U64_END ? U64_END : end };
    const role = roles[i];
    if (role?.kind === 'kernel-map') kernel.push(bar(r, 'kernel', `phdr ${i}: kernel text`));
    else loads.push(bar(r, 'load', `phdr ${i}: PT_LOAD${p.offset !== p.paddr ? ` (p_offset ${p.offset.toString(16)})` : ''}`));
  });
  const rows: MapRow[] = [
    { label: 'System RAM', bars: ram },
    { label: 'crash reserved', bars: reserved },
    { label: 'excluded', bars: excluded },
    ...(added.length > 0 ? [{ label: 'arch added', bars: added }] : []),
    { label: 'PT_LOAD (RAM)', bars: loads },
    ...(kernel.length > 0 ? [{ label: 'PT_LOAD (kernel)', bars: kernel }] : []),
  ];
  return {
    title: `elfcorehdr memory map: ${system.arch}, kernel ${system.kernel.version}, ${system.builder} builder`,
    subtitle: `${system.origin} — ${loads.length} RAM PT_LOADs, ${excluded.length} exclusions`,
    rows,
  };
}
