// Renders an elfcorehdr for people and for scripts: a `readelf -lW`-style table with a column
// saying what each program header is for, then the builder's own account — the kernel's memory
// walk and reservation, or kexec-tools' list and segment. Pure functions from built or decoded
// headers to lines or JSON.

import { hex, hex16 } from '../core/base/index.js';
import { type ElfCoreHeader, EHDR_SIZE, PF_R, PF_W, PF_X, PHDR_SIZE, phdrTypeName, type ProgramHeader } from '../core/elf/index.js';
import { kernelMemoryLinesInto, kernelReserveLines, kernelSectionsJson } from './describe-kernel.js';
import { kexecToolsMemoryLines, kexecToolsReserveLines, kexecToolsSectionsJson, kexecToolsSizeLine } from './describe-kexec-tools.js';
import { type PhdrWhat, whatFromRoles } from './phdr-roles.js';
import { phdrTableBytes, pushText } from './phdr-table-bytes.js';
import type { BuiltReportInput } from './report-input.js';
import { formatColumns, type Json, type LineSink } from './report-text.js';

export { bytesText, ChunkedText, formatColumns, type Json, type LineSink } from './report-text.js';
export type { BuiltReportInput } from './report-input.js';

function flagLetters(flags: number): string {
  return `${flags & PF_R ? 'R' : ' '}${flags & PF_W ? 'W' : ' '}${flags & PF_X ? 'E' : ' '}`;
}

/** readelf -lW prints sizes with at least six digits. */
function sizeHex(v: bigint): string {
  return `0x${v.toString(16).padStart(6, '0')}`;
}

/** Hex digits of a u64, without making the string: the table measures its columns before writing them. */
function hexDigits(v: bigint): number {
  if (v < 0x1_0000_0000n) {
    const n = Number(v);
    return n === 0 ? 1 : ((31 - Math.clz32(n)) >> 2) + 1;
  }
  return 8 + ((31 - Math.clz32(Number(v >> 32n))) >> 2) + 1;
}

/** The length sizeHex gives: at least six digits. */
const sizeHexLength = (v: bigint): number => 2 + Math.max(6, hexDigits(v));

/**
 * The program headers as `readelf -lW` shows them, with an index in front and, when `what` is
 * given, a last column saying what each one is for. The same lines `formatColumns` makes of the
 * cells, written in two passes (measure, then write each line once) so that a 16 000-row table
 * keeps no array of cells alive. Measuring needs no text: hex digits grow with the value, so each
 * column's width is that of its largest value. Writing formats only what changed from the row
 * before (a CPU note differs from the next in its index and address; their sizes, flags and
 * alignment are the same text), and drops trailing blanks without rescanning the line unless the
 * last cell could end in one.
 */
export function phdrTable(header: ElfCoreHeader, what?: readonly PhdrWhat[], whatTitle = 'What'): string[] {
  const lines: string[] = [];
  phdrTableInto(header, what, whatTitle, lines);
  return lines;
}

