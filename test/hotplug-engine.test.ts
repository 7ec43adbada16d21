// The generic hot-plug handler and x86's hook, against the worked examples: W6 (the growth limit),
// W7 (CPU events), W8 (the order of the guards), W16 (flags at load); the busy kexec lock dropping
// an event with the kernel's message; elfcorehdr_updated set even when the update fails; the crash
// image pointer cleared only for the copy; the sysfs files; and the two in-kernel strategies.

import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import {
  callOf,
  CoalesceStrategy,
  foldEvents,
  type HotplugContext,
  HotplugEngine,
  KernelStrategy,
  MachineState,
  type NotifierEvent,
  udevReloadSchedule,
} from '../core/hotplug/index.js';
import {
  contentionAt,
  contentionFraction,
  CPU_CRASH_HOTPLUG,
  CRASH_ELFCOREHDR_SIZE,
  crashSysfs,
  KEXEC_CRASH_HP_ADD_MEMORY,
  KEXEC_CRASH_HP_NONE,
  KEXEC_CRASH_HOTPLUG_SUPPORT,
  KEXEC_ON_CRASH,
  KEXEC_UPDATE_ELFCOREHDR,
  KexecState,
  MEMORY_CRASH_HOTPLUG,
} from '../core/kexec/index.js';
import { type ArchPlugin, resolvePlugin } from '../core/port/index.js';
import { X86Port } from '../arch-x86/index.js';
import { equalBytes, headerBytes, headerSegment, load, type Loaded, phnumOf, sparseAbove4G } from './support/hotplug.js';
import { W1, x86Plugin, x86System } from './support/systems.js';

const BLOCK = 0x800_0000n;

function dimmAt(i: number): { add: { kind: 'dimm-add'; start: bigint; size: bigint }; online: NotifierEvent } {
  const start = 0x1000_0000_0000n + BigInt(i) * 0x1000_0000n;
  return { add: { kind: 'dimm-add', start, size: BLOCK }, online: { kind: 'memory', action: 'online', start, size: BLOCK } };
}

/** Add DIMM i and deliver its online event through the kernel's handler. */
function plug(l: Loaded, engine: HotplugEngine, machine: MachineState, i: number): MachineState {
  const d = dimmAt(i);
  const next = machine.apply(d.add).apply(d.online);
  engine.handle(callOf(d.online), next.system);
  return next;
}

describe('W6: a header that outgrows its segment', () => {
  // 4 CPUs, segment memsz 462848: 8258 ranges fit, the 8259th does not.
  const system = x86System({ ram: [...W1.ram, ...sparseAbove4G(8255)] });
  const l = load(system);
  const engine = new HotplugEngine(l.kexec, l.plugin);
  let machine = MachineState.boot(system);

  it('installs the last header that fits exactly (elfsz = memsz = 462848)', () => {
    expect(buildSystemElfcorehdr(system, l.plugin).layout.rangeCount).toBe(8257);
    machine = plug(l, engine, machine, 0);
    expect(engine.metrics.updates.at(-1)).toMatchObject({ outcome: 'installed', bytes: 462848 });
  });

  it("refuses the next with the kernel's message and keeps the old header byte for byte", () => {
    const before = headerSegment(l);
    machine = plug(l, engine, machine, 1);
    expect(l.kexec.log.lines.at(-1)).toEqual({ level: 'err', text: 'crash hp: update elfcorehdr elfsz 466944 > memsz 462848' });
    expect(engine.metrics.updates.at(-1)?.outcome).toBe('too-large');
    expect(equalBytes(headerSegment(l), before)).toBe(true);
    expect(l.image.elfcorehdrUpdated).toBe(true);
  });
});

