// Hostile blobs: random mutations of real device trees and random bytes never make the reader,
// the memory scan or the writer fail with anything but E_BAD_FDT, never hang, and each finishes in
// milliseconds. A few hand-made worst cases check that the work stays linear in the blob's size.

import { fc, test as propertyTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../core/base/index.js';
import { type Fdt, fdtAddNode, fdtNumbers, fdtSetProperty, fdtString, fdtU32, parseFdt, readFdtMemory, serializeFdt } from '../core/fdt/index.js';
import { compileDts, DTS_FIXTURES, QEMU_FIXTURES, qemuDump } from './fixtures/fdt/fdt-tools.js';

/** Budget per blob. Typical runs take well under a millisecond; this only catches a hang. */
const PER_BLOB_MS = 250;

// Packed QEMU trees (the raw dumps are 1 MiB of free space) and every dtc-compiled fixture.
const SEEDS: Uint8Array[] = [...QEMU_FIXTURES.map((n) => serializeFdt(parseFdt(qemuDump(n)))), ...DTS_FIXTURES.map((n) => compileDts(n))];

/** Values that sit on the edges of every length and offset check. */
const edgy = (len: number): fc.Arbitrary<number> =>
  fc.oneof(
    fc.constantFrom(0, 1, 2, 3, 4, 8, 9, 16, 17, 36, 40, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xd00d_feed),
    fc.constantFrom(len - 8, len - 4, len - 1, len, len + 1, len + 4),
    fc.nat({ max: len + 64 }),
    fc.nat(),
  );

type Mutation =
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'copy'; from: number; to: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array };

const mutation = (len: number): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ kind: fc.constant('byte' as const), at: fc.nat({ max: len - 1 }), value: fc.nat({ max: 255 }) }),
    fc.record({ kind: fc.constant('u32' as const), at: fc.nat({ max: (len >> 2) - 1 }).map((i) => 4 * i), value: edgy(len) }),
    fc.record({ kind: fc.constant('u32' as const), at: fc.nat({ max: 9 }).map((i) => 4 * i), value: edgy(len) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: len }) }),
    fc.record({ kind: fc.constant('copy' as const), from: fc.nat({ max: len - 1 }), to: fc.nat({ max: len - 1 }), length: fc.nat({ max: 64 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: len }), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  );

function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = seed.slice();
  for (const m of mutations) {
    switch (m.kind) {
      case 'byte':
        if (m.at < b.length) b[m.at] = m.value;
        break;
      case 'u32':
        if (m.at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(m.at, m.value >>> 0, false);
        break;
      case 'truncate':
        b = b.slice(0, m.at);
        break;
      case 'copy':
        b.copyWithin(m.to, m.from, m.from + m.length);
        break;
      case 'insert': {
        const out = new Uint8Array(b.length + m.bytes.length);
        out.set(b.subarray(0, m.at));
        out.set(m.bytes, Math.min(m.at, b.length));
        out.set(b.subarray(m.at), Math.min(m.at, b.length) + m.bytes.length);
        b = out;
        break;
      }
      default: {
        const never: never = m;
        throw new Error(`unknown mutation ${String(never)}`);
      }
    }
  }
  return b;
}

/** Everything a blob goes through; returns how it ended. Anything but E_BAD_FDT is rethrown. */
function exercise(blob: Uint8Array): 'accepted' | 'refused' {
  try {
    const fdt = parseFdt(blob, 'fuzz.dtb');
    // A tree we accepted can be written back and reads back the same.
    const again = serializeFdt(fdt);
    if (Buffer.compare(serializeFdt(parseFdt(again)), again) !== 0) throw new Error('a tree we read does not survive a write and re-read');
    readFdtMemory(fdt);
    return 'accepted';
  } catch (err) {
    if (CrashplugError.is(err) && err.code === 'E_BAD_FDT') {
      expect(err.message).toMatch(/^fuzz\.dtb/);
      return 'refused';
    }
    throw err;
  }
}

function timed(blob: Uint8Array): number {
  const t0 = performance.now();
  exercise(blob);
  return performance.now() - t0;
}

const blobs = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .nat({ max: SEEDS.length - 1 })
      .chain((i) => fc.array(mutation(SEEDS[i]!.length), { minLength: 1, maxLength: 6 }).map((ms) => mutate(SEEDS[i]!, ms))),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }) },
  // Random bytes behind a plausible header, so the fuzzing reaches the structure walk.
  {
    weight: 2,
    arbitrary: fc.uint8Array({ minLength: 0, maxLength: 600 }).map((body) => {
      const b = new Uint8Array(40 + body.length);
      b.set(body, 40);
      const v = new DataView(b.buffer);
      const size = b.length;
      [0xd00dfeed, size, 56, Math.max(56, size - 64), 40, 17, 16, 0, 64, Math.max(0, size - 120)].forEach((x, i) => v.setUint32(4 * i, x));
      if (size >= 56) new DataView(b.buffer).setBigUint64(40, 0n);
      return b;
    }),
  },
);

