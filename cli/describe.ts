// Renders an elfcorehdr for people and for scripts: a `readelf -lW`-style table with a column
// saying what each program header is for, the memory accounting behind the PT_LOADs, and the
// sizes the kernel reserves. Pure functions from built or decoded headers to lines or JSON.

import {
  alignUp,
  type CrashMemory,
  type ElfCoreHeader,
  type ElfcorehdrLayout,
  type ElfcorehdrSegmentSpec,
  EHDR_SIZE,
  hex,
  hex16,
  machineName,
  mergeRanges,
  type NamedRange,
  PF_R,
  PF_W,
  PF_X,
  PHDR_SIZE,
  phdrTypeName,
  type ProgramHeader,
  type Range,
  type SystemDescription,
  totalSize,
} from '../core/index.js';
import { type MemoryAccount, memoryAccount } from './memory-account.js';
import { type PhdrWhat, rangeText, whatFromLayout } from './phdr-roles.js';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

function flagLetters(flags: number): string {
  return `${flags & PF_R ? 'R' : ' '}${flags & PF_W ? 'W' : ' '}${flags & PF_X ? 'E' : ' '}`;
}

/** readelf -lW prints sizes with at least six digits. */
function sizeHex(v: bigint): string {
  return `0x${v.toString(16).padStart(6, '0')}`;
}

/** Columns padded to their widest cell, one space apart, trailing blanks dropped. */
export function formatColumns(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => (indent + row.map((cell, i) => cell.padEnd(widths[i]!)).join(' ')).trimEnd());
}

/**
 * The program headers as `readelf -lW` shows them, with an index in front and, when `what` is
 * given, a last column saying what each one is for.
 */
export function phdrTable(header: ElfCoreHeader, what?: readonly PhdrWhat[], whatTitle = 'What'): string[] {
  const head = ['#', 'Type', 'Offset', 'VirtAddr', 'PhysAddr', 'FileSiz', 'MemSiz', 'Flg', 'Align'];
  if (what !== undefined) head.push(whatTitle);
  const rows = header.phdrs.map((p, i) => {
    const row = [
      String(i),
      phdrTypeName(p.type),
      hex16(p.offset),
      hex16(p.vaddr),
      hex16(p.paddr),
      sizeHex(p.filesz),
      sizeHex(p.memsz),
      flagLetters(p.flags),
      hex(p.align),
    ];
    if (what !== undefined) row.push(what[i]?.label ?? '');
    return row;
  });
  return formatColumns([head, ...rows]);
}

export function phdrJson(p: ProgramHeader, index: number, what?: PhdrWhat): Json {
  return {
    index,
    type: phdrTypeName(p.type),
    p_type: p.type,
    p_flags: p.flags,
    flags: flagLetters(p.flags).replace(/ /g, ''),
    p_offset: hex(p.offset),
    p_vaddr: hex(p.vaddr),
    p_paddr: hex(p.paddr),
    p_filesz: hex(p.filesz),
    p_memsz: hex(p.memsz),
    p_align: hex(p.align),
    ...(what === undefined ? {} : { role: what.kind, what: what.label }),
    ...(what?.cpu === undefined ? {} : { cpu: what.cpu }),
  };
}

/** Bytes from the end of the program headers to the end of the buffer: the kernel leaves them zero. */
export interface TrailingBytes {
  /** Offset of the first byte past the last program header. */
  readonly from: number;
  readonly length: number;
  readonly nonZero: number;
  readonly firstNonZero?: number | undefined;
}

export function usedBytes(header: ElfCoreHeader): number {
  return Number(header.header.phoff) + header.header.phnum * PHDR_SIZE;
}

export function trailingBytes(bytes: Uint8Array, header: ElfCoreHeader): TrailingBytes {
  const from = Math.min(usedBytes(header), bytes.length);
  let nonZero = 0;
  let firstNonZero: number | undefined;
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] !== 0) {
      nonZero++;
      firstNonZero ??= i;
    }
  }
  return { from, length: bytes.length - from, nonZero, firstNonZero };
}

export function trailingText(t: TrailingBytes): string {
  if (t.length === 0) return 'the file ends with the last program header';
  if (t.nonZero === 0) return `${t.length} bytes past the last program header, all zero`;
  return `${t.length} bytes past the last program header, ${t.nonZero} of them non-zero (first at byte ${t.firstNonZero})`;
}

export function ehdrJson(header: ElfCoreHeader): Json {
  const h = header.header;
  return {
    class: 'ELF64',
    ei_data: h.data,
    byteOrder: header.byteOrder,
    ei_osabi: h.osabi,
    e_type: h.type,
    e_machine: h.machine,
    machine: machineName(h.machine),
    e_version: h.version,
    e_entry: hex(h.entry),
    e_phoff: hex(h.phoff),
    e_shoff: hex(h.shoff),
    e_flags: h.flags,
    e_ehsize: h.ehsize,
    e_phentsize: h.phentsize,
    e_phnum: h.phnum,
    e_shentsize: h.shentsize,
    e_shnum: h.shnum,
    e_shstrndx: h.shstrndx,
  };
}

