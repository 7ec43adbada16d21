// The kexec-tools builder's part of the `elfcorehdr` report: its own crash memory list (every
// entry is counted when the buffer is sized; only RAM becomes a PT_LOAD), the reservations it cut
// out, the backup region, and the segment `kexec -p` would hand to kexec_load.

import { hex } from '../core/base/index.js';
import type { KexecToolsLayout, KexecToolsRange, KexecToolsRanges } from '../core/kexec/index.js';
import type { Range } from '../core/memory/index.js';
import type { KexecToolsSegmentSize } from '../core/kexec/index.js';
import { rangeText } from './phdr-roles.js';
import { bytesText, formatColumns, type Json, namedJson, sizeText } from './report-text.js';
import type { ReportCommon } from './report-input.js';

export interface KexecToolsReportInput extends ReportCommon {
  readonly builder: 'kexec-tools';
  readonly layout: KexecToolsLayout;
  readonly ranges: KexecToolsRanges;
  /** Undefined when the port does not say how its kexec-tools sizes the segment. */
  readonly segment: KexecToolsSegmentSize | undefined;
}

/** An entry the exclusions left with its start past its end still becomes a PT_LOAD (size wraps). */
function inverted(r: Range): boolean {
  return r.start > r.end;
}

function overlapsHole(r: KexecToolsRange, hole: Range): boolean {
  return !inverted(r) && r.start <= hole.end && hole.start <= r.end;
}

/** Which program header each list entry became, by its position in the list. */
function phdrOfEntry(input: KexecToolsReportInput): Map<number, number> {
  const out = new Map<number, number>();
  input.roles.forEach((role, phdr) => {
    if (role.kind === 'ram' && 'listIndex' in role) out.set(role.listIndex, phdr);
  });
  return out;
}

function entryNote(r: KexecToolsRange, phdr: number | undefined): string {
  const parts: string[] = [];
  if (phdr !== undefined) parts.push(`PT_LOAD ${phdr}`);
  else if (r.type === 'ram') parts.push('no PT_LOAD ([0, 0] is skipped)');
  if (r.offset !== r.start) parts.push(`p_offset = backup copy at ${hex(r.offset)}`);
  if (inverted(r)) parts.push('start past end: the exclusion left it inverted');
  return parts.join(', ');
}

export function kexecToolsMemoryLines(input: KexecToolsReportInput): string[] {
  const { ranges: kt, system } = input;
  const phdrs = phdrOfEntry(input);
  const lines = [
    `kexec-tools' crash memory list (${kt.ranges.length} entries, from ${system.memory.origin}; ` +
      'every entry sizes the buffer, RAM entries become PT_LOADs):',
    ...formatColumns(kt.ranges.map((r, i) => [rangeText(r), r.type, entryNote(r, phdrs.get(i))])),
  ];
  if (kt.excluded.length === 0) {
    lines.push('Exclusions: none');
  } else {
    lines.push('Exclusions, in the order kexec-tools applies them:');
    lines.push(
      ...formatColumns(
        kt.excluded.map((hole) => {
          const leftIn = kt.ranges.filter((r) => r.type === 'ram' && overlapsHole(r, hole));
          return [hole.name, rangeText(hole), leftIn.length === 0 ? '' : `(left in: ${leftIn.map(rangeText).join(', ')})`];
        }),
      ),
    );
  }
  const b = kt.backup;
  if (b !== undefined) {
    const from = b.startFrom === 'system' ? 'backupStart of the description' : 'placed by the port as kexec-tools places it';
    lines.push(
      `Backup region: ${rangeText(b.source)} (${bytesText(b.source.end - b.source.start + 1n)}) is copied to ${hex(b.start)} ` +
        `(${from}); the backup segment is ${sizeText(b.segmentSize)}`,
    );
  }
  return lines;
}

