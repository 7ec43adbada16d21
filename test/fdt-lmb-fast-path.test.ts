// The LMB walk of readFdtMemory reads the drconf list in place, in doubles, while every address is
// below 2^52 (and in BigInt past it). Checked here against the walk it replaced, written out in
// BigInt over entries decoded independently from the property bytes: random v1 and v2 lists, one-
// and two-cell addresses, holes, reserved, hot-removable and AI_INVALID LMBs, node changes, lists
// out of order or overlapping a /memory node, addresses around 2^52, 2^53 and 2^64.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CrashplugError, U64_MAX } from '../core/base/index.js';
import { type Fdt, fdtAddNode, fdtSetProperty, fdtString, fdtTuples, fdtU32, readDrconfMemory, readFdtMemory } from '../core/fdt/index.js';

const DRCONF = '/ibm,dynamic-reconfiguration-memory';
const ASSIGNED = 0x8;
const AI_INVALID = 0x40;
const RESERVED = 0x80;
const HOTREMOVABLE = 0x100;
/** The lookup arrays: domain 0, domain 1, and 0xffff (invalid), four cells each. */
const ARRAYS = [
  [0, 0, 0, 0],
  [0, 0, 0, 1],
  [0, 0, 0, 0xffff],
];

interface Tree {
  readonly addressCells: 1 | 2;
  readonly v2: boolean;
  readonly lmbSize: bigint;
  readonly numa: boolean;
  /** Entries as written: base (already cut to the cells), count, drc, aa, flags. */
  readonly entries: readonly { base: bigint; count: number; drc: number; aa: number; flags: number }[];
  readonly memoryNode: { readonly start: bigint; readonly size: bigint } | undefined;
}

const step = fc.record({
  gap: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.constant(-2) }),
  count: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 6 }) }),
  drcStep: fc.oneof({ weight: 12, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) }),
  flags: fc.oneof(
    { weight: 8, arbitrary: fc.constant(ASSIGNED) },
    { weight: 3, arbitrary: fc.constantFrom(0, ASSIGNED | RESERVED, ASSIGNED | HOTREMOVABLE, ASSIGNED | AI_INVALID, ASSIGNED | HOTREMOVABLE | AI_INVALID) },
  ),
  aa: fc.oneof({ weight: 10, arbitrary: fc.constant(-1) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }) }),
});

const tree = fc
  .record({
    addressCells: fc.constantFrom<1 | 2>(1, 2, 2),
    v2: fc.boolean(),
    lmbSize: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(0x1000_0000n, 0x100_0000n, 0x3000_0000n, 1n << 40n) },
      { weight: 1, arbitrary: fc.constantFrom(0n, 1n << 50n, 1n << 62n) },
    ),
    numa: fc.boolean(),
    start: fc.oneof(
      fc.bigInt({ min: 0n, max: 1n << 40n }),
      fc.bigInt({ min: (1n << 52n) - (1n << 34n), max: (1n << 52n) + (1n << 20n) }),
      fc.bigInt({ min: (1n << 53n) - (1n << 34n), max: 1n << 53n }),
      fc.bigInt({ min: U64_MAX - (1n << 34n), max: U64_MAX }),
    ),
    steps: fc.array(step, { maxLength: 60 }),
    memoryNode: fc.option(fc.record({ start: fc.bigInt({ min: 0n, max: 1n << 34n }), size: fc.bigInt({ min: 1n, max: 1n << 33n }) }), { nil: undefined }),
  })
  .map((r): Tree => {
    const cut = r.addressCells === 2 ? U64_MAX : 0xffff_ffffn;
    const unit = r.lmbSize === 0n ? 0x1000_0000n : r.lmbSize;
    let base = r.start;
    let drc = 0x8000_0000;
    let aa = 0;
    const entries = r.steps.map((s) => {
      base = s.gap === -2 ? base - 2n * unit : base + BigInt(s.gap) * unit;
      if (base < 0n) base = 0n;
      drc = (drc + s.drcStep) >>> 0;
      if (s.aa >= 0) aa = s.aa;
      const count = r.v2 ? s.count : 1;
      const e = { base: base & cut, count, drc, aa, flags: s.flags };
      base += BigInt(count) * unit;
      return e;
    });
    return { addressCells: r.addressCells, v2: r.v2, lmbSize: r.lmbSize, numa: r.numa, entries, memoryNode: r.memoryNode };
  });