describe('W7: CPU events on x86', () => {
  it('kexec_file image: the handler runs, elfcorehdr_updated is set, the header is unchanged', () => {
    const system = x86System({ cpus: { possible: [0, 1, 2, 3], present: [0, 1, 2, 3], online: [0, 1, 2] } });
    const l = load(system);
    const engine = new HotplugEngine(l.kexec, l.plugin);
    const before = headerSegment(l);
    const ev: NotifierEvent = { kind: 'cpu', action: 'online', cpu: 3 };
    expect(engine.handle(callOf(ev), MachineState.boot(system).apply(ev).system)).toBe('handled');
    expect(l.image.elfcorehdrUpdated).toBe(true);
    expect(engine.metrics.regenerations).toBe(0);
    expect(equalBytes(headerSegment(l), before)).toBe(true);
  });

  it('kexec_load image: the first CPU event rewrites the header with every possible CPU, later ones do nothing', () => {
    const system = x86System({ cpus: { possible: [0, 1, 2, 3], present: [0, 1], online: [0, 1] } });
    const l = load(system, { mode: 'load' });
    const engine = new HotplugEngine(l.kexec, l.plugin);
    expect(phnumOf(headerSegment(l))).toBe(2 + 1 + 1 + 3); // present CPUs, vmcoreinfo, kernel, kexec-tools' RAM
    let m = MachineState.boot(system);
    const on2: NotifierEvent = { kind: 'cpu', action: 'online', cpu: 2 };
    m = m.apply(on2);
    engine.handle(callOf(on2), m.system);
    const fresh = buildSystemElfcorehdr(m.system, l.plugin).bytes;
    expect(equalBytes(headerBytes(l, fresh.length), fresh)).toBe(true);
    expect(phnumOf(fresh)).toBe(4 + 1 + 1 + 2);
    const after = headerSegment(l);
    const on3: NotifierEvent = { kind: 'cpu', action: 'online', cpu: 3 };
    m = m.apply(on3);
    engine.handle(callOf(on3), m.system);
    expect(engine.metrics.regenerations).toBe(1);
    expect(equalBytes(headerSegment(l), after)).toBe(true);
  });
});

/** The x86 plug-in with its hook watched: what hp_action read while the hook ran. */
function watched(): { plugin: ArchPlugin; seen: number[] } {
  const seen: number[] = [];
  const base = resolvePlugin(new X86Port());
  const plugin: ArchPlugin = {
    ...base,
    handleHotplugEvent: (ctx: HotplugContext) => {
      seen.push(ctx.image.hpAction);
      base.handleHotplugEvent(ctx);
    },
  };
  return { plugin, seen };
}

describe("W8: the order of the handler's checks", () => {
  const ev: NotifierEvent = { kind: 'memory', action: 'online', start: 0x1_0000_0000n, size: BLOCK };
  const machine = MachineState.boot(x86System()).apply({ kind: 'dimm-add', start: 0x1_0000_0000n, size: BLOCK }).apply(ev);

  it('kexec_load image without a hot-plug flag: returns at the hotplug_support check; crash_hotplug reads 0', () => {
    const { plugin, seen } = watched();
    const l = load(x86System(), { mode: 'load', hotplug: false }, undefined, plugin);
    const engine = new HotplugEngine(l.kexec, plugin);
    expect(engine.handle(callOf(ev), machine.system)).toBe('no-hotplug-support');
    expect(seen).toEqual([]);
    expect(l.image.elfcorehdrUpdated).toBe(false);
    expect(crashSysfs(l.kexec, l.system, plugin)[MEMORY_CRASH_HOTPLUG]).toBe('0\n');
  });

  it('kexec_file image: the arch hook runs with hp_action 3, which is 0 again afterwards', () => {
    const { plugin, seen } = watched();
    const l = load(x86System(), {}, undefined, plugin);
    new HotplugEngine(l.kexec, plugin).handle(callOf(ev), machine.system);
    expect(seen).toEqual([KEXEC_CRASH_HP_ADD_MEMORY]);
    expect(l.image.hpAction).toBe(KEXEC_CRASH_HP_NONE);
    expect(l.image.elfcorehdrUpdated).toBe(true);
  });

  it('no crash image loaded: returns quietly', () => {
    const kexec = new KexecState(W1.crashkernel);
    const engine = new HotplugEngine(kexec, x86Plugin());
    expect(engine.handle(callOf(ev), machine.system)).toBe('not-loaded');
    expect(kexec.log.lines).toEqual([]);
  });
});

