// Linux 6.17 … 7.3, per release and per kernel commit: crashkernel=…,cma cut out of the header
// (x86 6.17 ab475510e042's series, powerpc 6.19 b4a96ab50f36, arm64 7.3 c12c63d05dfe, riscv 7.3
// a037fe3c58ed), riscv's crashk_low_res (5fc6e7d45373, 7.3 and 6.12.110), the x86 low 1 MiB cut
// last by the shared builder (a8f09f2a7485, 7.3), the sysfs move (cf4340bdd967, 6.19) and the CMA
// export (aa0145563ce2, 6.19), and x86 keeping a removed DIMM in its header (no event on removal).

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test as property } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { x86CrashMemory, x86ExtraSlots, x86Module } from '../arch-x86/index.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { decodeElfCoreHeader, PT_LOAD } from '../core/elf/index.js';
import { headerLoadRanges, headerRamCoverage, MachineState, minusMerged, simulateHotplug, type TimedEvent } from '../core/hotplug/index.js';
import {
  CRASH_ELFCOREHDR_SIZE,
  SMALL_PAYLOAD,
  crashCmaRangesText,
  crashSysfs,
  KexecState,
  kexecSysfs,
  kexecSysfsLinks,
  parseCrashCmaRanges,
} from '../core/kexec/index.js';
import type { Range } from '../core/memory/index.js';
import { registryOf } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';
import { parseSystemJson } from '../api/system-file.js';
import { readHostSystem } from '../cli/host.js';
import { staleRamProblems as simulationProblems } from '../cli/commands/hotplug-run.js';
import { arm64Plugin, arm64System } from './fixtures/arm64/arm64-systems.js';
import { ppcPlugin, ppcSystem } from './fixtures/powerpc/systems.js';
import { riscvPlugin, riscvSystem } from './fixtures/riscv64/riscv-systems.js';
import { crashplugErrorOf as errorOf } from './support/errors.js';
import { systemRam, x86Plugin, x86System } from './support/systems.js';

const GiB = 1n << 30n;

function loads(bytes: Uint8Array): [bigint, bigint][] {
  return decodeElfCoreHeader(bytes)
    .phdrs.filter((p) => p.type === PT_LOAD)
    .map((p) => [p.paddr, p.paddr + p.memsz - 1n]);
}

/** True when some memory PT_LOAD overlaps `r`. */
function dumps(bytes: Uint8Array, r: Range): boolean {
  return loads(bytes).some(([s, e]) => s <= r.end && r.start <= e);
}

describe('crashkernel=…,cma on x86 ("x86: implement crashkernel cma reservation", 6.17)', () => {
  // 4 GiB of RAM from 1 MiB, the crash kernel at 32 MiB, two CMA ranges high up.
  const cma: Range[] = [
    { start: 0x1_0000_0000n, end: 0x1_0c7f_ffffn },
    { start: 0x1_2000_0000n, end: 0x1_2fff_ffffn },
  ];
  const machine = (kernel: string) => x86System({ kernel, ram: systemRam([0x10_0000n, 0x7fff_ffffn], [0x1_0000_0000n, 0x1_7fff_ffffn]), crashkernelCma: cma });

  it('6.16 dumps the CMA ranges; 6.17 cuts both out after crashk_res', () => {
    const old = buildSystemElfcorehdr(machine('6.16'), x86Plugin()).bytes;
    const now = buildSystemElfcorehdr(machine('6.17'), x86Plugin()).bytes;
    for (const r of cma) {
      expect(dumps(old, r)).toBe(true);
      expect(dumps(now, r)).toBe(false);
    }
    // The worked result: [1M, crashk−1], [crashk end+1, 2G−1], then RAM at 4G with two holes.
    expect(loads(now).slice(1)).toEqual([
      [0x10_0000n, 0x1ff_ffffn],
      [0x1200_0000n, 0x7fff_ffffn],
      [0x1_0c80_0000n, 0x1_1fff_ffffn],
      [0x1_3000_0000n, 0x1_7fff_ffffn],
    ]);
  });

  it('grows nr_ranges by crashk_cma_cnt from 6.17 (3 + cma + System RAM)', () => {
    expect(x86ExtraSlots(machine('6.16'))).toBe(3);
    expect(x86ExtraSlots(machine('6.17'))).toBe(5);
    expect(x86CrashMemory(machine('6.17')).mem.maxNrRanges).toBe(2 + 5);
  });

  it('four CMA ranges each splitting a range fit: the four extra slots are what they need', () => {
    const four: Range[] = [0n, 1n, 2n, 3n].map((i) => ({
      start: 0x1_0000_0000n + i * 0x1000_0000n + 0x100_0000n,
      end: 0x1_0000_0000n + i * 0x1000_0000n + 0x1ff_ffffn,
    }));
    const s = x86System({ kernel: '6.17', ram: systemRam([0x10_0000n, 0x7fff_ffffn], [0x1_0000_0000n, 0x1_7fff_ffffn]), crashkernelCma: four });
    expect(loads(buildSystemElfcorehdr(s, x86Plugin()).bytes)).toHaveLength(1 + 2 + 5);
  });

  it('kexec-tools does not cut them (its builder is unchanged)', async () => {
    const { buildKexecToolsElfcorehdr } = await import('../core/kexec/index.js');
    const kt = buildKexecToolsElfcorehdr({ ...machine('7.3'), builder: 'kexec-tools' }, x86Plugin()).bytes;
    for (const r of cma) expect(dumps(kt, r)).toBe(true);
  });
});

