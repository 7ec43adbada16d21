// `crashplug replay` on what `udevadm monitor --kernel` prints during an x86 resize:
// test/fixtures/hotplug/udevadm-monitor-x86-resize.txt is two 1 GiB pc-dimms plugged back to back
// into the 32 GiB guest of test/fixtures/hotplug/system.json (128 MiB blocks: memory264–memory279
// appear, then udev's rule onlines them), and a vCPU hot-added and onlined, with the ACPI and
// thermal uevents a real log carries. The header the replay leaves must be the one an independent
// model gives: the kernel's builder on the final machine, written down here directly.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSystemFile } from '../api/system-file.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { parseEventLog, simulateHotplug } from '../core/hotplug/index.js';
import { SMALL_PAYLOAD } from '../core/kexec/index.js';
import { registryOf } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';
import { x86Module } from '../arch-x86/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const SYSTEM = join(ROOT, 'test', 'fixtures', 'hotplug', 'system.json');
const LOG = join(ROOT, 'test', 'fixtures', 'hotplug', 'udevadm-monitor-x86-resize.txt');
const SMALL = ['--kernel-size', '128K', '--initrd-size', '256K'];
const BLOCK = 128n << 20n;
const GiB = 1n << 30n;

const registry = registryOf([x86Module]);
const system = (): SystemDescription => loadSystemFile(SYSTEM, registry);
const plugin = () => registry.get('x86_64', 'test');

/** The final machine, written down: boot RAM, the two DIMMs as System RAM resources of their own, CPU 4 present and online. */
function finalMachine(): SystemDescription {
  const s = system();
  const dimms = [
    { name: 'System RAM', start: 0x8_4000_0000n, end: 0x8_7fff_ffffn },
    { name: 'System RAM', start: 0x8_8000_0000n, end: 0x8_bfff_ffffn },
  ];
  return {
    ...s,
    memory: { ...s.memory, systemRam: [...s.memory.systemRam, ...dimms] },
    cpus: { ...s.cpus, present: [0, 1, 2, 3, 4], online: [0, 1, 2, 3, 4] },
  };
}

function firstDifference(want: Uint8Array, got: Uint8Array): string {
  for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) return `first difference at byte ${i}: model ${want[i]}, replay ${got[i]}`;
  return got.subarray(want.length).every((b) => b === 0) ? 'identical' : 'bytes past the model’s header are not zero';
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-replay-udev-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function crashplug(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'replay', ...args, ...SMALL], { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('reading the udevadm monitor log', () => {
  const log = parseEventLog(readFileSync(LOG, 'utf8'), 'udev.txt', { blockSize: BLOCK, dimmSize: GiB });

  it('is detected as udev; 38 kernel uevents read, 4 of other devices, the 3-line banner skipped', () => {
    expect(log.format).toBe('udev');
    expect(log.eventsRead).toBe(2 + 16 + 16 + 4);
    expect(log.ueventsIgnored).toBe(4); // 2 ACPI memory devices, the ACPI processor, a thermal cooling device
    expect(log.linesSkipped).toBe(3);
  });

  it('the 16 contiguous add uevents become two 1 GiB DIMMs at 264 × 128 MiB and 272 × 128 MiB, then 16 block onlines, then CPU 4', () => {
    const kinds = log.events.map((e) => e.event);
    expect(kinds.slice(0, 2)).toEqual([
      { kind: 'dimm-add', start: 264n * BLOCK, size: GiB },
      { kind: 'dimm-add', start: 272n * BLOCK, size: GiB },
    ]);
    expect(kinds.slice(2, 18)).toEqual(
      Array.from({ length: 16 }, (_, i) => ({ kind: 'memory', action: 'online', start: BigInt(264 + i) * BLOCK, size: BLOCK })),
    );
    expect(kinds.slice(18)).toEqual([
      { kind: 'cpu-present', action: 'add', cpu: 4 },
      { kind: 'cpu', action: 'online', cpu: 4 },
    ]);
    // Each DIMM names the line of its last add uevent; times are ms from the first uevent.
    expect(log.sources[0]).toBe('udev.txt:12');
    expect(log.events[0]!.atMs).toBeCloseTo(0.968, 3);
  });
});

describe('replaying it', () => {
  it('kernel strategy, through the command: 17 notifier events, 16 regenerations, the header the independent model gives', () => {
    const out = join(work, 'final.bin');
    const r = crashplug('--system', SYSTEM, '--events', LOG, '--out-header', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ eventsRead: 38, linesSkipped: 3, events: 17, regenerations: 16, dropped: 0, finalHeaderMatchesFresh: true, problems: [] });
    expect(j.eventLog).toMatchObject({ format: 'udev', machineEvents: 20, ueventsIgnored: 4 });
    const model = buildSystemElfcorehdr(finalMachine(), plugin()).bytes;
    expect(firstDifference(model, new Uint8Array(readFileSync(out)))).toBe('identical');
  });

  for (const strategy of ['coalesce', 'reload'] as const) {
    it(`${strategy}: ends on the same header`, () => {
      const log = parseEventLog(readFileSync(LOG, 'utf8'), LOG, { blockSize: BLOCK, dimmSize: GiB });
      const run = simulateHotplug(system(), plugin(), log.events, { strategy, mode: 'file', blockSize: BLOCK, payload: SMALL_PAYLOAD });
      expect(run.summary.finalHeaderMatchesFresh).toBe(true);
      expect(firstDifference(buildSystemElfcorehdr(finalMachine(), plugin()).bytes, run.installed!)).toBe('identical');
      // 98-kexec.rules matches the 16 memory onlines and the CPU's add uevent, not its online.
      if (strategy === 'reload') expect(run.summary.udev?.matched).toBe(17);
    });
  }

  it('--dimm that does not divide the run of add uevents is refused with the lines and the fix', () => {
    const r = crashplug('--system', SYSTEM, '--events', LOG, '--dimm', '768M');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^crashplug: E_BAD_EVENTS: .*udevadm-monitor-x86-resize\.txt:18-21: 4 add uevent\(s\) for memory blocks 276–279 make 0x20000000 bytes, not a whole 0x30000000-byte DIMM; give the size of one DIMM with --dimm/,
    );
  });
});