function fdtOf(t: Tree): Fdt {
  const a = t.addressCells;
  const cells = (v: bigint): number[] => (a === 2 ? [Number(v >> 32n), Number(v & 0xffff_ffffn)] : [Number(v)]);
  const list: number[] = [t.entries.length];
  for (const e of t.entries) {
    if (t.v2) list.push(e.count, ...cells(e.base), e.drc, e.aa, e.flags);
    else list.push(...cells(e.base), e.drc, 0, e.aa, e.flags);
  }
  let f: Fdt = { origin: 'lmbs.dtb', bootCpuidPhys: 0, reservations: [], root: { name: '', properties: [], children: [] } };
  f = fdtSetProperty(fdtSetProperty(f, '/', '#address-cells', fdtU32(a)), '/', '#size-cells', fdtU32(2));
  if (t.numa) f = fdtSetProperty(fdtAddNode(f, '/', 'rtas'), '/rtas', 'ibm,associativity-reference-points', fdtU32(4, 4));
  if (t.memoryNode !== undefined) {
    f = fdtSetProperty(fdtAddNode(f, '/', 'memory@0'), '/memory@0', 'device_type', fdtString('memory'));
    f = fdtSetProperty(
      f,
      '/memory@0',
      'reg',
      fdtTuples({ addressCells: a, sizeCells: 2 }, [{ address: t.memoryNode.start & (a === 2 ? U64_MAX : 0xffff_ffffn), size: t.memoryNode.size }]),
    );
  }
  f = fdtAddNode(f, '/', DRCONF.slice(1));
  f = fdtSetProperty(f, DRCONF, 'ibm,lmb-size', fdtU32(Number(t.lmbSize >> 32n), Number(t.lmbSize & 0xffff_ffffn)));
  f = fdtSetProperty(f, DRCONF, 'ibm,associativity-lookup-arrays', fdtU32(ARRAYS.length, 4, ...ARRAYS.flat()));
  return fdtSetProperty(f, DRCONF, t.v2 ? 'ibm,dynamic-memory-v2' : 'ibm,dynamic-memory', fdtU32(...list));
}

/** The LMB pieces by the BigInt walk, from entries decoded here from the property's bytes. */
function oracle(f: Fdt, t: Tree, others: readonly { start: bigint; end: bigint }[]) {
  const node = f.root.children.find((c) => c.name === DRCONF.slice(1))!;
  const value = node.properties.find((p) => p.name.startsWith('ibm,dynamic-memory'))!.value;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const a = t.addressCells;
  const n = view.getUint32(0);
  const runs: { base: bigint; count: bigint; drc: number; aa: number; flags: number }[] = [];
  for (let i = 0, at = 4; i < n; i++) {
    const count = t.v2 ? view.getUint32(at) : 1;
    if (t.v2) at += 4;
    const base = a === 2 ? view.getBigUint64(at) : BigInt(view.getUint32(at));
    at += 4 * a;
    const drc = view.getUint32(at);
    const [aa, flags] = t.v2 ? [view.getUint32(at + 4), view.getUint32(at + 8)] : [view.getUint32(at + 8), view.getUint32(at + 12)];
    at += t.v2 ? 12 : 16;
    if (count > 0 && base + BigInt(count) * t.lmbSize - 1n > U64_MAX)
      return { error: new RegExp(`entry ${i} \\(${count} LMBs at 0x${base.toString(16)}\\) runs past the 64-bit`) };
    runs.push({ base, count: BigInt(count), drc, aa, flags });
  }
  const nidOf = (aa: number, flags: number): number => {
    if (!t.numa) return 0;
    if ((flags & AI_INVALID) !== 0) return -1;
    const d = ARRAYS[aa]?.[3];
    return d === undefined || d === 0xffff ? -1 : d;
  };
  const assigned = (flags: number): boolean => (flags & ASSIGNED) !== 0 && (flags & RESERVED) === 0;
  const name = (drc: number): string => `${DRCONF} LMB drc 0x${drc.toString(16)}`;
  const perRun = () =>
    runs
      .filter((r) => assigned(r.flags) && r.count > 0n && t.lmbSize > 0n)
      .map((r) => ({
        start: r.base,
        end: r.base + r.count * t.lmbSize - 1n,
        source: name(r.drc),
        nid: nidOf(r.aa, r.flags),
        hotpluggable: (r.flags & HOTREMOVABLE) !== 0,
      }));
  if (t.lmbSize === 0n) return { pieces: perRun() };
  const joined: { start: bigint; end: bigint; nid: number; hotpluggable: boolean; firstDrc: number; lastDrc: number }[] = [];
  for (const r of runs) {
    if (!assigned(r.flags) || r.count === 0n) continue;
    const last = joined.at(-1);
    if (last !== undefined && r.base <= last.end) return { pieces: perRun() };
    const nid = nidOf(r.aa, r.flags);
    const hotpluggable = (r.flags & HOTREMOVABLE) !== 0;
    const end = r.base + r.count * t.lmbSize - 1n;
    const lastDrc = r.drc + Number(r.count) - 1;
    if (last !== undefined && last.end + 1n === r.base && last.nid === nid && last.hotpluggable === hotpluggable && last.lastDrc + 1 === r.drc) {
      last.end = end;
      last.lastDrc = lastDrc;
    } else joined.push({ start: r.base, end, nid, hotpluggable, firstDrc: r.drc, lastDrc });
  }
  if (others.some((o) => joined.some((p) => p.start <= o.end && o.start <= p.end))) return { pieces: perRun() };
  return {
    pieces: joined.map((p) => ({
      start: p.start,
      end: p.end,
      source: p.firstDrc === p.lastDrc ? name(p.firstDrc) : `${name(p.firstDrc)}…0x${p.lastDrc.toString(16)}`,
      nid: p.nid,
      hotpluggable: p.hotpluggable,
    })),
  };
}

