// How notifier events become handler calls. `kernel` is Linux: one call per event, in order, and
// an event that finds the kexec lock busy is dropped for good. `coalesce` never drops: events wait
// in a queue until the producer's burst ends (one DIMM's block onlines, one CPU), and a run of
// memory events of one kind over contiguous blocks becomes one call with one memory_notify
// covering them — one regeneration per DIMM instead of one per block.

import { callOf, type HotplugCall, type HotplugEngine, type OnBusy } from './engine.js';
import type { MachineState, NotifierEvent, TimedEvent } from './events.js';

export type StrategyName = 'kernel' | 'coalesce' | 'reload';

export const STRATEGIES: readonly StrategyName[] = ['kernel', 'coalesce', 'reload'];

/** A strategy sees the timeline as the replay walks it. */
export interface HotplugStrategy {
  readonly name: StrategyName;
  /** Before `event` changes the machine (`machine` is the state just before it). */
  beforeEvent(event: TimedEvent, machine: MachineState): void;
  /** A notifier event, with the machine as the notifier sees it. */
  onNotifierEvent(event: NotifierEvent, machine: MachineState): void;
  /** The producer finished a burst. */
  onBatchEnd(machine: MachineState): void;
  /** The run is over: settle whatever is pending. */
  finish(machine: MachineState): void;
}

export class KernelStrategy implements HotplugStrategy {
  readonly name = 'kernel';
  constructor(readonly engine: HotplugEngine) {}
  beforeEvent(): void {}
  onNotifierEvent(event: NotifierEvent, machine: MachineState): void {
    this.engine.metrics.events++;
    this.engine.handle(callOf(event), machine.system, 'drop');
  }
  onBatchEnd(): void {}
  finish(): void {}
}

/** Fold queued events into calls: same-kind runs; memory runs only over contiguous blocks. */
export function foldEvents(queue: readonly NotifierEvent[]): HotplugCall[] {
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

export class CoalesceStrategy implements HotplugStrategy {
  readonly name = 'coalesce';
  #queue: NotifierEvent[] = [];
  constructor(readonly engine: HotplugEngine) {}

  beforeEvent(): void {}

  onNotifierEvent(event: NotifierEvent): void {
    this.engine.metrics.events++;
    this.#queue.push(event);
  }

  onBatchEnd(machine: MachineState): void {
    this.#flush(machine, 'keep');
  }

  finish(machine: MachineState): void {
    // The load that held the lock has returned by now; nothing is left behind.
    this.#flush(machine, 'uncontended');
  }

  #flush(machine: MachineState, onBusy: OnBusy): void {
    if (this.#queue.length === 0) return;
    const calls = foldEvents(this.#queue);
    let consumed = 0;
    for (const call of calls) {
      if (this.engine.handle(call, machine.system, onBusy) === 'busy') break;
      this.engine.metrics.coalesced += call.folded - 1;
      consumed += call.folded;
    }
    this.#queue = this.#queue.slice(consumed);
  }
}
