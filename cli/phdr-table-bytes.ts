// The program-header table of the report (describe.ts phdrTableInto, with whatFromRoles labels)
// written straight from the header's bytes: each u64 field is read as two 32-bit halves and
// formatted into one ASCII buffer, so a big machine's 16 000 rows make no ProgramHeader, no BigInt
// and no string per cell or line. The text is the same byte for byte
// (test/phdr-table-bytes.test.ts compares the two on random headers).

import { PF_R, PF_W, PF_X, PHDR_SIZE, type ProgramHeaderTable, phdrTypeName } from '../core/elf/index.js';
import { AsciiBuffer, decimalDigitsOf, hexDigitsOf } from './ascii-text.js';
import type { ReportRole } from './phdr-roles.js';
import { ChunkedText, formatColumns, type LineSink } from './report-text.js';

const TWO32 = 0x1_0000_0000;

/** Reads the u64 fields of one table as halves, in the table's byte order. */
class Fields {
  readonly #view: DataView;
  readonly #le: boolean;
  hi = 0;
  lo = 0;

  constructor(table: ProgramHeaderTable) {
    this.#view = new DataView(table.bytes.buffer, table.bytes.byteOffset, table.bytes.byteLength);
    this.#le = table.byteOrder === 'le';
  }

  u32(at: number): number {
    return this.#view.getUint32(at, this.#le);
  }

  /** Sets hi and lo to the halves of the u64 at `at`. */
  u64(at: number): void {
    if (this.#le) {
      this.lo = this.#view.getUint32(at, true);
      this.hi = this.#view.getUint32(at + 4, true);
    } else {
      this.hi = this.#view.getUint32(at, false);
      this.lo = this.#view.getUint32(at + 4, false);
    }
  }
}

/** p_paddr + p_memsz − 1 of a non-empty PT_LOAD: 65 bits when the sum passes 2⁶⁴ (BigInt does not wrap). */
function lastByte(phi: number, plo: number, mhi: number, mlo: number): [top: number, hi: number, lo: number] {
  // memsz ≥ 1, so memsz − 1 borrows from the high half only when the low half is 0.
  const m1hi = mlo === 0 ? mhi - 1 : mhi;
  const m1lo = mlo === 0 ? 0xffff_ffff : mlo - 1;
  let lo = plo + m1lo;
  let hi = phi + m1hi;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi += 1;
  }
  if (hi >= TWO32) return [1, hi - TWO32, lo];
  return [0, hi, lo];
}

function unknownRole(role: never): never {
  throw new Error(`unknown phdr role ${String(role)}`);
}

/**
 * The lines phdrTableInto(header, whatFromRoles(roles, header), whatTitle) makes, each followed by
 * "\n", as one string; without `roles`, the table without its What column (phdrTableInto with no
 * `what`).
 */
