// Stock hot-plug runs for any machine: two DIMMs arrive and their blocks come online; a CPU goes
// offline and back; a possible CPU that is not present is hot-added. Each gives the events the
// core replay takes, or undefined where the machine cannot have it.

import { resizeEvents, type TimedEvent } from '../core/hotplug/index.js';
import type { SystemDescription } from '../core/system/index.js';
import type { HotplugScenario } from './spec.js';

const GIB = 1n << 30n;

function totalRam(system: SystemDescription): bigint {
  return system.memory.systemRam.reduce((sum, r) => sum + (r.end - r.start + 1n), 0n);
}

/** Two 1 GiB DIMMs above the highest RAM, each arriving and then onlined block by block. */
export const growMemory: HotplugScenario = {
  name: 'grow memory by two DIMMs',
  events: (system) => {
    const from = totalRam(system);
    return resizeEvents(system, { from, to: from + 2n * GIB, dimmSize: GIB });
  },
};

/** The highest online CPU goes offline and comes back. */
export const cycleCpu: HotplugScenario = {
  name: 'offline and online a CPU',
  events: (system) => {
    const online = system.cpus.online;
    const cpu = online[online.length - 1];
    if (cpu === undefined || online.length < 2) return undefined;
    return [
      { event: { kind: 'cpu', action: 'offline', cpu }, atMs: 0, batch: 0 },
      { event: { kind: 'cpu', action: 'online', cpu }, atMs: 100, batch: 1 },
    ] satisfies TimedEvent[];
  },
};

/** The first possible CPU that is not present is hot-added (onlining it adds it). */
export const hotAddCpu: HotplugScenario = {
  name: 'hot-add a CPU',
  events: (system) => {
    const cpu = system.cpus.possible.find((c) => !system.cpus.present.includes(c));
    if (cpu === undefined) return undefined;
    return [{ event: { kind: 'cpu', action: 'online', cpu }, atMs: 0, batch: 0 }] satisfies TimedEvent[];
  },
};

export const STOCK_SCENARIOS: readonly HotplugScenario[] = [growMemory, cycleCpu, hotAddCpu];