/** The Ehdr in a few lines, as `readelf -h` would say it, plus where the program headers end. */
export function ehdrLines(header: ElfCoreHeader, source: string, trailing: TrailingBytes): string[] {
  const h = header.header;
  const data = h.data === 1 ? 'little-endian' : h.data === 2 ? 'big-endian' : `unknown (${h.data})`;
  const fields = header.byteOrder === 'le' ? 'little-endian' : 'big-endian';
  const type = h.type === 4 ? 'CORE (4)' : String(h.type);
  return [
    `ELF header of ${source} (${header.size} bytes):`,
    `  ELF64, EI_DATA ${data}${fields === data ? '' : ` (fields read ${fields})`}, OS/ABI ${h.osabi}, ` +
      `type ${type}, machine ${machineName(h.machine)} (${h.machine}), version ${h.version}`,
    `  entry ${hex(h.entry)}, flags ${hex(h.flags)}, e_ehsize ${h.ehsize}, ` +
      `${h.phnum} program headers of ${h.phentsize} bytes at offset ${h.phoff}, ` +
      `e_shoff ${h.shoff}, e_shnum ${h.shnum}, e_shentsize ${h.shentsize}, e_shstrndx ${h.shstrndx}`,
    `  program headers end at byte ${usedBytes(header)}; ${trailingText(trailing)}`,
  ];
}

/** 1.7 GiB, 636 KiB, 368 bytes. */
export function bytesText(n: bigint): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${n} bytes`;
  return Number.isInteger(v) ? `${v} ${units[u]}` : `≈${v.toFixed(1)} ${units[u]}`;
}

function rangesText(ranges: readonly Range[]): string {
  return ranges.length === 0 ? 'nothing' : ranges.map(rangeText).join(', ');
}

function rangesJson(ranges: readonly Range[]): Json {
  return ranges.map((r) => ({ start: hex(r.start), end: hex(r.end) }));
}

function namedJson(r: NamedRange): Json {
  return { name: r.name, start: hex(r.start), end: hex(r.end) };
}

/** Everything the `elfcorehdr` command reports about one built header. */
export interface BuiltReportInput {
  readonly system: SystemDescription;
  readonly header: ElfCoreHeader;
  readonly layout: ElfcorehdrLayout;
  readonly crashMemory: CrashMemory;
  readonly segment: ElfcorehdrSegmentSpec;
  readonly sysfsSize: number;
}

function memoryLines(account: MemoryAccount, cm: CrashMemory, origin: string): string[] {
  const lines = [`System RAM found by the walk (${account.systemRam.length} ranges, from ${origin}):`];
  lines.push(...formatColumns(account.systemRam.map((r) => [rangeText(r), bytesText(r.end - r.start + 1n)])));
  if (account.exclusions.length === 0) {
    lines.push('Exclusions: none');
  } else {
    lines.push('Exclusions, in the order the kernel applies them:');
    lines.push(
      ...formatColumns(
        account.exclusions.map((e) => [
          e.name,
          rangeText(e),
          `removed ${rangesText(e.removed)}`,
          e.leftIn.length === 0 ? '' : `(left in: ${rangesText(e.leftIn)})`,
        ]),
      ),
    );
  }
  for (const a of account.added) lines.push(`  added: ${a.name} ${rangeText(a)}`);
  if (account.unexplained.length > 0) lines.push(`  also dropped, by no listed exclusion: ${rangesText(account.unexplained)}`);
  if (account.beyondRam.length > 0) lines.push(`  in the header but not System RAM: ${rangesText(account.beyondRam)}`);
  const ranges = cm.mem.ranges;
  lines.push(
    `Crash memory: ${ranges.length} ranges, ${bytesText(totalSize(mergeRanges(ranges)))} ` +
      `(the crash_mem array holds up to ${cm.mem.maxNrRanges})`,
  );
  return lines;
}

function reserveLines(input: BuiltReportInput): string[] {
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

export function headerSummary(header: ElfCoreHeader, layout: ElfcorehdrLayout): string {
  const used = usedBytes(header);
  return (
    `Header: ${used} bytes (${EHDR_SIZE}-byte Ehdr + ${header.header.phnum} × ${PHDR_SIZE}) in a ${layout.size}-byte buffer; ` +
    `e_phnum ${header.header.phnum}, buffer sized for ${layout.sizedPhnum} program headers`
  );
}

export function builtReportLines(input: BuiltReportInput): string[] {
  const { system, header, layout, crashMemory } = input;
  const account = memoryAccount(crashMemory);
  return [
    `elfcorehdr of ${system.origin}: ${system.arch}, kernel ${system.kernel.version} profile, ${system.builder} builder`,
    '',
    'Program headers:',
    ...phdrTable(header, whatFromLayout(layout, header)),
    '',
    ...memoryLines(account, crashMemory, system.memory.origin),
    '',
    headerSummary(header, layout),
    ...reserveLines(input),
  ];
}

export function builtReportJson(input: BuiltReportInput): Json {
  const { system, header, layout, crashMemory, segment, sysfsSize } = input;
  const account = memoryAccount(crashMemory);
  const what = whatFromLayout(layout, header);
  return {
    system: system.origin,
    arch: system.arch,
    kernel: system.kernel.version,
    builder: system.builder,
    elfHeader: ehdrJson(header),
    programHeaders: header.phdrs.map((p, i) => phdrJson(p, i, what[i])),
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
    header: {
      usedBytes: usedBytes(header),
      size: layout.size,
      phnum: header.header.phnum,
      sizedPhnum: layout.sizedPhnum,
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