describe('the in-place LMB walk', () => {
  itProp.prop([tree], { numRuns: 400 })('gives the pieces of the BigInt walk over decoded entries, or the same refusal', (t) => {
    const f = fdtOf(t);
    const m = t.memoryNode;
    const start = m === undefined ? 0n : m.start & (t.addressCells === 2 ? U64_MAX : 0xffff_ffffn);
    const expected = oracle(f, t, m === undefined ? [] : [{ start, end: start + m.size - 1n }]);
    let got: ReturnType<typeof readFdtMemory>;
    try {
      got = readFdtMemory(f);
    } catch (err) {
      if (!CrashplugError.is(err) || expected.error === undefined) throw err;
      expect(err.code).toBe('E_BAD_FDT');
      expect(err.message).toMatch(expected.error);
      return;
    }
    if (expected.error !== undefined) throw new Error(`accepted a list the oracle refuses (${expected.error})`);
    const lmbPieces = got.pieces.filter((p) => p.source.startsWith(DRCONF));
    expect(lmbPieces).toEqual(expected.pieces);
  });

  it('refuses an entry that runs past 2^64 when its runs are read, as readFdtMemory does', () => {
    const t: Tree = {
      addressCells: 2,
      v2: false,
      lmbSize: 0x1000_0000n,
      numa: false,
      entries: [
        { base: 0x1_0000_0000n, count: 1, drc: 1, aa: 0, flags: ASSIGNED },
        { base: 0xffff_ffff_f000_0001n, count: 1, drc: 2, aa: 0, flags: 0 },
      ],
      memoryNode: undefined,
    };
    const f = fdtOf(t);
    const drconf = readDrconfMemory(f)!;
    expect(drconf.table.length).toBe(2);
    expect(() => drconf.runs).toThrow(/entry 1 \(1 LMBs at 0xfffffffff0000001\) runs past the 64-bit address space/);
    expect(() => readFdtMemory(f)).toThrow(/entry 1 \(1 LMBs at 0xfffffffff0000001\) runs past the 64-bit address space/);
    // One byte lower it fits: the last LMB ends at 2^64 − 1.
    const fits = fdtOf({ ...t, entries: [t.entries[0]!, { ...t.entries[1]!, base: 0xffff_ffff_f000_0000n }] });
    expect(readDrconfMemory(fits)!.runs[1]!.base).toBe(0xffff_ffff_f000_0000n);
  });
});
