import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryMapSvg } from '../cli/svg-memory-map.js';

const SYSTEM = 'test/fixtures/real-x86_64-6.1/system.json';

/** x of each <rect> that stands for a bar (they carry a <title>), in document order. */
function bars(svg: string): { x: number; width: number; title: string }[] {
  return [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>([^<]*)<\/title>/g)].map((m) => ({
    x: Number(m[1]),
    width: Number(m[2]),
    title: m[3]!,
  }));
}

describe('memoryMapSvg', () => {
  describe('when ranges span a few KiB to TiB with holes between them', () => {
    const svg = memoryMapSvg({
      title: 't <&>',
      subtitle: 's',
      rows: [
        {
          label: 'RAM',
          bars: [
            { start: 0x1000n, end: 0x9fbffn, kind: 'ram', label: 'low' },
            { start: 0x100000n, end: 0xbfffffffn, kind: 'ram', label: 'mid' },
            { start: 0x100_0000_0000n, end: 0x1ff_ffff_ffffn, kind: 'ram', label: 'high' },
          ],
        },
        { label: 'wrapped', bars: [{ start: 0x5000_0000n, end: (1n << 64n) - 1n, kind: 'load', label: 'inverted range, size wrapped' }] },
      ],
    });
    const b = bars(svg);

    it('draws one rectangle per bar, left to right in address order', () => {
      expect(b.map((r) => r.title.split(' ')[0])).toEqual(['low', 'mid', 'high', 'inverted']);
      expect(b[0]!.x).toBeLessThan(b[1]!.x);
      expect(b[1]!.x + b[1]!.width).toBeLessThanOrEqual(b[2]!.x + 0.01);
    });

    it('keeps a 635 KiB range visible next to a 1 TiB one (the axis is logarithmic per interval)', () => {
      expect(b[0]!.width).toBeGreaterThan(20);
    });

    it('escapes text, and a range running to the top of the address space ends at the right edge', () => {
      expect(svg).toContain('t &lt;&amp;&gt;');
      expect(b[3]!.x + b[3]!.width).toBeCloseTo(160 + 1100, 0);
    });
  });
});

describe('crashplug elfcorehdr --svg', () => {
  const work = mkdtempSync(join(tmpdir(), 'crashplug-svg-'));

  it('draws RAM, the crash reservation, the exclusions and the PT_LOADs of the real 6.1 guest', () => {
    const file = join(work, 'map.svg');
    execFileSync(process.execPath, ['bin/crashplug.js', 'elfcorehdr', '--system', SYSTEM, '--svg', file]);
    const titles = bars(readFileSync(file, 'utf8')).map((r) => r.title);
    expect(titles).toEqual([
      'System RAM [0x1000-0x9fbff], 635 KiB',
      'System RAM [0x100000-0x7ffdefff], 2 GiB',
      'System RAM [0x100000000-0x17fffffff], 2 GiB',
      'crashkernel [0x6f000000-0x7effffff], 256 MiB',
      'low 1M: a 1 MiB hole, the RAM in it cut out [0x0-0xfffff], 635 KiB',
      'crashkernel: a 256 MiB hole, the RAM in it cut out [0x6f000000-0x7effffff], 256 MiB',
      'phdr 4: PT_LOAD [0x100000-0x6effffff], 1.73 GiB',
      'phdr 5: PT_LOAD [0x7f000000-0x7ffdefff], 15.9 MiB',
      'phdr 6: PT_LOAD [0x100000000-0x17fffffff], 2 GiB',
      'phdr 3: kernel text [0x12e200000-0x13162ffff], 52.2 MiB', // textPhys + size − 1
    ]);
  });

  it('writes no picture when the input is bad', () => {
    const file = join(work, 'bad.svg');
    const r = spawnSync(process.execPath, ['bin/crashplug.js', 'elfcorehdr', '--system', join(work, 'missing.json'), '--svg', file]);
    expect(r.status).toBe(2);
    expect(existsSync(file)).toBe(false);
  });
});

describe('crashplug simulate --svg', () => {
  const work = mkdtempSync(join(tmpdir(), 'crashplug-svg-sim-'));

  it('draws one bar per update in the measured panel, as many as the run reports regenerations, the first marked as warm-up', () => {
    const file = join(work, 'unarmed.svg');
    const out = execFileSync(process.execPath, [
      'bin/crashplug.js',
      'simulate',
      '--system',
      'test/fixtures/hotplug/system.json',
      '--resize',
      '32G:34G',
      '--json',
      '--svg',
      file,
    ]);
    const summary = JSON.parse(out.toString()) as { regenerations: number }; // --json: the "wrote" line goes to stderr
    const updates = [...readFileSync(file, 'utf8').matchAll(/<title>(?:warm-up, left out of the statistics: )?update \d+: /g)];
    expect(readFileSync(file, 'utf8')).toMatch(/<title>warm-up, left out of the statistics: update 0: /);
    expect(summary.regenerations).toBe(16); // 2 GiB of 128 MiB blocks, one regeneration each
    expect(updates).toHaveLength(16);
  });

  it('refuses a --svg-scale that is not a time, and writes nothing', () => {
    const file = join(work, 'bad-scale.svg');
    const r = spawnSync(process.execPath, [
      'bin/crashplug.js',
      'simulate',
      '--system',
      'test/fixtures/hotplug/system.json',
      '--resize',
      '32G:33G',
      '--svg',
      file,
      '--svg-scale',
      'soon',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toContain('--svg-scale "soon" is not a positive time');
    expect(existsSync(file)).toBe(false);
  });
});