describe('taking the second DIMM out again: offline uevents, then remove uevents', () => {
  const removal = (first: number): string =>
    [
      ...Array.from({ length: 8 }, (_, i) => `KERNEL[5100.${String(100000 + i * 3000)}] offline  /devices/system/memory/memory${first + i} (memory)`),
      ...Array.from({ length: 8 }, (_, i) => `KERNEL[5100.${String(200000 + i * 100)}] remove   /devices/system/memory/memory${first + i} (memory)`),
      'KERNEL[5100.300000] remove   /devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A06:00/device:0d/PNP0C80:01 (acpi)',
      'UDEV  [5100.300100] remove   /devices/LNXSYSTM:00/LNXSYBUS:00/PNP0A06:00/device:0d/PNP0C80:01 (acpi)',
    ].join('\n');

  it('coalesce ends on a fresh build of the machine without it; the kernel keeps listing it on x86 (exit 3, and why)', () => {
    const file = join(work, 'grow-shrink.txt');
    writeFileSync(file, `${readFileSync(LOG, 'utf8')}${removal(272)}\n`);
    const coalesce = crashplug('--system', SYSTEM, '--events', file, '--strategy', 'coalesce', '--json');
    expect(coalesce.status).toBe(0);
    const c = JSON.parse(coalesce.stdout);
    expect(c).toMatchObject({ eventsRead: 38 + 17, linesSkipped: 4, finalHeaderMatchesFresh: true, finalHeader: { missing: [], wrong: [] } });

    // Linux: the offline notifier runs while the DIMM is still System RAM, and its removal calls no
    // notifier, so the header still lists the DIMM the machine no longer has.
    const kernel = crashplug('--system', SYSTEM, '--events', file);
    expect(kernel.status).toBe(3);
    expect(kernel.stdout).toMatch(/final header = fresh\s+NO/);
    expect(kernel.stdout).toContain('the header lists 0x40000000 bytes the machine does not have as RAM, first [0x880000000, 0x8bfffffff]');
  });

  it('a remove uevent of a block that is still online is refused with its line', () => {
    const file = join(work, 'bad-remove.txt');
    writeFileSync(file, `${readFileSync(LOG, 'utf8')}${removal(272).split('\n').slice(8).join('\n')}\n`);
    const r = crashplug('--system', SYSTEM, '--events', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^crashplug: E_BAD_EVENTS: .*bad-remove\.txt:49: DIMM \[0x880000000, 0x8bfffffff\] still has the block at 0x880000000 online/);
  });
});
