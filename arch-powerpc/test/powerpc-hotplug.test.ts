// powerpc through the generic hot-plug engine (§6.4): a kexec_file image found by its ELF magic at
// the first event, memory events rebuilding the header (a block going offline cut out by
// remove_mem_range, the tail appended unsorted), CPU removal doing nothing, CPU addition rewriting
// /cpus of the kdump kernel's device tree, the FDT segment the port loads with the image — checked
// with fdtget. (kexec_load images, with kexec-tools' ppc64 header, are in real-ppc64le-6.12.test.ts;
// W16 is in powerpc-facts.test.ts as the supportsHotplug query.)

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FDT_EXTRA_SPACE, kdumpFdt, liveDeviceTree, possibleCpuNodesRoom } from '../index.js';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { decodeElfCoreHeader, PT_LOAD } from '../../core/elf/index.js';
import { parseFdt } from '../../core/fdt/index.js';
import { callOf, HotplugEngine, MachineState, type NotifierEvent, simulateHotplug, type TimedEvent } from '../../core/hotplug/index.js';
import { type KexecImage, kexecLoad, KexecState, SMALL_PAYLOAD, verifyPurgatory } from '../../core/kexec/index.js';
import type { ArchPlugin } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { ppcPlugin, ppcSystem, ram } from '../../test/fixtures/powerpc/systems.js';

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
const system = ppcSystem({
  ram: ram([0n, 0x1_1fff_ffffn]),
  crashkernel: { start: 0x2000_0000n, end: 0x3fff_ffffn },
  backupStart: 0x2000_0000n,
  powerpc: { rtas: null },
});
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

  it('ADD_CPU looks for the FDT segment by its magic and says so when the image has none', () => {
    const noFdt: ArchPlugin = { ...plugin, kexecFileSegments: () => [] };
    const l = load(ppcSystem({ cpus: { possible: [0, 1, 2, 3, 4, 5, 6, 7], present: [0, 1, 2, 3] }, powerpc: { rtas: null } }), noFdt);
    const before = installed(l);
    const on: NotifierEvent = { kind: 'cpu', action: 'online', cpu: 4 };
    const s = ppcSystem({ cpus: { possible: [0, 1, 2, 3, 4, 5, 6, 7], present: [0, 1, 2, 3, 4] }, powerpc: { rtas: null } });
    new HotplugEngine(l.kexec, noFdt).handle(callOf(on), s);
    expect(l.kexec.log.lines.map((x) => x.text)).toContain('crash hp: Unable to locate FDT segment.');
    expect(Buffer.from(installed(l)).equals(Buffer.from(before))).toBe(true);
  });
});

