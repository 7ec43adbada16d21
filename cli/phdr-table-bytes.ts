// The program-header table of the report (describe.ts phdrTableInto, with whatFromRoles labels)
// written straight from the header's bytes: the fields are read as 32-bit words and their hex
// digits written into one ASCII buffer, so a big machine's 16 000 rows make no ProgramHeader, no
// BigInt and no string per cell or line. The text is the same byte for byte
// (test/phdr-table-bytes.test.ts compares the two on random headers).

import { type ElfcorehdrLayout, PF_R, PF_W, PF_X, PHDR_SIZE, type ProgramHeaderTable, phdrTypeName } from '../core/elf/index.js';
import { blanks, hex16, hexDigitsOf, hexMin, put, writeDecimal } from './ascii-text.js';
import type { ReportRole } from './phdr-roles.js';
import { ChunkedText, formatColumns, type LineSink, pieceText } from './report-text.js';

const TWO32 = 0x1_0000_0000;

/** The ASCII bytes of a constant piece of text, copied into the output with one `set`. */
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CPU = ascii('cpu ');
const NOTES = ascii(' notes');
const VMCOREINFO = ascii('vmcoreinfo');
const KERNEL_TEXT = ascii('kernel text');
const RAM = ascii('RAM');
const RAM_FROM = ascii(' [0x');
const RAM_TO = ascii('-0x');
const BACKUP = ascii(' (p_offset = backup copy at 0x');
/** The longest label: "RAM [0x" 16 digits "-0x" 17 digits "] (p_offset = backup copy at 0x" 16 digits ")". */
const MAX_LABEL = 128;

function unknownRole(role: never): never {
  throw new Error(`unknown phdr role ${String(role)}`);
}

// What each row's label is, one byte per row, so that the loops read a typed array rather than
// an object per row.
const NO_LABEL = 0;
const CPU_NOTE = 1;
const VMCOREINFO_NOTE = 2;
const KERNEL_MAP = 3;
const RAM_LOAD = 4;
const RAM_LOAD_BACKUP = 5;

/**
 * The rows' roles: listed (either builder), or implied by the kernel builder's layout (rolesOfLayout
 * would give the list); the layout makes no object per row.
 */
export type TableRoles = readonly ReportRole[] | ElfcorehdrLayout;

/** The label kind of each of `n` rows, and the CPU of each CPU note by row (a list, or the layout's noteCpus). */
function labelKinds(roles: TableRoles, n: number): { kinds: Uint8Array; cpus: readonly number[] } {
  const kinds = new Uint8Array(n);
  if (!Array.isArray(roles)) {
    // roleOf: the notes of noteCpus, vmcoreinfo, the kernel map when there is one, then RAM.
    const layout = roles as ElfcorehdrLayout;
    // rolesOfLayout lists layout.phnum roles; rows past them have none.
    const rows = Math.min(n, layout.phnum);
    const notes = Math.min(rows, layout.noteCpus.length);
    const firstRam = Math.min(rows, notes + 1 + (layout.hasKernelMap ? 1 : 0));
    kinds.fill(CPU_NOTE, 0, notes);
    if (notes < rows) kinds[notes] = VMCOREINFO_NOTE;
    kinds.fill(KERNEL_MAP, notes + 1, firstRam);
    kinds.fill(RAM_LOAD, firstRam, rows);
    return { kinds, cpus: layout.noteCpus };
  }
  const list = roles as readonly ReportRole[];
  const cpus: number[] = [];
  for (let i = 0; i < n && i < list.length; i++) {
    const role = list[i];
    if (role === undefined) continue;
    switch (role.kind) {
      case 'cpu-note':
        kinds[i] = CPU_NOTE;
        cpus[i] = role.cpu;
        break;
      case 'vmcoreinfo':
        kinds[i] = VMCOREINFO_NOTE;
        break;
      case 'kernel-map':
        kinds[i] = KERNEL_MAP;
        break;
      case 'ram':
        kinds[i] = 'backup' in role && role.backup ? RAM_LOAD_BACKUP : RAM_LOAD;
        break;
      default:
        unknownRole(role);
    }
  }
  return { kinds, cpus };
}

/** Whether this machine stores a u32 least significant byte first (every machine Node runs on, nearly). */
const HOST_LE = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * The table as 32-bit words in the host's order, 14 per row: read where it lies when it is
 * aligned and in the host's byte order (the builder's buffer is), else from a copy put in order.
 */