describe('W16: hot-plug flags at load', () => {
  it('6.10 x86: ON_CRASH | 0x4 gives hotplug_support', () => {
    expect(load(x86System({ kernel: '6.10' }), { mode: 'load', flags: KEXEC_ON_CRASH | KEXEC_UPDATE_ELFCOREHDR }).image.hotplugSupport).toBe(true);
  });

  it('6.8 x86: ON_CRASH | 0x8 is -EINVAL', () => {
    expect(() => load(x86System({ kernel: '6.8' }), { mode: 'load', flags: KEXEC_ON_CRASH | KEXEC_CRASH_HOTPLUG_SUPPORT })).toThrow(/-EINVAL/);
  });

  it("an arch honouring only 0x8 (powerpc's rule): 0x4 passes the generic check but gives no hot-plug support", () => {
    const ppcRule: ArchPlugin = { ...x86Plugin(), supportsHotplug: (q) => q.fileMode || (q.flags & KEXEC_CRASH_HOTPLUG_SUPPORT) !== 0 };
    const l = load(x86System({ kernel: '6.10' }), { mode: 'load', flags: KEXEC_ON_CRASH | KEXEC_UPDATE_ELFCOREHDR }, undefined, ppcRule);
    expect(l.image.hotplugSupport).toBe(false);
  });

  it('6.6–6.9: 0x4 sets update_elfcorehdr generically; file mode always qualifies', () => {
    expect(load(x86System({ kernel: '6.8' }), { mode: 'load' }).image.hotplugSupport).toBe(true);
    expect(load(x86System({ kernel: '6.8' }), { mode: 'load', hotplug: false }).image.hotplugSupport).toBe(false);
    expect(load(x86System({ kernel: '6.8' })).image.hotplugSupport).toBe(true);
    expect(load(x86System({ kernel: '6.1' })).image.hotplugSupport).toBe(false);
  });
});

describe('a busy kexec lock', () => {
  const ev: NotifierEvent = { kind: 'memory', action: 'online', start: 0x1_0000_0000n, size: BLOCK };
  const grownOn = (kernel: string) => MachineState.boot(x86System({ kernel })).apply({ kind: 'dimm-add', start: 0x1_0000_0000n, size: BLOCK }).apply(ev).system;
  const system = grownOn('6.18');

  it("drops the event with the kernel's message, and nothing is retried", () => {
    const l = load(x86System(), {}, contentionAt([1])); // try 0 was the load itself
    const engine = new HotplugEngine(l.kexec, l.plugin);
    const before = headerSegment(l);
    expect(engine.handle(callOf(ev), system)).toBe('dropped');
    expect(l.kexec.log.lines).toEqual([{ level: 'info', text: 'crash hp: kexec_trylock() failed, kdump image may be inaccurate' }]);
    expect(engine.metrics.dropped).toBe(1);
    expect(l.image.elfcorehdrUpdated).toBe(false);
    expect(equalBytes(headerSegment(l), before)).toBe(true);
    expect(engine.handle(callOf(ev), system)).toBe('handled');
  });

  it('says "elfcorehdr may be inaccurate" on older kernels', () => {
    const l = load(x86System({ kernel: '6.10' }), {}, contentionAt([1]));
    new HotplugEngine(l.kexec, l.plugin).handle(callOf(ev), grownOn('6.10'));
    expect(l.kexec.log.lines[0]?.text).toBe('crash hp: kexec_trylock() failed, elfcorehdr may be inaccurate');
  });

  it('stays quiet while a kexec reboot is in progress (6.13+), but still drops', () => {
    const quiet = load(x86System());
    quiet.kexec.kexecInProgress = true;
    const engine = new HotplugEngine(quiet.kexec, quiet.plugin);
    expect(engine.handle(callOf(ev), system)).toBe('dropped');
    expect(quiet.kexec.log.lines).toEqual([]);
    const loud = load(x86System({ kernel: '6.12' }));
    loud.kexec.kexecInProgress = true;
    new HotplugEngine(loud.kexec, loud.plugin).handle(callOf(ev), grownOn('6.12'));
    expect(loud.kexec.log.lines).toHaveLength(1);
  });

  it('makes no difference without contention', () => {
    const l = load(x86System(), {}, contentionFraction(0, 7));
    expect(new HotplugEngine(l.kexec, l.plugin).handle(callOf(ev), system)).toBe('handled');
  });
});

