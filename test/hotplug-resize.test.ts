// The seeds' scenario end to end: a 32 GiB guest resized to 512 GiB with 1 GiB DIMMs of 128 MiB
// blocks — 480 DIMMs, 3840 memory-online events — under each strategy and both loaders. Whatever
// the strategy, the header left installed must be a fresh build of the final machine and the
// purgatory must still verify; coalesce must drop nothing and regenerate at most once per DIMM.

import { describe, expect, it } from 'vitest';
import { resizeEvents, simulateHotplug, STRATEGIES, type TimedEvent } from '../core/hotplug/index.js';
import { contentionFraction, SMALL_PAYLOAD } from '../core/kexec/index.js';
import { systemRam, x86Plugin, x86System } from './support/systems.js';

/** A QEMU-like 32 GiB x86 guest: 3 GiB below 4 GiB, 29 GiB above, 8 possible CPUs. */
const guest = x86System({
  ram: systemRam([0x1000n, 0x9_fbffn], [0x10_0000n, 0xbffd_ffffn], [0x1_0000_0000n, 0x8_3fff_ffffn]),
  cpus: { possible: [0, 1, 2, 3, 4, 5, 6, 7], present: [0, 1, 2, 3] },
});
const G = 1n << 30n;
const events: TimedEvent[] = resizeEvents(guest, { from: 32n * G, to: 512n * G, dimmSize: G });

describe('resizing 32 GiB → 512 GiB in 1 GiB DIMMs', () => {
  it('is 480 DIMMs from the first 1 GiB boundary above RAM, 3840 block-online events', () => {
    const adds = events.filter((e) => e.event.kind === 'dimm-add');
    expect(adds).toHaveLength(480);
    expect(adds[0]!.event).toMatchObject({ start: 0x8_4000_0000n, size: G });
    expect(events.filter((e) => e.event.kind === 'memory')).toHaveLength(3840);
  });

  for (const strategy of STRATEGIES) {
    for (const mode of ['file', 'load'] as const) {
      it(`${strategy}, ${mode} mode: the final header is a fresh build and the purgatory verifies`, () => {
        const r = simulateHotplug(guest, x86Plugin(), events, { strategy, mode, payload: SMALL_PAYLOAD, verifyEachUpdate: strategy === 'coalesce' });
        const s = r.summary;
        expect(s.events).toBe(3840);
        expect(s.finalHeaderMatchesFresh).toBe(true);
        expect(s.purgatoryVerified).toBe(true);
        expect(s.purgatoryFailures).toBe(0);
        expect(s.failedUpdates).toBe(0);
        expect(s.dropped).toBe(0);
        if (strategy === 'kernel') expect(s.regenerations).toBe(3840);
        if (strategy === 'coalesce') {
          expect(s.regenerations).toBeLessThanOrEqual(480);
          expect(s.coalesced).toBe(3840 - s.regenerations);
        }
        if (strategy === 'reload') {
          expect(s.regenerations).toBe(s.udev!.reloads);
          expect(s.regenerations).toBeLessThan(480);
          expect(s.coalesced + s.regenerations).toBe(3840);
        }
        expect(s.unarmedNs.count).toBe(s.installs);
        expect(s.unarmedNs.max).toBeLessThanOrEqual(s.unarmedNs.total);
      });
    }
  }

  it('coalesce keeps every event under a busy lock; the kernel drops some', () => {
    const contention = contentionFraction(0.2, 42);
    const c = simulateHotplug(guest, x86Plugin(), events, { strategy: 'coalesce', mode: 'file', payload: SMALL_PAYLOAD, contention });
    expect(c.summary.dropped).toBe(0);
    expect(c.summary.finalHeaderMatchesFresh).toBe(true);
    const k = simulateHotplug(guest, x86Plugin(), events, { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD, contention });
    expect(k.summary.dropped).toBeGreaterThan(600);
    expect(k.summary.dropped + k.summary.regenerations).toBe(3840);
    expect(k.kexec.log.count('crash hp: kexec_trylock() failed, kdump image may be inaccurate')).toBe(k.summary.dropped);
  });
});