describe('the shared builder: x86 cuts the low 1 MiB last from 7.3 (a8f09f2a7485), with the same bytes', () => {
  const build = (s: SystemDescription) => buildSystemElfcorehdr(s, x86Plugin()).bytes;
  it('names the cut order in the report: first up to 7.2, last from 7.3', () => {
    const names = (k: string) => x86CrashMemory(x86System({ kernel: k, crashkernelLow: { start: 0x8_0000n, end: 0x1f_ffffn } })).excluded.map((e) => e.name);
    expect(names('7.2')).toEqual(['low 1M', 'crashkernel', 'crashkernelLow']);
    expect(names('7.3')).toEqual(['crashkernel', 'crashkernelLow', 'low 1M']);
  });

  it('a crashkernel,low reservation straddling 1 MiB, inside a RAM range from 0: the order could matter, the bytes do not change', () => {
    // [0, 0x9fbff] and [0x100000, 2G): crashk_low_res [0x80000, 0x2fffff] overlaps both the low 1 MiB and
    // the second range; cut first or last, the set difference is the same.
    const s = (k: string) =>
      x86System({
        kernel: k,
        ram: systemRam([0x0n, 0x9_fbffn], [0x10_0000n, 0x7fff_ffffn]),
        crashkernelLow: { start: 0x8_0000n, end: 0x2f_ffffn },
        crashkernelCma: [{ start: 0x4000_0000n, end: 0x40ff_ffffn }],
      });
    expect(build(s('7.3'))).toEqual(build(s('7.2')));
    expect(loads(build(s('7.3'))).slice(1)).toEqual([
      [0x30_0000n, 0x1ff_ffffn],
      [0x1200_0000n, 0x3fff_ffffn],
      [0x4100_0000n, 0x7fff_ffffn],
    ]);
  });

  property.prop(
    [
      fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 0x3fffn }), fc.bigInt({ min: 1n, max: 0x400n })), { minLength: 1, maxLength: 12 }),
      fc.bigInt({ min: 0n, max: 0x4000n }),
      fc.bigInt({ min: 1n, max: 0x800n }),
      fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 0x4000n }), fc.bigInt({ min: 1n, max: 0x100n })), { maxLength: 4 }),
    ],
    { numRuns: 60 },
  )('7.2 and 7.3 build the same bytes for any machine (4 KiB units)', (raw, ckStart, ckSize, rawCma) => {
    const page = 0x1000n;
    const ram: [bigint, bigint][] = [];
    let at = 0n;
    for (const [gap, size] of raw) {
      const start = at + gap * page;
      ram.push([start, start + size * page - 1n]);
      at = start + size * page + page;
    }
    const crashkernel = { start: ckStart * page, end: (ckStart + ckSize) * page - 1n };
    const cma: Range[] = [];
    for (const [s, n] of rawCma) {
      const r = { start: s * page + 0x1_0000_0000n, end: (s + n) * page + 0x1_0000_0000n - 1n };
      if (!cma.some((c) => c.start <= r.end && r.start <= c.end)) cma.push(r);
    }
    const s = (k: string) => x86System({ kernel: k, ram: systemRam(...ram), crashkernel, crashkernelCma: cma });
    expect(build(s('7.3'))).toEqual(build(s('7.2')));
  });
});

