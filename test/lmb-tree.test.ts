// Big pseries trees: 65 536 LMBs (16 TiB) in one ibm,dynamic-memory list, compiled by dtc from the
// generator the benchmarks use. Memory comes out as an independent walk of the generator's own
// description says it should (boot memory, then runs of assigned LMBs per node, holes cut), and the
// LMBs that follow each other are joined into a few pieces rather than kept one object per LMB.
// Checked by outputs and counts, never by timing.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fdtSetProperty, fdtU32, parseFdt, readFdtMemory } from '../core/fdt/index.js';
import { HOLE_EVERY, LMB_BASE, LMB_SIZE, lmbOf, NODE_RUN, writeLmbTree } from './support/lmb-tree.js';

const work = mkdtempSync(join(tmpdir(), 'crashplug-lmb-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Row = [bigint, bigint, number];

/** What the tree describes, walked from lmbOf alone: memory@0 on node 0, then assigned LMBs merged per node. */
function expectedRegions(lmbs: number): Row[] {
  const out: Row[] = [[0n, LMB_BASE - 1n, 0]];
  for (let i = 0; i < lmbs; i++) {
    const l = lmbOf(i);
    if (!l.assigned) continue;
    const last = out[out.length - 1]!;
    if (last[1] + 1n === l.base && last[2] === l.nid) last[1] = l.base + LMB_SIZE - 1n;
    else out.push([l.base, l.base + LMB_SIZE - 1n, l.nid]);
  }
  return out;
}

/** Runs of assigned LMBs that follow each other on one node. */
function lmbRuns(lmbs: number): number {
  let runs = 0;
  for (let i = 0; i < lmbs; i++) {
    const l = lmbOf(i);
    if (!l.assigned) continue;
    const prev = i > 0 ? lmbOf(i - 1) : undefined;
    if (prev === undefined || !prev.assigned || prev.nid !== l.nid) runs++;
  }
  return runs;
}

function treeOf(lmbs: number): Uint8Array {
  const dir = mkdtempSync(join(work, `t${lmbs}-`));
  return new Uint8Array(readFileSync(writeLmbTree(dir, lmbs).dtb));
}

describe('generated pseries trees', () => {
  for (const lmbs of [1, HOLE_EVERY, 2 * NODE_RUN + 5]) {
    it(`${lmbs} LMBs: the regions the description says, joined into as many pieces as runs`, () => {
      const m = readFdtMemory(treeOf(lmbs), 'gen');
      expect(m.regions.map((r): Row => [r.start, r.end, r.nid])).toEqual(expectedRegions(lmbs));
      // One piece for memory@0 and one per run of assigned LMBs on one node.
      expect(m.pieces.length).toBe(1 + lmbRuns(lmbs));
    });
  }

  it('65 536 LMBs (16 TiB): every region right, from a few hundred pieces', () => {
    const m = readFdtMemory(treeOf(65_536), 'gen');
    const want = expectedRegions(65_536);
    expect(m.regions.map((r): Row => [r.start, r.end, r.nid])).toEqual(want);
    expect(m.pieces.length).toBe(1 + lmbRuns(65_536));
    expect(m.pieces.length).toBeLessThan(1000);
    const total = m.systemRam.reduce((s, r) => s + (r.end - r.start + 1n), 0n);
    const holes = BigInt(Math.floor(65_536 / HOLE_EVERY));
    expect(total).toBe(LMB_BASE + (65_536n - holes) * LMB_SIZE);
  });

  it('keeps one piece per LMB where the list is out of order, with the same regions', () => {
    // Swap the first two LMB entries: the list is no longer ascending, so nothing is joined.
    const blob = treeOf(8);
    const fdt = parseFdt(blob, 'gen');
    const cells: number[] = [8];
    const order = [1, 0, 2, 3, 4, 5, 6, 7];
    for (const i of order) {
      const l = lmbOf(i);
      cells.push(Number(l.base >> 32n), Number(l.base & 0xffff_ffffn), 0x8000_0000 + i, 0, l.nid, l.assigned ? 8 : 0);
    }
    const swapped = fdtSetProperty(fdt, '/ibm,dynamic-reconfiguration-memory', 'ibm,dynamic-memory', fdtU32(...cells));
    const m = readFdtMemory(swapped);
    expect(m.pieces.length).toBe(1 + 8);
    expect(m.regions.map((r): Row => [r.start, r.end, r.nid])).toEqual(expectedRegions(8));
    // And the joined reading of the tidy tree says the same.
    expect(readFdtMemory(blob, 'gen').regions).toEqual(m.regions);
    expect(readFdtMemory(blob, 'gen').pieces.length).toBe(2);
  });
});