export function kexecToolsSizeLine(input: KexecToolsReportInput, usedBytes: number): string {
  const { layout, header } = input;
  const parts = [`${layout.nrCpus} CPU${layout.nrCpus === 1 ? '' : 's'}`, 'vmcoreinfo'];
  if (layout.hasKernelMap) parts.push('kernel');
  parts.push(`${layout.rangeCount} list entries`);
  return (
    `Header: ${usedBytes} bytes (64-byte Ehdr + ${header.header.phnum} × 56) in a ${layout.size}-byte buffer; ` +
    `e_phnum ${header.header.phnum}, buffer sized for ${layout.sizedPhnum} program headers (${parts.join(' + ')}), rounded up to 1 KiB`
  );
}

function hotplugText(input: KexecToolsReportInput, s: KexecToolsSegmentSize): string {
  const h = s.hotplug;
  const sysfs = 'round_up(/sys/kernel/crash_elfcorehdr_size, 1024)';
  const rule = { always: sysfs, 'when-larger': `${sysfs} when that exceeds bufsz`, never: 'bufsz (--hotplug does not change it on this arch)' }[s.rule.hotplug];
  if (h.kind === 'refused') {
    return (
      `  with --hotplug: memsz = ${rule}; here kexec refuses to load: a kernel ${input.system.kernel.version} built like this one ` +
      'has no /sys/kernel/crash_elfcorehdr_size (or it reads 0): it needs CONFIG_CRASH_HOTPLUG, 6.6 or later'
    );
  }
  return `  with --hotplug: memsz = ${rule} = ${sizeText(h.memsz)} (sysfs ${h.sysfsSize}), page-rounded ${sizeText(h.pageRounded)}`;
}

export function kexecToolsReserveLines(input: KexecToolsReportInput): string[] {
  const s = input.segment;
  if (s === undefined) {
    return [
      "kexec-tools' elfcorehdr segment (kexec_load):",
      `  bufsz ${sizeText(input.layout.size)}; how kexec-tools sizes memsz on ${input.system.arch} is not modelled by that port`,
    ];
  }
  const min = s.rule.minMemsz === 0 ? 'bufsz' : `max(bufsz, ${bytesText(BigInt(s.rule.minMemsz))})`;
  return [
    `kexec-tools' elfcorehdr segment (kexec_load; ${s.rule.source}):`,
    `  bufsz ${sizeText(s.bufsz)}; memsz = ${min} = ${sizeText(s.memsz)}, page-rounded ${sizeText(s.pageRounded)}`,
    hotplugText(input, s),
  ];
}

export function kexecToolsSectionsJson(input: KexecToolsReportInput): { memory: Json; reserve: Json } {
  const { ranges: kt, system, segment: s } = input;
  const phdrs = phdrOfEntry(input);
  const b = kt.backup;
  return {
    memory: {
      source: system.memory.source,
      origin: system.memory.origin,
      list: kt.ranges.map((r, i) => {
        const phdr = phdrs.get(i);
        return {
          start: hex(r.start),
          end: hex(r.end),
          type: r.type,
          p_offset: hex(r.offset),
          ...(phdr === undefined ? {} : { phdr }),
        };
      }),
      excluded: kt.excluded.map(namedJson),
      backup:
        b === undefined
          ? null
          : { source: { start: hex(b.source.start), end: hex(b.source.end) }, start: hex(b.start), segmentSize: Number(b.segmentSize), from: b.startFrom },
    },
    reserve:
      s === undefined
        ? { bufsz: input.layout.size, modelled: false }
        : {
            bufsz: s.bufsz,
            memsz: s.memsz,
            memszPageRounded: s.pageRounded,
            minMemsz: s.rule.minMemsz,
            rule: s.rule.source,
            hotplug:
              s.hotplug.kind === 'refused'
                ? { refused: true, sysfsCrashElfcorehdrSize: s.hotplug.sysfsSize }
                : { memsz: s.hotplug.memsz, memszPageRounded: s.hotplug.pageRounded, sysfsCrashElfcorehdrSize: s.hotplug.sysfsSize },
          },
  };
}
