// Where a crash segment goes inside the reservation, by the two rule sets in use: the kernel's
// kexec_add_buffer / kexec_locate_mem_hole (kexec_file_load) and kexec-tools' add_buffer /
// locate_hole (kexec_load). Pure functions of the reservation, the segments already placed and
// the request.

import { CrashplugError } from '../base/errors.js';
import { alignUp, hex } from '../base/hex.js';
import { KEXEC_SEGMENT_MAX } from './image.js';
import type { Range } from '../memory/range.js';

/** A segment already placed: its destination. */
export interface Placed {
  readonly mem: bigint;
  readonly memsz: number;
}

/** `struct kexec_buf` minus the buffer: what the loader asks for. */
export interface HoleRequest {
  readonly bufsz: number;
  readonly memsz: number;
  readonly align: number;
  readonly min: bigint;
  readonly max: bigint;
  readonly topDown: boolean;
  /** For messages: what the segment is. */
  readonly what: string;
}

export interface Placement {
  readonly mem: bigint;
  /** memsz after page rounding. */
  readonly memsz: number;
}

const ULONG_MAX = (1n << 64n) - 1n;
export const NO_LIMIT = ULONG_MAX;

function alignDown(v: bigint, a: bigint): bigint {
  return (v / a) * a;
}

function overlapsAny(placed: readonly Placed[], start: bigint, end: bigint): boolean {
  return placed.some((p) => start <= p.mem + BigInt(p.memsz) - 1n && p.mem <= end);
}

function noHole(req: HoleRequest, memsz: number, reservation: Range): CrashplugError {
  return new CrashplugError(
    'E_SEGMENT_PLACEMENT',
    `no room for the ${req.what} (${hex(memsz)} bytes, aligned to ${hex(req.align)}) in the crash reservation ` +
      `[${hex(reservation.start)}, ${hex(reservation.end)}]; reserve more crash kernel memory or make the segments smaller`,
  );
}

/**
 * kexec_add_buffer for a crash image: memsz rounded up to a page, alignment at least a page, then
 * the reservation (one resource, `crashk_res`) searched bottom-up or top-down, stepping a page
 * past every segment in the way. `exactTopDown` is false before 6.9, whose top-down search started
 * one byte too low.
 */
export function kernelLocateMemHole(reservation: Range, placed: readonly Placed[], req: HoleRequest, pageSize: number, exactTopDown: boolean): Placement {
  if (placed.length >= KEXEC_SEGMENT_MAX) {
    throw new CrashplugError('E_KEXEC_EINVAL', `the ${req.what} would be segment ${placed.length + 1}; a kimage holds ${KEXEC_SEGMENT_MAX} (-EINVAL)`);
  }
  const memsz = alignUp(BigInt(req.memsz), BigInt(pageSize));
  const align = BigInt(Math.max(req.align, pageSize));
  const page = BigInt(pageSize);
  const { start, end } = reservation;
  if (end - start + 1n < memsz || end < req.min || start > req.max) throw noHole(req, Number(memsz), reservation);
  if (req.topDown) {
    const top = end < req.max ? end : req.max;
    let s = top - memsz + (exactTopDown ? 1n : 0n);
    for (;;) {
      s = alignDown(s, align);
      if (s < start || s < req.min) throw noHole(req, Number(memsz), reservation);
      if (!overlapsAny(placed, s, s + memsz - 1n)) return { mem: s, memsz: Number(memsz) };
      s -= page;
    }
  }
  let s = start > req.min ? start : req.min;
  for (;;) {
    s = alignUp(s, align);
    const e = s + memsz - 1n;
    if (e > end || e > req.max) throw noHole(req, Number(memsz), reservation);
    if (!overlapsAny(placed, s, e)) return { mem: s, memsz: Number(memsz) };
    s += page;
  }
}

/**
 * kexec-tools' add_buffer + locate_hole, its memory list being the reservation alone (a crash load
 * keeps every segment inside it): memsz rounded to a page; the free pieces are the reservation minus
 * the (sorted) segments; the first piece that fits wins bottom-up, the last one top-down.
 */
export function kexecToolsLocateHole(reservation: Range, placed: readonly Placed[], req: HoleRequest, pageSize: number): Placement {
  const memsz = alignUp(BigInt(req.memsz), BigInt(pageSize));
  const align = BigInt(Math.max(req.align, pageSize));
  const sorted = [...placed].sort((a, b) => (a.mem < b.mem ? -1 : a.mem > b.mem ? 1 : 0));
  const free: Range[] = [];
  let mstart = reservation.start;
  const mend = reservation.end;
  for (const p of sorted) {
    if (p.mem > mend) break;
    if (mstart < p.mem) free.push({ start: mstart, end: p.mem - 1n });
    mstart = p.mem + BigInt(p.memsz);
  }
  if (mstart < mend) free.push({ start: mstart, end: mend });
  let base: bigint | undefined;
  for (const f of free) {
    let s = f.start < req.min ? req.min : f.start;
    s = alignUp(s, align);
    const e = f.end > req.max ? req.max : f.end;
    if (s >= e) continue;
    if (e - s >= memsz - 1n) {
      if (!req.topDown) {
        base = s;
        break;
      }
      base = alignDown(e - memsz + 1n, align);
    }
  }
  if (base === undefined || base + memsz - 1n > req.max) throw noHole(req, Number(memsz), reservation);
  return { mem: base, memsz: Number(memsz) };
}