describe('powerpc cuts CMA from 6.19 ("powerpc/kdump: Add support for crashkernel CMA reservation" b4a96ab50f36)', () => {
  const cma: Range = { start: 0x1_2000_0000n, end: 0x1_27ff_ffffn };
  const build = (kernel: string) => buildSystemElfcorehdr(ppcSystem({ kernel, crashkernelCma: [cma] }), ppcPlugin()).bytes;
  it('6.18 dumps it, 6.19 and 7.3 do not', () => {
    expect(dumps(build('6.18'), cma)).toBe(true);
    expect(dumps(build('6.19'), cma)).toBe(false);
    expect(dumps(build('7.3'), cma)).toBe(false);
  });
});

describe('arm64 and riscv cut CMA from 7.3 (c12c63d05dfe, a037fe3c58ed)', () => {
  it('arm64: 7.2 dumps it, 7.3 cuts it with one more slot', () => {
    const base = arm64System();
    const top = base.memory.systemRam.at(-1)!;
    const cma: Range = { start: top.end - 0xfff_ffffn, end: top.end - 0x7ff_ffffn };
    const s = (kernel: string) => arm64System({ kernel, crashkernelCma: [cma] });
    expect(dumps(buildSystemElfcorehdr(s('7.2'), arm64Plugin()).bytes, cma)).toBe(true);
    expect(dumps(buildSystemElfcorehdr(s('7.3'), arm64Plugin()).bytes, cma)).toBe(false);
    expect(arm64Plugin().crashMemory(s('7.3')).mem.maxNrRanges).toBe(base.memory.systemRam.length + 2 + 1);
  });

  it('riscv: 7.2 dumps it, 7.3 cuts it', () => {
    // Below the 512 MiB crashkernel at 0x1_5fe0_0000, in the one RAM range.
    const cma: Range = { start: 0x1_0000_0000n, end: 0x1_07ff_ffffn };
    const s = (kernel: string) => riscvSystem({ kernel, crashkernelCma: [cma] });
    expect(dumps(buildSystemElfcorehdr(s('7.2'), riscvPlugin()).bytes, cma)).toBe(true);
    expect(dumps(buildSystemElfcorehdr(s('7.3'), riscvPlugin()).bytes, cma)).toBe(false);
  });
});

describe('riscv cuts crashk_low_res from 7.3 and 6.12.110 ("riscv: kexec_file: Fix crashk_low_res not exclude bug" 5fc6e7d45373)', () => {
  const ram = riscvSystem().memory.systemRam;
  const first = ram[0]!;
  const low: Range = { start: first.start + 0x400_0000n, end: first.start + 0x7ff_ffffn };
  const s = (kernel: string) => riscvSystem({ kernel, crashkernelLow: low });
  it.each([
    ['6.12', true],
    ['6.12.109', true],
    ['6.12.110', false],
    ['7.2', true],
    ['7.3', false],
  ] as const)('%s dumps the ,low reservation: %s', (kernel, dumped) => {
    expect(dumps(buildSystemElfcorehdr(s(kernel), riscvPlugin()).bytes, low)).toBe(dumped);
  });

  it('has two spare slots with the fix, one before', () => {
    expect(riscvPlugin().crashMemory(s('7.2')).mem.maxNrRanges).toBe(ram.length + 1);
    expect(riscvPlugin().crashMemory(s('7.3')).mem.maxNrRanges).toBe(ram.length + 2);
  });
});