describe('failures inside the update', () => {
  const ev: NotifierEvent = { kind: 'memory', action: 'online', start: 0x1_0000_0000n, size: BLOCK };
  const system = MachineState.boot(x86System()).apply({ kind: 'dimm-add', start: 0x1_0000_0000n, size: BLOCK }).apply(ev).system;

  it("a rebuild that fails prints x86's message, keeps the header, and still sets elfcorehdr_updated", () => {
    const l = load(x86System());
    const engine = new HotplugEngine(l.kexec, l.plugin, { faults: { buildThrows: () => true } });
    const before = headerSegment(l);
    expect(engine.handle(callOf(ev), system)).toBe('handled');
    expect(l.kexec.log.lines.at(-1)?.text).toBe('crash hp: unable to create new elfcorehdr');
    expect(l.image.elfcorehdrUpdated).toBe(true);
    expect(l.image.hpAction).toBe(KEXEC_CRASH_HP_NONE);
    expect(equalBytes(headerSegment(l), before)).toBe(true);
    expect(engine.metrics.failedUpdates).toBe(1);
  });

  it('a header that cannot be found: "unable to locate elfcorehdr segment", nothing written', () => {
    const l = load(x86System(), { mode: 'load' });
    const engine = new HotplugEngine(l.kexec, l.plugin, { faults: { locatorMisses: () => true } });
    const before = headerSegment(l);
    expect(engine.handle(callOf(ev), system)).toBe('not-located');
    expect(l.kexec.log.lines.at(-1)).toEqual({ level: 'err', text: 'crash hp: unable to locate elfcorehdr segment' });
    expect(equalBytes(headerSegment(l), before)).toBe(true);
  });
});

describe('installing a header', () => {
  it('clears kexec_crash_image only while the new header is copied, and times that window', () => {
    const l = load(x86System());
    const engine = new HotplugEngine(l.kexec, l.plugin);
    const during: unknown[] = [];
    l.kexec.memory.observeWrites(() => during.push(l.kexec.crashImage));
    const ev: NotifierEvent = { kind: 'memory', action: 'online', start: 0x1_0000_0000n, size: BLOCK };
    const m = MachineState.boot(l.system).apply({ kind: 'dimm-add', start: 0x1_0000_0000n, size: BLOCK }).apply(ev);
    expect(l.kexec.crashImage).toBe(l.image);
    engine.handle(callOf(ev), m.system);
    expect(during).toEqual([null]);
    expect(l.kexec.crashImage).toBe(l.image);
    const u = engine.metrics.updates[0]!;
    expect(u.outcome).toBe('installed');
    expect(u.unarmedNs).toBeGreaterThan(0n);
    expect(engine.metrics.summary().unarmedNs.max).toBe(Number(u.unarmedNs));
  });
});

describe('sysfs', () => {
  it('crash_hotplug reads 0 before a load and 1 after; crash_elfcorehdr_size is 462448', () => {
    const system = x86System();
    const kexec = new KexecState(W1.crashkernel);
    expect(crashSysfs(kexec, system, x86Plugin())).toEqual({ [CPU_CRASH_HOTPLUG]: '0\n', [MEMORY_CRASH_HOTPLUG]: '0\n', [CRASH_ELFCOREHDR_SIZE]: '462448\n' });
    const l = load(system);
    expect(crashSysfs(l.kexec, system, l.plugin)[CPU_CRASH_HOTPLUG]).toBe('1\n');
    expect(crashSysfs(l.kexec, system, l.plugin)[MEMORY_CRASH_HOTPLUG]).toBe('1\n');
  });

  it('the files do not exist before 6.6 or without CONFIG_CRASH_HOTPLUG', () => {
    expect(crashSysfs(new KexecState(W1.crashkernel), x86System({ kernel: '6.1' }), x86Plugin())).toEqual({});
    expect(crashSysfs(new KexecState(W1.crashkernel), x86System({ config: { crashHotplug: false } }), x86Plugin())).toEqual({});
  });
});

