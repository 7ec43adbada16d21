// Properties over random hot-plug histories (CPUs on and off within the possible set, memory blocks
// on and off, DIMMs arriving with their blocks): under `coalesce` the header left installed is always
// a fresh build of the final machine; and whatever fault hits an update — the rebuild throws, the
// segment is too small, the header cannot be located — the installed header stays byte-identical to
// what it was before, and the purgatory still verifies.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import {
  callOf,
  DEFAULT_BLOCK_SIZE,
  HotplugEngine,
  isNotifierEvent,
  MachineState,
  type MachineEvent,
  simulateHotplug,
  type TimedEvent,
} from '../core/hotplug/index.js';
import { SMALL_PAYLOAD, verifyPurgatory } from '../core/kexec/index.js';
import { equalBytes, headerSegment, load } from './support/hotplug.js';
import { x86Plugin, x86System } from './support/systems.js';

const BLOCK = DEFAULT_BLOCK_SIZE;
const machine0 = x86System({ cpus: { possible: [0, 1, 2, 3, 4, 5], present: [0, 1, 2, 3], online: [0, 1, 2, 3] } });

type Intent = { readonly t: 'cpu'; readonly pick: number } | { readonly t: 'block'; readonly pick: number } | { readonly t: 'dimm'; readonly blocks: number };

const intent: fc.Arbitrary<Intent> = fc.oneof(
  fc.record({ t: fc.constant('cpu' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('block' as const), pick: fc.nat() }),
  fc.record({ t: fc.constant('dimm' as const), blocks: fc.integer({ min: 1, max: 4 }) }),
);

/** Turn intents into valid events, one batch per intent, by looking at the machine as it goes. */
function realise(intents: readonly Intent[]): TimedEvent[] {
  let m = MachineState.boot(machine0, BLOCK);
  let nextDimm = 0x2_0000_0000n;
  const out: TimedEvent[] = [];
  const push = (event: MachineEvent, batch: number): void => {
    out.push({ event, atMs: out.length, batch });
    m = m.apply(event);
  };
  intents.forEach((it, batch) => {
    if (it.t === 'cpu') {
      const cpus = m.system.cpus;
      const cpu = cpus.possible[it.pick % cpus.possible.length]!;
      const online = cpus.online.includes(cpu);
      if (online && cpus.online.length === 1) return;
      push({ kind: 'cpu', action: online ? 'offline' : 'online', cpu }, batch);
    } else if (it.t === 'block') {
      const starts: bigint[] = [];
      for (const r of m.system.memory.systemRam) {
        for (let b = (r.start + BLOCK - 1n) / BLOCK; b * BLOCK <= r.end; b++) starts.push(b * BLOCK);
      }
      const start = starts[it.pick % starts.length]!;
      push({ kind: 'memory', action: m.isOnline(start) ? 'offline' : 'online', start, size: BLOCK }, batch);
    } else {
      const size = BigInt(it.blocks) * BLOCK;
      push({ kind: 'dimm-add', start: nextDimm, size }, batch);
      for (let j = 0n; j < BigInt(it.blocks); j++) push({ kind: 'memory', action: 'online', start: nextDimm + j * BLOCK, size: BLOCK }, batch);
      nextDimm += size + BLOCK; // a hole between DIMMs keeps each its own range
    }
  });
  return out;
}

describe('random hot-plug histories', () => {
  it('coalesce: the installed header ends as a fresh build of the final machine, the purgatory verifying', () => {
    fc.assert(
      fc.property(fc.array(intent, { minLength: 1, maxLength: 25 }), fc.constantFrom('file' as const, 'load' as const), (intents, mode) => {
        const events = realise(intents);
        fc.pre(events.some((e) => isNotifierEvent(e.event)));
        const r = simulateHotplug(machine0, x86Plugin(), events, { strategy: 'coalesce', mode, payload: SMALL_PAYLOAD, verifyEachUpdate: true });
        expect(r.summary.dropped).toBe(0);
        expect(r.summary.finalHeaderMatchesFresh).toBe(true);
        expect(r.summary.purgatoryVerified).toBe(true);
        expect(r.summary.purgatoryFailures).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  type Fault = 'build' | 'memsz' | 'locate' | 'none';
  const fault = fc.constantFrom<Fault>('build', 'memsz', 'locate', 'none', 'none');

  it('a failed update leaves the header byte-identical and the purgatory verifying; a good one installs a fresh build', () => {
    fc.assert(
      fc.property(
        fc.array(intent, { minLength: 1, maxLength: 20 }),
        fc.array(fault, { minLength: 60, maxLength: 60 }),
        fc.constantFrom('file' as const, 'load' as const),
        (intents, faults, mode) => {
          const l = load(machine0, { mode });
          const at = (seq: number): Fault => faults[seq % faults.length]!;
          const engine = new HotplugEngine(l.kexec, l.plugin, {
            faults: { buildThrows: (s) => at(s) === 'build', memszLimit: (s) => (at(s) === 'memsz' ? 1 : undefined), locatorMisses: (s) => at(s) === 'locate' },
          });
          let m = MachineState.boot(machine0, BLOCK);
          let seq = 0;
          for (const { event } of realise(intents)) {
            m = m.apply(event);
            if (!isNotifierEvent(event)) continue;
            const before = headerSegment(l);
            const updates = engine.metrics.updates.length;
            engine.handle(callOf(event), m.system);
            const f = at(seq++);
            const record = engine.metrics.updates[updates];
            if (f !== 'none' || record === undefined) {
              expect(equalBytes(headerSegment(l), before)).toBe(true);
            } else {
              expect(record.outcome).toBe('installed');
              const fresh = buildSystemElfcorehdr(m.system, l.plugin).bytes;
              expect(equalBytes(headerSegment(l).subarray(0, fresh.length), fresh)).toBe(true);
            }
            expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
