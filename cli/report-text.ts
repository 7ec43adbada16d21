// Small formatting pieces every report shares: aligned columns, human sizes, ranges as text and
// as JSON. Kept apart so that each builder's section of the report can use them without importing
// the report that assembles the sections.

import { hex } from '../core/base/index.js';
import type { NamedRange, Range } from '../core/memory/index.js';
import { rangeText } from './phdr-roles.js';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/** Where a report's lines go: a string[] is one; so is ChunkedText. */
export interface LineSink {
  push(line: string): unknown;
}

/**
 * Lines joined with "\n", a few hundred at a time, so that a report of 25 000 lines never holds
 * them all: each batch becomes one flat string while its lines are still young, instead of every
 * line (a rope of the pieces it was made of) surviving until one join at the end. `pieces()`
 * joined is `lines.join('\n')` followed by "\n".
 */
export class ChunkedText implements LineSink {
  #batch: string[] = [];
  readonly #pieces: (string | Uint8Array)[] = [];

  push(line: string): void {
    this.#batch.push(line);
    if (this.#batch.length === 512) this.#flush();
  }

  #flush(): void {
    // The empty last line gives the batch its closing "\n" in the same flat string.
    this.#batch.push('');
    this.#pieces.push(this.#batch.join('\n'));
    this.#batch = [];
  }

  /**
   * Lines already joined, each followed by "\n", kept as one piece: a string, or UTF-8 bytes (a
   * table written as bytes goes out as it is, never made into a string of megabytes).
   */
  pushText(text: string | Uint8Array): void {
    if (this.#batch.length > 0) this.#flush();
    if (text.length > 0) this.#pieces.push(text);
  }

  /** The text, in pieces that concatenate to every line followed by "\n"; a Uint8Array piece is UTF-8. */
  pieces(): readonly (string | Uint8Array)[] {
    if (this.#batch.length > 0) this.#flush();
    return this.#pieces;
  }
}

/** A piece of a ChunkedText as a string. */
export function pieceText(piece: string | Uint8Array): string {
  return typeof piece === 'string' ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('utf8');
}

/** Columns padded to their widest cell, one space apart, trailing blanks dropped. */
export function formatColumns(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let i = 0; i < row.length; i++) {
      const w = row[i]!.length;
      if (!(w <= widths[i]!)) widths[i] = w;
    }
  }
  // Plain loops and concatenation: a table of 16 000 rows made the map/join version allocate
  // three arrays per row. The last cell is not padded, as trimEnd would drop the padding anyway.
  const out: string[] = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let line = indent;
    const last = row.length - 1;
    for (let i = 0; i < last; i++) line += `${row[i]!.padEnd(widths[i]!)} `;
    if (last >= 0) line += row[last]!;
    out[r] = line.trimEnd();
  }
  return out;
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

/** "0x4000 (16384 bytes)": sizes the kernel and kexec-tools print in hex, readable in decimal. */
export function sizeText(n: number | bigint): string {
  return `${hex(n)} (${n} bytes)`;
}

export function rangesText(ranges: readonly Range[]): string {
  return ranges.length === 0 ? 'nothing' : ranges.map(rangeText).join(', ');
}

export function rangesJson(ranges: readonly Range[]): Json {
  return ranges.map((r) => ({ start: hex(r.start), end: hex(r.end) }));
}

export function namedJson(r: NamedRange): Json {
  return { name: r.name, start: hex(r.start), end: hex(r.end) };
}
