// The /proc/iomem reader against a real capture (x86_64, Linux 6.1) and against every way a file
// can be wrong; each error must name the file and the line.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { iomemCrashKernel, iomemKernelSections, iomemSystemRam, parseIomem } from '../core/system/index.js';
import { crashplugErrorOf as errorOf } from './support/errors.js';

const REAL = fileURLToPath(new URL('fixtures/real-x86_64-6.1/proc-iomem.txt', import.meta.url));
const realText = readFileSync(REAL, 'utf8');

const lines = (...ls: string[]): string => `${ls.join('\n')}\n`;

describe('parseIomem', () => {
  describe('when reading a real x86_64 /proc/iomem', () => {
    const tree = parseIomem(realText, REAL);

    it('returns the top-level resources in file order with their 1-based lines', () => {
      expect(tree.length).toBe(21);
      expect(tree[0]).toMatchObject({ name: 'Reserved', start: 0n, end: 0xfffn, line: 1 });
      expect(tree.at(-1)).toMatchObject({ name: 'Reserved', start: 0xfd00000000n, end: 0xffffffffffn, line: 37 });
    });

    it('nests children under their parent, three levels deep', () => {
      const mmconfig = tree.find((r) => r.name.startsWith('PCI MMCONFIG'))!;
      expect(mmconfig.line).toBe(14);
      expect(mmconfig.children).toHaveLength(1);
      expect(mmconfig.children[0]).toMatchObject({ name: 'Reserved', line: 15 });
      expect(mmconfig.children[0]!.children[0]).toMatchObject({ name: 'pnp 00:05', start: 0xb0000000n, end: 0xbfffffffn, line: 16 });
    });

    it('keeps names with spaces, colons and brackets whole', () => {
      expect(tree.map((r) => r.name)).toContain('PCI MMCONFIG 0000 [bus 00-ff]');
      const pci = tree.find((r) => r.start === 0xc0000000n)!;
      expect(pci.children.map((c) => c.name)).toContain('0000:00:1f.2');
    });
  });

  describe('when the file has blank lines and CRLF line ends', () => {
    it('ignores the blank lines and keeps the line numbers of the file', () => {
      const tree = parseIomem('\r\n00001000-0009fbff : System RAM\r\n\r\n00100000-7ffdefff : System RAM\r\n  6f000000-7effffff : Crash kernel\r\n', 'x');
      expect(tree.map((r) => r.line)).toEqual([2, 4]);
      expect(tree[1]!.children[0]).toMatchObject({ name: 'Crash kernel', line: 5 });
    });
  });

  describe('when the file indents by four spaces', () => {
    it('reads each four-space step as one level', () => {
      const tree = parseIomem(lines('00000000-0fffffff : a', '    00000000-00ffffff : b', '        00000000-000fffff : c', '    01000000-01ffffff : d'), 'x');
      expect(tree[0]!.children.map((c) => c.name)).toEqual(['b', 'd']);
      expect(tree[0]!.children[0]!.children.map((c) => c.name)).toEqual(['c']);
    });
  });

  describe('when an address has 16 hex digits', () => {
    it('reads the full 64-bit value', () => {
      expect(parseIomem('fffffffffffff000-ffffffffffffffff : top', 'x')[0]).toMatchObject({ start: 0xfffffffffffff000n, end: 0xffffffffffffffffn });
    });
  });

  describe('when the file is empty', () => {
    it('has no resources', () => {
      expect(parseIomem('', 'x')).toEqual([]);
      expect(parseIomem('\n\n', 'x')).toEqual([]);
    });
  });

  describe('when the file is wrong', () => {
    const cases: [string, string, RegExp][] = [
      [
        'a line does not parse',
        lines('00000000-00000fff : Reserved', 'System RAM'),
        /^bad:2: "System RAM" is not a resource line; each line is "start-end : name"/,
      ],
      ['an address has 0x', lines('0x1000-0x2000 : System RAM'), /^bad:1: .* is not a resource line/],
      ['the name separator is missing', lines('00001000-0009fbff System RAM'), /^bad:1: .* is not a resource line/],
      ['an address has 17 hex digits', lines('10000000000000000-1ffffffffffffffff : x'), /^bad:1: 10000000000000000 has more than 16 hex digits; /],
      ['start is above end', lines('00000000-00000fff : x', '00002000-00001000 : y'), /^bad:2: start 00002000 is above end 00001000; /],
      [
        'a child lies outside its parent',
        lines('00100000-7ffdefff : System RAM', '  6f000000-8effffff : Crash kernel'),
        /^bad:2: 6f000000-8effffff lies outside its parent 100000-7ffdefff "System RAM" \(line 1\); /,
      ],
      [
        'indentation jumps two levels',
        lines('00000000-0fffffff : a', '  00000000-00ffffff : b', '      00000000-000fffff : c'),
        /^bad:3: indentation jumps to level 3 \(6 spaces\) but the line above is at level 1; indent a child exactly one level \(2 spaces\)/,
      ],
      [
        'indentation is not a multiple of the step',
        lines('00000000-0fffffff : a', '  00000000-00ffffff : b', '   00000000-000fffff : c'),
        /^bad:3: indented 3 spaces, not a multiple of the 2-space step of line 2; /,
      ],
      [
        'the first line is indented',
        lines('  00000000-0fffffff : a'),
        /^bad:1: the first resource is indented 2 spaces; top-level resources start in column 1/,
      ],
      ['a line is indented with a tab', lines('00000000-0fffffff : a', '\t00000000-00ffffff : b'), /^bad:2: indented with a tab; /],
    ];
    for (const [when, text, message] of cases) {
      it(`says where and what when ${when}`, () => {
        const err = errorOf(() => parseIomem(text, 'bad'));
        expect(err.code).toBe('E_BAD_IOMEM');
        expect(err.message).toMatch(message);
      });
    }

    it('says the file was read without root when every address is zero', () => {
      const unprivileged = realText.replace(/^(\s*)[0-9a-f]+-[0-9a-f]+/gm, '$100000000-00000000');
      const err = errorOf(() => parseIomem(unprivileged, 'iomem.txt'));
      expect(err.code).toBe('E_BAD_IOMEM');
      expect(err.message).toBe('iomem.txt:1: all addresses are zero: /proc/iomem was read without root; read it as root');
    });
  });
});