function wordsOf(table: ProgramHeaderTable, n: number): Int32Array {
  const src = table.bytes.subarray(table.at, table.at + n * PHDR_SIZE);
  if (src.byteOffset % 4 === 0 && (table.byteOrder === 'le') === HOST_LE) return new Int32Array(src.buffer, src.byteOffset, n * (PHDR_SIZE / 4));
  const copy = Buffer.from(src);
  if ((table.byteOrder === 'le') !== HOST_LE) copy.swap32();
  return new Int32Array(copy.buffer, copy.byteOffset, n * (PHDR_SIZE / 4));
}

/**
 * The lines phdrTableInto(header, whatFromRoles(roles, header), whatTitle) makes, each followed by
 * "\n", as one string; without `roles`, the table without its What column (phdrTableInto with no
 * `what`).
 *
 * The fields are read as 32-bit words of the table's bytes, and their hex digits written straight
 * into the row by small functions. A big table's rows run once, mostly before the optimizing
 * compiler has finished with the loop that writes them, so the per-row work is in functions small
 * enough to be optimized early; no string of digits is made (megabytes of them, for a big
 * machine, cost more in fresh memory than turning them to hex did).
 */
export function phdrTableText(table: ProgramHeaderTable, roles: TableRoles | undefined, whatTitle = 'What'): string {
  return pieceText(phdrTableBytes(table, roles, whatTitle));
}

/** phdrTableText as ASCII bytes. */
export function phdrTableBytes(table: ProgramHeaderTable, roles: TableRoles | undefined, whatTitle = 'What'): Uint8Array {
  const n = table.phnum;
  const { kinds, cpus } = labelKinds(roles ?? [], n);
  const words = wordsOf(table, n);
  // Where the high and the low word of a u64 field are, from its first word.
  const hiWord = table.byteOrder === 'le' ? 1 : 0;
  const loWord = 1 - hiWord;

  // Measure: each column is as wide as its title or its widest value; hex digits grow with the
  // value. Offset, VirtAddr and PhysAddr always take 16 digits, readelf's minimum and a u64's maximum.
  let typeWidth = 4;
  let lastType: number | undefined;
  // A column of sizes is as wide as its largest value, and the largest value has the highest bit
  // set of any: that of all the values OR-ed together.
  let [f0, f1, m0, m1, a0, a1] = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const q = i * 14;
    const type = words[q]! >>> 0;
    if (type !== lastType) {
      lastType = type;
      typeWidth = Math.max(typeWidth, phdrTypeName(type).length);
    }
    f0 |= words[q + 8]!;
    f1 |= words[q + 9]!;
    m0 |= words[q + 10]!;
    m1 |= words[q + 11]!;
    a0 |= words[q + 12]!;
    a1 |= words[q + 13]!;
  }
  const [fHi, fLo] = hiWord === 1 ? [f1, f0] : [f0, f1];
  const [mHi, mLo] = hiWord === 1 ? [m1, m0] : [m0, m1];
  const [aHi, aLo] = hiWord === 1 ? [a1, a0] : [a0, a1];
  const head = ['#', 'Type', 'Offset', 'VirtAddr', 'PhysAddr', 'FileSiz', 'MemSiz', 'Flg', 'Align'];
  if (roles !== undefined) head.push(whatTitle);
  const w = head.map((h) => h.length);
  w[0] = Math.max(w[0]!, String(Math.max(0, n - 1)).length);
  w[1] = Math.max(w[1]!, typeWidth);
  if (n > 0) {
    for (const c of [2, 3, 4]) w[c] = Math.max(w[c]!, 18);
    w[5] = Math.max(w[5]!, 2 + Math.max(6, hexDigitsOf(fHi >>> 0, fLo >>> 0)));
    w[6] = Math.max(w[6]!, 2 + Math.max(6, hexDigitsOf(mHi >>> 0, mLo >>> 0)));
    w[8] = Math.max(w[8]!, 2 + hexDigitsOf(aHi >>> 0, aLo >>> 0));
  }
  // The What column is last: its title is not padded, so its width does not matter.
  const last = head.length - 1;
  const headLine = `${formatColumns([head.map((h, i) => (i === last ? h : h.padEnd(w[i]!)))])[0]!}\n`;
  const [w0, w1, w2, w3, w4, w5, w6, w7, w8] = w as [number, number, number, number, number, number, number, number, number];

  // One buffer for the rows (every row fits in `row` bytes, so nothing checks for room); the
  // pages past the last row's end are never touched.
  const row = 2 + w0 + 1 + w1 + 1 + w2 + 1 + w3 + 1 + w4 + 1 + w5 + 1 + w6 + 1 + w7 + 1 + w8 + 1 + MAX_LABEL + 1;
  const out = Buffer.allocUnsafe(headLine.length + n * row);
  let at = out.write(headLine, 0, 'latin1');
  const cells: Cells = { w0, w1, w2, w3, w4, w5, w6, w7, w8, hiWord, loWord, typeText: '', type: -1 };
  // A labelled row's cells up to its label sit at fixed columns: where p_type, p_flags and the
  // sizes and alignment are those of the row before (a run of CPU notes, of RAM ranges), the row
  // starts as a copy of that row and only its index and addresses are written again.
  const addressCell = 2 + w0 + 1 + w1 + 1;
  const fixed = addressCell + w2 + 1 + w3 + 1 + w4 + 1 + w5 + 1 + w6 + 1 + w7 + 1 + w8 + 1;
  /** Where the row before starts, when it had a label; else −1. */
  let before = -1;
  for (let i = 0; i < n; i++) {
    const kind = kinds[i]!;
    const rowStart = at;
    const q = i * 14;
    if (kind !== NO_LABEL && before >= 0 && sameButAddresses(words, q)) {
      out.copyWithin(at, before, before + fixed);
      const end = writeDecimal(out, at + 2, i);
      blanks(out, end, at + 2 + w0 + 1);
      addresses(out, at + addressCell + 2, words, q + hiWord, q + loWord, w2 + 1, w3 + 1);
      at += fixed;
    } else {
      at = fullRow(out, at, words, q, i, kind !== NO_LABEL, cells);
    }
    before = kind === NO_LABEL ? -1 : rowStart;
    switch (kind) {
      case NO_LABEL:
        break;
      case CPU_NOTE:
        at = cpuLabel(out, at, cpus[i]!);
        break;
      case VMCOREINFO_NOTE:
        at = put(out, at, VMCOREINFO);
        break;
      case KERNEL_MAP:
        at = put(out, at, KERNEL_TEXT);
        break;
      default:
        at = ramLabel(out, at, words, q + hiWord, q + loWord, kind === RAM_LOAD_BACKUP);
    }
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
}

