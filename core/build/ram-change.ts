// How one memory description came from another during a hot-plug run, so that a header rebuild can
// tell what changed in System RAM without reading it all: MachineState records each DIMM that
// arrives on top of RAM (or leaves from the top) against the memory it made, and the rebuilder
// walks those records back to the memory of its previous build.

import type { MemoryDescription, RamRange } from '../system/system.js';

/** One step: a range added at, or taken from, the end of System RAM (sorted and disjoint before and after). */
export interface RamStep {
  readonly parent: MemoryDescription;
  readonly op: 'append' | 'pop';
  readonly range: RamRange;
}

const steps = new WeakMap<MemoryDescription, RamStep>();

/** Say that `memory` is `step.parent` with one range added at or taken from the end of System RAM. */
export function recordRamStep(memory: MemoryDescription, step: RamStep): void {
  steps.set(memory, step);
}

/** What changed between two memories: ranges taken off the end of System RAM (top first), then ranges added. */
export interface RamChange {
  readonly popped: readonly RamRange[];
  readonly appended: readonly RamRange[];
}

/**
 * How `now` differs from `before` when it came from it by recorded steps (at most `maxSteps`);
 * undefined otherwise. Reads only the records: O(steps), not O(RAM).
 */
export function ramChangeSince(before: MemoryDescription, now: MemoryDescription, maxSteps = 64): RamChange | undefined {
  const path: RamStep[] = [];
  let m = now;
  while (m !== before) {
    const step = steps.get(m);
    if (step === undefined || path.length >= maxSteps) return undefined;
    path.push(step);
    m = step.parent;
  }
  const popped: RamRange[] = [];
  const appended: RamRange[] = [];
  for (let i = path.length - 1; i >= 0; i--) {
    const step = path[i]!;
    if (step.op === 'append') appended.push(step.range);
    else if (appended.length > 0) appended.pop();
    else popped.push(step.range);
  }
  return { popped, appended };
}
