// What a long hot-plug run holds: a resize's events are made one by one from the plan, the record
// of RAM steps behind MachineState lets old memory descriptions go, update records are kept only
// when asked for, and the kernel log counts a bounded number of distinct messages.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ramChangeSince } from '../core/build/ram-change.js';
import { KernelLog, MachineState, OTHER_MESSAGES, resizeEvents, resizeTimeline, simulateHotplug, type TimedEvent } from '../core/hotplug/index.js';
import { SMALL_PAYLOAD } from '../core/kexec/index.js';
import type { MemoryDescription } from '../core/system/index.js';
import { systemRam, x86Plugin, x86System } from './support/systems.js';

const G = 1n << 30n;
const M = 1n << 20n;
/** 32 GiB: RAM ends at 0x8_3fff_ffff. */
const guest = x86System({
  ram: systemRam([0x1000n, 0x9_fbffn], [0x10_0000n, 0xbffd_ffffn], [0x1_0000_0000n, 0x8_3fff_ffffn]),
  cpus: { possible: [0, 1, 2, 3], present: [0, 1] },
});

describe('resizeTimeline', () => {
  it('makes the events of a grow one by one: each DIMM arrives at the top of RAM, then its blocks come online', () => {
    const t = resizeTimeline(guest, { from: 32n * G, to: 34n * G, dimmSize: G, blockSize: 512n * M });
    const expected: TimedEvent[] = [
      { event: { kind: 'dimm-add', start: 0x8_4000_0000n, size: G }, atMs: 0, batch: 0 },
      { event: { kind: 'memory', action: 'online', start: 0x8_4000_0000n, size: 512n * M }, atMs: 2, batch: 0 },
      { event: { kind: 'memory', action: 'online', start: 0x8_6000_0000n, size: 512n * M }, atMs: 4, batch: 0 },
      { event: { kind: 'dimm-add', start: 0x8_8000_0000n, size: G }, atMs: 50, batch: 1 },
      { event: { kind: 'memory', action: 'online', start: 0x8_8000_0000n, size: 512n * M }, atMs: 52, batch: 1 },
      { event: { kind: 'memory', action: 'online', start: 0x8_a000_0000n, size: 512n * M }, atMs: 54, batch: 1 },
    ];
    expect(t.length).toBe(6);
    expect([...t]).toEqual(expected);
    expect(expected.map((_, i) => t.at(i))).toEqual(expected);
    expect(resizeEvents(guest, { from: 32n * G, to: 34n * G, dimmSize: G, blockSize: 512n * M })).toEqual(expected);
    for (const i of [-1, 6, 1.5, Number.NaN]) expect(t.at(i)).toBeUndefined();
  });

  it('makes the events of a shrink: blocks offline lowest first, then the DIMM leaves', () => {
    const t = resizeTimeline(guest, { from: 32n * G, to: 31n * G, dimmSize: G, blockSize: 512n * M });
    expect([...t]).toEqual([
      { event: { kind: 'memory', action: 'offline', start: 0x8_0000_0000n, size: 512n * M }, atMs: 0, batch: 0 },
      { event: { kind: 'memory', action: 'offline', start: 0x8_2000_0000n, size: 512n * M }, atMs: 2, batch: 0 },
      { event: { kind: 'dimm-remove', start: 0x8_0000_0000n, size: G }, atMs: 4, batch: 0 },
    ]);
  });

  it('refuses a bad plan with the same errors as resizeEvents, before making anything', () => {
    expect(() => resizeTimeline(guest, { from: 32n * G, to: 33n * G, dimmSize: 3n * 128n * M + 1n })).toThrow(/not a whole number/);
    expect(() => resizeTimeline(guest, { from: 32n * G, to: 32n * G, dimmSize: G })).toThrow(/changes nothing/);
    expect(() => resizeTimeline(guest, { from: 64n * G, to: 65n * G, dimmSize: G })).toThrow(/FROM is/);
  });

  it('gives simulateHotplug the run an array gives, and a run keeping only counts the same summary and header', () => {
    const plan = { from: 32n * G, to: 40n * G, dimmSize: G };
    const opts = { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD } as const;
    const fromArray = simulateHotplug(guest, x86Plugin(), resizeEvents(guest, plan), opts);
    const lazy = simulateHotplug(guest, x86Plugin(), resizeTimeline(guest, plan), { ...opts, keepUpdates: false });
    const { elapsedMs: _a, unarmedNs: ua, ...a } = fromArray.summary;
    const { elapsedMs: _b, unarmedNs: ub, ...b } = lazy.summary;
    expect(b).toEqual(a);
    expect(ub.count).toBe(ua.count);
    expect(a.regenerations).toBe(64);
    expect(Buffer.from(lazy.installedHeader!).equals(Buffer.from(fromArray.installedHeader!))).toBe(true);
    expect(lazy.summary.finalHeaderMatchesFresh).toBe(true);
    expect(fromArray.metrics.updates).toHaveLength(64);
    expect(lazy.metrics.updates).toHaveLength(0);
    expect(lazy.metrics.recorded).toBe(64);
    expect(lazy.metrics.lastHeaderBytes).toBe(fromArray.metrics.updates.at(-1)!.bytes);
  });
});

