// The event-log readers behind `crashplug replay` (JSON Lines and udevadm monitor), the bursts
// they group events in, the refusals with FILE:LINE and the fix, and headerCoverage — the RAM an
// installed header misses or lists wrongly — on worked examples.

import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../core/base/index.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { checkEventLog, headerCoverage, MachineState, parseEventLog } from '../core/hotplug/index.js';
import { registryOf } from '../core/port/index.js';
import { sparseRam, systemRam, x86System } from './support/systems.js';
import { x86Module } from '../arch-x86/index.js';

const MiB128 = 128n << 20n;
const GiB = 1n << 30n;
const opts = { blockSize: MiB128, dimmSize: GiB };
const registry = registryOf([x86Module]);
const plugin = registry.get('x86_64', 'test');

/** 4 GiB of x86 RAM ([0x100000000, 0x1ffffffff] above a low range), CPUs 0-3 possible, 0-1 present. */
const system = x86System({
  ram: systemRam([0x100000n, 0x7fffffffn], [0x100000000n, 0x1ffffffffn]),
  cpus: { possible: [0, 1, 2, 3], present: [0, 1] },
  crashkernel: { start: 0x70000000n, end: 0x77ffffffn },
});

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (CrashplugError.is(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('JSON Lines', () => {
  it('reads every event kind, numbers as hex strings or decimal, and splits memory events per block', () => {
    const text = [
      '{"event": "dimm-add", "start": "0x200000000", "size": "0x40000000", "node": 1, "at": 5}',
      '{"event": "memory-online", "start": "0x200000000", "size": 268435456, "at": 6.5}',
      '',
      '{"event": "cpu-add", "cpu": 2}',
      '{"event": "cpu-online", "cpu": "2"}',
      '{"event": "cpu-offline", "cpu": 2}',
      '{"event": "cpu-remove", "cpu": 2}',
      '{"event": "memory-offline", "start": "0x200000000", "size": "0x10000000"}',
      '{"event": "dimm-remove", "start": "0x200000000", "size": "0x40000000"}',
    ].join('\n');
    const log = parseEventLog(text, 'e.jsonl', opts);
    expect(log).toMatchObject({ format: 'jsonl', eventsRead: 8, linesSkipped: 1 });
    expect(log.events.map((e) => [e.event.kind, 'action' in e.event ? e.event.action : '', e.atMs, e.batch])).toEqual([
      ['dimm-add', '', 5, 0],
      ['memory', 'online', 6.5, 0],
      ['memory', 'online', 6.5, 0],
      ['cpu-present', 'add', 6.5, 1],
      ['cpu', 'online', 6.5, 2],
      ['cpu', 'offline', 6.5, 3],
      ['cpu-present', 'remove', 6.5, 4],
      ['memory', 'offline', 6.5, 5],
      ['memory', 'offline', 6.5, 5],
      ['dimm-remove', '', 6.5, 5],
    ]);
    expect(log.events[0]!.event).toEqual({ kind: 'dimm-add', start: 0x200000000n, size: GiB, nid: 1 });
    expect(log.sources).toEqual([
      'e.jsonl:1',
      'e.jsonl:2',
      'e.jsonl:2',
      'e.jsonl:4',
      'e.jsonl:5',
      'e.jsonl:6',
      'e.jsonl:7',
      'e.jsonl:8',
      'e.jsonl:8',
      'e.jsonl:9',
    ]);
  });

  for (const [what, line, message] of [
    ['not JSON', '{"event": "cpu-online", "cpu": 1', /^E_BAD_EVENTS: e\.jsonl:2: not JSON .*; write one JSON object per line/],
    ['an array', '[1, 2]', /^E_BAD_EVENTS: e\.jsonl:2: not a JSON object; /],
    [
      'an unknown event',
      '{"event": "memory-add", "start": "0x0", "size": "0x8000000"}',
      /^E_BAD_EVENTS: e\.jsonl:2: "event" is "memory-add"; give one of memory-online, /,
    ],
    ['a missing key', '{"event": "dimm-add", "start": "0x200000000"}', /^E_BAD_EVENTS: e\.jsonl:2: a dimm-add event needs "size"; /],
    [
      'a key of another event',
      '{"event": "cpu-online", "cpu": 1, "node": 0}',
      /^E_BAD_EVENTS: e\.jsonl:2: a cpu-online event has no "node"; its keys are event, cpu and at \(ms\)/,
    ],
    [
      'a number that is not one',
      '{"event": "dimm-add", "start": "0xzz", "size": "1G"}',
      /^E_BAD_EVENTS: e\.jsonl:2: "start" is "0xzz", not a number; write it as a hex string/,
    ],
    ['a negative number', '{"event": "cpu-online", "cpu": -1}', /^E_BAD_EVENTS: e\.jsonl:2: "cpu" is -1, not a number/],
    [
      'memory not in whole blocks',
      '{"event": "memory-online", "start": "0x200000000", "size": "0x1000"}',
      /^E_BAD_EVENTS: e\.jsonl:2: \[0x200000000, \+0x1000\] is not made of whole 0x8000000-byte memory blocks; .*--block/,
    ],
    ['time going back', '{"event": "cpu-online", "cpu": 2, "at": 1}', /^E_BAD_EVENTS: e\.jsonl:2: "at" 1 goes back in time \(the line before is at 10\)/],
  ] as const) {
    it(`refuses ${what} with the file, the line and the fix`, () => {
      expect(refusal(() => parseEventLog(`{"event": "cpu-add", "cpu": 2, "at": 10}\n${line}\n`, 'e.jsonl', opts))).toMatch(message);
    });
  }

  it('an event the machine cannot take is refused before the run, with its line', () => {
    const log = parseEventLog('{"event": "cpu-online", "cpu": 2}\n{"event": "cpu-online", "cpu": 2}\n', 'e.jsonl', opts);
    expect(refusal(() => checkEventLog(system, plugin, log, MiB128))).toMatch(/^E_BAD_EVENTS: e\.jsonl:2: CPU 2 is already online; fix the log/);
    const dimm = parseEventLog('{"event": "dimm-add", "start": "0x1c0000000", "size": "1G"}\n', 'e.jsonl', opts);
    expect(refusal(() => checkEventLog(system, plugin, dimm, MiB128))).toMatch(
      /^E_BAD_EVENTS: e\.jsonl:1: DIMM \[0x1c0000000, 0x1ffffffff\] overlaps System RAM/,
    );
  });

  it('a file that is neither format, or empty, is refused', () => {
    expect(refusal(() => parseEventLog('hello\n', 'x.txt', opts))).toMatch(
      /^E_BAD_EVENTS: x\.txt: the first line, "hello", is neither a JSON event nor udevadm monitor output; .*--format jsonl\|udev/,
    );
    expect(refusal(() => parseEventLog('\n\n', 'x.txt', opts))).toMatch(/^E_BAD_EVENTS: x\.txt: holds no events/);
  });
});

describe('udevadm monitor --kernel', () => {
  const banner = 'monitor will print the received events for:\nKERNEL - the kernel uevent\n\n';

  it('skips and counts the banner, UDEV lines and --property lines; ignores other devices and actions', () => {
    const text =
      banner +
      'KERNEL[10.000001] add      /devices/system/cpu/cpu2 (cpu)\n' +
      'ACTION=add\nDEVPATH=/devices/system/cpu/cpu2\n\n' +
      'UDEV  [10.000500] add      /devices/system/cpu/cpu2 (cpu)\n' +
      'KERNEL[10.001000] bind     /devices/system/cpu/cpu2 (cpu)\n' +
      'KERNEL[10.002000] online   /devices/system/cpu/cpu2 (cpu)\n' +
      'KERNEL[10.003000] change   /devices/system/memory/memory40 (memory)\n';
    const log = parseEventLog(text, 'u.txt', opts);
    expect(log).toMatchObject({ format: 'udev', eventsRead: 4, linesSkipped: 3 + 3 + 1, ueventsIgnored: 2 });
    expect(log.events.map((e) => [e.event, e.atMs])).toEqual([
      [{ kind: 'cpu-present', action: 'add', cpu: 2 }, 0],
      [{ kind: 'cpu', action: 'online', cpu: 2 }, 1.999], // 10.002000 − 10.000001 s
    ]);
  });

  it('--format udev reads a log without the banner; a pseries LMB-at-a-time log needs --dimm = --block', () => {
    const lmb = 'KERNEL[1.000000] add      /devices/system/memory/memory8 (memory)\nKERNEL[1.100000] online   /devices/system/memory/memory8 (memory)\n';
    expect(refusal(() => parseEventLog(lmb, 'p.txt', { blockSize: 256n << 20n, dimmSize: GiB, format: 'udev' }))).toMatch(
      /^E_BAD_EVENTS: p\.txt:1-1: 1 add uevent\(s\) for memory blocks 8–8 make 0x10000000 bytes, not a whole 0x40000000-byte DIMM; .*--dimm equal to --block/,
    );
    const log = parseEventLog(lmb, 'p.txt', { blockSize: 256n << 20n, dimmSize: 256n << 20n });
    expect(log.events.map((e) => e.event)).toEqual([
      { kind: 'dimm-add', start: 0x80000000n, size: 256n << 20n },
      { kind: 'memory', action: 'online', start: 0x80000000n, size: 256n << 20n },
    ]);
  });

  it('a non-contiguous add run ends the one before it: refused unless it made whole DIMMs', () => {
    const text = 'KERNEL[1.0] add      /devices/system/memory/memory64 (memory)\nKERNEL[1.1] add      /devices/system/memory/memory70 (memory)\n';
    expect(refusal(() => parseEventLog(text, 'g.txt', opts))).toMatch(/^E_BAD_EVENTS: g\.txt:1-1: 1 add uevent/);
  });

  it('time going back is refused', () => {
    const text = 'KERNEL[2.0] online   /devices/system/cpu/cpu1 (cpu)\nKERNEL[1.0] offline  /devices/system/cpu/cpu1 (cpu)\n';
    expect(refusal(() => parseEventLog(text, 't.txt', opts))).toMatch(/^E_BAD_EVENTS: t\.txt:2: the uevent at 1\.0 is earlier than the one before/);
  });
});

describe('headerCoverage', () => {
  const boot = MachineState.boot(system, MiB128, plugin.ramWalk);
  const header = buildSystemElfcorehdr(system, plugin).bytes;

  it('a fresh header of the machine misses nothing and lists nothing wrongly', () => {
    expect(headerCoverage(header, boot, plugin)).toEqual({ missing: [], wrong: [], missingBytes: 0n, wrongBytes: 0n });
  });

  it('a DIMM added and onlined is missing from the old header; offline blocks are not', () => {
    const added = boot.apply({ kind: 'dimm-add', start: 0x200000000n, size: GiB });
    expect(headerCoverage(header, added, plugin).missing).toEqual([]);
    const half = added
      .apply({ kind: 'memory', action: 'online', start: 0x200000000n, size: MiB128 })
      .apply({ kind: 'memory', action: 'online', start: 0x208000000n, size: MiB128 });
    expect(headerCoverage(header, half, plugin)).toMatchObject({ missing: [{ start: 0x200000000n, end: 0x20fffffffn }], missingBytes: 0x10000000n, wrong: [] });
  });

  it('a header still listing a removed DIMM lists it wrongly', () => {
    let m = boot.apply({ kind: 'dimm-add', start: 0x200000000n, size: GiB });
    for (let b = 0x200000000n; b < 0x240000000n; b += MiB128) m = m.apply({ kind: 'memory', action: 'online', start: b, size: MiB128 });
    const withDimm = buildSystemElfcorehdr(m.system, plugin).bytes;
    for (let b = 0x200000000n; b < 0x240000000n; b += MiB128) m = m.apply({ kind: 'memory', action: 'offline', start: b, size: MiB128 });
    m = m.apply({ kind: 'dimm-remove', start: 0x200000000n, size: GiB });
    expect(headerCoverage(withDimm, m, plugin)).toEqual({
      missing: [],
      wrong: [{ start: 0x200000000n, end: 0x23fffffffn }],
      missingBytes: 0n,
      wrongBytes: GiB,
    });
  });

  it('stays linear: 8 runs over 8192 ranges take about as long as 64 runs over 1024 (a quadratic sweep would take 8 times as long)', () => {
    const total = (n: number, runs: number): number => {
      const big = x86System({ ram: sparseRam(n, 0x1_0000_0000n, MiB128, MiB128) });
      const m = MachineState.boot(big, MiB128, plugin.ramWalk);
      const hdr = buildSystemElfcorehdr(big, plugin).bytes;
      const t = performance.now();
      for (let i = 0; i < runs; i++) expect(headerCoverage(hdr, m, plugin).missingBytes).toBe(0n);
      return performance.now() - t;
    };
    total(1024, 16); // warm up
    const small = Math.min(total(1024, 64), total(1024, 64));
    const large = Math.min(total(8192, 8), total(8192, 8));
    expect(large / small).toBeLessThan(4);
  });
});
