// A real capture with a hot-plug: Debian 12 backports' kernel 6.12.117 (MAXSMP) in a 2-CPU, 4 GiB
// q35 guest with slots=4,maxmem=16G and crashkernel=256M. `kexec -s -p` made the kernel build the
// elfcorehdr at 0x6f000000 (the start of the crash region); then a 1 GiB pc-dimm was hot-added at
// 0x180000000, its 8 memory blocks came online (auto-online), and the kernel rewrote the header in
// place 8 times. Both headers were cut out of guest memory with QEMU's pmemsave (see the fixture's
// README for every command). crashplug must reproduce both from system.json: the first with its
// kernel builder, the second by replaying the DIMM and its 8 block onlines through the engine.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { KernelLog, simulateHotplug, type TimedEvent } from '../../core/hotplug/index.js';
import { CPU_CRASH_HOTPLUG, CRASH_ELFCOREHDR_SIZE, crashSysfs, kexecLoad, KexecState, MEMORY_CRASH_HOTPLUG } from '../../core/kexec/index.js';
import { registryOf } from '../../core/port/index.js';
import { iomemSystemRam, parseIomem, type SystemDescription } from '../../core/system/index.js';
import { x86Module } from '../index.js';
import { x86Plugin } from '../../test/support/systems.js';
import { loadSystemFile } from '../../api/system-file.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'real-x86_64-6.12-hotplug');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixture, name)));
const text = (name: string): string => readFileSync(join(fixture, name), 'utf8');

/** The kernel's load-time header (456 bytes) and its in-place rewrite after the hot-plug (512 bytes). */
const atLoad = read('elfcorehdr-kernel-kexec_file.bin');
const afterHotplug = read('elfcorehdr-after-hotplug.bin');
/** Guest physical memory [0x6f000000, 0x6f0e3000): the whole elfcorehdr segment and the page after it. */
const regionBefore = new Uint8Array(gunzipSync(read('crash-region-head-before.bin.gz')));
const regionAfter = new Uint8Array(gunzipSync(read('crash-region-head-after.bin.gz')));
/** Everything the guest printed: the values read from sysfs/procfs and the kernel log (dmesg). */
const consoleLog = text('serial-console.log');

const CRASH_START = 0x6f000000n;
/** The DIMM QEMU placed (monitor: `info memory-devices` → addr 0x180000000, size 1 GiB). */
const DIMM = { start: 0x180000000n, size: 0x40000000n };
/** /sys/devices/system/memory/block_size_bytes = 0x8000000. */
const BLOCK = 0x8000000n;
/** x86 with MAXSMP: (2 + NR_CPUS_DEFAULT 8192 + CRASH_MAX_MEMORY_RANGES 8192) × 56, no Ehdr. */
const SYSFS_SIZE = 917616;
/** kbuf.memsz = 917616 + 64 = 917680, rounded to a page by kexec_add_buffer. */
const SEGMENT_MEMSZ = 0xe1000;

const system = (): SystemDescription => loadSystemFile(join(fixture, 'system.json'), registryOf([x86Module]));

function phdrEnd(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Number(v.getBigUint64(32, true)) + v.getUint16(56, true) * v.getUint16(54, true);
}

/** Byte-equal (Buffer.equals: these regions are 900 KiB, too big for a fast toEqual). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte ${i}: real ${a[i]}, crashplug ${b[i]}`;
  return 'identical';
}

/** The value the guest script printed after `=== name ===`. */
function printed(name: string): string {
  const m = consoleLog.match(new RegExp(`^=== ${name} ===\\n([^\\n]*)$`, 'm'));
  if (m === null) throw new Error(`serial-console.log has no "=== ${name} ===" section`);
  return m[1]!.trim();
}

/** A DIMM's arrival, then one online notifier event per 128 MiB block, as the guest saw them. */
function hotplugEvents(): TimedEvent[] {
  const events: TimedEvent[] = [{ event: { kind: 'dimm-add', start: DIMM.start, size: DIMM.size }, atMs: 0, batch: 0 }];
  for (let b = 0n; b < DIMM.size / BLOCK; b++) {
    events.push({ event: { kind: 'memory', action: 'online', start: DIMM.start + b * BLOCK, size: BLOCK }, atMs: 1 + Number(b), batch: 0 });
  }
  return events;
}

describe('the capture itself', () => {
  it('holds the two headers cut at e_phoff + e_phnum × 56 (7 and 8 program headers)', () => {
    expect(phdrEnd(atLoad)).toBe(64 + 7 * 56);
    expect(atLoad.length).toBe(456);
    expect(phdrEnd(afterHotplug)).toBe(64 + 8 * 56);
    expect(afterHotplug.length).toBe(512);
  });

  it('is what guest memory held at the start of the crash region, zero to the end of the segment', () => {
    expect(regionBefore.subarray(0, 456)).toEqual(atLoad);
    expect(regionAfter.subarray(0, 512)).toEqual(afterHotplug);
    for (const [region, end] of [
      [regionBefore, 456],
      [regionAfter, 512],
    ] as const) {
      expect(region.subarray(end, SEGMENT_MEMSZ).every((b) => b === 0)).toBe(true);
    }
    // The rewrite touched the header only: the rest of the captured region is unchanged.
    expect(same(regionAfter.subarray(512), regionBefore.subarray(512))).toBe(true);
  });

  it('the guest used the DIMM address and block size the replay uses', () => {
    expect(BigInt(`0x${printed('block-size')}`)).toBe(BLOCK);
    const after = iomemSystemRam(parseIomem(text('proc-iomem-after-hotplug.txt'), 'after'));
    expect(after.at(-1)).toMatchObject({ start: DIMM.start, end: DIMM.start + DIMM.size - 1n });
  });
});

