// The big machines of issue 13, checked by their outputs and by counting work, never by timing:
// 8192 CPUs with 8192 ranges, 16 384 ranges, and a terabyte resize.

import { describe, expect, it } from 'vitest';
import { memoryAccount } from '../cli/memory-account.js';
import { addMemRange, emptyCrashMem, sortMemoryRanges } from '../arch-powerpc/ppc-mem-ranges.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { resizeEvents, simulateHotplug } from '../core/hotplug/index.js';
import { SMALL_PAYLOAD } from '../core/kexec/index.js';
import { holdsAddress } from '../core/system/ram-walk.js';
import { cpuIds, sparseRam, x86Plugin, x86RamWithRanges, x86System } from './support/systems.js';
import { addMemRangeSimple, memoryAccountSimple, sortMemoryRangesSimple } from './support/oracles.js';

/** An array that counts how many of its elements are read. */
function counting<T>(items: T[]): { list: T[]; reads: () => number } {
  let n = 0;
  const list = new Proxy(items, {
    get(target, key, recv) {
      if (typeof key === 'string' && /^\d+$/.test(key)) n++;
      return Reflect.get(target, key, recv);
    },
  });
  return { list, reads: () => n };
}

describe('8192 CPUs and 8192+ ranges', () => {
  it("the report's memory account of 8192 ranges equals the hole-by-hole one", () => {
    const system = x86System({ cpus: { possible: cpuIds(8192) }, ram: x86RamWithRanges(8192), config: { nrCpusDefault: 8192 } });
    const built = buildSystemElfcorehdr(system, x86Plugin());
    expect(built.layout.phnum).toBe(8192 + 2 + 8192);
    expect(memoryAccount(built.crashMemory)).toEqual(memoryAccountSimple(built.crashMemory));
  });

  it('16 384 ranges: every dropped byte is explained by an exclusion, none beyond RAM', () => {
    const system = x86System({ cpus: { possible: cpuIds(8192) }, ram: x86RamWithRanges(16384), config: { nrCpusDefault: 8192 } });
    const account = memoryAccount(buildSystemElfcorehdr(system, x86Plugin()).crashMemory);
    expect(account.unexplained).toEqual([]);
    expect(account.beyondRam).toEqual([]);
    expect(account.exclusions.map((e) => e.removed.length)).toEqual([1, 1]);
  });

  it("powerpc's add_mem_range of 16 384 ranges in address order reads no entry (was one scan per range)", () => {
    const fast = emptyCrashMem();
    const slow = emptyCrashMem();
    const ram = sparseRam(16384);
    const c = counting(fast.ranges);
    fast.ranges = c.list;
    for (const r of ram) addMemRange(fast, r.start, r.end - r.start + 1n);
    // The facts were measured once on the empty array; every add after it is O(1).
    expect(c.reads()).toBe(0);
    for (const r of ram) addMemRangeSimple(slow, r.start, r.end - r.start + 1n);
    sortMemoryRanges(fast, true);
    sortMemoryRangesSimple(slow, true);
    expect(fast.ranges).toEqual(slow.ranges);
  });

  it('finding the RAM of a memory block reads O(log n) ranges of 16 384', () => {
    const c = counting(sparseRam(16384));
    expect(holdsAddress(c.list, 0x1_0000_0000n)).toBe(true); // first call also checks the list is sorted
    const afterCheck = c.reads();
    expect(holdsAddress(c.list, 0x1_0000_0000n + 0x800_0000n)).toBe(false);
    expect(holdsAddress(c.list, 0x1_0000_0000n + 16383n * 0x1000_0000n)).toBe(true);
    expect(c.reads() - afterCheck).toBeLessThanOrEqual(2 * 2 * 16);
  });
});

describe('a terabyte resize', () => {
  it('32G → 1T with 1G DIMMs replays 7936 events with the right header at the end', () => {
    const G = 1n << 30n;
    const guest = x86System({
      ram: [
        { name: 'System RAM', start: 0x1000n, end: 0x9_fbffn },
        { name: 'System RAM', start: 0x10_0000n, end: 0xbffd_ffffn },
        { name: 'System RAM', start: 0x1_0000_0000n, end: 0x8_3fff_ffffn },
      ],
    });
    const events = resizeEvents(guest, { from: 32n * G, to: 1024n * G, dimmSize: G });
    const r = simulateHotplug(guest, x86Plugin(), events, { strategy: 'coalesce', mode: 'file', payload: SMALL_PAYLOAD });
    expect(r.summary.events).toBe(992 * 8);
    expect(r.summary.regenerations).toBe(992);
    expect(r.summary.finalHeaderMatchesFresh).toBe(true);
  });
});
