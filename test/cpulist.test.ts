// The kernel cpulist syntax: the examples sysfs prints, the grouped boot-parameter form, every
// way a list can be wrong, and the round trip between reading and writing.

import { fc } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CPULIST_MAX_CPU, formatCpulist, parseCpulist } from '../core/system/index.js';
import { crashplugErrorOf as errorOf } from './support/errors.js';

describe('parseCpulist', () => {
  describe('when reading what sysfs prints', () => {
    it.each([
      ['0', [0]],
      ['0-3', [0, 1, 2, 3]],
      ['0-3,8,10-11', [0, 1, 2, 3, 8, 10, 11]],
      ['0-1\n', [0, 1]],
      ['', []],
      ['\n', []],
    ])('reads %j', (text, cpus) => {
      expect(parseCpulist(text, 'x')).toEqual(cpus);
    });
  });

  describe('when entries overlap or are out of order', () => {
    it('returns a sorted set without duplicates', () => {
      expect(parseCpulist('8,0-3,2-5,8', 'x')).toEqual([0, 1, 2, 3, 4, 5, 8]);
    });
  });

  describe('when an entry has spaces around it', () => {
    it('ignores them', () => {
      expect(parseCpulist(' 0-1, 4 ', 'x')).toEqual([0, 1, 4]);
    });
  });

  describe('when a range uses the grouped form a-b:used/group', () => {
    it('takes the first `used` CPUs of every group', () => {
      expect(parseCpulist('0-7:2/4', 'x')).toEqual([0, 1, 4, 5]);
      expect(parseCpulist('2-9:1/3', 'x')).toEqual([2, 5, 8]);
    });
  });

  describe('when the largest allowed CPU is named', () => {
    it('accepts it', () => {
      expect(parseCpulist(`${CPULIST_MAX_CPU}`, 'x')).toEqual([65535]);
    });
  });

  describe('when the list is wrong', () => {
    it.each([
      ['a bad token', '0-3,x', /^sys\.json: \$\.cpus\.online: "x" is not a CPU number or range; write a cpulist such as "0-3,8,10-11"$/],
      ['a hex number', '0x3', /"0x3" is not a CPU number or range/],
      ['a reversed range', '5-3', /"5-3" is reversed; write the lower CPU first \("3-5"\)$/],
      ['a negative number', '-1', /"-1" is negative; CPU numbers start at 0$/],
      ['a negative range end', '0--1', /"0--1" is not a CPU number or range/],
      ['an absurdly large CPU', '0-70000', /CPU 70000 in "0-70000" is absurdly large \(above 65535\)/],
      ['an empty entry', '0,,1', /empty entry in "0,,1"; remove the doubled or trailing comma$/],
      ['a trailing comma', '0-3,', /empty entry/],
      ['a bad group', '0-7:5/4', /"0-7:5\/4" has a bad group; in "a-b:used\/group", 1 ≤ used ≤ group$/],
      ['a zero group', '0-7:0/0', /has a bad group/],
    ])('says so for %s', (_what, text, message) => {
      const err = errorOf(() => parseCpulist(text, 'sys.json: $.cpus.online'));
      expect(err.code).toBe('E_BAD_CPULIST');
      expect(err.message).toMatch(/^sys\.json: \$\.cpus\.online: /);
      expect(err.message).toMatch(message);
    });
  });
});

describe('formatCpulist', () => {
  describe('when writing a set', () => {
    it.each([
      [[], ''],
      [[0], '0'],
      [[0, 1], '0-1'],
      [[0, 1, 2, 3, 8, 10, 11], '0-3,8,10-11'],
      [[5, 0, 1, 5], '0-1,5'],
    ])('writes %j as %j', (cpus, text) => {
      expect(formatCpulist(cpus)).toBe(text);
    });
  });
});

describe('cpulist round trip', () => {
  const cpuSet = fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }).map((a) => a.sort((x, y) => x - y));

  describe('for any sorted set of CPUs', () => {
    it('parse ∘ format returns the set', () => {
      fc.assert(
        fc.property(cpuSet, (cpus) => {
          expect(parseCpulist(formatCpulist(cpus), 'x')).toEqual(cpus);
        }),
        { numRuns: 500 },
      );
    });

    it('format ∘ parse is the identity on canonical lists', () => {
      fc.assert(
        fc.property(cpuSet, (cpus) => {
          const text = formatCpulist(cpus);
          expect(formatCpulist(parseCpulist(text, 'x'))).toBe(text);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('for any list of entries, in any order and overlapping', () => {
    it('parse gives the union of the entries, sorted', () => {
      const entry = fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 20 }));
      fc.assert(
        fc.property(fc.array(entry, { minLength: 1, maxLength: 20 }), (entries) => {
          const text = entries.map(([a, n]) => (n === 0 ? `${a}` : `${a}-${a + n}`)).join(',');
          const expected = new Set<number>();
          for (const [a, n] of entries) for (let c = a; c <= a + n; c++) expected.add(c);
          expect(parseCpulist(text, 'x')).toEqual([...expected].sort((x, y) => x - y));
        }),
        { numRuns: 300 },
      );
    });
  });
});
