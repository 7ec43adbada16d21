// Machines for the picture tests, from one System RAM range to CONFIG_CRASH_MAX_MEMORY_RANGES of
// them, the larger ones spread over NUMA nodes so the node row has something to say.

import { x86Module } from '../../arch-x86/index.js';
import type { NamedRange } from '../../core/memory/index.js';
import { registryOf } from '../../core/port/index.js';
import type { RamRange, SystemDescription } from '../../core/system/index.js';
import { sparseRam, systemRam, x86System } from './systems.js';

export const x86Registry = registryOf([x86Module]);

/** `count` System RAM ranges: W1's low memory, then 128 MiB ranges above 4 GiB; from 500 on, on `nodes` nodes. */
export function ramOf(count: number, nodes = count >= 500 ? 4 : 1): RamRange[] {
  if (count === 1) return systemRam([0x10_0000n, 0xbfff_ffffn]);
  const ram: NamedRange[] = [...systemRam([0x1000n, 0x9_fbffn], [0x10_0000n, 0xbfff_ffffn]), ...sparseRam(count - 2)];
  if (nodes <= 1) return ram;
  const per = Math.ceil(count / nodes);
  return ram.map((r, i) => ({ ...r, nid: Math.floor(i / per) }));
}

export function machineWith(count: number, overrides: Parameters<typeof x86System>[0] = {}): SystemDescription {
  return x86System({ origin: `synthetic x86_64, ${count} range${count === 1 ? '' : 's'}`, ram: ramOf(count), ...overrides });
}
