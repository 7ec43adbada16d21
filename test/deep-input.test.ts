// Trees as deep as a hostile input makes them: every walk keeps its own stack, so depth costs
// memory, never the call stack; the duplicate-key scanner of system descriptions likewise.

import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../api/json-duplicates.js';
import { iomemCrashKernel, iomemKernelSections, iomemWalk, parseIomem } from '../core/system/index.js';
import type { IomemResource } from '../core/system/index.js';

/** A chain of `depth` resources, each inside the one above it, under one System RAM line. */
function chain(depth: number): IomemResource[] {
  let node: IomemResource = { name: 'Crash kernel', start: 0x2000_0000n, end: 0x2fff_ffffn, line: depth + 1, children: [] };
  for (let d = depth; d >= 1; d--) node = { name: `level ${d}`, start: 0x100_0000n - BigInt(d), end: 0x4000_0000n + BigInt(d), line: d, children: [node] };
  return [{ name: 'System RAM', start: 0n, end: 0xffff_ffffn, line: 0, children: [node] }];
}

describe('iomem trees nested deeply', () => {
  it('walks 200 000 levels in file order', () => {
    const tree = chain(200_000);
    let count = 0;
    let last = '';
    for (const r of iomemWalk(tree)) {
      count++;
      last = r.name;
    }
    expect(count).toBe(200_002);
    expect(last).toBe('Crash kernel');
    expect(iomemCrashKernel(tree)).toEqual({ crashkernel: { start: 0x2000_0000n, end: 0x2fff_ffffn } });
    expect(iomemKernelSections(tree)).toEqual({});
  });

  it('parses 20 000 levels indented one space each', () => {
    const lines = ['00000000-ffffffff : System RAM'];
    for (let d = 1; d <= 20_000; d++) lines.push(`${' '.repeat(d)}${d.toString(16).padStart(8, '0')}-${(0xffffffff - d).toString(16)} : level`);
    const tree = parseIomem(lines.join('\n'), 'deep');
    expect([...iomemWalk(tree)].length).toBe(20_001);
  });

  it('visits siblings and children depth-first, parents first', () => {
    const tree = parseIomem('0-f : a\n  1-2 : b\n    1-1 : c\n  3-4 : d\n10-1f : e\n', 'order');
    expect([...iomemWalk(tree)].map((r) => r.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});

describe('findDuplicateKey', () => {
  it('finds a key repeated in one object, with line and column, across nesting and escapes', () => {
    expect(findDuplicateKey('{"a": 1, "b": {"a": 2}, "c": [{"a": 1}, {"a": 2}]}')).toBeUndefined();
    expect(findDuplicateKey('{\n  "a": 1,\n  "\\u0061": 2\n}')).toEqual({ key: 'a', line: 3, column: 3, firstLine: 2 });
    expect(findDuplicateKey('{"x": {"k": "\\"k\\"", "k": 1}}')).toEqual({ key: 'k', line: 1, column: 22, firstLine: 1 });
    expect(findDuplicateKey('{"s": "a, \\"b\\": {", "b": 1}')).toBeUndefined();
  });

  it('skips arrays of scalars whole, brackets and escaped quotes inside their strings included', () => {
    const cases = [
      '{"r": [["0x1", "0x2"], ["a\\"]{", "}"], [1, true, null]], "k": 1, "k": 2}',
      '{"r": ["k", "k"], "s": [["k"], {"k": 1, "k": 2}]}',
      '{"r": ["\\\\", "]"], "t": [[], [[]], {"u": ["\\""]}], "r": 0}',
      '{"s": [1, {"k": 1, "k": 2}]}',
    ];
    const keys = ['k', 'k', 'r', 'k'];
    cases.forEach((text, i) => {
      JSON.parse(text);
      const key = keys[i]!;
      expect(findDuplicateKey(text)).toMatchObject({ key, line: 1, column: text.lastIndexOf(`"${key}":`) + 1 });
    });
    expect(findDuplicateKey('{"r": [["k", "k"], ["[", "{", "\\"k\\": 1"]], "k": 1}')).toBeUndefined();
  });

  it('finds a key repeated after an array of two million strings', () => {
    const text = `{"a": [${Array.from({ length: 2_000_000 }, (_, i) => `"x\\"${i}"`).join(',')}], "a": 1}`;
    expect(findDuplicateKey(text)).toMatchObject({ key: 'a', line: 1, column: text.lastIndexOf('"a"') + 1 });
  });

  it('scans 500 000 levels of nesting without recursion', () => {
    const depth = 500_000;
    const text = `{"a": ${'['.repeat(depth)}${']'.repeat(depth)}, "a": 1}`;
    expect(findDuplicateKey(text)).toMatchObject({ key: 'a', line: 1 });
  });
});