describe('strategies', () => {
  const system = x86System();
  const events: NotifierEvent[] = [0, 1, 2, 3].map((j) => ({ kind: 'memory', action: 'online', start: 0x1_0000_0000n + BigInt(j) * BLOCK, size: BLOCK }));
  const grown = (m: MachineState) => events.reduce((s, e) => s.apply(e), m.apply({ kind: 'dimm-add', start: 0x1_0000_0000n, size: 4n * BLOCK }));

  it('fold: one call for contiguous blocks of one action, a new one when the action or contiguity changes', () => {
    expect(foldEvents(events)).toEqual([
      { action: KEXEC_CRASH_HP_ADD_MEMORY, cpu: 0xffff_ffff, memory: { start: 0x1_0000_0000n, size: 4n * BLOCK }, folded: 4 },
    ]);
    const mixed = foldEvents([
      events[0]!,
      events[2]!,
      { kind: 'memory', action: 'offline', start: events[2]!.kind === 'memory' ? events[2]!.start : 0n, size: BLOCK },
    ]);
    expect(mixed.map((c) => c.folded)).toEqual([1, 1, 1]);
  });

  it('kernel: one regeneration per event; coalesce: one per burst, nothing dropped under contention', () => {
    const k = load(system);
    const ke = new HotplugEngine(k.kexec, k.plugin);
    const ks = new KernelStrategy(ke);
    const c = load(system, {}, contentionAt([1, 2, 3]));
    const ce = new HotplugEngine(c.kexec, c.plugin);
    const cs = new CoalesceStrategy(ce);
    let m = MachineState.boot(system).apply({ kind: 'dimm-add', start: 0x1_0000_0000n, size: 4n * BLOCK });
    for (const e of events) {
      m = m.apply(e);
      ks.onNotifierEvent(e, m);
      cs.onNotifierEvent(e);
    }
    cs.onBatchEnd(m); // busy: kept
    cs.onBatchEnd(m); // busy again: kept
    expect(ce.metrics.regenerations).toBe(0);
    cs.finish(m);
    expect(ke.metrics.regenerations).toBe(4);
    expect(ce.metrics).toMatchObject({ regenerations: 1, dropped: 0, coalesced: 3, events: 4 });
    const fresh = buildSystemElfcorehdr(grown(MachineState.boot(system)).system, c.plugin).bytes;
    expect(equalBytes(headerBytes(c, fresh.length), fresh)).toBe(true);
    expect(equalBytes(headerBytes(k, fresh.length), fresh)).toBe(true);
  });

  it('reload: the throttler holds events for 1 s + settle, reloads queue behind each other', () => {
    const timing = { eventCostMs: 10, sleepMs: 1000, settleTimeoutMs: 3000, reloadMs: 1500 };
    const s = udevReloadSchedule([0, 5, 500, 2000, 9000], timing);
    // 0 → throttler until 1010; 5 and 500 absorbed; 2000 → a second one, after the first reload
    expect(s.reloads).toEqual([
      { startMs: 1010, doneMs: 2510, absorbed: 2 },
      { startMs: 3010, doneMs: 4510, absorbed: 0 },
      { startMs: 10010, doneMs: 11510, absorbed: 0 },
    ]);
    // a busy udev queue keeps the throttler waiting, at most 3 s
    const busy = udevReloadSchedule(
      Array.from({ length: 400 }, (_, i) => i * 10),
      timing,
    );
    expect(busy.reloads[0]).toEqual({ startMs: 4000, doneMs: 5500, absorbed: 398 });
    expect(busy.reloads).toHaveLength(2);
  });
});
