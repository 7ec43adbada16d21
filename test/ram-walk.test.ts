// DIMMs coming and going, by how the arch walks RAM (core/ram-walk.ts, facts §13.3, §13.7): the
// iomem walk keeps each DIMM a range of its own and removes it only whole; memblock merges it with
// an adjacent region of its node and cuts it back out, splitting where it has to. MachineState
// applies the port's walk and refuses to remove a DIMM whose blocks are still online.

import { describe, expect, it } from 'vitest';
import { isNotifierEvent, MachineState } from '../core/hotplug/index.js';
import { addDimmRam, type RamRange, removeDimmRam } from '../core/system/index.js';
import { x86System } from './support/systems.js';
import { crashplugErrorOf as errorOf } from './support/errors.js';

const G = 1n << 30n;
const ram = (start: bigint, end: bigint, nid?: number): RamRange => ({ name: 'System RAM', start, end, ...(nid === undefined ? {} : { nid }) });
const spans = (rs: readonly RamRange[]) => rs.map((r) => [r.start, r.end]);

describe('addDimmRam', () => {
  const boot = [ram(0n, G - 1n), ram(2n * G, 3n * G - 1n)];

  it('iomem: the DIMM is a range of its own, in address order', () => {
    expect(spans(addDimmRam(boot, ram(G, 2n * G - 1n), 'iomem'))).toEqual([
      [0n, G - 1n],
      [G, 2n * G - 1n],
      [2n * G, 3n * G - 1n],
    ]);
  });

  it('memblock: a DIMM filling the gap merges with both neighbours of its node', () => {
    expect(spans(addDimmRam(boot, ram(G, 2n * G - 1n), 'memblock'))).toEqual([[0n, 3n * G - 1n]]);
  });

  it('memblock: memory without a node is on node 0, so it merges with node 0 but not with node 1', () => {
    const numa = [ram(0n, G - 1n, 0), ram(2n * G, 3n * G - 1n, 1)];
    expect(addDimmRam(numa, ram(G, 2n * G - 1n), 'memblock').map((r) => [r.start, r.end, r.nid])).toEqual([
      [0n, 2n * G - 1n, 0],
      [2n * G, 3n * G - 1n, 1],
    ]);
    expect(addDimmRam(numa, ram(G, 2n * G - 1n, 1), 'memblock').map((r) => [r.start, r.end, r.nid])).toEqual([
      [0n, G - 1n, 0],
      [G, 3n * G - 1n, 1],
    ]);
  });

  it('memblock: leaves adjacent regions it did not touch as they were given', () => {
    const given = [ram(0n, G - 1n), ram(G, 2n * G - 1n)];
    expect(spans(addDimmRam(given, ram(4n * G, 5n * G - 1n), 'memblock'))).toEqual([
      [0n, G - 1n],
      [G, 2n * G - 1n],
      [4n * G, 5n * G - 1n],
    ]);
  });
});

describe('removeDimmRam', () => {
  it('memblock: cuts the DIMM out of the region holding it, splitting it', () => {
    expect(spans(removeDimmRam([ram(0n, 3n * G - 1n)], { start: G, end: 2n * G - 1n }, 'memblock'))).toEqual([
      [0n, G - 1n],
      [2n * G, 3n * G - 1n],
    ]);
  });

  it('memblock: refuses to remove what is not RAM', () => {
    expect(errorOf(() => removeDimmRam([ram(0n, G - 1n)], { start: G, end: 2n * G - 1n }, 'memblock')).message).toMatch(/is not all System RAM/);
  });

  it('iomem: removes a resource whole, and refuses part of one', () => {
    const rs = [ram(0n, G - 1n), ram(G, 2n * G - 1n)];
    expect(spans(removeDimmRam(rs, { start: G, end: 2n * G - 1n }, 'iomem'))).toEqual([[0n, G - 1n]]);
    expect(errorOf(() => removeDimmRam(rs, { start: 0n, end: 0x7fff_ffffn }, 'iomem')).code).toBe('E_BAD_ARGUMENT');
  });
});

describe('MachineState with DIMMs', () => {
  const system = x86System();
  const top = system.memory.systemRam.at(-1)!.end + 1n;
  const add = { kind: 'dimm-add', start: top, size: G } as const;
  const remove = { kind: 'dimm-remove', start: top, size: G } as const;
  const blocks = (action: 'online' | 'offline') =>
    Array.from({ length: 8 }, (_, i) => ({ kind: 'memory', action, start: top + BigInt(i) * (G / 8n), size: G / 8n }) as const);

  for (const walk of ['iomem', 'memblock'] as const) {
    it(`${walk}: a DIMM added, onlined, offlined and removed leaves the RAM it found`, () => {
      let m = MachineState.boot(system, G / 8n, walk).apply(add);
      expect(m.system.memory.systemRam).toHaveLength(walk === 'iomem' ? 3 : 2);
      for (const e of blocks('online')) m = m.apply(e);
      expect(errorOf(() => m.apply(remove)).message).toMatch(/online; offline every block first/);
      for (const e of blocks('offline')) m = m.apply(e);
      m = m.apply(remove);
      expect(spans(m.system.memory.systemRam)).toEqual(spans(system.memory.systemRam));
      expect(m.offlineBlocks.size).toBe(0);
    });
  }

  it('does not pass a DIMM’s arrival or removal to the crash notifier', () => {
    expect([add, remove].some(isNotifierEvent)).toBe(false);
  });
});
