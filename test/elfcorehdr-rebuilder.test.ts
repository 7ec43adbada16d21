// The hot-plug rebuilder (core/build/elfcorehdr-rebuilder.ts) against the full build: over random
// sequences of RAM ranges added and removed, every header it gives is byte for byte what
// buildSystemElfcorehdr gives for the same machine — on x86 and arm64 through the general patch
// (ranges compared front and back), and on x86 through MachineState's record of DIMMs arriving at
// and leaving the top of RAM. It must also really take those paths, and fall back to a full build
// whenever it cannot know (a port that fixes the header up, another kernel, a hole the DIMM touches).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr, ElfcorehdrRebuilder, ramChangeSince } from '../core/build/index.js';
import { CrashplugError } from '../core/base/index.js';
import { MachineState } from '../core/hotplug/index.js';
import type { NamedRange } from '../core/memory/index.js';
import type { ArchPlugin } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';
import { arm64Plugin, arm64System } from './fixtures/arm64/arm64-systems.js';
import { sparseRam, x86Plugin, x86System } from './support/systems.js';

const G = 1n << 30n;
const BLOCK = 128n << 20n;
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

function fullBuild(system: SystemDescription, plugin: ArchPlugin): Uint8Array {
  return buildSystemElfcorehdr(system, plugin).bytes;
}

function withRam(system: SystemDescription, systemRam: readonly NamedRange[]): SystemDescription {
  return { ...system, memory: { ...system.memory, systemRam } };
}

function topOf(system: SystemDescription): bigint {
  return system.memory.systemRam.reduce((top, r) => (r.end + 1n > top ? r.end + 1n : top), 0n);
}

/** 24 slots of 128 MiB above the machine's RAM, 256 MiB apart: a step picks which are present. */
function slotsAbove(system: SystemDescription): NamedRange[] {
  return sparseRam(24, (topOf(system) + G) & ~(G - 1n), 0x800_0000n, 0x800_0000n);
}

const ports: readonly { readonly name: string; readonly system: SystemDescription; readonly plugin: ArchPlugin }[] = [
  { name: 'x86_64', system: x86System({ cpus: { possible: [0, 1, 2, 3, 4, 5], present: [0, 1, 2, 3] } }), plugin: x86Plugin() },
  { name: 'arm64', system: arm64System(), plugin: arm64Plugin() },
];

describe('ElfcorehdrRebuilder: the general patch', () => {
  for (const { name, system, plugin } of ports) {
    it(`${name}: every rebuild over random adds and removes is the full build's bytes`, () => {
      const slots = slotsAbove(system);
      let patched = 0;
      fc.assert(
        fc.property(fc.array(fc.array(fc.boolean(), { minLength: slots.length, maxLength: slots.length }), { minLength: 1, maxLength: 12 }), (steps) => {
          const r = new ElfcorehdrRebuilder();
          for (const present of steps) {
            const s = withRam(system, [...system.memory.systemRam, ...slots.filter((_, i) => present[i])]);
            const built = r.build(s, plugin);
            if (!same(built.bytes, fullBuild(s, plugin))) return false;
            expect(built.layout.size).toBe(built.bytes.length);
          }
          patched += r.stats.patched;
          return r.stats.full === 1 && r.stats.patched === steps.length - 1;
        }),
        { numRuns: 60 },
      );
      expect(patched).toBeGreaterThan(0);
    });
  }

  it('a header that shrinks leaves no trace of the longer one (a fresh full build of a smaller machine agrees)', () => {
    const { system, plugin } = ports[0]!;
    const big = withRam(system, [...system.memory.systemRam, ...sparseRam(200, 0x10_0000_0000n)]);
    const small = withRam(system, [...system.memory.systemRam, ...sparseRam(3, 0x10_0000_0000n)]);
    const r = new ElfcorehdrRebuilder();
    r.build(big, plugin);
    const again = r.build(small, plugin);
    expect(same(again.bytes, fullBuild(small, plugin))).toBe(true);
    // Growing again over bytes the small one zeroed.
    expect(same(r.build(big, plugin).bytes, fullBuild(big, plugin))).toBe(true);
    expect(r.stats).toEqual({ full: 1, patched: 2, fromRam: 0 });
  });

  it('builds in full whenever more than RAM changed: another kernel, other crash notes, a port that fixes the header up', () => {
    const { system, plugin } = ports[0]!;
    const r = new ElfcorehdrRebuilder();
    r.build(system, plugin);
    const otherKernel = x86System({ cpus: { possible: [0, 1, 2, 3, 4, 5], present: [0, 1, 2, 3] }, kernel: '6.12' });
    expect(same(r.build(otherKernel, plugin).bytes, fullBuild(otherKernel, plugin))).toBe(true);
    const notes = { ...otherKernel, crashNotes: { kind: 'stride' as const, base: 0xbf00_0000n, stride: 0x1000n } };
    expect(same(r.build(notes, plugin).bytes, fullBuild(notes, plugin))).toBe(true);
    expect(r.stats).toEqual({ full: 3, patched: 0, fromRam: 0 });
    // A fix-up the rebuilder cannot see into: every build is full, and still the fix-up's bytes.
    const fixing: ArchPlugin = {
      ...plugin,
      fixupElfcorehdr: (bytes) => {
        bytes[70] = (bytes[70] ?? 0) ^ 0xff;
      },
    };
    const f = new ElfcorehdrRebuilder();
    for (const n of [0, 2, 1]) {
      const s = withRam(system, [...system.memory.systemRam, ...sparseRam(n, 0x10_0000_0000n)]);
      expect(same(f.build(s, fixing).bytes, fullBuild(s, fixing))).toBe(true);
    }
    expect(f.stats).toEqual({ full: 3, patched: 0, fromRam: 0 });
  });

  it('too many program headers: the writer refuses as the full build does, and the next build starts afresh', () => {
    const { system, plugin } = ports[0]!;
    const r = new ElfcorehdrRebuilder();
    r.build(system, plugin);
    const huge = withRam(system, [...system.memory.systemRam, ...sparseRam(70_000, 0x10_0000_0000n, 0x1000n, 0x1000n)]);
    let full: unknown;
    try {
      fullBuild(huge, plugin);
    } catch (err) {
      full = err;
    }
    expect(CrashplugError.is(full) && full.code).toBe('E_TOO_MANY_PHDRS');
    expect(() => r.build(huge, plugin)).toThrow((full as Error).message);
    const after = withRam(system, [...system.memory.systemRam, ...sparseRam(2, 0x10_0000_0000n)]);
    expect(same(r.build(after, plugin).bytes, fullBuild(after, plugin))).toBe(true);
    expect(r.stats.patched).toBe(0);
  });
});