export function phdrTableText(table: ProgramHeaderTable, roles: readonly ReportRole[] | undefined, whatTitle = 'What'): string {
  const n = table.phnum;
  const f = new Fields(table);
  const at = (i: number): number => table.at + i * PHDR_SIZE;

  // Measure: each column is as wide as its title or its widest value; hex digits grow with the value.
  let typeWidth = 4;
  let lastType: number | undefined;
  let [offsetDigits, vaddrDigits, paddrDigits, fileszDigits, memszDigits, alignDigits] = [1, 1, 1, 1, 1, 1];
  for (let i = 0; i < n; i++) {
    const p = at(i);
    const type = f.u32(p);
    if (type !== lastType) {
      lastType = type;
      typeWidth = Math.max(typeWidth, phdrTypeName(type).length);
    }
    f.u64(p + 8);
    offsetDigits = Math.max(offsetDigits, hexDigitsOf(f.hi, f.lo));
    f.u64(p + 16);
    vaddrDigits = Math.max(vaddrDigits, hexDigitsOf(f.hi, f.lo));
    f.u64(p + 24);
    paddrDigits = Math.max(paddrDigits, hexDigitsOf(f.hi, f.lo));
    f.u64(p + 32);
    fileszDigits = Math.max(fileszDigits, hexDigitsOf(f.hi, f.lo));
    f.u64(p + 40);
    memszDigits = Math.max(memszDigits, hexDigitsOf(f.hi, f.lo));
    f.u64(p + 48);
    alignDigits = Math.max(alignDigits, hexDigitsOf(f.hi, f.lo));
  }
  const head = ['#', 'Type', 'Offset', 'VirtAddr', 'PhysAddr', 'FileSiz', 'MemSiz', 'Flg', 'Align'];
  if (roles !== undefined) head.push(whatTitle);
  const w = head.map((h) => h.length);
  w[0] = Math.max(w[0]!, String(Math.max(0, n - 1)).length);
  w[1] = Math.max(w[1]!, typeWidth);
  if (n > 0) {
    w[2] = Math.max(w[2]!, 2 + Math.max(16, offsetDigits));
    w[3] = Math.max(w[3]!, 2 + Math.max(16, vaddrDigits));
    w[4] = Math.max(w[4]!, 2 + Math.max(16, paddrDigits));
    w[5] = Math.max(w[5]!, 2 + Math.max(6, fileszDigits));
    w[6] = Math.max(w[6]!, 2 + Math.max(6, memszDigits));
    w[8] = Math.max(w[8]!, 2 + alignDigits);
  }
  // The What column is last: its title is not padded, so its width does not matter.
  const last = head.length - 1;
  const out = new AsciiBuffer(256 + n * 160);
  out.text(formatColumns([head.map((h, i) => (i === last ? h : h.padEnd(w[i]!)))])[0]!);
  out.byte(0x0a);
  const [w0, w1, w2, w3, w4, w5, w6, w7, w8] = w as [number, number, number, number, number, number, number, number, number];

  /** A u64 field as "0x" and at least `min` digits, then blanks to `width`. */
  const hexCell = (field: number, min: number, width: number): void => {
    f.u64(field);
    const start = out.length;
    out.byte(0x30);
    out.byte(0x78);
    out.hex(f.hi, f.lo, min);
    out.spaces(width - (out.length - start));
  };
  let typeText = '';
  lastType = undefined;
  for (let i = 0; i < n; i++) {
    const p = at(i);
    const type = f.u32(p);
    if (type !== lastType) {
      lastType = type;
      typeText = phdrTypeName(type).padEnd(w1);
    }
    out.spaces(2);
    out.decimal(i);
    out.spaces(w0 - decimalDigitsOf(i) + 1);
    out.text(typeText);
    out.byte(0x20);
    hexCell(p + 8, 16, w2 + 1);
    hexCell(p + 16, 16, w3 + 1);
    hexCell(p + 24, 16, w4 + 1);
    hexCell(p + 32, 6, w5 + 1);
    hexCell(p + 40, 6, w6 + 1);
    const flags = f.u32(p + 4);
    out.byte(flags & PF_R ? 0x52 : 0x20);
    out.byte(flags & PF_W ? 0x57 : 0x20);
    out.byte(flags & PF_X ? 0x45 : 0x20);
    out.spaces(w7 - 3 + 1);
    const role = roles?.[i];
    if (role === undefined) {
      // No label: the Align cell ends the line unpadded (phdrTableInto's `line + sizesText + alignText`).
      hexCell(p + 48, 1, 0);
    } else {
      hexCell(p + 48, 1, w8 + 1);
      writeLabel(out, f, role, p);
    }
    out.byte(0x0a);
  }
  return out.toString();
}

/** whatOfRole(role, phdr).label of the program header at `p`. */
function writeLabel(out: AsciiBuffer, f: Fields, role: ReportRole, p: number): void {
  switch (role.kind) {
    case 'cpu-note':
      out.text('cpu ');
      out.text(String(role.cpu));
      out.text(' notes');
      return;
    case 'vmcoreinfo':
      out.text('vmcoreinfo');
      return;
    case 'kernel-map':
      out.text('kernel text');
      return;
    case 'ram': {
      out.text('RAM');
      f.u64(p + 24);
      const [phi, plo] = [f.hi, f.lo];
      f.u64(p + 40);
      if (f.hi !== 0 || f.lo !== 0) {
        const [top, hi, lo] = lastByte(phi, plo, f.hi, f.lo);
        out.text(' [0x');
        out.hex(phi, plo, 1);
        out.text('-0x');
        if (top === 1) {
          out.byte(0x31);
          out.hex(hi, lo, 16);
        } else {
          out.hex(hi, lo, 1);
        }
        out.byte(0x5d);
      }
      if ('backup' in role && role.backup) {
        f.u64(p + 8);
        out.text(' (p_offset = backup copy at 0x');
        out.hex(f.hi, f.lo, 1);
        out.byte(0x29);
      }
      return;
    }
    default:
      unknownRole(role);
  }
}

/** Appends `text` (lines each ending in "\n") to `lines`: whole to a ChunkedText, line by line to any other sink. */
export function pushText(lines: LineSink, text: string): void {
  if (lines instanceof ChunkedText) {
    lines.pushText(text);
    return;
  }
  const parts = text.split('\n');
  for (let i = 0; i < parts.length - 1; i++) lines.push(parts[i]!);
}