describe('the crashkernelCma field of a description', () => {
  const registry = registryOf([x86Module]);
  const json = (cma: unknown, extra: object = {}) => ({
    arch: 'x86_64',
    memory: { ranges: [['0x100000', '0x1ffffffff']] },
    cpus: { possible: '0-1' },
    crashNotes: { base: '0x1000000', stride: '0x1000' },
    vmcoreinfo: { address: '0x2000000' },
    crashkernel: ['0x10000000', '0x1fffffff'],
    crashkernelCma: cma,
    ...extra,
  });
  const parse = (j: unknown) => parseSystemJson(j, { origin: 'sys.json', baseDir: '/', registry });

  it('reads inclusive ranges in the given order', () => {
    expect(
      parse(
        json([
          ['0x180000000', '0x18fffffff'],
          ['0x100000000', '0x10c7fffff'],
        ]),
      ).crashkernelCma,
    ).toEqual([
      { start: 0x1_8000_0000n, end: 0x1_8fff_ffffn },
      { start: 0x1_0000_0000n, end: 0x1_0c7f_ffffn },
    ]);
  });

  it.each([
    [
      'five ranges (CRASHKERNEL_CMA_RANGES_MAX is 4)',
      [1, 2, 3, 4, 5].map((i) => [`0x${i}00000000`, `0x${i}0fffffff`]),
      'at most CRASHKERNEL_CMA_RANGES_MAX = 4',
    ],
    [
      'two overlapping ranges',
      [
        ['0x100000000', '0x10fffffff'],
        ['0x10f000000', '0x11fffffff'],
      ],
      'overlaps crashkernelCma[0]',
    ],
    ['a range overlapping crashkernel', [['0x1f000000', '0x2fffffff']], 'overlaps crashkernel'],
    ['not an array', '0x100000000', 'expected an array of ranges'],
    ['an inverted range', [['0x200000000', '0x100000000']], 'is above end'],
  ])('refuses %s with E_BAD_SYSTEM', (_what, cma, message) => {
    const e = errorOf(() => parse(json(cma)));
    expect(e?.code).toBe('E_BAD_SYSTEM');
    expect(e?.message).toContain(message);
    expect(e?.message).toContain('$.crashkernelCma');
  });
});

describe('the sysfs move (cf4340bdd967, 6.19) and crash_cma_ranges (aa0145563ce2, 6.19)', () => {
  const cma: Range[] = [{ start: 0x1_0000_0000n, end: 0x1_0c7f_ffffn }];

  it('writes crash_cma_ranges as "%08llx-%08llx\\n" and reads it back', () => {
    expect(crashCmaRangesText(cma)).toBe('100000000-10c7fffff\n');
    expect(crashCmaRangesText([{ start: 0x10_0000n, end: 0x1f_ffffn }])).toBe('00100000-001fffff\n');
    expect(parseCrashCmaRanges('100000000-10c7fffff\n00100000-001fffff\n', 'f')).toEqual([...cma, { start: 0x10_0000n, end: 0x1f_ffffn }]);
    expect(parseCrashCmaRanges('', 'f')).toEqual([]);
    expect(errorOf(() => parseCrashCmaRanges('100000000:10c7fffff\n', 'f'))?.code).toBe('E_BAD_SYSTEM');
  });

  it('6.18 has the flat files only; 6.19 has /sys/kernel/kexec/ and the old names as links', () => {
    const kexec = new KexecState({ start: 0x200_0000n, end: 0x11ff_ffffn });
    const old = kexecSysfs(kexec, x86System({ kernel: '6.18', crashkernelCma: cma }), x86Plugin());
    expect(Object.keys(old).sort()).toEqual([
      '/sys/kernel/crash_elfcorehdr_size',
      '/sys/kernel/kexec_crash_loaded',
      '/sys/kernel/kexec_crash_size',
      '/sys/kernel/kexec_loaded',
    ]);
    const now = kexecSysfs(kexec, x86System({ kernel: '6.19', crashkernelCma: cma }), x86Plugin());
    expect(now['/sys/kernel/kexec/crash_cma_ranges']).toBe('100000000-10c7fffff\n');
    expect(now['/sys/kernel/kexec_crash_cma_ranges']).toBe('100000000-10c7fffff\n');
    expect(now['/sys/kernel/kexec/crash_size']).toBe(`${0x1000_0000}\n`);
    expect(now['/sys/kernel/kexec/crash_loaded']).toBe('0\n');
    expect(now['/sys/kernel/kexec/crash_elfcorehdr_size']).toBe(now[CRASH_ELFCOREHDR_SIZE]);
    expect(kexecSysfsLinks(x86System({ kernel: '6.19' }), x86Plugin())).toEqual({
      '/sys/kernel/kexec_loaded': '/sys/kernel/kexec/loaded',
      '/sys/kernel/kexec_crash_loaded': '/sys/kernel/kexec/crash_loaded',
      '/sys/kernel/kexec_crash_size': '/sys/kernel/kexec/crash_size',
      '/sys/kernel/kexec_crash_cma_ranges': '/sys/kernel/kexec/crash_cma_ranges',
      '/sys/kernel/crash_elfcorehdr_size': '/sys/kernel/kexec/crash_elfcorehdr_size',
    });
    expect(kexecSysfsLinks(x86System({ kernel: '6.18' }), x86Plugin())).toEqual({});
    expect(crashSysfs(kexec, x86System({ kernel: '6.19' }), x86Plugin())['/sys/kernel/kexec/crash_elfcorehdr_size']).toBeDefined();
  });

  it('has no crash_elfcorehdr_size without CONFIG_CRASH_HOTPLUG, in either place', () => {
    const kexec = new KexecState({ start: 0x200_0000n, end: 0x11ff_ffffn });
    const files = kexecSysfs(kexec, x86System({ kernel: '6.19', config: { crashHotplug: false } }), x86Plugin());
    expect(files['/sys/kernel/kexec/crash_elfcorehdr_size']).toBeUndefined();
    expect(files[CRASH_ELFCOREHDR_SIZE]).toBeUndefined();
  });
});

