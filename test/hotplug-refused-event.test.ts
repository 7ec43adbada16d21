// simulateHotplug's onRefusedEvent: the run itself tells its caller which event the machine refused
// (the CLI used to walk every event through the machine before the run to find out), with the
// event's index, and stops there; what the callback throws is what the caller sees.

import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../core/base/index.js';
import { resizeTimeline, simulateHotplug, STRATEGIES, type TimedEvent } from '../core/hotplug/index.js';
import { SMALL_PAYLOAD } from '../core/kexec/index.js';
import { systemRam, x86Plugin, x86System } from './support/systems.js';

const G = 1n << 30n;
/** 3 GiB below 4 GiB and 29 GiB of boot RAM above: on x86 none of it is a DIMM of its own. */
const guest = x86System({ ram: systemRam([0x1000n, 0x9_fbffn], [0x10_0000n, 0xbffd_ffffn], [0x1_0000_0000n, 0x8_3fff_ffffn]) });

describe('onRefusedEvent', () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy}: hears of the refused DIMM removal once, with its index, and what it throws ends the run`, () => {
      const events = resizeTimeline(guest, { from: 32n * G, to: 31n * G, dimmSize: G });
      const heard: { code: string; index: number; event: TimedEvent }[] = [];
      const run = () =>
        simulateHotplug(guest, x86Plugin(), events, {
          strategy,
          mode: 'file',
          payload: SMALL_PAYLOAD,
          onRefusedEvent: (refusal, index, event) => {
            heard.push({ code: refusal.code, index, event });
            throw new CrashplugError('E_BAD_ARGUMENT', `--remove 1G: ${refusal.message}`);
          },
        });
      expect(run).toThrow(/^--remove 1G: DIMM \[0x800000000, 0x83fffffff\] is not a System RAM resource of its own/);
      // The 8 blocks go offline; the removal after them is what the machine refuses.
      expect(heard).toHaveLength(1);
      expect(heard[0]!.index).toBe(8);
      expect(heard[0]!.event).toEqual(events.at(8));
      expect(heard[0]!.event.event.kind).toBe('dimm-remove');
    });
  }

  it('without it, the machine’s own refusal ends the run', () => {
    const events = resizeTimeline(guest, { from: 32n * G, to: 31n * G, dimmSize: G });
    expect(() => simulateHotplug(guest, x86Plugin(), events, { strategy: 'coalesce', mode: 'file', payload: SMALL_PAYLOAD })).toThrow(
      /^DIMM \[0x800000000, 0x83fffffff\] is not a System RAM resource of its own/,
    );
  });

  it('a run the machine accepts never calls it', () => {
    const events = resizeTimeline(guest, { from: 32n * G, to: 40n * G, dimmSize: G });
    let calls = 0;
    const r = simulateHotplug(guest, x86Plugin(), events, { strategy: 'coalesce', mode: 'file', payload: SMALL_PAYLOAD, onRefusedEvent: () => void calls++ });
    expect(calls).toBe(0);
    expect(r.summary.finalHeaderMatchesFresh).toBe(true);
  });
});