describe('the FDT reader under fuzzing', () => {
  const outcomes = { accepted: 0, refused: 0 };
  let slowest = 0;

  propertyTest.prop([blobs], { numRuns: 2000 })('only ever refuses with E_BAD_FDT, within its time budget', (blob) => {
    const t0 = performance.now();
    outcomes[exercise(blob)]++;
    const ms = performance.now() - t0;
    slowest = Math.max(slowest, ms);
    expect(ms).toBeLessThan(PER_BLOB_MS);
  });

  it('saw both outcomes (the fuzzing reaches past the header checks)', () => {
    expect(outcomes.refused).toBeGreaterThan(100);
    expect(outcomes.accepted).toBeGreaterThan(30);
    expect(slowest).toBeLessThan(PER_BLOB_MS);
  });

  it('accepts every unmutated seed', () => {
    for (const seed of SEEDS) expect(exercise(seed)).toBe('accepted');
  });
});

describe('the memory scan under fuzzing', () => {
  // Every property the scan reads, given random values in trees that use them all.
  const TREES = ['pseries-drconf-v1.dts', 'pseries-drconf-v2.dts', 'pseries-kdump.dts', 'memory-many.dts', 'kdump-capture.dts'].map((n) =>
    parseFdt(compileDts(n), 'fuzz.dtb'),
  );
  const PROPS: [string, string][] = [
    ['/', '#address-cells'],
    ['/', '#size-cells'],
    ['/rtas', 'ibm,associativity-reference-points'],
    ['/memory@0', 'reg'],
    ['/memory@0', 'ibm,associativity'],
    ['/memory@0', 'linux,usable-memory'],
    ['/memory@40000000', 'reg'],
    ['/memory@40000000', 'numa-node-id'],
    ['/memory@40000000', 'device_type'],
    ['/memory@40000000', 'status'],
    ['/ibm,dynamic-reconfiguration-memory', 'ibm,lmb-size'],
    ['/ibm,dynamic-reconfiguration-memory', 'ibm,dynamic-memory'],
    ['/ibm,dynamic-reconfiguration-memory', 'ibm,dynamic-memory-v2'],
    ['/ibm,dynamic-reconfiguration-memory', 'ibm,associativity-lookup-arrays'],
    ['/ibm,dynamic-reconfiguration-memory', 'linux,drconf-usable-memory'],
    ['/reserved-memory/firmware@50000000', 'reg'],
    ['/chosen', 'linux,elfcorehdr'],
    ['/chosen', 'linux,usable-memory-range'],
  ];
  const cellsOrBytes = fc.oneof(
    fc.array(fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 0xffff, 0xffff_ffff, 0x8000_0000), fc.nat()), { maxLength: 24 }).map((c) => fdtU32(...c)),
    fc.uint8Array({ maxLength: 40 }),
  );
  const edits = fc.array(fc.tuple(fc.constantFrom(...PROPS), cellsOrBytes), { minLength: 1, maxLength: 4 });

  propertyTest.prop([fc.nat({ max: TREES.length - 1 }), edits], { numRuns: 1000 })('only ever refuses with E_BAD_FDT', (i, changes) => {
    let t = TREES[i]!;
    for (const [[path, name], value] of changes) {
      try {
        t = fdtSetProperty(t, path, name, value);
      } catch {
        // The node is not in this tree; leave it.
      }
    }
    const t0 = performance.now();
    try {
      readFdtMemory(t);
    } catch (err) {
      if (!(CrashplugError.is(err) && err.code === 'E_BAD_FDT')) throw err;
    }
    expect(performance.now() - t0).toBeLessThan(PER_BLOB_MS);
  });
});