describe('iomemSystemRam', () => {
  describe('when reading the real capture', () => {
    it('gives the three top-level System RAM lines in file order', () => {
      expect(iomemSystemRam(parseIomem(realText, REAL))).toEqual([
        { name: 'System RAM', start: 0x1000n, end: 0x9fbffn },
        { name: 'System RAM', start: 0x100000n, end: 0x7ffdefffn },
        { name: 'System RAM', start: 0x100000000n, end: 0x17fffffffn },
      ]);
    });
  });

  describe('when System RAM lines touch or are nested', () => {
    it('never merges adjacent lines and ignores nested ones, as walk_system_ram_res does', () => {
      const tree = parseIomem(
        lines(
          '00100000-7fffffff : System RAM',
          '80000000-bfffffff : System RAM',
          '  90000000-9fffffff : System RAM',
          'c0000000-cfffffff : Reserved',
          '  c0000000-c0ffffff : System RAM',
        ),
        'x',
      );
      expect(iomemSystemRam(tree)).toEqual([
        { name: 'System RAM', start: 0x100000n, end: 0x7fffffffn },
        { name: 'System RAM', start: 0x80000000n, end: 0xbfffffffn },
      ]);
    });
  });
});

describe('iomemCrashKernel', () => {
  describe('when there is one Crash kernel line', () => {
    it('is crashkernel (crashk_res)', () => {
      expect(iomemCrashKernel(parseIomem(realText, REAL))).toEqual({ crashkernel: { start: 0x6f000000n, end: 0x7effffffn } });
    });
  });

  describe('when there are two Crash kernel lines', () => {
    const high = '  13f000000-14effffff : Crash kernel';
    const low = '  6f000000-7effffff : Crash kernel';
    it('takes the lower one as crashkernelLow (crashk_low_res) and the higher as crashkernel', () => {
      const tree = parseIomem(lines('00100000-7ffdefff : System RAM', low, '100000000-17fffffff : System RAM', high), 'x');
      expect(iomemCrashKernel(tree)).toEqual({
        crashkernel: { start: 0x13f000000n, end: 0x14effffffn },
        crashkernelLow: { start: 0x6f000000n, end: 0x7effffffn },
      });
    });

    it('decides by address, not by file order', () => {
      const tree = parseIomem(lines('100000000-17fffffff : System RAM', high, '00100000-7ffdefff : System RAM', low), 'x');
      expect(iomemCrashKernel(tree)).toEqual({
        crashkernel: { start: 0x13f000000n, end: 0x14effffffn },
        crashkernelLow: { start: 0x6f000000n, end: 0x7effffffn },
      });
    });
  });

  describe('when there is no Crash kernel line', () => {
    it('gives neither', () => {
      expect(iomemCrashKernel(parseIomem(lines('00100000-7ffdefff : System RAM'), 'x'))).toEqual({});
    });
  });

  describe('when there are more than two Crash kernel lines', () => {
    it('names every line', () => {
      const tree = parseIomem(
        lines(
          '00100000-7ffdefff : System RAM',
          '  10000000-1fffffff : Crash kernel',
          '  20000000-2fffffff : Crash kernel',
          '  30000000-3fffffff : Crash kernel',
        ),
        'x',
      );
      const err = errorOf(() => iomemCrashKernel(tree, 'iomem.txt'));
      expect(err.code).toBe('E_BAD_IOMEM');
      expect(err.message).toMatch(/^iomem\.txt:4: 3 "Crash kernel" lines \(lines 2, 3, 4\) but the kernel reserves at most two/);
    });
  });
});

describe('iomemKernelSections', () => {
  describe('when reading the real capture', () => {
    it('gives code, rodata, data and bss from their nested lines', () => {
      expect(iomemKernelSections(parseIomem(realText, REAL))).toEqual({
        code: { start: 0x12e200000n, end: 0x12f001d31n },
        rodata: { start: 0x12f200000n, end: 0x12faeafffn },
        data: { start: 0x12fc00000n, end: 0x12fe4897fn },
        bss: { start: 0x130510000n, end: 0x1315fffffn },
      });
    });
  });

  describe('when a section is missing', () => {
    it('leaves it out', () => {
      const tree = parseIomem(lines('01000000-7fffffff : System RAM', '  01000000-01ffffff : Kernel code'), 'x');
      expect(iomemKernelSections(tree)).toEqual({ code: { start: 0x1000000n, end: 0x1ffffffn } });
    });
  });

  describe('when a section appears twice', () => {
    it('names both lines', () => {
      const tree = parseIomem(lines('01000000-7fffffff : System RAM', '  01000000-01ffffff : Kernel code', '  02000000-02ffffff : Kernel code'), 'x');
      expect(errorOf(() => iomemKernelSections(tree, 'iomem.txt')).message).toMatch(/^iomem\.txt:3: a second "Kernel code" line \(the first is line 2\)/);
    });
  });
});
