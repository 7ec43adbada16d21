// The report's shortcuts for lists that are merged already (core/memory/range.ts isMerged and the
// sweeps over merged lists, cli/memory-account.ts) against the general functions and the simple
// oracles, on random lists that are merged, nearly merged (touching, overlapping, out of order,
// inverted) or anything at all.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { memoryAccount } from '../cli/memory-account.js';
import { decodeProgramHeaders, PHDR_SIZE } from '../core/elf/index.js';
import {
  intersectRanges,
  isMerged,
  mergeRanges,
  mergedView,
  type NamedRange,
  type Range,
  subtractRanges,
  sweepIntersect,
  sweepSubtract,
} from '../core/memory/index.js';
import { intersectSimple, memoryAccountSimple, subtractRangesSimple } from './support/oracles.js';

const plain = (rs: readonly Range[]) => rs.map((r) => [r.start, r.end]);
/** Sorted, disjoint, never touching: gaps of at least one byte between ranges. */
const merged = fc.array(fc.tuple(fc.bigInt(1n, 20n), fc.bigInt(0n, 20n)), { maxLength: 16 }).map((steps) => {
  const out: Range[] = [];
  let at = -1n;
  for (const [gap, len] of steps) {
    const start = at + gap + 1n;
    out.push({ start, end: start + len });
    at = start + len;
  }
  return out;
});
/** A merged list with one thing wrong: two ranges that touch, overlap, swap places or one inverted. */
const nearlyMerged = fc.tuple(merged, fc.nat(), fc.constantFrom('touch', 'overlap', 'swap', 'invert')).map(([rs, at, how]) => {
  if (rs.length < 2) return rs;
  const i = 1 + (at % (rs.length - 1));
  const out = rs.slice();
  const prev = out[i - 1]!;
  const r = out[i]!;
  if (how === 'touch') out[i] = { start: prev.end + 1n, end: r.end };
  if (how === 'overlap') out[i] = { start: prev.end, end: r.end };
  if (how === 'swap') [out[i - 1], out[i]] = [r, prev];
  if (how === 'invert') out[i] = { start: r.end + 1n, end: r.start };
  return out;
});
const anyRange = fc.tuple(fc.bigInt(0n, 200n), fc.bigInt(0n, 40n)).map(([s, len]): Range => ({ start: s, end: s + len }));
const list = fc.oneof(merged, nearlyMerged, fc.array(anyRange, { maxLength: 12 }));

describe('isMerged and the sweeps over merged lists', () => {
  itProp.prop([list])('isMerged says whether mergeRanges would give the same list back', (rs) => {
    const wellFormed = rs.every((r) => r.start <= r.end);
    expect(isMerged(rs)).toBe(wellFormed && plain(mergeRanges(rs)).join() === plain(rs).join());
    expect(plain(mergedView(rs))).toEqual(plain(mergeRanges(rs)));
  });
  itProp.prop([merged, merged])('sweepSubtract over merged lists equals the hole-by-hole oracle, in fresh objects', (a, b) => {
    const got = sweepSubtract(a, b);
    expect(plain(got)).toEqual(plain(subtractRangesSimple(a, b)));
    for (const r of got) expect(a.includes(r) || b.includes(r)).toBe(false);
  });
  itProp.prop([merged, merged])('sweepIntersect over merged lists equals the oracle, in fresh objects', (a, b) => {
    const got = sweepIntersect(a, b);
    expect(plain(got)).toEqual(plain(intersectSimple(a, b)));
    for (const r of got) expect(a.includes(r) || b.includes(r)).toBe(false);
  });
  itProp.prop([list, list])('subtractRanges and intersectRanges, which sweep once both sides are merged, equal the oracles', (a, b) => {
    fc.pre([...a, ...b].every((r) => r.start <= r.end));
    expect(plain(subtractRanges(a, b))).toEqual(plain(subtractRangesSimple(a, b)));
    expect(plain(intersectRanges(a, b))).toEqual(plain(intersectSimple(a, b)));
  });
});

describe('isMerged on hand-made lists', () => {
  it('touching ranges are not merged as they are (mergeRanges joins them)', () => {
    const touching = [
      { start: 0n, end: 9n },
      { start: 10n, end: 19n },
    ];
    expect(isMerged(touching)).toBe(false);
    expect(plain(mergedView(touching))).toEqual([[0n, 19n]]);
    expect(
      isMerged([
        { start: 0n, end: 9n },
        { start: 11n, end: 19n },
      ]),
    ).toBe(true);
    expect(isMerged([{ start: 5n, end: 4n }])).toBe(false);
  });
});

describe('memoryAccount over merged lists (the shape a walk and crash_mem have)', () => {
  const named =
    (name: string) =>
    (r: Range): NamedRange => ({ name, ...r });
  const cms = fc.record({
    systemRam: list.map((rs) => rs.map(named('System RAM'))),
    kept: list,
    excluded: fc.array(anyRange, { maxLength: 4 }).map((rs) => rs.map(named('hole'))),
    added: fc.oneof(fc.constant([] as Range[]), fc.array(anyRange, { maxLength: 2 })).map((rs) => rs.map(named('added'))),
  });
  itProp.prop([cms])('equals the account made against whole lists', (c) => {
    const cm = { mem: { maxNrRanges: 64, ranges: c.kept }, systemRam: c.systemRam, excluded: c.excluded, added: c.added };
    const json = (v: unknown) => JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}` : x)));
    expect(json(memoryAccount(cm))).toEqual(json(memoryAccountSimple(cm)));
  });
});

describe('decodeProgramHeaders (equal fields share one BigInt)', () => {
  const pool = fc.constantFrom(0n, 0x170n, 0x1000n, 0xffff_8880_0000_0000n, (1n << 64n) - 1n, 0x1_0000_0170n);
  const phdr = fc.record({ type: fc.constantFrom(1, 4), flags: fc.integer({ min: 0, max: 7 }), fields: fc.array(pool, { minLength: 6, maxLength: 6 }) });
  itProp.prop([fc.array(phdr, { maxLength: 12 }), fc.constantFrom('le' as const, 'be' as const), fc.nat(3)])(
    'reads every field the plain way would',
    (rows, order, pad) => {
      const bytes = new Uint8Array(pad + rows.length * PHDR_SIZE);
      const view = new DataView(bytes.buffer);
      const le = order === 'le';
      rows.forEach((r, i) => {
        const at = pad + i * PHDR_SIZE;
        view.setUint32(at, r.type, le);
        view.setUint32(at + 4, r.flags, le);
        r.fields.forEach((v, k) => view.setBigUint64(at + 8 + 8 * k, v, le));
      });
      const want = rows.map((r) => {
        const [offset, vaddr, paddr, filesz, memsz, align] = r.fields as [bigint, bigint, bigint, bigint, bigint, bigint];
        return { type: r.type, flags: r.flags, offset, vaddr, paddr, filesz, memsz, align };
      });
      expect(decodeProgramHeaders(bytes, pad, rows.length, order)).toEqual(want);
    },
  );
});
