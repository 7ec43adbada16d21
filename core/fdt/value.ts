// Property values of a device tree: big-endian cells, strings and `reg`-style (address, size)
// tuples, decoded with the `#address-cells`/`#size-cells` Linux would use, and encoded back.
// Every decoder checks lengths first, so a hostile value fails with E_BAD_FDT, never with a loop.

import { CrashplugError } from '../base/errors.js';
import { type FdtNodeRef, type FdtProperty, fdtError, fdtProperty } from './fdt.js';
import { U64_MAX } from '../base/hex.js';

/**
 * Linux's defaults when no ancestor says (OF_ROOT_NODE_ADDR_CELLS_DEFAULT and
 * OF_ROOT_NODE_SIZE_CELLS_DEFAULT are 1 outside SPARC); the devicetree spec's 2 is not what a kernel does.
 */
export const DEFAULT_ADDRESS_CELLS = 1;
export const DEFAULT_SIZE_CELLS = 1;

/** Cells wider than this cannot be a 64-bit physical address or size. */
const MAX_NUMBER_CELLS = 2;

export interface FdtCells {
  readonly addressCells: number;
  readonly sizeCells: number;
}

/** One decoded (address, size) tuple and where it sits in the blob. */
export interface FdtRegEntry {
  readonly address: bigint;
  readonly size: bigint;
  readonly offset?: number | undefined;
}

/** Where a property's value starts in its blob: 12 bytes after the FDT_PROP token. */
export function valueOffset(prop: FdtProperty, at = 0): number | undefined {
  return prop.offset === undefined ? undefined : prop.offset + 12 + at;
}

/** Bytes as ISO-8859-1, one char per byte, so a name survives a read-write round trip unchanged. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  for (let i = start; i < end; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(end, i + 8192)));
  }
  return out;
}

export function latin1Bytes(text: string, what: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || c === 0) {
      throw new CrashplugError('E_BAD_ARGUMENT', `${what} "${text}" has a character a device tree cannot hold (NUL or beyond one byte) at index ${i}`);
    }
    out[i] = c;
  }
  return out;
}

function cellCountError(origin: string, prop: FdtProperty, unit: number, what: string): CrashplugError {
  return fdtError(origin, prop.offset, `property "${prop.name}" is ${prop.value.length} bytes, not a whole number of ${what} (${unit} bytes each)`);
}

/** The value as u32 cells. */
export function propCells(origin: string, prop: FdtProperty): number[] {
  if (prop.value.length % 4 !== 0) throw cellCountError(origin, prop, 4, 'cells');
  const view = new DataView(prop.value.buffer, prop.value.byteOffset, prop.value.byteLength);
  const out: number[] = [];
  for (let i = 0; i < prop.value.length; i += 4) out.push(view.getUint32(i, false));
  return out;
}

export function propU32(origin: string, prop: FdtProperty): number {
  if (prop.value.length !== 4) {
    throw fdtError(origin, prop.offset, `property "${prop.name}" is ${prop.value.length} bytes where one 4-byte cell was expected`);
  }
  return new DataView(prop.value.buffer, prop.value.byteOffset, 4).getUint32(0, false);
}

/** `n` cells starting at byte `at`, as one big-endian number (`of_read_number`). */
export function readNumber(value: Uint8Array, at: number, n: number): bigint {
  let r = 0n;
  for (let i = 0; i < n; i++) {
    const o = at + 4 * i;
    r = (r << 32n) | BigInt(((value[o]! << 24) | (value[o + 1]! << 16) | (value[o + 2]! << 8) | value[o + 3]!) >>> 0);
  }
  return r;
}

/** A string property: the bytes up to the first NUL (a value without one is refused). */
export function propString(origin: string, prop: FdtProperty): string {
  const nul = prop.value.indexOf(0);
  if (nul < 0) throw fdtError(origin, prop.offset, `property "${prop.name}" is not a NUL-terminated string`);
  return latin1(prop.value, 0, nul);
}

/** A string-list property ("a\0b\0"). */
export function propStrings(origin: string, prop: FdtProperty): string[] {
  if (prop.value.length === 0) return [];
  if (prop.value[prop.value.length - 1] !== 0) {
    throw fdtError(origin, prop.offset, `property "${prop.name}" is not a list of NUL-terminated strings`);
  }
  return latin1(prop.value, 0, prop.value.length - 1).split('\0');
}

function cellsOf(origin: string, ref: FdtNodeRef, name: string, fallback: number): number {
  // Like Linux's of_n_addr_cells: start at the parent, walk up until some node says.
  for (let i = ref.ancestors.length - 1; i >= 0; i--) {
    const prop = fdtProperty(ref.ancestors[i]!, name);
    if (prop !== undefined) return propU32(origin, prop);
  }
  return fallback;
}