describe('worst cases stay linear', () => {
  const empty: Fdt = { origin: 'worst case', bootCpuidPhys: 0, reservations: [], root: { name: '', properties: [], children: [] } };

  it('a 1 MiB blob of properties that all name one long string', () => {
    // 80 000 properties whose name offsets step through one 100 000-character name.
    const name = 'n'.repeat(100_000);
    const base = serializeFdt(fdtSetProperty(empty, '/', name, new Uint8Array(0)));
    const v = new DataView(base.buffer);
    const offStruct = v.getUint32(8);
    const offStrings = v.getUint32(12);
    const count = 80_000;
    const struct = new Uint8Array(8 + 12 * count + 8);
    const sv = new DataView(struct.buffer);
    sv.setUint32(0, 1);
    for (let i = 0; i < count; i++) {
      sv.setUint32(8 + 12 * i, 3);
      sv.setUint32(8 + 12 * i + 8, i);
    }
    sv.setUint32(8 + 12 * count, 2);
    sv.setUint32(8 + 12 * count + 4, 9);
    const strings = base.subarray(offStrings);
    const blob = new Uint8Array(offStruct + struct.length + strings.length);
    blob.set(base.subarray(0, offStruct));
    blob.set(struct, offStruct);
    blob.set(strings, offStruct + struct.length);
    const bv = new DataView(blob.buffer);
    bv.setUint32(4, blob.length);
    bv.setUint32(12, offStruct + struct.length);
    bv.setUint32(36, struct.length);
    const t0 = performance.now();
    const fdt = parseFdt(blob, 'worst case');
    expect(fdt.root.properties).toHaveLength(count);
    expect(fdt.root.properties[1]!.name).toHaveLength(name.length - 1);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a v2 LMB run of 2^32 − 1 blocks, and absurd #address-cells', () => {
    let t = fdtSetProperty(empty, '/', '#address-cells', fdtU32(2));
    t = fdtSetProperty(t, '/', '#size-cells', fdtU32(2));
    t = fdtAddNode(t, '/', 'ibm,dynamic-reconfiguration-memory');
    t = fdtSetProperty(t, '/ibm,dynamic-reconfiguration-memory', 'ibm,lmb-size', fdtNumbers(2, [0x1000n]));
    t = fdtSetProperty(t, '/ibm,dynamic-reconfiguration-memory', 'ibm,dynamic-memory-v2', fdtU32(1, 0xffff_ffff, 0, 0, 0, 0, 8));
    const t0 = performance.now();
    expect(readFdtMemory(parseFdt(serializeFdt(t))).systemRam).toEqual([{ name: 'System RAM', start: 0n, end: 0xffff_ffffn * 0x1000n - 1n }]);
    const cells = fdtSetProperty(t, '/', '#address-cells', fdtU32(0xffff_ffff));
    const withMemory = fdtSetProperty(fdtAddNode(cells, '/', 'memory@0'), '/memory@0', 'device_type', fdtString('memory'));
    const bad = fdtSetProperty(withMemory, '/memory@0', 'reg', fdtU32(1, 2, 3));
    expect(() => readFdtMemory(bad)).toThrow(/#address-cells 4294967295/);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('a blob whose every structure token is FDT_NOP until the end', () => {
    const blob = new Uint8Array(1 << 20);
    const v = new DataView(blob.buffer);
    [0xd00dfeed, blob.length, 56, blob.length, 40, 17, 16, 0, 0, blob.length - 56].forEach((x, i) => v.setUint32(4 * i, x));
    for (let at = 56; at < blob.length; at += 4) v.setUint32(at, 4);
    const t0 = performance.now();
    expect(() => parseFdt(blob, 'nops')).toThrow(/ends without FDT_END/);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('reads, writes back and scans an unmutated seed in a few milliseconds at most (median)', () => {
    const times = SEEDS.map(timed).sort((a, b) => a - b);
    expect(times[Math.floor(times.length / 2)]!).toBeLessThan(20);
  });
});
