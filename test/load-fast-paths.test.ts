// The loader's shortcuts against the long ways they skip: Reader.u64's plain "0x…" reading against
// parseU64, findDuplicateKey's indexOf string skipping on keys and values full of quotes and
// backslashes, parseCpulist's in-order listing against a set and a sort, and firstOverlap's
// sorted-input pass against the sort it skips.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { findDuplicateKey } from '../api/json-duplicates.js';
import { parseU64 } from '../core/base/index.js';
import { parseCpulist } from '../core/system/cpulist.js';
import { Reader } from '../core/system/json-reader.js';
import { firstOverlap } from '../core/system/memory.js';

/** parseCpulist as first written: every CPU into a set, then sorted (valid cpulists only). */
function parseCpulistSimple(text: string): number[] {
  const cpus = new Set<number>();
  const body = text.trim();
  if (body === '') return [];
  for (const token of body.split(',').map((t) => t.trim())) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(token)!;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    const [used, group] = [Number(m[3] ?? 1), Number(m[4] ?? 1)];
    for (let cpu = first; cpu <= last; cpu++) if ((cpu - first) % group < used) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** firstOverlap as first written: the indexes sorted by start every time. */
function firstOverlapSimple(ranges: readonly { start: bigint; end: bigint }[]): [number, number] | undefined {
  const order = ranges.map((_, i) => i).sort((a, b) => (ranges[a]!.start < ranges[b]!.start ? -1 : ranges[a]!.start > ranges[b]!.start ? 1 : a - b));
  let reach = -1;
  for (const i of order) {
    if (reach >= 0 && ranges[i]!.start <= ranges[reach]!.end) return reach < i ? [reach, i] : [i, reach];
    if (reach < 0 || ranges[i]!.end > ranges[reach]!.end) reach = i;
  }
  return undefined;
}

describe('parseCpulist and firstOverlap', () => {
  const token = fc.oneof(
    fc.nat(40).map(String),
    fc.tuple(fc.nat(40), fc.nat(12)).map(([a, n]) => `${a}-${a + n}`),
    fc
      .tuple(fc.nat(40), fc.nat(12), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 3 }))
      .map(([a, n, g, u]) => `${a}-${a + n}:${Math.min(u + 1, g)}/${g}`),
  );
  /** Ascending tokens (the common case), or any order. */
  const cpulist = fc.oneof(
    fc.array(token, { maxLength: 6 }).map((ts) => ts.join(',')),
    fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.nat(4)), { maxLength: 6 }).map((steps) => {
      let at = -1;
      return steps.map(([gap, n]) => `${(at += gap)}-${(at += n)}`).join(',');
    }),
  );
  itProp.prop([cpulist])('parseCpulist gives the set, sorted, as a set and a sort do', (text) => {
    expect(parseCpulist(text, 'x')).toEqual(parseCpulistSimple(text));
  });
  const range = fc.tuple(fc.bigInt(0n, 60n), fc.bigInt(0n, 8n)).map(([start, n]) => ({ start, end: start + n }));
  const sortedRanges = fc.array(range, { maxLength: 12 }).map((rs) => [...rs].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0)));
  itProp.prop([fc.oneof(fc.array(range, { maxLength: 12 }), sortedRanges)])('firstOverlap names the pair the sorting version names', (rs) => {
    expect(firstOverlap(rs)).toEqual(firstOverlapSimple(rs));
  });
});

describe('Reader.u64 and Reader.range', () => {
  const hexText = fc
    .tuple(fc.constantFrom('0x', '0X', '0', 'x', ''), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFgx '), maxLength: 19 }))
    .map(([p, d]) => p + d);
  const text = fc.oneof(hexText, fc.constantFrom('0x', '0x0', '0xffffffffffffffff', '0x10000000000000000', ' 0x1', '64K', '1G', '12'));
  itProp.prop([text])('reads what parseU64 reads, and refuses what it refuses', (t) => {
    const r = new Reader('test');
    const want = parseU64(t);
    if (want === undefined) expect(() => r.u64(t, '$.x')).toThrow(/\$\.x: /);
    else expect(r.u64(t, '$.x')).toBe(want);
  });
  itProp.prop([fc.oneof(fc.tuple(text, text), fc.constantFrom(null, 7, ['0x1'], ['0x1', '0x2', '0x3'])), fc.nat(9)])(
    'rangeAt is range with the entry path, result and error alike',
    (value, i) => {
      const r = new Reader('test');
      let want: unknown;
      try {
        want = r.range(value, `$.list[${i}]`);
      } catch (err) {
        want = (err as Error).message;
      }
      let got: unknown;
      try {
        got = r.rangeAt(value, '$.list', i);
      } catch (err) {
        got = (err as Error).message;
      }
      expect(got).toEqual(want);
    },
  );
  itProp.prop([text, text])('a range names the end that is wrong', (a, b) => {
    const r = new Reader('test');
    const [x, y] = [parseU64(a), parseU64(b)];
    if (x === undefined) expect(() => r.range([a, b], '$.r')).toThrow(/\$\.r\[0\]: /);
    else if (y === undefined) expect(() => r.range([a, b], '$.r')).toThrow(/\$\.r\[1\]: /);
    else if (x > y) expect(() => r.range([a, b], '$.r')).toThrow(/\$\.r: start/);
    else expect(r.range([a, b], '$.r')).toEqual({ start: x, end: y });
  });
});

describe('findDuplicateKey on strings full of quotes and backslashes', () => {
  const str = fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', ',', '{', '[', ':', ' '), maxLength: 4 });
  itProp.prop([fc.array(fc.tuple(str, str), { maxLength: 6 })])('finds the first repeated key, wherever the text around it', (pairs) => {
    const parts = pairs.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    // Each pair is also wrapped in an array of its own, whose strings are no keys.
    const members = [...parts, `"z": [${pairs.map(([k, v]) => `${JSON.stringify(k)}, ${JSON.stringify(v)}`).join(', ')}]`];
    const text = `{${members.join(', ')}}`;
    JSON.parse(text);
    const seen = new Map<string, number>();
    let want: { key: string; at: number } | undefined;
    let at = 1;
    for (let i = 0; i < pairs.length && want === undefined; i++) {
      const [k] = pairs[i]!;
      if (seen.has(k)) want = { key: k, at };
      seen.set(k, at);
      at += parts[i]!.length + 2;
    }
    if (want === undefined && seen.has('z')) want = { key: 'z', at: at };
    const got = findDuplicateKey(text);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toEqual({ key: want.key, line: 1, column: want.at + 1, firstLine: 1 });
  });
});