/** phdrTable, pushed into `out`. */
export function phdrTableInto(header: ElfCoreHeader, what: readonly PhdrWhat[] | undefined, whatTitle: string, out: LineSink): void {
  const head = ['#', 'Type', 'Offset', 'VirtAddr', 'PhysAddr', 'FileSiz', 'MemSiz', 'Flg', 'Align'];
  if (what !== undefined) head.push(whatTitle);
  const phdrs = header.phdrs;
  const n = phdrs.length;
  const w = head.map((h) => h.length);
  const widen = (i: number, len: number): void => {
    if (len > w[i]!) w[i] = len;
  };
  widen(0, String(Math.max(0, n - 1)).length);
  let lastType: number | undefined;
  for (let i = 0; i < n; i++) {
    const t = phdrs[i]!.type;
    if (t === lastType) continue;
    lastType = t;
    widen(1, phdrTypeName(t).length);
  }
  if (n > 0) {
    // The largest value of each field, in one pass: hex digits grow with the value.
    let [offset, vaddr, paddr, filesz, memsz, align] = [0n, 0n, 0n, 0n, 0n, 0n];
    for (let i = 0; i < n; i++) {
      const p = phdrs[i]!;
      if (p.offset > offset) offset = p.offset;
      if (p.vaddr > vaddr) vaddr = p.vaddr;
      if (p.paddr > paddr) paddr = p.paddr;
      if (p.filesz > filesz) filesz = p.filesz;
      if (p.memsz > memsz) memsz = p.memsz;
      if (p.align > align) align = p.align;
    }
    widen(2, 2 + Math.max(16, hexDigits(offset)));
    widen(3, 2 + Math.max(16, hexDigits(vaddr)));
    widen(4, 2 + Math.max(16, hexDigits(paddr)));
    widen(5, sizeHexLength(filesz));
    widen(6, sizeHexLength(memsz));
    widen(8, 2 + hexDigits(align));
  }
  if (what !== undefined) for (let i = 0; i < n; i++) widen(9, what[i]?.label.length ?? 0);
  const last = head.length - 1;
  out.push(formatColumns([head.map((h, i) => (i === last ? h : h.padEnd(w[i]!)))])[0]!);
  const [w0, w1, w2, w3, w4, w5, w6, w7, w8] = w as [number, number, number, number, number, number, number, number, number];
  // The text of each field of the row before, with the value it was made from.
  let type: number | undefined;
  let typeText = '';
  let vaddr: bigint | undefined;
  let vaddrText = '';
  let filesz: bigint | undefined;
  let memsz: bigint | undefined;
  let flags: number | undefined;
  let align: bigint | undefined;
  let alignText = '';
  /** FileSiz to Flg, padded, with the blank before Align. */
  let sizesText = '';
  /** The same, then Align padded and the blank before What. */
  let tailText = '';
  for (let i = 0; i < n; i++) {
    const p = phdrs[i]!;
    if (p.type !== type) {
      type = p.type;
      typeText = phdrTypeName(p.type).padEnd(w1);
    }
    const offsetText = hex16(p.offset).padEnd(w2);
    if (p.vaddr !== vaddr) {
      vaddr = p.vaddr;
      vaddrText = hex16(p.vaddr).padEnd(w3);
    }
    const paddrText = p.paddr === p.offset && w4 === w2 ? offsetText : p.paddr === p.vaddr && w4 === w3 ? vaddrText : hex16(p.paddr).padEnd(w4);
    if (p.filesz !== filesz || p.memsz !== memsz || p.flags !== flags || p.align !== align) {
      const fileszText = sizeHex(p.filesz);
      const memszText = p.memsz === p.filesz ? fileszText : sizeHex(p.memsz);
      [filesz, memsz, flags, align] = [p.filesz, p.memsz, p.flags, p.align];
      alignText = hex(p.align);
      sizesText = `${fileszText.padEnd(w5)} ${memszText.padEnd(w6)} ${flagLetters(p.flags).padEnd(w7)} `;
      tailText = `${sizesText}${alignText.padEnd(w8)} `;
    }
    const line = `  ${String(i).padEnd(w0)} ${typeText} ${offsetText} ${vaddrText} ${paddrText} `;
    const label = what === undefined ? '' : (what[i]?.label ?? '');
    if (label === '') {
      out.push(line + sizesText + alignText);
    } else {
      // trimEnd matters only when the label could end in white space: printable ASCII never does.
      const c = label.charCodeAt(label.length - 1);
      out.push((c > 0x20 && c < 0x7f) || !/\s$/.test(label) ? line + tailText + label : (line + tailText + label).trimEnd());
    }
  }
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

/** `machine`: e_machine's name, from the port that writes it (PluginRegistry.machineName). */
export function ehdrJson(header: ElfCoreHeader, machine: string): Json {
  const h = header.header;
  return {
    class: 'ELF64',
    ei_data: h.data,
    byteOrder: header.byteOrder,
    ei_osabi: h.osabi,
    e_type: h.type,
    e_machine: h.machine,
    machine,
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
export function ehdrLines(header: ElfCoreHeader, source: string, trailing: TrailingBytes, machine: string): string[] {
  const h = header.header;
  const data = h.data === 1 ? 'little-endian' : h.data === 2 ? 'big-endian' : `unknown (${h.data})`;
  const fields = header.byteOrder === 'le' ? 'little-endian' : 'big-endian';
  const type = h.type === 4 ? 'CORE (4)' : String(h.type);
  return [
    `ELF header of ${source} (${header.size} bytes):`,
    `  ELF64, EI_DATA ${data}${fields === data ? '' : ` (fields read ${fields})`}, OS/ABI ${h.osabi}, ` +
      `type ${type}, machine ${machine} (${h.machine}), version ${h.version}`,
    `  entry ${hex(h.entry)}, flags ${hex(h.flags)}, e_ehsize ${h.ehsize}, ` +
      `${h.phnum} program headers of ${h.phentsize} bytes at offset ${h.phoff}, ` +
      `e_shoff ${h.shoff}, e_shnum ${h.shnum}, e_shentsize ${h.shentsize}, e_shstrndx ${h.shstrndx}`,
    `  program headers end at byte ${usedBytes(header)}; ${trailingText(trailing)}`,
  ];
}

export function headerSummary(header: ElfCoreHeader, size: number, sizedPhnum: number): string {
  const used = usedBytes(header);
  return (
    `Header: ${used} bytes (${EHDR_SIZE}-byte Ehdr + ${header.header.phnum} × ${PHDR_SIZE}) in a ${size}-byte buffer; ` +
    `e_phnum ${header.header.phnum}, buffer sized for ${sizedPhnum} program headers`
  );
}

export function builtReportLines(input: BuiltReportInput): string[] {
  const lines: string[] = [];
  builtReportInto(input, lines);
  return lines;
}

/** builtReportLines, pushed into `lines` (a ChunkedText for a report of 16 000 program headers). */
export function builtReportInto(input: BuiltReportInput, lines: LineSink): void {
  const { system, header } = input;
  lines.push(`elfcorehdr of ${system.origin}: ${system.arch}, kernel ${system.kernel.version} profile, ${input.builder} builder`);
  lines.push('');
  lines.push('Program headers:');
  // The kernel builder's roles follow from its layout: the table reads them from there.
  if (input.phdrTable !== undefined) pushText(lines, phdrTableBytes(input.phdrTable, input.builder === 'kernel' ? input.layout : input.roles, 'What'));
  else phdrTableInto(header, whatFromRoles(input.roles, header), 'What', lines);
  lines.push('');
  switch (input.builder) {
    case 'kernel':
      kernelMemoryLinesInto(input, lines);
      lines.push('');
      lines.push(headerSummary(header, input.size, input.sizedPhnum));
      for (const line of kernelReserveLines(input)) lines.push(line);
      return;
    case 'kexec-tools':
      for (const line of kexecToolsMemoryLines(input)) lines.push(line);
      lines.push('');
      lines.push(kexecToolsSizeLine(input, usedBytes(header)));
      for (const line of kexecToolsReserveLines(input)) lines.push(line);
      return;
    default: {
      const never: never = input;
      throw new Error(`unknown builder ${String(never)}`);
    }
  }
}

export function builtReportJson(input: BuiltReportInput): Json {
  const { system, header } = input;
  const what = whatFromRoles(input.roles, header);
  const sections = input.builder === 'kernel' ? kernelSectionsJson(input) : kexecToolsSectionsJson(input);
  return {
    system: system.origin,
    arch: system.arch,
    kernel: system.kernel.version,
    builder: input.builder,
    elfHeader: ehdrJson(header, input.machineName),
    programHeaders: header.phdrs.map((p, i) => phdrJson(p, i, what[i])),
    memory: sections.memory,
    header: {
      usedBytes: usedBytes(header),
      size: input.size,
      phnum: header.header.phnum,
      sizedPhnum: input.sizedPhnum,
    },
    reserve: sections.reserve,
  };
}
