// The program-header table of the report (describe.ts phdrTableInto, with whatFromRoles labels)
// written straight from the header's bytes: the whole table becomes hex digits in a few native
// calls, and each row copies its cells from them into one ASCII buffer, so a big machine's 16 000
// rows make no ProgramHeader, no BigInt and no string per cell or line. The text is the same byte
// for byte (test/phdr-table-bytes.test.ts compares the two on random headers).

import { type ElfcorehdrLayout, PF_R, PF_W, PF_X, PHDR_SIZE, type ProgramHeaderTable, phdrTypeName } from '../core/elf/index.js';
import { blanks, hexDigitsOf, writeDecimal, writeHexDigits } from './ascii-text.js';
import type { ReportRole } from './phdr-roles.js';
import { ChunkedText, formatColumns, type LineSink, pieceText } from './report-text.js';

const TWO32 = 0x1_0000_0000;
/** Bytes of one row's fields as hex: 2 per byte. */
const HEX_ROW = 2 * PHDR_SIZE;

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

/** Hex digits of the big-endian u64 at `p` of `view` (at least 1). */
function digitsAt(view: DataView, p: number): number {
  return hexDigitsOf(view.getUint32(p), view.getUint32(p + 4));
}

/**
 * The lines phdrTableInto(header, whatFromRoles(roles, header), whatTitle) makes, each followed by
 * "\n", as one string; without `roles`, the table without its What column (phdrTableInto with no
 * `what`).
 *
 * The work per byte is native: the table is copied and, when little-endian, every 8 bytes are
 * reversed (Buffer#swap64), so each u64 reads most significant byte first and Buffer#toString('hex')
 * turns the whole table into its digits (writeHexDigits). The rows then copy their cells out of those digits
 * (copyWithin within one buffer), skipping leading zeros where readelf does. The last bytes of RAM
 * ranges, for the labels, are computed into a second table and turned to hex the same way.
 */
export function phdrTableText(table: ProgramHeaderTable, roles: TableRoles | undefined, whatTitle = 'What'): string {
  return pieceText(phdrTableBytes(table, roles, whatTitle));
}

