// powerpc through the generic hot-plug engine (§6.4): a kexec_file image found by its ELF magic at
// the first event, memory events rebuilding the header (a block going offline cut out by
// remove_mem_range, the tail appended unsorted), CPU removal doing nothing, CPU addition going to
// the FDT segment. (kexec_load images need kexec-tools' ppc64 ranges, not modelled: W16 is in
// powerpc-facts.test.ts as the supportsHotplug query.)

import { describe, expect, it } from 'vitest';
import {
  type ArchPlugin,
  buildSystemElfcorehdr,
  callOf,
  decodeElfCoreHeader,
  HotplugEngine,
  type KexecImage,
  kexecLoad,
  KexecState,
  MachineState,
  type NotifierEvent,
  PT_LOAD,
  SMALL_PAYLOAD,
  type SystemDescription,
} from '../core/index.js';
import { ppcPlugin, ppcSystem, ram } from './fixtures/powerpc/systems.js';

interface Loaded {
  readonly kexec: KexecState;
  readonly image: KexecImage;
}

function load(system: SystemDescription, plugin: ArchPlugin, mode: 'file' | 'load' = 'file', flags?: number): Loaded {
  const kexec = new KexecState(system.crashkernel!);
  return { kexec, image: kexecLoad(kexec, system, plugin, { mode, payload: SMALL_PAYLOAD, ...(flags === undefined ? {} : { flags }) }) };
}

function installed(l: Loaded): Uint8Array {
  const seg = l.image.segments.find((s) => s.kind === 'elfcorehdr')!;
  return l.kexec.memory.view(seg.mem, seg.memsz).slice();
}

const loads = (bytes: Uint8Array) =>
  decodeElfCoreHeader(bytes)
    .phdrs.filter((p) => p.type === PT_LOAD)
    .map((p) => [p.paddr, p.filesz]);

// §13.1's machine: boot RAM and hot-added LMBs on one node; crashkernel below 1 GiB.
const system = ppcSystem({ ram: ram([0n, 0x1_1fff_ffffn]), crashkernel: { start: 0x2000_0000n, end: 0x3fff_ffffn }, backupStart: 0x2000_0000n, powerpc: { rtas: null } });
const going: NotifierEvent = { kind: 'memory', action: 'offline', start: 0x1_0000_0000n, size: 0x1000_0000n };

describe('powerpc crash hot-plug through the engine', () => {
  const plugin = ppcPlugin();

  it('does not preset the elfcorehdr index; the first event finds it by ELF magic', () => {
    const l = load(system, plugin);
    expect(l.image.elfcorehdrIndex).toBe(-1);
    expect(l.image.hotplugSupport).toBe(true);
    const engine = new HotplugEngine(l.kexec, plugin);
    engine.handle(callOf(going), MachineState.boot(system, 0x1000_0000n).apply(going).system);
    expect(l.image.elfcorehdrIndex).toBeGreaterThanOrEqual(0);
    expect(l.image.segments[l.image.elfcorehdrIndex]!.kind).toBe('elfcorehdr');
  });

  it('sizes the segment for 8192 ranges: memsz rounds up to 64 KiB pages', () => {
    const l = load(system, plugin);
    const seg = l.image.segments.find((s) => s.kind === 'elfcorehdr')!;
    expect(seg.memsz).toBe(524288);
  });

  it('REMOVE_MEMORY appends the one-byte-long tail at the end, as 6.12.107 wrote it (§13.1)', () => {
    const l = load(system, plugin);
    const engine = new HotplugEngine(l.kexec, plugin);
    expect(engine.handle(callOf(going), MachineState.boot(system, 0x1000_0000n).apply(going).system)).toBe('handled');
    expect(loads(installed(l))).toEqual([
      [0n, 0x1_0000n],
      [0x1_0000n, 0x1fff_0000n],
      [0x4000_0000n, 0xc000_0000n],
      [0x1_1000_0000n, 0x1000_0001n],
    ]);
    expect(engine.metrics.updates.at(-1)?.outcome).toBe('installed');
  });

  it('REMOVE_MEMORY with the defect on request writes the inverted range of 6.10–6.18', () => {
    const defect = ppcPlugin('ppc64le', { removeMemRange: 'defect-6.10' });
    const l = load(system, defect);
    new HotplugEngine(l.kexec, defect).handle(callOf(going), system);
    expect(loads(installed(l)).at(-1)).toEqual([0x1_1000_0000n, BigInt.asUintN(64, 0xffff_ffffn - 0x1_1000_0000n + 1n)]);
  });

  it('ADD_MEMORY installs exactly what a fresh build of the machine gives', () => {
    const small = ppcSystem({ ram: ram([0n, 0xffff_ffffn]), crashkernel: { start: 0x2000_0000n, end: 0x3fff_ffffn }, powerpc: { rtas: null } });
    const l = load(small, plugin);
    const dimm = { kind: 'dimm-add' as const, start: 0x1_0000_0000n, size: 0x4000_0000n };
    const on: NotifierEvent = { kind: 'memory', action: 'online', start: 0x1_0000_0000n, size: 0x1000_0000n };
    const machine = MachineState.boot(small, 0x1000_0000n).apply(dimm).apply(on);
    new HotplugEngine(l.kexec, plugin).handle(callOf(on), machine.system);
    const fresh = buildSystemElfcorehdr(machine.system, plugin).bytes;
    expect(Buffer.from(installed(l).subarray(0, fresh.length)).equals(Buffer.from(fresh))).toBe(true);
  });

  it('REMOVE_CPU changes nothing', () => {
    const l = load(system, plugin);
    const before = installed(l);
    const off: NotifierEvent = { kind: 'cpu', action: 'offline', cpu: 3 };
    new HotplugEngine(l.kexec, plugin).handle(callOf(off), MachineState.boot(system).apply(off).system);
    expect(Buffer.from(installed(l)).equals(Buffer.from(before))).toBe(true);
  });

  it('ADD_CPU looks for the FDT segment by its magic and says so when there is none', () => {
    const l = load(ppcSystem({ cpus: { possible: [0, 1, 2, 3, 4, 5, 6, 7], present: [0, 1, 2, 3] }, powerpc: { rtas: null } }), plugin);
    const before = installed(l);
    const on: NotifierEvent = { kind: 'cpu', action: 'online', cpu: 4 };
    const s = ppcSystem({ cpus: { possible: [0, 1, 2, 3, 4, 5, 6, 7], present: [0, 1, 2, 3, 4] }, powerpc: { rtas: null } });
    new HotplugEngine(l.kexec, plugin).handle(callOf(on), s);
    expect(l.kexec.log.lines.map((x) => x.text)).toContain('crash hp: Unable to locate FDT segment.');
    expect(Buffer.from(installed(l)).equals(Buffer.from(before))).toBe(true);
  });
});