/** The cells a node's `reg` is written in: the nearest ancestor's `#address-cells`/`#size-cells`. */
export function regCellsOf(origin: string, ref: FdtNodeRef): FdtCells {
  return {
    addressCells: cellsOf(origin, ref, '#address-cells', DEFAULT_ADDRESS_CELLS),
    sizeCells: cellsOf(origin, ref, '#size-cells', DEFAULT_SIZE_CELLS),
  };
}

/** The cells of the root node itself (`dt_root_addr_cells`): what `/chosen` and LMB addresses use. */
export function rootCellsOf(origin: string, root: FdtNodeRef['node']): FdtCells {
  const a = fdtProperty(root, '#address-cells');
  const s = fdtProperty(root, '#size-cells');
  return {
    addressCells: a === undefined ? DEFAULT_ADDRESS_CELLS : propU32(origin, a),
    sizeCells: s === undefined ? DEFAULT_SIZE_CELLS : propU32(origin, s),
  };
}

export function assertNumberCells(origin: string, prop: FdtProperty, cells: FdtCells): void {
  const { addressCells: a, sizeCells: s } = cells;
  if (a < 1 || a > MAX_NUMBER_CELLS || s > MAX_NUMBER_CELLS) {
    throw fdtError(
      origin,
      prop.offset,
      `property "${prop.name}" is written with #address-cells ${a} and #size-cells ${s}; ` +
        `memory addresses need 1 or 2 address cells and at most 2 size cells`,
    );
  }
}

/** Decode (address, size) tuples; a size that runs past 2^64 is refused. */
export function decodeTuples(origin: string, prop: FdtProperty, cells: FdtCells): FdtRegEntry[] {
  assertNumberCells(origin, prop, cells);
  const unit = 4 * (cells.addressCells + cells.sizeCells);
  if (prop.value.length % unit !== 0) {
    throw cellCountError(origin, prop, unit, `(${cells.addressCells}+${cells.sizeCells})-cell entries`);
  }
  const out: FdtRegEntry[] = [];
  for (let at = 0; at < prop.value.length; at += unit) {
    const address = readNumber(prop.value, at, cells.addressCells);
    const size = readNumber(prop.value, at + 4 * cells.addressCells, cells.sizeCells);
    if (size > 0n && address + size - 1n > U64_MAX) {
      throw fdtError(
        origin,
        valueOffset(prop, at),
        `"${prop.name}" entry at 0x${address.toString(16)} of size 0x${size.toString(16)} runs past the 64-bit address space`,
      );
    }
    out.push({ address, size, offset: valueOffset(prop, at) });
  }
  return out;
}

/** A node's `reg` (or another tuple property of it) in its parent's cells. */
export function decodeReg(origin: string, ref: FdtNodeRef, name = 'reg'): FdtRegEntry[] | undefined {
  const prop = fdtProperty(ref.node, name);
  return prop === undefined ? undefined : decodeTuples(origin, prop, regCellsOf(origin, ref));
}

// Encoders: what a writer needs to build values the way dtc would.

export function fdtU32(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v >>> 0, false));
  return out;
}

/** Values as `n`-cell big-endian numbers (n = 1 or 2). */
export function fdtNumbers(cells: number, values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(4 * cells * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    for (let c = 0; c < cells; c++) {
      const shift = BigInt(32 * (cells - 1 - c));
      view.setUint32(4 * (i * cells + c), Number((v >> shift) & 0xffff_ffffn), false);
    }
  });
  return out;
}

export function fdtString(text: string): Uint8Array {
  return fdtStrings([text]);
}

export function fdtStrings(texts: readonly string[]): Uint8Array {
  const parts = texts.map((t) => latin1Bytes(t, 'string'));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + 1;
  }
  return out;
}

/** (address, size) tuples in the given cells, as `reg` and `linux,usable-memory-range` hold them. */
export function fdtTuples(cells: FdtCells, entries: readonly { readonly address: bigint; readonly size: bigint }[]): Uint8Array {
  const a = fdtNumbers(
    cells.addressCells,
    entries.map((e) => e.address),
  );
  const s = fdtNumbers(
    cells.sizeCells,
    entries.map((e) => e.size),
  );
  const out = new Uint8Array(a.length + s.length);
  const aw = 4 * cells.addressCells;
  const sw = 4 * cells.sizeCells;
  entries.forEach((_, i) => {
    out.set(a.subarray(i * aw, (i + 1) * aw), i * (aw + sw));
    out.set(s.subarray(i * sw, (i + 1) * sw), i * (aw + sw) + aw);
  });
  return out;
}