type Step = { readonly t: 'add'; readonly gib: number } | { readonly t: 'remove' } | { readonly t: 'cpu'; readonly pick: number } | { readonly t: 'build' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constant('add' as const), gib: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('remove' as const) }),
  fc.record({ t: fc.constant('cpu' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('build' as const) }),
);

/** Walk the steps through MachineState, building with the x86 hint at each 'build'; false on the first difference. */
function walk(system: SystemDescription, steps: readonly Step[], r: ElfcorehdrRebuilder, plugin: ArchPlugin = x86Plugin()): boolean {
  let m = MachineState.boot(system, BLOCK, plugin.ramWalk);
  const dimms: { start: bigint; size: bigint }[] = [];
  for (const s of [{ t: 'build' } as Step, ...steps, { t: 'build' } as Step]) {
    if (s.t === 'add') {
      const size = BigInt(s.gib) * G;
      const start = (m.ramTop + G - 1n) & ~(G - 1n);
      m = m.apply({ kind: 'dimm-add', start, size });
      dimms.push({ start, size });
    } else if (s.t === 'remove') {
      const top = dimms.pop();
      if (top !== undefined) m = m.apply({ kind: 'dimm-remove', ...top });
    } else if (s.t === 'cpu') {
      const cpus = m.system.cpus;
      const cpu = cpus.possible[s.pick % cpus.possible.length]!;
      const online = cpus.online.includes(cpu);
      if (!(online && cpus.online.length === 1)) m = m.apply({ kind: 'cpu', action: online ? 'offline' : 'online', cpu });
    } else {
      const built = r.build(m.system, plugin, plugin, { ramLessHoles: true });
      if (!same(built.bytes, fullBuild(m.system, plugin))) return false;
    }
  }
  return true;
}

