// The kernel builder's part of the `elfcorehdr` report: the System RAM the arch's walk found, what
// each exclusion took out, and the elfcorehdr segment kexec_file_load would reserve.

import { alignUp, hex } from '../core/base/index.js';
import type { ElfcorehdrLayout } from '../core/elf/index.js';
import type { Range } from '../core/memory/index.js';
import type { CrashMemory, ElfcorehdrSegmentSpec } from '../core/port/index.js';
import { type MemoryAccount, memoryAccount } from './memory-account.js';
import { rangeText } from './phdr-roles.js';
import { mergedTotal } from './range-total.js';
import { pushText } from './phdr-table-bytes.js';
import { ramListBytes } from './ram-list-text.js';
import { bytesText, formatColumns, type Json, type LineSink, namedJson, rangesJson, rangesText } from './report-text.js';
import type { ReportCommon } from './report-input.js';

export interface KernelReportInput extends ReportCommon {
  readonly builder: 'kernel';
  readonly layout: ElfcorehdrLayout;
  readonly crashMemory: CrashMemory;
  readonly segment: ElfcorehdrSegmentSpec;
  readonly sysfsSize: number;
}

/**
 * The System RAM list as formatColumns would lay out its [range, size] rows, appended to `lines`
 * without making a row of cells per range; the size text is made once for a run of equal sizes
 * (a machine's DIMMs are mostly one size).
 */
export function ramLines(ram: readonly Range[], lines: LineSink): void {
  const texts: string[] = new Array(ram.length);
  let width = 0;
  for (let i = 0; i < ram.length; i++) {
    const t = rangeText(ram[i]!);
    texts[i] = t;
    if (t.length > width) width = t.length;
  }
  let size: bigint | undefined;
  let sizeText = '';
  for (let i = 0; i < ram.length; i++) {
    const r = ram[i]!;
    const n = r.end - r.start + 1n;
    if (n !== size) {
      size = n;
      sizeText = bytesText(n);
    }
    // bytesText is never empty and never ends in a blank, so there is nothing for trimEnd to take.
    lines.push(`  ${texts[i]!.padEnd(width)} ${sizeText}`);
  }
}

function memoryLines(account: MemoryAccount, cm: CrashMemory, origin: string, lines: LineSink): void {
  lines.push(`System RAM found by the walk (${account.systemRam.length} ranges, from ${origin}):`);
  const text = ramListBytes(account.systemRam);
  if (text === undefined) ramLines(account.systemRam, lines);
  else pushText(lines, text);
  if (account.exclusions.length === 0) {
    lines.push('Exclusions: none');
  } else {
    lines.push('Exclusions, in the order the kernel applies them:');
    const rows = formatColumns(
      account.exclusions.map((e) => [
        e.name,
        rangeText(e),
        `removed ${rangesText(e.removed)}`,
        e.leftIn.length === 0 ? '' : `(left in: ${rangesText(e.leftIn)})`,
      ]),
    );
    for (const row of rows) lines.push(row);
  }
  for (const a of account.added) lines.push(`  added: ${a.name} ${rangeText(a)}`);
  if (account.unexplained.length > 0) lines.push(`  also dropped, by no listed exclusion: ${rangesText(account.unexplained)}`);
  if (account.beyondRam.length > 0) lines.push(`  in the header but not System RAM: ${rangesText(account.beyondRam)}`);
  const ranges = cm.mem.ranges;
  lines.push(`Crash memory: ${ranges.length} ranges, ${bytesText(mergedTotal(ranges))} ` + `(the crash_mem array holds up to ${cm.mem.maxNrRanges})`);
}

function reserveLines(input: KernelReportInput): string[] {
  const { segment, system, sysfsSize } = input;
  const rounded = alignUp(BigInt(segment.memsz), BigInt(system.pageSize));
  const lines = [
    'The kernel would reserve (kexec_file_load elfcorehdr segment):',
    `  memsz ${hex(segment.memsz)} (${segment.memsz} bytes), page-rounded ${hex(rounded)} (${rounded} bytes), ` +
      `elf_headers_sz ${segment.elfHeadersSize}, align ${hex(segment.align)}`,
    `  /sys/kernel/crash_elfcorehdr_size: ${sysfsSize}`,
  ];
  if (segment.warning !== undefined) lines.push(`  kernel message while sizing: "${segment.warning}"`);
  return lines;
}

/** The memory account, printed between the program headers and the header summary. */
export function kernelMemoryLines(input: KernelReportInput): string[] {
  const lines: string[] = [];
  kernelMemoryLinesInto(input, lines);
  return lines;
}

/** kernelMemoryLines, pushed into `lines`. */
export function kernelMemoryLinesInto(input: KernelReportInput, lines: LineSink): void {
  memoryLines(memoryAccount(input.crashMemory), input.crashMemory, input.system.memory.origin, lines);
}

export function kernelReserveLines(input: KernelReportInput): string[] {
  return reserveLines(input);
}

export function kernelSectionsJson(input: KernelReportInput): { memory: Json; reserve: Json } {
  const { system, crashMemory, segment, sysfsSize } = input;
  const account = memoryAccount(crashMemory);
  return {
    memory: {
      source: system.memory.source,
      origin: system.memory.origin,
      systemRam: account.systemRam.map(namedJson),
      exclusions: account.exclusions.map((e) => ({
        name: e.name,
        start: hex(e.start),
        end: hex(e.end),
        removed: rangesJson(e.removed),
        leftIn: rangesJson(e.leftIn),
      })),
      added: account.added.map(namedJson),
      unexplained: rangesJson(account.unexplained),
      beyondRam: rangesJson(account.beyondRam),
      crashMemory: rangesJson(crashMemory.mem.ranges),
      maxNrRanges: crashMemory.mem.maxNrRanges,
    },
    reserve: {
      memsz: segment.memsz,
      memszPageRounded: Number(alignUp(BigInt(segment.memsz), BigInt(system.pageSize))),
      elfHeadersSize: segment.elfHeadersSize,
      align: segment.align,
      sysfsCrashElfcorehdrSize: sysfsSize,
      ...(segment.warning === undefined ? {} : { warning: segment.warning }),
    },
  };
}