describe('(a) the load-time header: crashplug’s kernel builder (6.12 profile) on system.json', () => {
  const built = () => buildSystemElfcorehdr(system(), x86Plugin());

  it('reproduces the 456 captured bytes byte for byte', () => {
    expect(firstDifference(atLoad, built().bytes.subarray(0, atLoad.length))).toBe('identical');
  });

  it('is one 4096-byte buffer, zero after byte 456, as guest memory was', () => {
    const bytes = built().bytes;
    expect(bytes.length).toBe(4096);
    expect(bytes.subarray(456).every((b) => b === 0)).toBe(true);
  });

  it('describes the machine the guest printed (CPUs, crash_notes, vmcoreinfo, _text/_end)', () => {
    const s = system();
    expect(printed('cpu-possible')).toBe('0-1');
    expect(printed('cpu-present')).toBe('0-1');
    expect(s.cpus.possible).toEqual([0, 1]);
    expect(BigInt(`0x${printed('cpu0-crash_notes')}`)).toBe(0x17ba3da00n);
    expect(BigInt(`0x${printed('cpu1-crash_notes')}`)).toBe(0x17bb3da00n);
    expect(printed('vmcoreinfo')).toBe('0x0000000100372000 1024');
    expect(s.vmcoreinfo).toEqual({ address: 0x100372000n, size: 0x1024n });
    const sym = (name: string): bigint => BigInt(`0x${consoleLog.match(new RegExp(`^([0-9a-f]{16}) \\w ${name}$`, 'm'))![1]}`);
    expect(s.kernelImage).toEqual({ text: sym('_text'), textPhys: 0x1b200000n, size: sym('_end') - sym('_text') });
    expect(s.crashkernel).toEqual({ start: CRASH_START, end: 0x7effffffn });
  });
});

describe('(b) sysfs after the load', () => {
  it(`/sys/kernel/crash_elfcorehdr_size is ${SYSFS_SIZE}, the port’s sysfsElfcorehdrSize`, () => {
    expect(Number(printed('crash_elfcorehdr_size'))).toBe(SYSFS_SIZE);
    expect(Number(printed('crash_elfcorehdr_size-after'))).toBe(SYSFS_SIZE);
    expect(x86Plugin().sysfsElfcorehdrSize(system())).toBe(SYSFS_SIZE);
  });

  it('crash_hotplug reads 1 for memory and CPUs, and the segment sits at the crash region’s start', () => {
    const s = system();
    const kexec = new KexecState(s.crashkernel!);
    const image = kexecLoad(kexec, s, x86Plugin(), { mode: 'file' });
    const sysfs = crashSysfs(kexec, s, x86Plugin());
    expect(printed('memory-crash_hotplug')).toBe('1');
    expect(printed('cpu-crash_hotplug')).toBe('1');
    expect(sysfs).toEqual({ [CPU_CRASH_HOTPLUG]: '1\n', [MEMORY_CRASH_HOTPLUG]: '1\n', [CRASH_ELFCOREHDR_SIZE]: `${SYSFS_SIZE}\n` });
    const seg = image.segments[image.elfcorehdrIndex]!;
    expect(seg.mem).toBe(CRASH_START);
    expect(seg.memsz).toBe(SEGMENT_MEMSZ);
    expect(same(kexec.memory.view(seg.mem, seg.memsz), regionBefore.subarray(0, SEGMENT_MEMSZ))).toBe(true);
  });
});

describe('(c) the hot-plug replayed through the engine: 1 GiB DIMM at 0x180000000, 8 block onlines', () => {
  const log = new KernelLog(1000, true);
  const run = simulateHotplug(system(), x86Plugin(), hotplugEvents(), { strategy: 'kernel', mode: 'file', log });

  it('leaves installed the header the real kernel wrote in place, byte for byte', () => {
    const installed = run.installedHeader!;
    expect(firstDifference(afterHotplug, installed.subarray(0, afterHotplug.length))).toBe('identical');
  });

  it('and the whole segment as guest memory held it (zero after byte 512)', () => {
    const seg = run.kexec.loaded!.segments[run.kexec.loaded!.elfcorehdrIndex]!;
    expect(seg.mem).toBe(CRASH_START);
    expect(same(run.kexec.memory.view(seg.mem, seg.memsz), regionAfter.subarray(0, SEGMENT_MEMSZ))).toBe(true);
  });

  it('regenerated once per block, as the kernel log shows, and agrees with a fresh build', () => {
    const real = (line: string): number => consoleLog.split('\n').filter((l) => l.endsWith(`] ${line}`)).length;
    expect(real('crash hp: hp_action 3')).toBe(8);
    expect(real('crash hp: updated elfcorehdr')).toBe(8);
    expect(run.summary.events).toBe(8);
    expect(run.summary.regenerations).toBe(8);
    expect(run.summary.dropped).toBe(0);
    expect(log.count('crash hp: hp_action 3')).toBe(8);
    expect(log.count('crash hp: updated elfcorehdr')).toBe(8);
    expect(run.summary.finalHeaderMatchesFresh).toBe(true);
  });

  it('ends with the System RAM of the guest’s /proc/iomem after the hot-plug', () => {
    const after = iomemSystemRam(parseIomem(text('proc-iomem-after-hotplug.txt'), 'after'));
    expect(run.machine.system.memory.systemRam.map(({ start, end }) => [start, end])).toEqual(after.map(({ start, end }) => [start, end]));
  });
});