describe('ElfcorehdrRebuilder: DIMMs at the top of RAM (x86, MachineState)', () => {
  const cpus = { possible: [0, 1, 2, 3, 4, 5], present: [0, 1, 2, 3] };
  const steps = fc.array(step, { minLength: 1, maxLength: 30 });

  it('every rebuild is the full build, and most are one PT_LOAD more or fewer', () => {
    let fromRam = 0;
    fc.assert(
      fc.property(steps, (s) => {
        const r = new ElfcorehdrRebuilder();
        const ok = walk(x86System({ cpus }), s, r);
        fromRam += r.stats.fromRam;
        return ok && r.stats.full === 1;
      }),
      { numRuns: 80 },
    );
    expect(fromRam).toBeGreaterThan(0);
  });

  it('a DIMM that a hole cuts (a CMA range up there) is built in full, and right', () => {
    const system = x86System({ cpus });
    const top = (topOf(system) + G - 1n) & ~(G - 1n);
    const cma = x86System({ cpus, crashkernelCma: [{ start: top + 2n * G + 0x100_0000n, end: top + 2n * G + 0x1ff_ffffn }] });
    fc.assert(
      fc.property(steps, (s) => walk(cma, s, new ElfcorehdrRebuilder())),
      { numRuns: 60 },
    );
    const r = new ElfcorehdrRebuilder();
    // Three 1 GiB DIMMs: the third holds the CMA range.
    expect(walk(cma, [{ t: 'add', gib: 1 }, { t: 'build' }, { t: 'add', gib: 1 }, { t: 'build' }, { t: 'add', gib: 1 }], r)).toBe(true);
    expect(r.stats).toEqual({ full: 2, patched: 0, fromRam: 2 });
  });

  it('a port whose crash memory is not RAM less holes (the ranges reversed) is never patched from the RAM record, hint or not', () => {
    const x86 = x86Plugin();
    const reversed: ArchPlugin = {
      ...x86,
      crashMemory: (s) => {
        const m = x86.crashMemory(s);
        return { ...m, mem: { ...m.mem, ranges: [...m.mem.ranges].reverse() } };
      },
    };
    fc.assert(
      fc.property(steps, (s) => {
        const r = new ElfcorehdrRebuilder();
        return walk(x86System({ cpus }), s, r, reversed) && r.stats.fromRam === 0;
      }),
      { numRuns: 40 },
    );
  });

  it('kernels with the old exclusion (6.6, 6.7) never patch from the RAM record: the crash memory is made every time', () => {
    fc.assert(
      fc.property(steps, (s) => {
        const r = new ElfcorehdrRebuilder();
        return walk(x86System({ cpus, kernel: '6.7' }), s, r) && r.stats.fromRam === 0;
      }),
      { numRuns: 30 },
    );
  });
});

describe('MachineState shares System RAM between states without changing any', () => {
  it('a state keeps its RAM when later ones grow, shrink or branch from it', () => {
    const system = x86System();
    const boot = MachineState.boot(system, BLOCK);
    const before = [...system.memory.systemRam];
    const top = (boot.ramTop + G - 1n) & ~(G - 1n);
    const a = boot.apply({ kind: 'dimm-add', start: top, size: G });
    const b = a.apply({ kind: 'dimm-add', start: top + G, size: G });
    // Branches from a: one that adds elsewhere, one that takes a's DIMM away again.
    const c = a.apply({ kind: 'dimm-add', start: top + 4n * G, size: G });
    const d = a.apply({ kind: 'dimm-remove', start: top, size: G });
    const e = d.apply({ kind: 'dimm-add', start: top + 8n * G, size: G });
    expect(system.memory.systemRam).toEqual(before);
    const ends = (m: MachineState) => m.system.memory.systemRam.map((r) => r.end);
    expect(ends(a)).toEqual([...before.map((r) => r.end), top + G - 1n]);
    expect(ends(b)).toEqual([...ends(a), top + 2n * G - 1n]);
    expect(ends(c)).toEqual([...ends(a), top + 5n * G - 1n]);
    expect(ends(d)).toEqual(before.map((r) => r.end));
    expect(ends(e)).toEqual([...before.map((r) => r.end), top + 9n * G - 1n]);
    // Read again after all that: still the same.
    expect(ends(b)).toEqual([...before.map((r) => r.end), top + G - 1n, top + 2n * G - 1n]);
    expect(boot.isOnline(top)).toBe(false);
    expect(b.isOnline(top + G)).toBe(false);
    expect(b.apply({ kind: 'memory', action: 'online', start: top + G, size: BLOCK }).isOnline(top + G)).toBe(true);
  });

  it('records how each memory came from the one before, and nothing for memory it did not make', () => {
    const system = x86System();
    const boot = MachineState.boot(system, BLOCK);
    const top = (boot.ramTop + G - 1n) & ~(G - 1n);
    const a = boot.apply({ kind: 'dimm-add', start: top, size: G });
    const b = a.apply({ kind: 'dimm-add', start: top + G, size: G }).apply({ kind: 'dimm-remove', start: top + G, size: G });
    const c = b.apply({ kind: 'dimm-remove', start: top, size: G });
    expect(ramChangeSince(boot.system.memory, a.system.memory)).toEqual({ popped: [], appended: [a.system.memory.systemRam.at(-1)] });
    expect(ramChangeSince(a.system.memory, b.system.memory)).toEqual({ popped: [], appended: [] });
    expect(ramChangeSince(a.system.memory, c.system.memory)?.popped.map((r) => r.start)).toEqual([top]);
    expect(ramChangeSince(c.system.memory, a.system.memory)).toBeUndefined();
    expect(ramChangeSince(withRam(system, system.memory.systemRam).memory, a.system.memory)).toBeUndefined();
  });
});
