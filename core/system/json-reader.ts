// The checking JSON reader behind the system description loader: every value is read with the
// JSON path it sits at, so a wrong one is refused with E_BAD_SYSTEM naming that path, what was
// wrong and what to write instead — and an unknown key is answered with the key it most likely meant.

import { CrashplugError } from '../base/errors.js';
import { hex, parseU64 } from '../base/hex.js';
import type { Range } from '../memory/range.js';

export type Json = Record<string, unknown>;

/** Reads one description; every method takes the JSON path of the value it reads. */
export class Reader {
  constructor(readonly origin: string) {}

  bad(path: string, what: string, todo: string): never {
    throw new CrashplugError('E_BAD_SYSTEM', `${this.origin}: ${path}: ${what}; ${todo}`);
  }

  /** A JSON object; with `keys`, any other key is an error (it is usually a typo). */
  object(value: unknown, path: string, keys?: readonly string[]): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const shape = keys === undefined ? '{ "key": value, … }' : `{ ${keys.map((k) => `"${k}": …`).join(', ')} }`;
      this.bad(path, `expected an object, got ${describe(value)}`, `write it as ${shape}`);
    }
    const json = value as Json;
    if (keys === undefined) return json;
    for (const key of Object.keys(json)) {
      if (keys.includes(key)) continue;
      const near = nearest(key, keys);
      this.bad(
        at(path, key),
        `unknown key "${key}"`,
        `${near === undefined ? '' : `did you mean "${near}"? `}the known keys are ${keys.map((k) => `"${k}"`).join(', ')}`,
      );
    }
    return json;
  }

  required(json: Json, key: string, path: string, todo: string): unknown {
    if (json[key] === undefined) this.bad(at(path, key), 'missing', todo);
    return json[key];
  }

  string(value: unknown, path: string, todo: string): string {
    if (typeof value !== 'string') this.bad(path, `expected a string, got ${describe(value)}`, todo);
    return value;
  }

  /** A 64-bit value: a "0x…" string (or what parseU64 reads), or a JSON number that is a safe integer. */
  u64(value: unknown, path: string): bigint {
    return plainHex(value) ?? this.u64Slow(value, path);
  }

  private u64Slow(value: unknown, path: string): bigint {
    const todo = 'write 64-bit values as "0x…" strings';
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) {
        this.bad(path, `${value} is not a safe integer, so JSON cannot carry it exactly`, todo);
      }
      if (value < 0) this.bad(path, `${value} is negative`, 'addresses and sizes are unsigned');
      return BigInt(value);
    }
    if (typeof value !== 'string') this.bad(path, `expected a "0x…" string, got ${describe(value)}`, todo);
    const v = parseU64(value);
    if (v === undefined) {
      const tooBig = /^\s*(0x[0-9a-f]+|\d+[kmgt]?(i?b)?)\s*$/i.test(value);
      this.bad(path, `${JSON.stringify(value)} ${tooBig ? 'does not fit in 64 bits' : 'is not a hex number'}`, todo);
    }
    return v;
  }

  /** `[start, end]` with an inclusive end, as the kernel's `struct range`. */
  range(value: unknown, path: string): Range {
    if (!Array.isArray(value) || value.length !== 2) {
      const todo = 'write a range as [start, end] with an inclusive end';
      this.bad(path, `expected a range ["0x…", "0x…"], got ${describe(value)}`, todo);
    }
    // The path of each end is made only when that end is wrong: a description of 8192 ranges would
    // otherwise make 16 384 path strings to throw away.
    const start = plainHex(value[0]) ?? this.u64Slow(value[0], `${path}[0]`);
    const end = plainHex(value[1]) ?? this.u64Slow(value[1], `${path}[1]`);
    if (start > end) this.bad(path, `start ${hex(start)} is above end ${hex(end)}`, 'the end is inclusive and at least the start');
    return { start, end };
  }

  /**
   * range(value, at(listPath, index)), for an entry of a list: a plain entry (two "0x…" strings in
   * order) is read without making its path, which only a message about a wrong entry needs.
   */
  rangeAt(value: unknown, listPath: string, index: number): Range {
    if (Array.isArray(value) && value.length === 2) {
      const start = plainHex(value[0]);
      const end = plainHex(value[1]);
      if (start !== undefined && end !== undefined && start <= end) return { start, end };
    }
    return this.range(value, at(listPath, index));
  }

  /** A count or size that fits a JS number: a JSON number, or a string parseU64 reads ("64K"). */
  count(value: unknown, path: string, min: number): number {
    const v = typeof value === 'number' && Number.isInteger(value) ? value : Number(this.u64(value, path));
    if (!Number.isSafeInteger(v) || v < min) {
      this.bad(path, `${describe(value)} is not an integer ≥ ${min}`, `give a whole number of at least ${min}`);
    }
    return v;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.bad(path, `expected true or false, got ${describe(value)}`, 'write a JSON boolean');
    return value;
  }
}

/**
 * The value of "0x" and 1 to 16 hex digits, the way descriptions write almost every address; any
 * other value (undefined here) goes the long way through parseU64, whose answer this one equals.
 */
function plainHex(value: unknown): bigint | undefined {
  if (typeof value !== 'string' || value.length < 3 || value.length > 18 || value.charCodeAt(0) !== 0x30 || value.charCodeAt(1) !== 0x78) {
    return undefined;
  }
  for (let i = 2; i < value.length; i++) {
    const c = value.charCodeAt(i);
    // 0-9, a-f, A-F
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) return undefined;
  }
  return BigInt(value);
}

export function at(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** The known key a typo most likely meant: within edit distance 2, or one it abbreviates. */
function nearest(key: string, keys: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  const typo = key.toLowerCase();
  for (const k of keys) {
    const known = k.toLowerCase();
    const d = typo.length >= 3 && known.startsWith(typo) ? 1 : editDistance(typo, known);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
