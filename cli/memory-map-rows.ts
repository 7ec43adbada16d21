// Turns a built header and the builder's account of memory into the rows of the memory-map
// picture: the NUMA nodes, what RAM there is, what is reserved for the crash kernel (and for CMA),
// kexec-tools' backup region, what the builder cut out and why, and what the header's PT_LOADs
// cover — so a gap or an overlap is visible at a glance.

import { hex } from '../core/base/index.js';
import { PT_LOAD } from '../core/elf/index.js';
import type { Range } from '../core/memory/index.js';
import type { SystemDescription } from '../core/system/index.js';
import { memoryAccount } from './memory-account.js';
import type { BuiltReportInput } from './report-input.js';
import type { MapBar, MapRow, MemoryMap } from './svg-memory-map.js';
import { sizeShort } from './svg-text.js';

const U64_END = (1n << 64n) - 1n;

function bar(r: Range, kind: MapBar['kind'], label: string, text?: string, bytes?: bigint): MapBar {
  return { start: r.start, end: r.end, kind, label, ...(text === undefined ? {} : { text }), ...(bytes === undefined ? {} : { bytes }) };
}

function size(r: Range): bigint {
  return r.end - r.start + 1n;
}

function isRange(v: unknown): v is Range {
  return typeof v === 'object' && v !== null && typeof (v as Range).start === 'bigint' && typeof (v as Range).end === 'bigint';
}

/**
 * CMA reserved for the crash kernel (crashkernel=…,cma), when the description carries it: a range or
 * a list of them. Read structurally, so the picture draws it once core models it.
 */
function cmaRanges(system: SystemDescription): Range[] {
  const v = (system as { crashkernelCma?: unknown }).crashkernelCma;
  if (isRange(v)) return [v];
  return Array.isArray(v) ? v.filter(isRange) : [];
}

/** One bar per run of address-adjacent System RAM ranges on one node; none when no range names a node. */
function nodeBars(system: SystemDescription): MapBar[] {
  const ram = [...system.memory.systemRam].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  if (!ram.some((r) => r.nid !== undefined)) return [];
  const out: { start: bigint; end: bigint; nid: number; bytes: bigint; count: number }[] = [];
  for (const r of ram) {
    const nid = r.nid ?? 0;
    const last = out[out.length - 1];
    if (last !== undefined && last.nid === nid) {
      last.end = r.end;
      last.bytes += size(r);
      last.count++;
    } else out.push({ start: r.start, end: r.end, nid, bytes: size(r), count: 1 });
  }
  return out.map((n) =>
    bar(
      n,
      'node',
      `node ${n.nid}: ${n.count} System RAM range${n.count === 1 ? '' : 's'}, ${sizeShort(n.bytes)} of RAM`,
      `node ${n.nid}: ${sizeShort(n.bytes)}`,
      n.bytes,
    ),
  );
}

export function memoryMapOf(input: BuiltReportInput): MemoryMap {
  const { system, header, roles } = input;
  const nodes = nodeBars(system);
  const ram = system.memory.systemRam.map((r) => bar(r, 'ram', r.nid === undefined ? r.name : `${r.name} (node ${r.nid})`));
  const reserved: MapBar[] = [];
  if (system.crashkernel !== undefined) reserved.push(bar(system.crashkernel, 'reserved', 'crashkernel', `crashkernel ${sizeShort(size(system.crashkernel))}`));
  if (system.crashkernelLow !== undefined && system.crashkernelLow.end !== 0n) {
    reserved.push(bar(system.crashkernelLow, 'reserved', 'crashkernel low', `crashkernel low ${sizeShort(size(system.crashkernelLow))}`));
  }
  for (const c of cmaRanges(system)) reserved.push(bar(c, 'cma', 'crashkernel CMA', `CMA ${sizeShort(size(c))}`));
  const excluded: MapBar[] = [];
  const notes: string[] = [];
  if (input.builder === 'kernel') {
    const account = memoryAccount(input.crashMemory);
    for (const e of account.exclusions) {
      const removed = e.removed.reduce((s, r) => s + size(r), 0n);
      const text = removed === 0n ? `${e.name}: nothing cut` : `${e.name}: ${sizeShort(removed)} cut`;
      excluded.push(bar(e, 'excluded', `${e.name}: a ${sizeShort(size(e))} hole, the RAM in it cut out`, text, removed));
    }
    for (const u of account.unexplained) excluded.push(bar(u, 'excluded', 'dropped by no listed exclusion', `no rule: ${sizeShort(size(u))}`));
    if (account.exclusions.length > 0)
      notes.push(`cut out: ${account.exclusions.map((e) => e.name).join(', ')} (the kernel excludes them from the crash memory)`);
  } else {
    for (const e of input.ranges.excluded) excluded.push(bar(e, 'excluded', `${e.name}: cut out by kexec-tools`, `${e.name}: ${sizeShort(size(e))}`));
    if (input.ranges.excluded.length > 0)
      notes.push(`cut out: ${input.ranges.excluded.map((e) => e.name).join(', ')} (kexec-tools excludes them from its list)`);
  }
  const added = input.builder === 'kernel' ? input.crashMemory.added.map((r) => bar(r, 'added', r.name)) : [];
  const backup: MapBar[] = [];
  if (input.builder === 'kexec-tools' && input.ranges.backup !== undefined) {
    const b = input.ranges.backup;
    backup.push(bar(b.source, 'backup', 'backup source: purgatory copies it away', `copied: ${sizeShort(size(b.source))}`));
    const copy = { start: b.start, end: b.start + b.segmentSize - 1n };
    backup.push(bar(copy, 'backup', `backup copy at ${hex(b.start)} (the PT_LOAD's p_offset)`, `copy: ${sizeShort(b.segmentSize)}`));
    notes.push(`backup: ${sizeShort(size(b.source))} at ${hex(b.source.start)} is copied to ${hex(b.start)}; its PT_LOAD's p_offset points at the copy`);
  }
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
    ...(nodes.length > 0 ? [{ label: 'NUMA nodes', bars: nodes }] : []),
    { label: 'System RAM', bars: ram },
    { label: 'reserved', bars: reserved },
    ...(backup.length > 0 ? [{ label: 'backup region', bars: backup }] : []),
    { label: 'cut out', bars: excluded },
    ...(added.length > 0 ? [{ label: 'arch added', bars: added }] : []),
    { label: 'PT_LOAD (RAM)', bars: loads },
    ...(kernel.length > 0 ? [{ label: 'PT_LOAD (kernel)', bars: kernel }] : []),
  ];
  const nodeCount = new Set(system.memory.systemRam.map((r) => r.nid ?? 0)).size;
  return {
    title: `elfcorehdr memory map: ${system.arch}, kernel ${system.kernel.version}, ${system.builder} builder`,
    subtitle:
      `${system.origin}: ${ram.length} System RAM range${ram.length === 1 ? '' : 's'}` +
      (nodes.length > 0 ? ` on ${nodeCount} NUMA node${nodeCount === 1 ? '' : 's'}` : '') +
      `, ${loads.length} RAM PT_LOAD${loads.length === 1 ? '' : 's'}, ${excluded.length} cut out`,
    rows,
    notes,
  };
}
