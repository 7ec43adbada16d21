// Kernel profiles, specified by the facts' worked examples run through the profiles rather than
// through the algorithms directly: W3 (one exclusion over two ranges), W5 and W4's last row (the
// old algorithm's overrun and index-based -ENOMEM against the current refusal), present vs
// possible CPUs (§13.5), x86's +2/+3 crash_mem slots (§4.1), crash hot-plug absent before 6.6, and
// the `kernel` field of a description with --kernel over it. W12 belongs to the powerpc port.

import { fc, test as property } from '@fast-check/vitest';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { x86Profile } from '../arch-x86/index.js';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { registerElfcorehdr } from '../cli/commands/elfcorehdr.js';
import { CrashplugError } from '../core/base/index.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { decodeElfCoreHeader, PT_LOAD, PT_NOTE } from '../core/elf/index.js';
import { type CrashMem, excludeMemRangeOld, excludeWith } from '../core/memory/index.js';
import { type ArchPort, PluginRegistry, registryOf } from '../core/port/index.js';
import { kernelProfile, NEWEST_KERNEL, type SystemDescription } from '../core/system/index.js';
import { modelledReleases } from '../core/build/index.js';
import { KERNEL_BREAKPOINTS } from '../core/system/index.js';
import { cpuIds, systemRam, x86Plugin, x86System } from './support/systems.js';
import { loadSystemFile, parseSystemJson } from '../api/system-file.js';
import { EM_RISCV } from '../arch-riscv/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const REAL = join(here, 'fixtures', 'real-x86_64-6.1', 'system.json');
const work = mkdtempSync(join(tmpdir(), 'crashplug-profiles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A profile's behaviour without its name: what must not change between two breakpoints. */
function behaviour(version: string): string {
  const { version: _v, major: _a, minor: _b, sublevel: _s, ...rest } = kernelProfile(version);
  return JSON.stringify(rest);
}

function loads(bytes: Uint8Array): [bigint, bigint][] {
  return decodeElfCoreHeader(bytes)
    .phdrs.filter((p) => p.type === PT_LOAD)
    .map((p) => [p.paddr, p.paddr + p.filesz - 1n]);
}

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (CrashplugError.is(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('the list of kernel breakpoints', () => {
  it('starts at the oldest modelled release, and every release between two breakpoints behaves as the earlier one', () => {
    expect(KERNEL_BREAKPOINTS[0]).toBe('5.4');
    const all = modelledReleases();
    for (const release of all) {
      const from = [...KERNEL_BREAKPOINTS].reverse().find((b) => kernelProfile(release).atLeast(...(b.split('.').map(Number) as [number, number])))!;
      expect(behaviour(release), `${release} behaves as ${from}`).toBe(behaviour(from));
      expect(x86Profile(kernelProfile(release))).toEqual(x86Profile(kernelProfile(from)));
    }
  });

  it('names no release at which nothing changes', () => {
    const all = modelledReleases();
    for (const b of KERNEL_BREAKPOINTS.slice(1)) {
      const before = all[all.indexOf(b) - 1]!;
      expect(behaviour(b), `${before} → ${b}`).not.toBe(behaviour(before));
    }
  });
});

describe('a version with a stable sublevel', () => {
  it('keeps the sublevel and shows it in the version: "6.12.107"', () => {
    expect(kernelProfile('6.12.107')).toMatchObject({ version: '6.12.107', major: 6, minor: 12, sublevel: 107 });
    expect(kernelProfile(' 6.1.0 ')).toMatchObject({ version: '6.1.0', sublevel: 0 });
  });

  it('has no sublevel when none is given: "6.12" is the series as released', () => {
    expect(kernelProfile('6.12').sublevel).toBeUndefined();
    expect(kernelProfile('6.12').version).toBe('6.12');
  });

  it('behaves as its series in core: the sublevel is for ports only', () => {
    expect(behaviour('6.12.107')).toBe(behaviour('6.12'));
  });

  it('is never a release of its own: the modelled releases are major.minor', () => {
    expect(modelledReleases().every((r) => /^\d+\.\d+$/.test(r))).toBe(true);
  });

  it('is read from a description', () => {
    const json = { ...JSON.parse(readFileSync(REAL, 'utf8')), kernel: '6.12.107' };
    const system = parseSystemJson(json, { origin: 'x', baseDir: dirname(REAL), registry: registryOf(ARCH_MODULES) });
    expect([system.kernel.version, system.kernel.sublevel]).toEqual(['6.12.107', 107]);
  });
});

describe('W3: one exclusion over two ranges, [0,99] and [100,199] minus [50,150]', () => {
  // A port with no hooks of its own: core's memblock-style crash memory, no low-1M cut, so the
  // worked example's numbers go through unchanged.
  const port: ArchPort = {
    id: 'w3',
    description: 'test port',
    machine: EM_RISCV,
    machineName: 'EM_RISCV',
    noteSize: 368n,
    defaults: { pageOffset: 0n, pageSize: 4096 },
  };
  const registry = new PluginRegistry([port]);
  const w3 = (kernel: string): SystemDescription =>
    parseSystemJson(
      {
        arch: 'w3',
        kernel,
        memory: {
          ranges: [
            ['0x0', '0x63'],
            ['0x64', '0xc7'],
          ],
        },
        crashkernel: ['0x32', '0x96'],
        cpus: { possible: '0' },
        crashNotes: { base: '0x1000', stride: '0x400' },
        vmcoreinfo: { address: '0x2000' },
      },
      { origin: 'w3', baseDir: here, registry },
    );
  const build = (kernel: string) => buildSystemElfcorehdr(w3(kernel), registry.get('w3'));

  it('6.12 (current algorithm) trims both: [0,49] and [151,199]', () => {
    expect(build('6.12').crashMemory.mem.ranges).toEqual([
      { start: 0n, end: 49n },
      { start: 151n, end: 199n },
    ]);
  });

  it('6.1 (old algorithm) stops after the first partial overlap: [0,49] and [100,199]', () => {
    expect(build('6.1').crashMemory.mem.ranges).toEqual([
      { start: 0n, end: 49n },
      { start: 100n, end: 199n },
    ]);
  });

  it('the headers differ only in the second PT_LOAD: its start and size', () => {
    const a = build('6.1').bytes;
    const b = build('6.12').bytes;
    const second = 64 + 56 * 3; // cpu 0, vmcoreinfo, first RAM
    const differing = [...a.keys()].filter((i) => a[i] !== b[i]);
    expect(differing.every((i) => i >= second + 8 && i < second + 48)).toBe(true);
    expect(loads(a)).toEqual([
      [0n, 49n],
      [100n, 199n],
    ]);
    expect(loads(b)).toEqual([
      [0n, 49n],
      [151n, 199n],
    ]);
  });

  it('changes at 6.8, where the rewrite landed (6dff31597264, mm-nonmm-stable-2024-01-09, 6.8-rc1)', () => {
    expect(build('6.7').bytes).toEqual(build('6.1').bytes);
    expect(build('6.8').bytes).toEqual(build('6.12').bytes);
    expect(build('6.8').bytes).not.toEqual(build('6.7').bytes);
  });

  describe('on x86, with the crash kernel across two System RAM lines (x86 never merges them)', () => {
    const machine = (kernel: string) =>
      x86System({
        kernel,
        ram: systemRam([0x1000_0000n, 0x1fff_ffffn], [0x2000_0000n, 0x2fff_ffffn]),
        crashkernel: { start: 0x1800_0000n, end: 0x27ff_ffffn },
      });

    it('6.1 leaves the second line whole, 6.12 trims its head', () => {
      expect(loads(buildSystemElfcorehdr(machine('6.1'), x86Plugin()).bytes).slice(1)).toEqual([
        [0x1000_0000n, 0x17ff_ffffn],
        [0x2000_0000n, 0x2fff_ffffn],
      ]);
      expect(loads(buildSystemElfcorehdr(machine('6.12'), x86Plugin()).bytes).slice(1)).toEqual([
        [0x1000_0000n, 0x17ff_ffffn],
        [0x2800_0000n, 0x2fff_ffffn],
      ]);
    });
  });
});

describe('W5 and W4: a split into a full array', () => {
  const exclude = (version: string, mem: CrashMem, start: bigint, end: bigint) => excludeWith(kernelProfile(version).excludeAlgorithm, mem, start, end);

  describe('[1,299], [401,1000], [1001,2000] with room for 3, minus [100,200] (W5)', () => {
    const mem: CrashMem = {
      maxNrRanges: 3,
      ranges: [
        { start: 1n, end: 299n },
        { start: 401n, end: 1000n },
        { start: 1001n, end: 2000n },
      ],
    };
    const before = structuredClone(mem);

    it('6.1 inserts anyway: nr 4 in an array of 3 — the kernel wrote past its end, with no error', () => {
      expect(kernelProfile('6.1').excludeAlgorithm).toBe('old');
      const r = excludeMemRangeOld(mem, 100n, 200n);
      expect(r).toMatchObject({ overran: true, enomem: false });
      expect(exclude('6.1', mem, 100n, 200n).ranges).toHaveLength(4);
    });

    it('6.12 refuses with E_RANGES_FULL and leaves the ranges as they were', () => {
      expect(code(() => exclude('6.12', mem, 100n, 200n))).toBe('E_RANGES_FULL');
      expect(mem).toEqual(before);
    });
  });

  describe('[100,199] with room for 1, minus [120,179] (W4, last row)', () => {
    const mem: CrashMem = { maxNrRanges: 1, ranges: [{ start: 100n, end: 199n }] };

    it('6.1 returns -ENOMEM because the split entry sits at index max − 1, having trimmed it already', () => {
      expect(excludeMemRangeOld(mem, 120n, 179n)).toEqual({ mem: { maxNrRanges: 1, ranges: [{ start: 100n, end: 119n }] }, enomem: true, overran: false });
      expect(code(() => exclude('6.1', mem, 120n, 179n))).toBe('E_RANGES_FULL');
    });

    it('6.12 returns -ENOMEM with nothing changed', () => {
      expect(code(() => exclude('6.12', mem, 120n, 179n))).toBe('E_RANGES_FULL');
      expect(mem.ranges).toEqual([{ start: 100n, end: 199n }]);
    });
  });

  it('[0,0x3efff], [0x3f000,0x3ffff], [0x40000,0x9ffff] minus [0,0xfffff] leaves nothing on both (W5, first row)', () => {
    const ranges = [
      [0n, 0x3efffn],
      [0x3f000n, 0x3ffffn],
      [0x40000n, 0x9ffffn],
    ].map(([start, end]) => ({ start: start!, end: end! }));
    const mem: CrashMem = { maxNrRanges: 3, ranges };
    for (const v of ['6.1', '6.12']) expect(exclude(v, mem, 0n, 0xfffffn).ranges).toEqual([]);
  });
});

describe('CPU notes: present (≤6.5) or possible (6.6+), §13.5', () => {
  // The real 6.1 guest, described with two more possible CPUs than present ones.
  const machine = (kernel: string) => loadSystemFile(REAL, registryOf(ARCH_MODULES), { kernel });
  const built = (kernel: string) => {
    const s = machine(kernel);
    return buildSystemElfcorehdr({ ...s, cpus: { possible: cpuIds(4), present: [0, 1], online: [0, 1] } }, x86Plugin());
  };

  it('6.1 writes 2 CPU notes, 6.12 writes 4', () => {
    const notes = (k: string) => decodeElfCoreHeader(built(k).bytes).phdrs.filter((p) => p.type === PT_NOTE).length - 1;
    expect(notes('6.1')).toBe(2);
    expect(notes('6.5')).toBe(2);
    expect(notes('6.6')).toBe(4);
    expect(notes('6.12')).toBe(4);
  });

  it('both size the buffer for the 4 possible CPUs', () => {
    expect(built('6.1').layout).toMatchObject({ phnum: 7, sizedPhnum: 9, size: 4096 });
    expect(built('6.12').layout).toMatchObject({ phnum: 9, sizedPhnum: 9, size: 4096 });
  });
});

describe('x86 crash_mem room: System RAM count + 2 up to 6.8, + 3 from 6.9 (§4.1)', () => {
  // The worst case: both reservations split the one RAM line; the low 1 MiB touches nothing.
  const machine = (kernel: string) =>
    x86System({
      kernel,
      ram: systemRam([0x10_0000n, 0xbfff_ffffn]),
      crashkernel: { start: 0x2000_0000n, end: 0x2fff_ffffn },
      crashkernelLow: { start: 0x800_0000n, end: 0xfff_ffffn },
    });
  const crash = (kernel: string) => buildSystemElfcorehdr(machine(kernel), x86Plugin());

  it('6.1 fills its 3 slots exactly: two splits, no -ENOMEM, no overrun', () => {
    const cm = crash('6.1').crashMemory.mem;
    expect(cm).toEqual({
      maxNrRanges: 3,
      ranges: [
        { start: 0x10_0000n, end: 0x7ff_ffffn },
        { start: 0x1000_0000n, end: 0x1fff_ffffn },
        { start: 0x3000_0000n, end: 0xbfff_ffffn },
      ],
    });
  });

  it('6.12 has a spare fourth slot, and writes the same bytes (max_nr_ranges is not in the header)', () => {
    const a = crash('6.12');
    expect(a.crashMemory.mem.maxNrRanges).toBe(4);
    expect(a.crashMemory.mem.ranges).toEqual(crash('6.1').crashMemory.mem.ranges);
    expect(a.bytes).toEqual(crash('6.1').bytes);
  });

  property.prop([fc.uniqueArray(fc.bigInt({ min: 0n, max: 0x20_0000n }), { minLength: 2, maxLength: 12 })])(
    '+2 is always enough: excluding the low 1 MiB never splits, whichever algorithm',
    (points) => {
      const sorted = [...points].sort((a, b) => (a < b ? -1 : 1));
      const ranges = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) ranges.push({ start: sorted[i]!, end: sorted[i + 1]! });
      const mem: CrashMem = { maxNrRanges: ranges.length, ranges };
      expect(excludeMemRangeOld(mem, 0n, 0xf_ffffn).mem.ranges.length).toBeLessThanOrEqual(ranges.length);
      expect(excludeWith('current', mem, 0n, 0xf_ffffn).ranges.length).toBeLessThanOrEqual(ranges.length);
    },
  );

  describe('had x86 reserved only + 1, the two algorithms would part ways on that machine', () => {
    const split = (algorithm: 'old' | 'current') => {
      let mem: CrashMem = { maxNrRanges: 2, ranges: [{ start: 0x10_0000n, end: 0xbfff_ffffn }] };
      mem = excludeWith(algorithm, mem, 0x2000_0000n, 0x2fff_ffffn);
      return { mem, old: excludeMemRangeOld(mem, 0x800_0000n, 0xfff_ffffn) };
    };

    it('the old one overruns silently: the split entry is at index 0, not max − 1, so its index check misses', () => {
      expect(split('old').old).toMatchObject({ enomem: false, overran: true });
    });

    it('the current one refuses the second split', () => {
      expect(code(() => excludeWith('current', split('current').mem, 0x800_0000n, 0xfff_ffffn))).toBe('E_RANGES_FULL');
    });
  });
});

describe('crash hot-plug by release (x86, NR_CPUS_DEFAULT 64, 8192 ranges)', () => {
  it.each([
    ['5.4', 'none', 0],
    ['6.5', 'none', 0],
    ['6.6', 'update-elfcorehdr', 462448],
    ['6.9', 'update-elfcorehdr', 462448],
    ['6.10', 'hotplug-support', 462448],
  ])('%s: %s, /sys/kernel/crash_elfcorehdr_size %i', (version, generation, sysfs) => {
    const system = x86System({ kernel: version });
    expect(system.kernel.hotplug).toBe(generation);
    expect(x86Plugin().sysfsElfcorehdrSize(system)).toBe(sysfs);
  });
});

describe('the `kernel` of a description, and --kernel over it', () => {
  const file = join(work, 'possible-4.json');
  // The real guest's description (kernel "6.1"), with CPUs 2-3 possible but not present.
  const real = JSON.parse(readFileSync(REAL, 'utf8')) as Record<string, unknown>;
  const memory = { iomem: join(dirname(REAL), 'proc-iomem.txt') };
  writeFileSync(file, JSON.stringify({ ...real, memory, cpus: { possible: '0-3', present: '0-1' } }));

  async function elfcorehdrJson(...args: string[]): Promise<{ kernel: string; programHeaders: { role: string }[] }> {
    let out = '';
    const program = new Command('crashplug').exitOverride();
    registerElfcorehdr(program, { registry: () => registryOf(ARCH_MODULES), out: (t) => void (out += t), answerIsBad: () => {} });
    await program.parseAsync(['node', 'crashplug', 'elfcorehdr', '--system', file, '--json', ...args]);
    return JSON.parse(out) as { kernel: string; programHeaders: { role: string }[] };
  }
  const cpuNotes = (j: { programHeaders: { role: string }[] }) => j.programHeaders.filter((p) => p.role === 'cpu-note').length;

  it('the description\'s "6.1" gives 2 CPU notes', async () => {
    const j = await elfcorehdrJson();
    expect([j.kernel, cpuNotes(j)]).toEqual(['6.1', 2]);
  });

  it('--kernel 6.12 overrides it: 4 CPU notes', async () => {
    const j = await elfcorehdrJson('--kernel', '6.12');
    expect([j.kernel, cpuNotes(j)]).toEqual(['6.12', 4]);
  });

  it('without a `kernel` the newest release is modelled', () => {
    const json = {
      arch: 'x86_64',
      memory: { ranges: [['0x100000', '0xbfffffff']] },
      cpus: { possible: '0' },
      crashNotes: { base: '0x1000', stride: '0x400' },
      vmcoreinfo: { address: '0x2000' },
    };
    expect(parseSystemJson(json, { origin: 'x', baseDir: here, registry: registryOf(ARCH_MODULES) }).kernel.version).toBe(NEWEST_KERNEL);
  });
});