describe('the record of RAM steps', () => {
  /** Add `n` 128 MiB DIMMs at the top of RAM, one state after the other; the memory of each state. */
  function grow(n: number, each: (memory: MemoryDescription, k: number) => void): MachineState {
    let m = MachineState.boot(guest, 128n * M);
    let top = m.ramTop;
    for (let k = 1; k <= n; k++) {
      m = m.apply({ kind: 'dimm-add', start: top, size: 128n * M });
      top += 128n * M;
      each(m.system.memory, k);
    }
    return m;
  }

  it('still tells the rebuilder what changed up to 64 steps back from the newest state, past every cut', () => {
    const memories: MemoryDescription[] = [];
    const reads: number[] = [];
    grow(300, (memory, k) => {
      memories.push(memory);
      // Each state, right after it was made, reads its own 64 steps back (the boot memory is memory 0).
      const back = memories[k - 65] ?? undefined;
      if (k >= 65) reads.push(ramChangeSince(back!, memory)?.appended.length ?? -1);
    });
    const newest = memories[299]!;
    expect(ramChangeSince(memories[298]!, newest)?.appended).toHaveLength(1);
    expect(ramChangeSince(memories[235]!, newest)?.appended).toHaveLength(64);
    expect(ramChangeSince(memories[234]!, newest)).toBeUndefined(); // 65 steps: past what it reads
    expect(reads).toEqual(Array.from({ length: 300 - 64 }, () => 64));
  });

  it('lets the memories of old states go (it kept every one of them alive)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs: WeakRef<MemoryDescription>[] = [];
    const last = grow(400, (memory, k) => {
      if (k <= 200) refs.push(new WeakRef(memory));
    });
    // A WeakRef keeps its target until the job that made it ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(last.system.memory.systemRam).toHaveLength(403);
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });
});

describe('KernelLog', () => {
  it('counts a bounded number of distinct messages and the rest together', () => {
    const log = new KernelLog(2, false, 3);
    for (const t of ['a', 'b', 'a', 'c', 'd', 'e', 'a', 'd']) log.printk('err', t);
    expect(log.printed).toBe(8);
    expect(log.summary()).toEqual([
      { text: 'a', count: 3 },
      { text: OTHER_MESSAGES, count: 3 },
      { text: 'b', count: 1 },
      { text: 'c', count: 1 },
    ]);
    expect(log.count('d')).toBe(0);
    expect(log.lines.map((l) => l.text)).toEqual(['a', 'd']);
  });

  it('keeps every distinct message under the default limit', () => {
    const log = new KernelLog();
    for (let i = 0; i < 4096; i++) log.printk('err', `crash hp: update elfcorehdr elfsz ${i * 4096} > memsz 462848`);
    expect(log.summary()).toHaveLength(4096);
    expect(log.count(OTHER_MESSAGES)).toBe(0);
  });
});
