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

/**
 * Fold queued events into calls: same-kind runs; memory runs only over contiguous blocks. One pass
 * that keeps the open run in locals and makes its call once, when the run ends (not a new call
 * object per event folded in).
 */
export function foldEvents(queue: readonly NotifierEvent[]): HotplugCall[] {
  const calls: HotplugCall[] = [];
  const n = queue.length;
  let i = 0;
  while (i < n) {
    const first = queue[i]!;
    let folded = 1;
    if (first.kind === 'cpu') {
      // A run of CPU events of one action: the call carries the last CPU.
      let last = first;
      while (i + folded < n) {
        const e = queue[i + folded]!;
        if (e.kind !== 'cpu' || e.action !== first.action) break;
        last = e;
        folded++;
      }
      const call = callOf(last);
      calls.push(folded === 1 ? call : { ...call, folded });
    } else {
      // A run of memory events of one action, each starting where the one before ended.
      let end = first.start + first.size;
      while (i + folded < n) {
        const e = queue[i + folded]!;
        if (e.kind !== 'memory' || e.action !== first.action || e.start !== end) break;
        end = e.start + e.size;
        folded++;
      }
      const call = callOf(first);
      calls.push(folded === 1 ? call : { ...call, memory: { start: first.start, size: end - first.start }, folded });
    }
    i += folded;
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
    // A burst handled whole (the usual case) empties the queue in place rather than copying nothing.
    if (consumed === this.#queue.length) this.#queue.length = 0;
    else this.#queue = this.#queue.slice(consumed);
  }
}