/** Whether the row whose words start at `q` has the type, flags, sizes and alignment of the row before. */
function sameButAddresses(words: Int32Array, q: number): boolean {
  return (
    words[q] === words[q - 14] &&
    words[q + 1] === words[q - 13] &&
    words[q + 8] === words[q - 6] &&
    words[q + 9] === words[q - 5] &&
    words[q + 10] === words[q - 4] &&
    words[q + 11] === words[q - 3] &&
    words[q + 12] === words[q - 2] &&
    words[q + 13] === words[q - 1]
  );
}

/** p_offset, p_vaddr and p_paddr's 16 digits each, the first at `at`, then `gap1` and `gap2` further on. */
function addresses(out: Uint8Array, at: number, words: Int32Array, hi: number, lo: number, gap1: number, gap2: number): void {
  hex16(out, at, words[hi + 2]!, words[lo + 2]!);
  hex16(out, at + gap1, words[hi + 4]!, words[lo + 4]!);
  hex16(out, at + gap1 + gap2, words[hi + 6]!, words[lo + 6]!);
}

/** The column widths, where the high and low word of a u64 are, and the text of the last p_type written. */
interface Cells {
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;
  readonly w4: number;
  readonly w5: number;
  readonly w6: number;
  readonly w7: number;
  readonly w8: number;
  readonly hiWord: number;
  readonly loWord: number;
  typeText: string;
  type: number;
}

