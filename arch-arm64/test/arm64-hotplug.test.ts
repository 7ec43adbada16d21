// arm64 through the generic hot-plug engine. Mainline: the image never gets hot-plug support, the
// crash_hotplug files read 0 (udev then reloads), the kernel strategy leaves a stale header and
// only the reload strategy keeps it right. With the proposed series: memory events rebuild the
// header in place, a block going offline is cut out, CPU events leave a kexec_file header alone.

import { describe, expect, it } from 'vitest';
import { ARM64_CRASH_HOTPLUG_SERIES, Arm64Port } from '../index.js';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { decodeElfCoreHeader, PT_LOAD } from '../../core/elf/index.js';
import { callOf, HotplugEngine, MachineState, type NotifierEvent, resizeEvents, simulateHotplug } from '../../core/hotplug/index.js';
import { crashSysfs, type KexecImage, kexecLoad, KexecState, MEMORY_CRASH_HOTPLUG, SMALL_PAYLOAD } from '../../core/kexec/index.js';
import { type ArchPlugin, resolvePlugin } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { arm64Plugin, arm64System } from '../../test/fixtures/arm64/arm64-systems.js';

const mainline = arm64Plugin();
const series = resolvePlugin(Object.assign(new Arm64Port(), { options: ARM64_CRASH_HOTPLUG_SERIES }));

interface Loaded {
  readonly kexec: KexecState;
  readonly image: KexecImage;
  readonly plugin: ArchPlugin;
}

function load(system: SystemDescription, plugin: ArchPlugin): Loaded {
  const kexec = new KexecState(system.crashkernel!);
  return { kexec, image: kexecLoad(kexec, system, plugin, { mode: 'file', payload: SMALL_PAYLOAD }), plugin };
}

