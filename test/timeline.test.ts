import { describe, expect, it } from 'vitest';
import { resizeEvents, simulateHotplug, type StrategyName } from '../core/hotplug/index.js';
import { contentionFraction, SMALL_PAYLOAD } from '../core/kexec/index.js';
import { timelinePicture } from '../cli/svg-timeline.js';
import { timelineOf } from '../cli/timeline.js';
import { x86Plugin, x86System } from './support/systems.js';

const GiB = 1n << 30n;
const BLOCK = 128n << 20n;

function run(strategy: StrategyName, contention = 0, config = {}) {
  const system = x86System({ config, ram: [{ name: 'System RAM', start: 0x10_0000n, end: 0x1_3fff_ffffn }] });
  const plugin = x86Plugin();
  const ram = 0x1_3fff_ffffn - 0x10_0000n + 1n;
  const events = resizeEvents(system, { from: ram, to: ram + 4n * GiB, dimmSize: GiB, blockSize: BLOCK });
  const result = simulateHotplug(system, plugin, events, {
    strategy,
    mode: 'file',
    payload: SMALL_PAYLOAD,
    blockSize: BLOCK,
    contention: contentionFraction(contention, 7),
  });
  return { result, timeline: timelineOf({ system, plugin, events, result, blockSize: BLOCK }) };
}

describe('timelineOf', () => {
  it("kernel: one update per event at the event's time; the busy lock's drops where they happened, and the header stale from the first", () => {
    const { result, timeline } = run('kernel', 0.2);
    const s = result.summary;
    expect(s.dropped).toBeGreaterThan(0);
    expect(timeline.eventsMs).toHaveLength(s.events);
    expect(timeline.droppedMs).toHaveLength(s.dropped);
    expect(timeline.updates).toHaveLength(s.regenerations);
    expect(timeline.firstStaleMs).toBe(Math.min(...timeline.droppedMs));
    expect(timeline.unarmed).toEqual([]);
  });

  it('kernel without contention: the header never falls behind', () => {
    const { timeline } = run('kernel');
    expect(timeline.stale).toEqual([]);
    expect(timeline.firstStaleMs).toBeUndefined();
  });

  it('coalesce: updates at the end of each burst, covering every event; stale only within a burst', () => {
    const { result, timeline } = run('coalesce', 0.3);
    expect(timeline.updates).toHaveLength(result.metrics.updates.length);
    expect(timeline.updates.reduce((n, u) => n + u.record.folded, 0)).toBe(result.summary.events);
    expect(timeline.stale.every((s) => s.endMs !== undefined)).toBe(true);
    expect(timeline.droppedMs).toEqual([]);
  });

  it("reload: udev's schedule, unarmed from each unload to its load, as the summary's modelled total", () => {
    const { result, timeline } = run('reload');
    const udev = result.summary.udev!;
    expect(timeline.updates).toHaveLength(udev.reloads);
    const total = timeline.unarmed.reduce((s, u) => s + (u.endMs! - u.startMs), 0);
    expect(total).toBeCloseTo(udev.simulatedUnarmedMs, 6);
    expect(timeline.endMs).toBe(udev.lastReloadDoneMs);
  });

  it('draws on a fixed scale when given one, and says how much of the run it left out', () => {
    const { timeline } = run('reload');
    const fixed = timelinePicture({ title: 't', subtitle: 's', timeline, maxMs: 1000 });
    expect(fixed.scaleMs).toBe(1000);
    expect(fixed.clippedMs).toBeCloseTo(timeline.endMs - 1000, 6);
    expect(fixed.svg).toContain('past it, not drawn');
    const own = timelinePicture({ title: 't', subtitle: 's', timeline });
    expect(own.clippedMs).toBe(0);
  });
});
