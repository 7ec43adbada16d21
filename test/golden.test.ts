// Golden fixtures: for each case in test/fixtures/<case>/, the inputs (system.json, and the same in
// code as system.ts) and the expected elfcorehdr.bin. The bytes were laid out by hand from the facts
// in elfcorehdr.hex, never produced by crashplug; the test first checks that .bin is exactly that hex,
// then that our build matches it byte for byte.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { registryOf } from '../core/port/index.js';
import { type SystemDescription } from '../core/system/index.js';
import { x86Module } from '../arch-x86/index.js';
import { w1System } from './fixtures/w1/system.js';
import { loadSystemFile } from '../api/system-file.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const registry = registryOf([x86Module]);

/**
 * Read an annotated hex file: `#` starts a comment, `# @N` asserts the next byte's offset, `# size N`
 * zero-fills to N bytes at the end.
 */
function readHex(path: string): Uint8Array {
  const out: number[] = [];
  let size: number | undefined;
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const [body = '', comment = ''] = line.split('#', 2);
      const marker = /^\s*@(\d+)/.exec(comment);
      if (marker && body.trim() === '') expect(out.length, `${path}:${i + 1}: offset marker`).toBe(Number(marker[1]));
      const sized = /^\s*size (\d+)/.exec(comment);
      if (sized && body.trim() === '') size = Number(sized[1]);
      for (const b of body.trim().split(/\s+/).filter(Boolean)) {
        expect(b, `${path}:${i + 1}`).toMatch(/^[0-9a-f]{2}$/);
        out.push(parseInt(b, 16));
      }
    });
  const bytes = new Uint8Array(size ?? out.length);
  bytes.set(out);
  return bytes;
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  const i = a.findIndex((x, k) => x !== b[k]);
  return i === -1 ? 'identical' : `first difference at byte ${i} (phdr ${i < 64 ? 'none: Ehdr' : Math.floor((i - 64) / 56)})`;
}

const cases: { name: string; inCode: SystemDescription }[] = [{ name: 'w1', inCode: w1System }];

for (const c of cases) {
  const dir = join(fixtures, c.name);
  const expected = new Uint8Array(readFileSync(join(dir, 'elfcorehdr.bin')));

  describe(`golden fixture ${c.name}`, () => {
    describe('when the fixture is read', () => {
      it('has an elfcorehdr.bin that is exactly the hand-laid elfcorehdr.hex', () => {
        expect(firstDifference(expected, readHex(join(dir, 'elfcorehdr.hex')))).toBe('identical');
      });
    });

    describe('when built from the inputs written in code (system.ts)', () => {
      it('matches elfcorehdr.bin byte for byte', () => {
        expect(firstDifference(buildSystemElfcorehdr(c.inCode, registry.get('x86_64')).bytes, expected)).toBe('identical');
      });
    });

    describe('when built into a caller’s buffer at an unaligned offset', () => {
      // The writer stores through a BigUint64Array when the buffer is 8-byte aligned and falls back
      // to DataView otherwise; both must give the same bytes.
      it('matches elfcorehdr.bin byte for byte', () => {
        const backing = new Uint8Array(expected.length + 4);
        const target = backing.subarray(4);
        buildSystemElfcorehdr(c.inCode, registry.get('x86_64'), target);
        expect(firstDifference(target, expected)).toBe('identical');
      });
    });

    describe('when built from system.json through the loader', () => {
      it('matches elfcorehdr.bin byte for byte', () => {
        const system = loadSystemFile(join(dir, 'system.json'), registry);
        expect(firstDifference(buildSystemElfcorehdr(system, registry.get(system.arch)).bytes, expected)).toBe('identical');
      });
    });
  });
}