/** Row `i` up to its label (when `labelled`) or to its end, written cell by cell; returns the end. */
function fullRow(out: Uint8Array, at: number, words: Int32Array, q: number, i: number, labelled: boolean, c: Cells): number {
  const hi = q + c.hiWord;
  const lo = q + c.loWord;
  const type = words[q]! >>> 0;
  if (type !== c.type) {
    c.type = type;
    c.typeText = phdrTypeName(type).padEnd(c.w1);
  }
  out[at++] = 0x20;
  out[at++] = 0x20;
  const start = at;
  at = writeDecimal(out, at, i);
  blanks(out, at, start + c.w0 + 1);
  at = start + c.w0 + 1;
  const typeText = c.typeText;
  for (let k = 0; k < typeText.length; k++) out[at++] = typeText.charCodeAt(k);
  out[at++] = 0x20;
  // Offset, VirtAddr, PhysAddr: "0x" and all 16 digits, then the blanks to the next column.
  for (const [field, width] of [
    [2, c.w2],
    [4, c.w3],
    [6, c.w4],
  ] as const) {
    out[at] = 0x30;
    out[at + 1] = 0x78;
    hex16(out, at + 2, words[hi + field]!, words[lo + field]!);
    blanks(out, at + 18, at + width + 1);
    at += width + 1;
  }
  // FileSiz and MemSiz: at least six digits.
  for (const [field, width] of [
    [8, c.w5],
    [10, c.w6],
  ] as const) {
    out[at] = 0x30;
    out[at + 1] = 0x78;
    const end = hexMin(out, at + 2, words[hi + field]!, words[lo + field]!, 6);
    blanks(out, end, at + width + 1);
    at += width + 1;
  }
  const flags = words[q + 1]!;
  out[at++] = flags & PF_R ? 0x52 : 0x20;
  out[at++] = flags & PF_W ? 0x57 : 0x20;
  out[at++] = flags & PF_X ? 0x45 : 0x20;
  blanks(out, at, at + c.w7 - 3 + 1);
  at += c.w7 - 3 + 1;
  const from = at;
  out[at++] = 0x30;
  out[at++] = 0x78;
  at = hexMin(out, at, words[hi + 12]!, words[lo + 12]!, 1);
  // No label: the Align cell ends the line unpadded (phdrTableInto's `line + sizesText + alignText`).
  if (!labelled) return at;
  blanks(out, at, from + c.w8 + 1);
  return from + c.w8 + 1;
}

/** "cpu N notes"; returns the end. */
function cpuLabel(out: Buffer, at: number, cpu: number): number {
  at = put(out, at, CPU);
  if (Number.isSafeInteger(cpu) && cpu >= 0) at = writeDecimal(out, at, cpu);
  else at += out.write(String(cpu), at, 'latin1');
  return put(out, at, NOTES);
}

/**
 * "RAM", with "[first-last]" of the range when p_memsz is not 0 and what p_offset is when it is
 * a backup copy; returns the end. `hi` and `lo`: the row's first word plus where a u64's high and
 * low words are.
 */
function ramLabel(out: Uint8Array, at: number, words: Int32Array, hi: number, lo: number, backup: boolean): number {
  at = put(out, at, RAM);
  const mhi = words[hi + 10]! >>> 0;
  const mlo = words[lo + 10]! >>> 0;
  if (mhi !== 0 || mlo !== 0) {
    const phi = words[hi + 6]! >>> 0;
    const plo = words[lo + 6]! >>> 0;
    at = put(out, at, RAM_FROM);
    at = hexMin(out, at, phi, plo, 1);
    at = put(out, at, RAM_TO);
    // p_paddr + p_memsz − 1 in 32-bit halves: 65 bits when the sum passes 2⁶⁴, as BigInt does
    // not wrap. memsz ≥ 1, so memsz − 1 borrows from the high half only when the low half is 0.
    let elo = plo + (mlo === 0 ? 0xffff_ffff : mlo - 1);
    let ehi = phi + (mlo === 0 ? mhi - 1 : mhi);
    if (elo >= TWO32) {
      elo -= TWO32;
      ehi += 1;
    }
    if (ehi >= TWO32) {
      out[at++] = 0x31;
      at = hexMin(out, at, ehi - TWO32, elo, 16);
    } else {
      at = hexMin(out, at, ehi, elo, 1);
    }
    out[at++] = 0x5d;
  }
  if (backup) {
    at = put(out, at, BACKUP);
    at = hexMin(out, at, words[hi + 2]!, words[lo + 2]!, 1);
    out[at++] = 0x29;
  }
  return at;
}

/** Appends `text` (lines each ending in "\n"; bytes are UTF-8) to `lines`: whole to a ChunkedText, line by line to any other sink. */
export function pushText(lines: LineSink, text: string | Uint8Array): void {
  if (lines instanceof ChunkedText) {
    lines.pushText(text);
    return;
  }
  const parts = pieceText(text).split('\n');
  for (let i = 0; i < parts.length - 1; i++) lines.push(parts[i]!);
}
