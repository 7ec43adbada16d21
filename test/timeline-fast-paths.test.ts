// The run's hot path reads a resize through a plain iterator (not a generator) and folds a burst's
// queue in one pass. Both are held here to what they replaced, kept below as the oracles: the
// generator over at() with its index arithmetic, and the fold that rebuilt its open call per event.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { callOf, foldEvents, type HotplugCall, type NotifierEvent, resizeTimeline, type TimedEvent } from '../core/hotplug/index.js';
import { systemRam, x86System } from './support/systems.js';

/** The fold as it was: every event made a call, and a fold rebuilt the last one. */
function oldFoldEvents(queue: readonly NotifierEvent[]): HotplugCall[] {
  const calls: HotplugCall[] = [];
  let last: NotifierEvent | undefined;
  for (const e of queue) {
    const prev = calls[calls.length - 1];
    const call = callOf(e);
    if (prev !== undefined && last !== undefined && last.kind === e.kind && prev.action === call.action) {
      if (e.kind === 'cpu') {
        calls[calls.length - 1] = { ...call, folded: prev.folded + 1 };
        last = e;
        continue;
      }
      const m = prev.memory!;
      if (m.start + m.size === e.start) {
        calls[calls.length - 1] = { ...prev, memory: { start: m.start, size: m.size + e.size }, folded: prev.folded + 1 };
        last = e;
        continue;
      }
    }
    calls.push(call);
    last = e;
  }
  return calls;
}

const BLOCK = 0x800_0000n;
const notifierEvent: fc.Arbitrary<NotifierEvent> = fc.oneof(
  fc.record({ kind: fc.constant('cpu' as const), action: fc.constantFrom('online' as const, 'offline' as const), cpu: fc.nat(7) }),
  fc.record({
    kind: fc.constant('memory' as const),
    action: fc.constantFrom('online' as const, 'offline' as const),
    // Few block positions and sizes of one or two blocks, so contiguous runs are common.
    start: fc.nat(6).map((b) => 0x1_0000_0000n + BigInt(b) * BLOCK),
    size: fc.constantFrom(BLOCK, 2n * BLOCK),
  }),
);

/** A queue that is mostly ascending runs of blocks (what a DIMM's onlining queues), with anything mixed in. */
const queue = fc.oneof(
  fc.array(notifierEvent, { maxLength: 40 }),
  fc
    .tuple(fc.nat(4), fc.integer({ min: 1, max: 12 }), fc.constantFrom('online' as const, 'offline' as const), fc.array(notifierEvent, { maxLength: 4 }))
    .map(([from, n, action, extra]): NotifierEvent[] => [
      ...Array.from({ length: n }, (_, j): NotifierEvent => ({ kind: 'memory', action, start: 0x1_0000_0000n + BigInt(from + j) * BLOCK, size: BLOCK })),
      ...extra,
    ]),
);

describe('foldEvents in one pass', () => {
  itProp.prop([queue], { numRuns: 500 })('gives the calls the old fold gave, field for field and in key order', (q) => {
    const now = foldEvents(q);
    const then = oldFoldEvents(q);
    expect(now).toEqual(then);
    expect(now.map((c) => Object.keys(c))).toEqual(then.map((c) => Object.keys(c)));
  });
});

/** The resize's events as the generator gave them: at(i) for every index, computed from the index. */
function oldEvents(t: { length: number; at(i: number): TimedEvent | undefined }): TimedEvent[] {
  const out: TimedEvent[] = [];
  for (let i = 0; i < t.length; i++) out.push(t.at(i)!);
  return out;
}

/** at(i) as it was: index arithmetic, written out here so the iterator is checked against it, not against itself. */
function oldAt(
  plan: { grow: boolean; base: bigint; dimmSize: bigint; blockSize: bigint; blocksPerDimm: number; gaps: { dimmGapMs: number; blockGapMs: number } },
  index: number,
): TimedEvent {
  const perDimm = plan.blocksPerDimm + 1;
  const k = Math.floor(index / perDimm);
  const j = index - k * perDimm;
  const t = k * plan.gaps.dimmGapMs;
  if (plan.grow) {
    const start = plan.base + BigInt(k) * plan.dimmSize;
    if (j === 0) return { event: { kind: 'dimm-add', start, size: plan.dimmSize }, atMs: t, batch: k };
    return {
      event: { kind: 'memory', action: 'online', start: start + BigInt(j - 1) * plan.blockSize, size: plan.blockSize },
      atMs: t + j * plan.gaps.blockGapMs,
      batch: k,
    };
  }
  const start = plan.base - BigInt(k + 1) * plan.dimmSize;
  if (j < plan.blocksPerDimm) {
    return {
      event: { kind: 'memory', action: 'offline', start: start + BigInt(j) * plan.blockSize, size: plan.blockSize },
      atMs: t + j * plan.gaps.blockGapMs,
      batch: k,
    };
  }
  return { event: { kind: 'dimm-remove', start, size: plan.dimmSize }, atMs: t + plan.blocksPerDimm * plan.gaps.blockGapMs, batch: k };
}

const G = 1n << 30n;
/** 4 GiB of RAM: 3 GiB low, 1 GiB above 4 GiB (ending at 0x13fffffff). */
const machine = x86System({ ram: systemRam([0x10_0000n, 0xbfff_ffffn], [0x1_0000_0000n, 0x1_3fff_ffffn]) });
const RAM = 0xbfff_ffffn - 0x10_0000n + 1n + G;

describe('a resize read through its iterator', () => {
  itProp.prop(
    [
      fc.boolean(),
      fc.integer({ min: 1, max: 12 }),
      fc.constantFrom(0x800_0000n, 0x1000_0000n, 0x4000_0000n),
      fc.integer({ min: 0, max: 3 }),
      fc.record({ dimmGapMs: fc.integer({ min: 0, max: 100 }), blockGapMs: fc.integer({ min: 0, max: 10 }) }),
    ],
    { numRuns: 150 },
  )('gives the events at(i) gave, one by one, in order', (grow, dimms, blockSize, perDimmLog, gaps) => {
    const dimmSize = blockSize << BigInt(perDimmLog);
    // A shrink takes off no more than the 1 GiB above 4 GiB, so every plan is valid.
    fc.pre(grow || dimmSize <= G);
    const count = grow ? dimms : Math.min(dimms, Number(G / dimmSize));
    const to = grow ? RAM + BigInt(count) * dimmSize : RAM - BigInt(count) * dimmSize;
    const t = resizeTimeline(machine, { from: RAM, to, dimmSize, blockSize, timing: gaps });
    const top = 0x1_4000_0000n;
    const base = grow ? ((top + dimmSize - 1n) / dimmSize) * dimmSize : top;
    const plan = { grow, base, dimmSize, blockSize, blocksPerDimm: Number(dimmSize / blockSize), gaps };
    const iterated = Array.from(t);
    expect(iterated).toHaveLength(t.length);
    expect(iterated).toEqual(Array.from({ length: t.length }, (_, i) => oldAt(plan, i)));
    expect(iterated).toEqual(oldEvents(t));
    // Two iterators are independent, and a finished one stays finished.
    const a = t[Symbol.iterator]();
    const b = t[Symbol.iterator]();
    expect(a.next().value).toEqual(b.next().value);
    for (let i = 1; i < t.length; i++) a.next();
    expect(a.next().done).toBe(true);
    expect(a.next().done).toBe(true);
  });
});