describe('--host reads crash_cma_ranges, new path first', () => {
  const root = mkdtempSync(join(tmpdir(), 'crashplug-host-cma-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const registry = registryOf([x86Module]);
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  write('proc/iomem', '00100000-bfffffff : System RAM\n  02000000-11ffffff : Crash kernel\n100000000-1ffffffff : System RAM\n');
  write('sys/devices/system/cpu/possible', '0-1\n');
  write('sys/kernel/vmcoreinfo', '2000000 1024\n');
  const host = () => readHostSystem(registry, { root, nodeArch: 'x64', endianness: 'LE', release: '7.3.0' });

  it('says in the assumptions when neither file exists (before 6.19)', () => {
    const h = host();
    expect(h.system.crashkernelCma).toBeUndefined();
    expect(h.assumptions.some((a) => a.includes('no crash_cma_ranges'))).toBe(true);
  });

  it('takes the old name (the compatibility link) when only it is there, and /sys/kernel/kexec/ over it', () => {
    write('sys/kernel/kexec_crash_cma_ranges', '180000000-18fffffff\n');
    expect(host().system.crashkernelCma).toEqual([{ start: 0x1_8000_0000n, end: 0x1_8fff_ffffn }]);
    write('sys/kernel/kexec/crash_cma_ranges', '100000000-10c7fffff\n');
    const h = host();
    expect(h.system.crashkernelCma).toEqual([{ start: 0x1_0000_0000n, end: 0x1_0c7f_ffffn }]);
    expect(h.read.some((r) => r.includes('/sys/kernel/kexec/crash_cma_ranges'))).toBe(true);
    // The header built for the host then leaves the CMA range out.
    expect(dumps(buildSystemElfcorehdr(h.system, x86Plugin()).bytes, { start: 0x1_0000_0000n, end: 0x1_0c7f_ffffn })).toBe(false);
  });
});

describe('x86: a DIMM offlined, then removed (MEM_OFFLINE → REMOVE_MEMORY; remove_memory sends no event)', () => {
  const DIMM = { start: 0x1_0000_0000n, size: GiB };
  const BLOCK = 128n << 20n;
  const blocks = (action: 'online' | 'offline', batch: number, at: number): TimedEvent[] =>
    [...Array(8).keys()].map((j) => ({
      event: { kind: 'memory', action, start: DIMM.start + BigInt(j) * BLOCK, size: BLOCK },
      atMs: at + j,
      batch,
    }));
  const system = x86System({ kernel: '7.3', ram: systemRam([0x10_0000n, 0xbfff_ffffn]) });
  const add: TimedEvent[] = [{ event: { kind: 'dimm-add', ...DIMM }, atMs: 0, batch: 0 }, ...blocks('online', 0, 1)];
  const offline = blocks('offline', 1, 100);
  const remove: TimedEvent = { event: { kind: 'dimm-remove', ...DIMM }, atMs: 200, batch: 2 };
  const run = (events: readonly TimedEvent[]) => simulateHotplug(system, x86Plugin(), events, { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD });

  it('after offline the rebuilt header still lists the DIMM: its bytes equal those before the offline', () => {
    const online = run(add);
    const off = run([...add, ...offline]);
    expect(off.metrics.updates.length).toBe(online.metrics.updates.length + 8); // eight REMOVE_MEMORY rebuilds
    expect(off.installedHeader).toEqual(online.installedHeader);
    expect(loads(off.installedHeader!)).toContainEqual([DIMM.start, DIMM.start + DIMM.size - 1n]);
    expect(off.summary.staleRam).toEqual([]);
  });

  it('after removal nothing rewrites it: the summary reports the DIMM as stale RAM, a bad answer', () => {
    const r = run([...add, ...offline, remove]);
    expect(r.summary.staleRam).toEqual([['0x100000000', '0x13fffffff']]);
    expect(r.summary.missingRam).toEqual([]);
    expect(r.summary.finalHeaderMatchesFresh).toBe(false);
    expect(simulationProblems(r.summary)).toEqual([
      'the installed elfcorehdr still lists [0x100000000, 0x13fffffff], which the machine no longer has: a dump would read removed memory',
    ]);
  });

  it('the next memory event of any block rebuilds it without the DIMM', () => {
    const boot: TimedEvent[] = [{ event: { kind: 'memory', action: 'offline', start: 0x8000_0000n, size: BLOCK }, atMs: 300, batch: 3 }];
    const r = run([...add, ...offline, remove, ...boot]);
    expect(r.summary.staleRam).toEqual([]);
    expect(r.summary.finalHeaderMatchesFresh).toBe(true);
  });

  it('headerRamCoverage finds what a header misses, too, and coverage of a fresh header is empty', () => {
    const grown = MachineState.boot(system, BLOCK, 'iomem').apply(add[0]!.event);
    const old = buildSystemElfcorehdr(system, x86Plugin()).bytes;
    expect(headerRamCoverage(old, grown.system, x86Plugin())).toEqual({ staleRam: [], missingRam: [{ start: DIMM.start, end: DIMM.start + DIMM.size - 1n }] });
    const fresh = buildSystemElfcorehdr(grown.system, x86Plugin()).bytes;
    expect(headerRamCoverage(fresh, grown.system, x86Plugin())).toEqual({ staleRam: [], missingRam: [] });
    expect(headerLoadRanges(fresh).length).toBeGreaterThan(0);
  });

  it('powerpc cuts the block at MEM_OFFLINE, so a one-block DIMM (an LMB) offlined and removed leaves nothing stale; x86 keeps it', () => {
    const lmb = (top: bigint): TimedEvent[] => [
      { event: { kind: 'dimm-add', start: top, size: BLOCK }, atMs: 0, batch: 0 },
      { event: { kind: 'memory', action: 'online', start: top, size: BLOCK }, atMs: 1, batch: 0 },
      { event: { kind: 'memory', action: 'offline', start: top, size: BLOCK }, atMs: 2, batch: 1 },
      { event: { kind: 'dimm-remove', start: top, size: BLOCK }, atMs: 3, batch: 2 },
    ];
    const ppc = ppcSystem({ kernel: '7.3' });
    const ppcRun = simulateHotplug(ppc, ppcPlugin(), lmb(0x1_4000_0000n), { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD });
    expect(ppcRun.summary.staleRam).toEqual([]);
    const x86Run = run(lmb(0x1_0000_0000n));
    expect(x86Run.summary.staleRam).toEqual([['0x100000000', '0x107ffffff']]);
  });
});

describe('minusMerged', () => {
  property.prop([fc.array(fc.tuple(fc.nat(200), fc.nat(20))), fc.array(fc.tuple(fc.nat(200), fc.nat(20)))])('is the set difference, byte by byte', (a, b) => {
    const toRanges = (xs: [number, number][]) => xs.map(([s, n]) => ({ start: BigInt(s), end: BigInt(s + n) }));
    const merge = (rs: Range[]) => {
      const set = new Set<number>();
      for (const r of rs) for (let x = Number(r.start); x <= Number(r.end); x++) set.add(x);
      return set;
    };
    const { mergeRanges } = { mergeRanges: (rs: Range[]) => [...merge(rs)].sort((x, y) => x - y) };
    const A = toRanges(a);
    const B = toRanges(b);
    const sortedMerged = (rs: Range[]) => {
      const pts = mergeRanges(rs);
      const out: Range[] = [];
      for (const p of pts) {
        const last = out.at(-1);
        if (last !== undefined && last.end + 1n === BigInt(p)) out[out.length - 1] = { start: last.start, end: BigInt(p) };
        else out.push({ start: BigInt(p), end: BigInt(p) });
      }
      return out;
    };
    const got = merge(minusMerged(sortedMerged(A), sortedMerged(B)));
    const want = new Set([...merge(A)].filter((x) => !merge(B).has(x)));
    expect([...got].sort((x, y) => x - y)).toEqual([...want].sort((x, y) => x - y));
  });
});