/** phdrTableText as ASCII bytes. */
export function phdrTableBytes(table: ProgramHeaderTable, roles: TableRoles | undefined, whatTitle = 'What'): Uint8Array {
  const n = table.phnum;
  const { kinds, cpus } = labelKinds(roles ?? [], n);
  // A copy at offset 0 of its own memory, so that `words` below is aligned.
  const fields = Buffer.from(new Uint8Array(n * PHDR_SIZE).buffer);
  fields.set(table.bytes.subarray(table.at, table.at + n * PHDR_SIZE));
  /** The table as 32-bit words, 14 per row, only compared for equality (byte order does not matter). */
  const words = new Int32Array(fields.buffer, 0, n * (PHDR_SIZE / 4));
  // After the swap, p_type and p_flags (two u32 in the first 8 bytes) have traded places.
  const swapped = table.byteOrder === 'le';
  if (swapped) fields.swap64();
  const typeAt = swapped ? 4 : 0;
  const flagsAt = swapped ? 0 : 4;
  const view = new DataView(fields.buffer, fields.byteOffset, fields.byteLength);

  // Measure: each column is as wide as its title or its widest value; hex digits grow with the
  // value. Offset, VirtAddr and PhysAddr always take 16 digits, readelf's minimum and a u64's maximum.
  // The last byte of each RAM label's range goes into `ends` (big-endian), its 65th bit into `over`.
  const ends = Buffer.alloc(n * 8);
  const endsView = new DataView(ends.buffer, ends.byteOffset, ends.byteLength);
  const over = new Uint8Array(n);
  let typeWidth = 4;
  let lastType: number | undefined;
  // A column of sizes is as wide as its largest value, and the largest value has the highest bit
  // set of any: that of all the values OR-ed together. OR-ing the raw words keeps each byte in its
  // place, so the result reads back in the fields' (big-endian) order.
  let [f0, f1, m0, m1, a0, a1] = [0, 0, 0, 0, 0, 0];
  let typeWord: number | undefined;
  for (let i = 0; i < n; i++) {
    const p = i * PHDR_SIZE;
    const q = i * 14;
    if (words[q + typeAt / 4] !== typeWord) {
      typeWord = words[q + typeAt / 4];
      const type = view.getUint32(p + typeAt);
      if (type !== lastType) {
        lastType = type;
        typeWidth = Math.max(typeWidth, phdrTypeName(type).length);
      }
    }
    f0 |= words[q + 8]!;
    f1 |= words[q + 9]!;
    m0 |= words[q + 10]!;
    m1 |= words[q + 11]!;
    a0 |= words[q + 12]!;
    a1 |= words[q + 13]!;
    if (kinds[i]! >= RAM_LOAD) {
      const mhi = view.getUint32(p + 40);
      const mlo = view.getUint32(p + 44);
      if (mhi !== 0 || mlo !== 0) {
        // p_paddr + p_memsz − 1 in 32-bit halves, inline (no array per row): 65 bits when the sum
        // passes 2⁶⁴, as BigInt does not wrap. memsz ≥ 1, so memsz − 1 borrows from the high half
        // only when the low half is 0.
        let lo = view.getUint32(p + 28) + (mlo === 0 ? 0xffff_ffff : mlo - 1);
        let hi = view.getUint32(p + 24) + (mlo === 0 ? mhi - 1 : mhi);
        if (lo >= TWO32) {
          lo -= TWO32;
          hi += 1;
        }
        if (hi >= TWO32) {
          hi -= TWO32;
          over[i] = 1;
        }
        endsView.setUint32(i * 8, hi);
        endsView.setUint32(i * 8 + 4, lo);
      }
    }
  }
  const widestView = new DataView(Int32Array.of(f0, f1, m0, m1, a0, a1).buffer);
  const fileszDigits = digitsAt(widestView, 0);
  const memszDigits = digitsAt(widestView, 8);
  const alignDigits = digitsAt(widestView, 16);
  const head = ['#', 'Type', 'Offset', 'VirtAddr', 'PhysAddr', 'FileSiz', 'MemSiz', 'Flg', 'Align'];
  if (roles !== undefined) head.push(whatTitle);
  const w = head.map((h) => h.length);
  w[0] = Math.max(w[0]!, String(Math.max(0, n - 1)).length);
  w[1] = Math.max(w[1]!, typeWidth);
  if (n > 0) {
    for (const c of [2, 3, 4]) w[c] = Math.max(w[c]!, 18);
    w[5] = Math.max(w[5]!, 2 + Math.max(6, fileszDigits));
    w[6] = Math.max(w[6]!, 2 + Math.max(6, memszDigits));
    w[8] = Math.max(w[8]!, 2 + alignDigits);
  }
  // The What column is last: its title is not padded, so its width does not matter.
  const last = head.length - 1;
  const headLine = `${formatColumns([head.map((h, i) => (i === last ? h : h.padEnd(w[i]!)))])[0]!}\n`;
  const [w0, w1, w2, w3, w4, w5, w6, w7, w8] = w as [number, number, number, number, number, number, number, number, number];

  // One buffer: the rows from 0 (every row fits in `row` bytes, so nothing checks for room), then
  // the digits of the fields and of the ends, which the rows copy from.
  const row = 2 + w0 + 1 + w1 + 1 + w2 + 1 + w3 + 1 + w4 + 1 + w5 + 1 + w6 + 1 + w7 + 1 + w8 + 1 + MAX_LABEL + 1;
  const fieldDigits = headLine.length + n * row;
  const endDigits = fieldDigits + n * HEX_ROW;
  const out = Buffer.allocUnsafe(endDigits + n * 16);
  writeHexDigits(out, fieldDigits, fields);
  writeHexDigits(out, endDigits, ends);
  let at = out.write(headLine, 0, 'latin1');

  /** Copies the u64 whose digits start at `d` with at least `min` digits (`digits` significant); returns the end. */
  const copyHex = (d: number, digits: number, min: number): number => {
    for (let z = digits; z < min; z++) out[at++] = 0x30;
    out.copyWithin(at, d + 16 - digits, d + 16);
    return at + digits;
  };
  /** "0x" and the 16 digits starting at `d`, then blanks to `width` and the one between columns; returns the end. */
  const copyFull = (d: number, width: number): number => {
    out[at] = 0x30;
    out[at + 1] = 0x78;
    out.copyWithin(at + 2, d, d + 16);
    blanks(out, at + 18, at + width + 1);
    return at + width + 1;
  };
  let typeText = '';
  lastType = undefined;
  /** Row `i` up to its label (when `labelled`) or to its end, written cell by cell; returns the end. */
  const fullRow = (i: number, labelled: boolean): number => {
    const p = i * PHDR_SIZE;
    const d = fieldDigits + i * HEX_ROW;
    const type = view.getUint32(p + typeAt);
    if (type !== lastType) {
      lastType = type;
      typeText = phdrTypeName(type).padEnd(w1);
    }
    out[at++] = 0x20;
    out[at++] = 0x20;
    const start = at;
    at = writeDecimal(out, at, i);
    blanks(out, at, start + w0 + 1);
    at = start + w0 + 1;
    for (let k = 0; k < typeText.length; k++) out[at++] = typeText.charCodeAt(k);
    out[at++] = 0x20;
    // Offset, VirtAddr, PhysAddr: "0x" and all 16 digits, then the blanks to the next column.
    at = copyFull(d + 16, w2);
    at = copyFull(d + 32, w3);
    at = copyFull(d + 48, w4);
    let from = at;
    out[at++] = 0x30;
    out[at++] = 0x78;
    at = copyHex(d + 64, digitsAt(view, p + 32), 6);
    blanks(out, at, from + w5 + 1);
    at = from + w5 + 1;
    from = at;
    out[at++] = 0x30;
    out[at++] = 0x78;
    at = copyHex(d + 80, digitsAt(view, p + 40), 6);
    blanks(out, at, from + w6 + 1);
    at = from + w6 + 1;
    const flags = view.getUint32(p + flagsAt);
    out[at++] = flags & PF_R ? 0x52 : 0x20;
    out[at++] = flags & PF_W ? 0x57 : 0x20;
    out[at++] = flags & PF_X ? 0x45 : 0x20;
    blanks(out, at, at + w7 - 3 + 1);
    at += w7 - 3 + 1;
    from = at;
    out[at++] = 0x30;
    out[at++] = 0x78;
    at = copyHex(d + 96, digitsAt(view, p + 48), 1);
    // No label: the Align cell ends the line unpadded (phdrTableInto's `line + sizesText + alignText`).
    if (!labelled) return at;
    blanks(out, at, from + w8 + 1);
    return from + w8 + 1;
  };
  // A labelled row's cells up to its label sit at fixed columns: where p_type, p_flags and the
  // sizes and alignment are those of the row before (a run of CPU notes, of RAM ranges), the row
  // starts as a copy of that row and only its index and addresses are written again.
  const addressCell = 2 + w0 + 1 + w1 + 1;
  const fixed = addressCell + w2 + 1 + w3 + 1 + w4 + 1 + w5 + 1 + w6 + 1 + w7 + 1 + w8 + 1;
  /** Where the row before starts, when it had a label; else −1. */
  let before = -1;
  for (let i = 0; i < n; i++) {
    const p = i * PHDR_SIZE;
    const d = fieldDigits + i * HEX_ROW;
    const kind = kinds[i]!;
    const rowStart = at;
    const q = i * 14;
    if (
      kind !== NO_LABEL &&
      before >= 0 &&
      words[q] === words[q - 14] &&
      words[q + 1] === words[q - 13] &&
      words[q + 8] === words[q - 6] &&
      words[q + 9] === words[q - 5] &&
      words[q + 10] === words[q - 4] &&
      words[q + 11] === words[q - 3] &&
      words[q + 12] === words[q - 2] &&
      words[q + 13] === words[q - 1]
    ) {
      out.copyWithin(at, before, before + fixed);
      const end = writeDecimal(out, at + 2, i);
      blanks(out, end, at + 2 + w0 + 1);
      out.copyWithin(at + addressCell + 2, d + 16, d + 32);
      out.copyWithin(at + addressCell + w2 + 1 + 2, d + 32, d + 48);
      out.copyWithin(at + addressCell + w2 + 1 + w3 + 1 + 2, d + 48, d + 64);
      at += fixed;
      before = rowStart;
    } else {
      at = fullRow(i, kind !== NO_LABEL);
      before = kind === NO_LABEL ? -1 : rowStart;
    }
    switch (kind) {
      case NO_LABEL:
        break;
      case CPU_NOTE: {
        const cpu = cpus[i]!;
        out.set(CPU, at);
        at += CPU.length;
        if (Number.isSafeInteger(cpu) && cpu >= 0) at = writeDecimal(out, at, cpu);
        else at += out.write(String(cpu), at, 'latin1');
        out.set(NOTES, at);
        at += NOTES.length;
        break;
      }
      case VMCOREINFO_NOTE:
        out.set(VMCOREINFO, at);
        at += VMCOREINFO.length;
        break;
      case KERNEL_MAP:
        out.set(KERNEL_TEXT, at);
        at += KERNEL_TEXT.length;
        break;
      default:
        out.set(RAM, at);
        at += RAM.length;
        if (view.getUint32(p + 40) !== 0 || view.getUint32(p + 44) !== 0) {
          out.set(RAM_FROM, at);
          at += RAM_FROM.length;
          at = copyHex(d + 48, digitsAt(view, p + 24), 1);
          out.set(RAM_TO, at);
          at += RAM_TO.length;
          if (over[i] === 1) out[at++] = 0x31;
          at = copyHex(endDigits + i * 16, over[i] === 1 ? 16 : digitsAt(endsView, i * 8), 1);
          out[at++] = 0x5d;
        }
        if (kind === RAM_LOAD_BACKUP) {
          out.set(BACKUP, at);
          at += BACKUP.length;
          at = copyHex(d + 16, digitsAt(view, p + 8), 1);
          out[at++] = 0x29;
        }
    }
    out[at++] = 0x0a;
  }
  return out.subarray(0, at);
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
