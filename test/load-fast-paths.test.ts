// The loader's shortcuts against the long ways they skip: Reader.u64's plain "0x…" reading against
// parseU64, and findDuplicateKey's indexOf string skipping on keys and values full of quotes and
// backslashes.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { findDuplicateKey } from '../api/json-duplicates.js';
import { parseU64 } from '../core/base/index.js';
import { Reader } from '../core/system/json-reader.js';

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