function installed(l: Loaded): Uint8Array {
  const seg = l.image.segments.find((s) => s.kind === 'elfcorehdr')!;
  return l.kexec.memory.view(seg.mem, seg.memsz).slice();
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

const loadRanges = (bytes: Uint8Array) =>
  decodeElfCoreHeader(bytes)
    .phdrs.filter((p) => p.type === PT_LOAD)
    .slice(1)
    .map((p) => [p.paddr, p.paddr + p.filesz - 1n]);

// A 1 GiB DIMM right above W15's RAM, and its first 128 MiB block.
const DIMM = { kind: 'dimm-add' as const, start: 0xc000_0000n, size: 0x4000_0000n };
const online = (i: number): NotifierEvent => ({ kind: 'memory', action: 'online', start: DIMM.start + BigInt(i) * 0x800_0000n, size: 0x800_0000n });

describe('arm64 crash hot-plug', () => {
  describe('mainline (no ARCH_SUPPORTS_CRASH_HOTPLUG)', () => {
    const system = arm64System();

    it('loads without hot-plug support; the kernel has no crash_hotplug files for udev to read', () => {
      const l = load(system, mainline);
      expect(l.image.hotplugSupport).toBe(false);
      expect(crashSysfs(l.kexec, system, mainline)).toEqual({});
    });

    it('drops a memory event at the hot-plug support check and keeps the old header', () => {
      const l = load(system, mainline);
      const before = installed(l);
      const engine = new HotplugEngine(l.kexec, mainline);
      const machine = MachineState.boot(system).apply(DIMM).apply(online(0));
      expect(engine.handle(callOf(online(0)), machine.system)).toBe('no-hotplug-support');
      expect(same(installed(l), before)).toBe(true);
    });

    it('so only the udev reload keeps the header right through a resize', () => {
      const events = resizeEvents(system, { from: 2n << 30n, to: 3n << 30n, dimmSize: 1n << 30n });
      const kernel = simulateHotplug(system, mainline, events, { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD });
      const reload = simulateHotplug(system, mainline, events, { strategy: 'reload', mode: 'file', payload: SMALL_PAYLOAD });
      expect(kernel.summary.finalHeaderMatchesFresh).toBe(false);
      expect(reload.summary.finalHeaderMatchesFresh).toBe(true);
    });
  });

  describe('with the proposed series', () => {
    const system = arm64System();

    it('places a segment sized for 8192 ranges, 64 KiB aligned at the top of the crash kernel', () => {
      const l = load(system, series);
      const seg = l.image.segments.find((s) => s.kind === 'elfcorehdr')!;
      expect(l.image.hotplugSupport).toBe(true);
      expect(seg.memsz).toBe(462848); // ALIGN(64 + (2 + 4 + 8192) · 56, 4096)
      expect(seg.mem % 0x1_0000n).toBe(0n);
      expect(seg.mem).toBe(0x6ff8_0000n);
      expect(crashSysfs(l.kexec, system, series)[MEMORY_CRASH_HOTPLUG]).toBe('1\n');
    });

    it('rebuilds the header when a block comes online', () => {
      const l = load(system, series);
      const engine = new HotplugEngine(l.kexec, series);
      const machine = MachineState.boot(system).apply(DIMM).apply(online(0));
      expect(engine.handle(callOf(online(0)), machine.system)).toBe('handled');
      const fresh = buildSystemElfcorehdr(machine.system, series).bytes;
      expect(same(installed(l).subarray(0, fresh.length), fresh)).toBe(true);
      expect(loadRanges(fresh).at(-1)).toEqual([0xc000_0000n, 0xffff_ffffn]);
    });

    it('cuts a block going offline out of the header, though memblock still holds it', () => {
      const l = load(system, series);
      const engine = new HotplugEngine(l.kexec, series);
      const going: NotifierEvent = { kind: 'memory', action: 'offline', start: 0x9000_0000n, size: 0x800_0000n };
      const machine = MachineState.boot(system).apply(going);
      engine.handle(callOf(going), machine.system);
      expect(loadRanges(installed(l))).toEqual([
        [0x4000_0000n, 0x5fff_ffffn],
        [0x7000_0000n, 0x7fff_ffffn],
        [0x8000_0000n, 0x8fff_ffffn],
        [0x9800_0000n, 0xbfff_ffffn],
      ]);
      expect(engine.metrics.updates.at(-1)?.outcome).toBe('installed');
    });

    it('leaves a kexec_file header alone on CPU events: it already lists every possible CPU', () => {
      const l = load(system, series);
      const engine = new HotplugEngine(l.kexec, series);
      const before = installed(l);
      const off: NotifierEvent = { kind: 'cpu', action: 'offline', cpu: 3 };
      engine.handle(callOf(off), MachineState.boot(system).apply(off).system);
      expect(same(installed(l), before)).toBe(true);
      expect(engine.metrics.updates).toHaveLength(0);
      expect(l.image.elfcorehdrUpdated).toBe(true);
    });

    it('keeps the header right through a resize under the kernel strategy', () => {
      const events = resizeEvents(system, { from: 2n << 30n, to: 4n << 30n, dimmSize: 1n << 30n });
      const run = simulateHotplug(system, series, events, { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD });
      expect(run.summary.finalHeaderMatchesFresh).toBe(true);
      expect(run.metrics.updates.every((u) => u.outcome === 'installed')).toBe(true);
    });

    it('says so when the cut needs a slot the array does not have, and keeps the old header', () => {
      // Two exclusions have used both spare slots; the third split has nowhere to go.
      const tight = arm64System({ crashkernelLow: { start: 0x8800_0000n, end: 0x8fff_ffffn } });
      const l = load(tight, series);
      const engine = new HotplugEngine(l.kexec, series);
      const before = installed(l);
      const going: NotifierEvent = { kind: 'memory', action: 'offline', start: 0xa000_0000n, size: 0x800_0000n };
      engine.handle(callOf(going), MachineState.boot(tight).apply(going).system);
      expect(l.kexec.log.lines.at(-1)).toEqual({ level: 'err', text: 'crash hp: Failed to remove hot-unplugged memory from crash memory ranges.' });
      expect(same(installed(l), before)).toBe(true);
    });
  });
});
