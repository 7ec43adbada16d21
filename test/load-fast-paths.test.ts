// The loader's shortcuts against the long ways they skip: Reader.u64's plain "0x…" reading against
// parseU64, findDuplicateKey's indexOf string skipping on keys and values full of quotes and
// backslashes, parseCpulist's in-order listing against a set and a sort, and firstOverlap's
// sorted-input pass against the sort it skips, and a description's ranges read from its text against
// JSON.parse of the whole.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { x86Module } from '../arch-x86/index.js';
import { parseSystemText, parseWholeSystemText } from '../api/system-file.js';
import { registryOf } from '../core/port/index.js';
import { cutRangesList, type SystemDescription } from '../core/system/index.js';
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

describe('parseSystemText against parseWholeSystemText', () => {
  const registry = registryOf([x86Module]);
  const opts = { origin: 'sys.json', baseDir: '/nonexistent', registry };
  /**
   * The description, or the error's code and message: what a caller sees either way. The kernel
   * profile, which each parse makes afresh with functions of its own, by its version.
   */
  function outcome(parse: () => SystemDescription): unknown {
    try {
      const system = parse();
      return { ok: { ...system, kernel: system.kernel.version } };
    } catch (err) {
      const e = err as { code?: unknown; message: string };
      return { code: e.code, message: e.message };
    }
  }
  const u64Hex = (upper: boolean) => fc.bigInt(0n, (1n << 64n) - 1n).map((v) => `0x${upper ? v.toString(16).toUpperCase() : v.toString(16)}`);
  /** Entries: mostly plain pairs (some reversed, some overlapping), and now and then one that is not plain. */
  const entry = fc.oneof(
    { weight: 30, arbitrary: fc.tuple(fc.bigInt(0n, 0xfffffn), fc.bigInt(0n, 0xfffn)).map(([s, n]) => [`0x${s.toString(16)}`, `0x${(s + n).toString(16)}`]) },
    { weight: 2, arbitrary: fc.tuple(fc.oneof(u64Hex(false), u64Hex(true)), fc.oneof(u64Hex(false), u64Hex(true))) },
    { weight: 1, arbitrary: fc.tuple(fc.bigInt(0n, 0xfffffn), fc.bigInt(1n, 0xfn)).map(([s, n]) => [`0x${(s + n).toString(16)}`, `0x${s.toString(16)}`]) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constant(['0x', '0x1']),
        fc.constant(['0x00000000000000001', '0x2']),
        fc.constant(['0X10', '0x20']),
        fc.constant([' 0x10', '0x20']),
        fc.constant(['64K', '0x20000']),
        fc.constant([16, 32]),
        fc.constant(['0x10']),
        fc.constant(['0x10', '0x20', '0x30']),
        fc.constant(null),
        fc.constant({ start: '0x10' }),
      ),
    },
  );
  /** Whitespace between tokens: JSON's own four, none, and now and then one JSON refuses. */
  const ws = fc.oneof({ weight: 300, arbitrary: fc.constantFrom('', '', ' ', '\n  ', '\t', '\r\n') }, { weight: 1, arbitrary: fc.constant('\u00a0') });
  /** The list written token by token with whitespace drawn between them. */
  const listText = fc.tuple(fc.array(entry, { maxLength: 8 }), fc.array(ws, { minLength: 64, maxLength: 64 })).map(([entries, gaps]) => {
    let k = 0;
    const g = (): string => gaps[k++ % gaps.length]!;
    const item = (e: unknown): string => (Array.isArray(e) ? `[${g()}${e.map((x) => JSON.stringify(x)).join(`${g()},${g()}`)}${g()}]` : JSON.stringify(e));
    return `[${g()}${entries.map(item).join(`${g()},${g()}`)}${g()}]`;
  });
  /** What else the text holds around the list: nothing, or something that must send it the long way. */
  const around = fc.oneof(
    { weight: 8, arbitrary: fc.constant('') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '"kernel": "6.12", ',
        '"builder": "kernel\\u0000", ',
        '"kernel": "6.1\\"ranges\\": [[\\"0x1\\", \\"0x2\\"]]", ',
        '"memory": {"iomem": "x"}, ',
        '"ranges": [["0x1", "0x2"]], ',
        '"crashNotes": {"base": "0x1000000", "stride": "0x1000", "ranges": [["0x1", "0x2"]]}, ',
        '"pageSize": 4096, "pageSize": 4096, ',
      ),
    },
  );
  /** Ranges one after the other, each starting at, just past or well past the end of the one before (ends are inclusive). */
  const chained = fc.array(fc.tuple(fc.constantFrom(0n, 1n, 2n, 0x1000n), fc.bigInt(0n, 0x10n)), { minLength: 1, maxLength: 8 }).map((steps) => {
    let end = 0x1000n;
    return `[${steps
      .map(([gap, size]) => {
        const start = end + gap;
        end = start + size;
        return `["0x${start.toString(16)}", "0x${end.toString(16)}"]`;
      })
      .join(', ')}]`;
  });
  const memoryText = fc.oneof(
    { weight: 4, arbitrary: chained.map((l) => `{"ranges": ${l}}`) },
    { weight: 6, arbitrary: listText.map((l) => `{"ranges": ${l}}`) },
    { weight: 6, arbitrary: listText.map((l) => `{ "ranges" :\n${l} }`) },
    listText.map((l) => `{"iomem": "x", "ranges": ${l}}`),
    listText.map((l) => `{"ranges": ${l}, "ranges": [["0x1", "0x2"]]}`),
    listText.map((l) => `{"ranges": [["0x1", "0x2"]], "ranges": ${l}}`),
    listText.map((l) => `{"ranges": ${l}, "ranges": ${l}}`),
  );
  const text = fc.tuple(around, memoryText, fc.nat(4), fc.nat(400)).map(([before, memory, cut, at]) => {
    const t = `{${before}"arch": "x86_64", "memory": ${memory}, "cpus": {"possible": "0-3"},\n"crashNotes": {"base": "0x1000000", "stride": "0x1000"}, "vmcoreinfo": {"address": "0x2000000"}, "kernelImage": {"text": "0xffffffff81000000", "textPhys": "0x1000000", "size": "0xe00000"}}`;
    // Now and then the text ends early: a syntax error, somewhere.
    return cut === 0 ? t.slice(0, at) : t;
  });
  /** The one list under a "ranges" key that is not memory's: the marker would land outside memory.ranges. */
  const elsewhere = listText.map(
    (l) =>
      `{"arch": "x86_64", "memory": {"iomem": "x"}, "cpus": {"possible": "0-3"}, "crashNotes": {"base": "0x1000000", "stride": "0x1000", "ranges": ${l}}, "vmcoreinfo": {"address": "0x2000000"}}`,
  );
  itProp.prop([fc.oneof({ weight: 9, arbitrary: text }, { weight: 1, arbitrary: elsewhere })], { numRuns: 400 })(
    'gives the same description, or the same error, as JSON.parse of the whole text',
    (t) => {
      expect(outcome(() => parseSystemText(t, opts))).toEqual(outcome(() => parseWholeSystemText(t, opts)));
    },
  );
  it('reads a long list of plain ranges from the text', () => {
    const ranges = Array.from({ length: 300 }, (_, i) => [`0x${(i * 0x2000).toString(16)}`, `0x${(i * 0x2000 + 0xfff).toString(16)}`]);
    const t = JSON.stringify(
      {
        arch: 'x86_64',
        memory: { ranges },
        cpus: { possible: '0-3' },
        crashNotes: { base: '0x1000000', stride: '0x1000' },
        vmcoreinfo: { address: '0x2000000' },
      },
      null,
      2,
    );
    expect(cutRangesList(t)?.systemRam).toHaveLength(300);
    expect(outcome(() => parseSystemText(t, opts))).toEqual(outcome(() => parseWholeSystemText(t, opts)));
  });
});