const tmp = mkdtempSync(join(tmpdir(), 'crashplug-ppc-hotplug-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** fdtget on a blob, as the kernel's libfdt would read it. */
function fdtget(blob: Uint8Array, ...args: string[]): string {
  const file = join(tmp, `seg-${Math.random().toString(36).slice(2)}.dtb`);
  writeFileSync(file, blob);
  return execFileSync('fdtget', [file, ...args], { encoding: 'utf8' }).trim();
}

function fdtSegment(l: Loaded): Uint8Array {
  const seg = l.image.segments.find((s) => s.kind === 'fdt')!;
  return l.kexec.memory.view(seg.mem, seg.bufsz).slice();
}

describe('powerpc ADD_CPU through the engine: the FDT segment of a kexec_file image', () => {
  const plugin = ppcPlugin();
  const eight = { possible: [0, 1, 2, 3, 4, 5, 6, 7], present: [0, 1, 2, 3] };
  const system = ppcSystem({ cpus: eight, powerpc: { rtas: null } });
  const cpu = (n: number): NotifierEvent => ({ kind: 'cpu', action: 'online', cpu: n });

  it('is loaded last, starts with the FDT magic, and has room for every possible CPU', () => {
    const l = load(system, plugin);
    expect(l.image.segments.at(-1)!.kind).toBe('fdt');
    const blob = fdtSegment(l);
    const fdt = parseFdt(blob, 'FDT segment');
    expect(new DataView(blob.buffer).getUint32(0, false)).toBe(0xd00d_feed);
    expect(fdtget(blob, '-l', '/cpus').split('\n').sort()).toEqual(['cpu@0', 'cpu@1', 'cpu@2', 'cpu@3']);
    expect(fdtget(blob, '-t', 'x', '/memory@0', 'linux,usable-memory')).toBe('0 0 0 30000000');
    // Not packed after load: the generic headroom and the room for 4 more CPU nodes stay free.
    const room = possibleCpuNodesRoom(liveDeviceTree(system, {}), 8);
    expect(room).toBeGreaterThan(0);
    expect(blob.length).toBe(kdumpFdt(system, {}).used + FDT_EXTRA_SPACE + room);
    expect(fdt.root.children.map((c) => c.name)).toContain('cpus');
  });

  it('is left out of the purgatory digest, with the elfcorehdr', () => {
    const l = load(system, plugin);
    const fdt = l.image.segments.find((s) => s.kind === 'fdt')!;
    const check = verifyPurgatory(l.image, l.kexec.memory);
    expect(check.ok).toBe(true);
    expect(check.regions.map((r) => r.start)).not.toContain(fdt.mem);
  });

  it('ADD_CPU rewrites /cpus with the new CPU; the header stays, the purgatory verifies', () => {
    const l = load(system, plugin);
    const header = installed(l);
    const engine = new HotplugEngine(l.kexec, plugin);
    const machine = MachineState.boot(system, undefined, plugin.ramWalk).apply(cpu(4));
    expect(engine.handle(callOf(cpu(4)), machine.system)).toBe('handled');
    expect(fdtget(fdtSegment(l), '-l', '/cpus').split('\n').sort()).toEqual(['cpu@0', 'cpu@1', 'cpu@2', 'cpu@3', 'cpu@4']);
    expect(fdtget(fdtSegment(l), '/cpus/cpu@4', 'reg')).toBe('4');
    expect(Buffer.from(installed(l)).equals(Buffer.from(header))).toBe(true);
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(true);
    expect(engine.metrics.updates.at(-1)).toMatchObject({ action: 'ADD_CPU', outcome: 'installed', segment: 'fdt' });
    expect(l.kexec.armed).toBe(true);
  });

  it('REMOVE_CPU leaves the FDT segment and the header byte for byte', () => {
    const l = load(system, plugin);
    const [fdt, header] = [fdtSegment(l), installed(l)];
    const off: NotifierEvent = { kind: 'cpu', action: 'offline', cpu: 3 };
    new HotplugEngine(l.kexec, plugin).handle(callOf(off), MachineState.boot(system).apply(off).system);
    expect(Buffer.from(fdtSegment(l)).equals(Buffer.from(fdt))).toBe(true);
    expect(Buffer.from(installed(l)).equals(Buffer.from(header))).toBe(true);
  });

  it('fits all four missing CPUs in the room reserved at load, one event each', () => {
    const events: TimedEvent[] = [4, 5, 6, 7].map((n, i) => ({ event: cpu(n), atMs: i, batch: i }));
    const run = simulateHotplug(system, plugin, events, { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD, verifyEachUpdate: true });
    expect(run.metrics.updates.map((u) => [u.outcome, u.segment])).toEqual(Array(4).fill(['installed', 'fdt']));
    expect(run.summary).toMatchObject({ purgatoryVerified: true, purgatoryFailures: 0, finalHeaderMatchesFresh: true });
    const seg = run.kexec.loaded!.segments.find((s) => s.kind === 'fdt')!;
    expect(fdtget(run.kexec.memory.view(seg.mem, seg.bufsz).slice(), '-l', '/cpus').split('\n')).toHaveLength(8);
  });

  it('refuses a /cpus that outgrows the room, with the kernel’s message, and leaves the segment', () => {
    const four = ppcSystem({ cpus: { possible: [0, 1, 2, 3] }, powerpc: { rtas: null } });
    const l = load(four, plugin);
    const before = fdtSegment(l);
    // A machine whose live tree has hundreds more CPU nodes than the image was sized for.
    const many = Array.from({ length: 400 }, (_, i) => i);
    const engine = new HotplugEngine(l.kexec, plugin);
    engine.handle(callOf(cpu(4)), { ...four, cpus: { possible: many, present: many, online: many } });
    expect(l.kexec.log.lines.map((x) => x.text).some((t) => /^crash hp: Failed to update crash FDT \(FDT_ERR_NOSPACE/.test(t))).toBe(true);
    expect(Buffer.from(fdtSegment(l)).equals(Buffer.from(before))).toBe(true);
    expect(engine.metrics.updates.at(-1)).toMatchObject({ outcome: 'build-failed', segment: 'fdt', bytes: 0 });
    expect(l.kexec.armed).toBe(true);
  });

  it('from a QEMU pseries tree (memory.dtb), clones a CPU node for the CPU attached to the live tree', () => {
    const dtb = parseFdt(new Uint8Array(readFileSync(join(import.meta.dirname, '../../test/fixtures/powerpc/pseries-2g.dtb'))), 'pseries-2g.dtb');
    const fromDtb = ppcSystem({
      cpus: eight,
      memory: { source: 'dtb', origin: 'pseries-2g.dtb', systemRam: [{ name: 'System RAM', start: 0n, end: 0x7fff_ffffn }], fdt: dtb },
    });
    const l = load(fromDtb, plugin);
    const engine = new HotplugEngine(l.kexec, plugin);
    engine.handle(callOf(cpu(4)), MachineState.boot(fromDtb).apply(cpu(4)).system);
    const blob = fdtSegment(l);
    expect(fdtget(blob, '-l', '/cpus').split('\n')).toContain('PowerPC,POWER9@4');
    expect(fdtget(blob, '/cpus/PowerPC,POWER9@4', 'ibm,ppc-interrupt-server#s')).toBe('4');
    expect(fdtget(blob, '/cpus/PowerPC,POWER9@4', 'device_type')).toBe('cpu');
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(true);
  });
});
