// parseFdt against the real tools: every node, property and value our reader finds in QEMU dumps
// and dtc-compiled sources is what fdtget finds; and every kind of corruption is refused with
// E_BAD_FDT at the byte where it is.

import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../core/base/index.js';
import { type Fdt, FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_MAX_DEPTH, FDT_PROP, fdtLookup, fdtWalk, parseFdt, serializeFdt } from '../core/fdt/index.js';
import { allFixtureBlobs, compileDts, dtcSource, fdtget, qemuDump } from './fixtures/fdt/fdt-tools.js';

const hexBytes = (b: Uint8Array): string => [...b].map((x) => x.toString(16)).join(' ');

/** The E_BAD_FDT a parse throws, with the byte offset its message names. */
function refusal(blob: Uint8Array): { error: CrashplugError; offset: number | undefined } {
  try {
    parseFdt(blob, 'test.dtb');
  } catch (err) {
    if (!CrashplugError.is(err)) throw err;
    const m = /byte (\d+) \(0x/.exec(err.message);
    return { error: err, offset: m === null ? undefined : Number(m[1]) };
  }
  throw new Error('the blob was accepted');
}

function u32(blob: Uint8Array, at: number): number {
  return new DataView(blob.buffer, blob.byteOffset).getUint32(at, false);
}

function withU32(blob: Uint8Array, at: number, value: number): Uint8Array {
  const copy = blob.slice();
  new DataView(copy.buffer).setUint32(at, value, false);
  return copy;
}

/** Offset of the first structure token `token` at or after `from` (tokens are 4-aligned from the struct start). */
function tokenOffset(fdt: Fdt, name: string, kind: 'node' | 'prop'): number {
  for (const ref of fdtWalk(fdt)) {
    if (kind === 'node' && ref.node.name === name) return ref.node.offset!;
    const p = ref.node.properties.find((x) => x.name === name);
    if (kind === 'prop' && p !== undefined) return p.offset!;
  }
  throw new Error(`no ${kind} ${name}`);
}

describe('parseFdt', () => {
  describe('when reading blobs made by QEMU and dtc', () => {
    for (const [name, blob] of allFixtureBlobs()) {
      describe(name, () => {
        const fdt = parseFdt(blob, name);
        const refs = [...fdtWalk(fdt)];

        it('lists the subnodes and properties of every node as fdtget does', () => {
          for (const ref of refs) {
            const subnodes = fdtget(blob, ['-l'], [ref.path])
              .split('\n')
              .filter((l) => l !== '');
            expect(
              ref.node.children.map((c) => c.name),
              ref.path,
            ).toEqual(subnodes);
            const props = fdtget(blob, ['-p'], [ref.path])
              .split('\n')
              .filter((l) => l !== '');
            expect(
              ref.node.properties.map((p) => p.name),
              ref.path,
            ).toEqual(props);
          }
        });

        it('reads every property value byte for byte as fdtget does', () => {
          const pairs = refs.flatMap((ref) => ref.node.properties.map((p) => [ref.path, p.name] as const));
          const lines = fdtget(blob, ['-t', 'bx'], pairs.flat()).split('\n');
          pairs.forEach(([path, prop], i) => {
            const value = fdtLookup(fdt, path)!.node.properties.find((p) => p.name === prop)!.value;
            expect(hexBytes(value), `${path} ${prop}`).toBe(lines[i]);
          });
        });

        it('finds the memory reservations dtc prints', () => {
          const lines = [...dtcSource(blob).matchAll(/\/memreserve\/\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+);/g)];
          expect(fdt.reservations.map((r) => [r.address, r.size])).toEqual(lines.map((m) => [BigInt(m[1]!), BigInt(m[2]!)]));
        });
      });
    }
  });

  describe('when the blob is laid out unlike dtc', () => {
    it('reads QEMU dumps, whose struct block sits at 0x40 in 1 MiB of mostly free space', () => {
      const blob = qemuDump('virt-1g-2cpu.dtb.gz');
      expect(blob.length).toBe(1 << 20);
      expect(u32(blob, 8)).toBe(0x40);
      expect(parseFdt(blob).root.children.some((c) => c.name === 'memory@40000000')).toBe(true);
    });

    it('reads version-16 blobs, which have no size_dt_struct', () => {
      const v17 = compileDts('memory-many.dts');
      const v16 = withU32(v17, 20, 16);
      expect(parseFdt(v16)).toEqual(parseFdt(v17));
    });

    it('ignores bytes after totalsize', () => {
      const blob = compileDts('cells.dts');
      const padded = new Uint8Array(blob.length + 100).fill(0xff);
      padded.set(blob);
      expect(parseFdt(padded)).toEqual(parseFdt(blob));
    });
  });

  describe('when the blob is corrupt', () => {
    const good = compileDts('memory-many.dts');
    const fdt = parseFdt(good);
    const offStruct = u32(good, 8);
    const sizeStruct = u32(good, 36);

    it('refuses a bad magic at byte 0', () => {
      const r = refusal(withU32(good, 0, 0xfeedd00d));
      expect(r.error.code).toBe('E_BAD_FDT');
      expect(r.offset).toBe(0);
      expect(r.error.message).toMatch(/not a flattened device tree/);
    });

    it('refuses a blob cut inside its header', () => {
      const r = refusal(good.slice(0, 30));
      expect(r.error.code).toBe('E_BAD_FDT');
      expect(r.offset).toBe(30);
    });

    it('refuses a blob shorter than its totalsize (truncated)', () => {
      const r = refusal(good.slice(0, good.length - 1));
      expect(r.offset).toBe(4);
      expect(r.error.message).toMatch(/truncated/);
    });

    it('refuses block offsets and lengths past totalsize', () => {
      expect(refusal(withU32(good, 8, good.length + 8)).offset).toBe(8);
      expect(refusal(withU32(good, 12, good.length - 4)).offset).toBe(12);
      expect(refusal(withU32(good, 36, sizeStruct + 0x1000)).offset).toBe(8);
      expect(refusal(withU32(good, 16, 4)).offset).toBe(16);
    });

    it('refuses versions it cannot read', () => {
      expect(refusal(withU32(good, 20, 3)).offset).toBe(20);
      expect(refusal(withU32(good, 24, 18)).offset).toBe(24);
    });

    it('refuses a structure that never closes', () => {
      // Cut the structure block before its last FDT_END_NODE and FDT_END.
      const r = refusal(withU32(good, 36, sizeStruct - 8));
      expect(r.error.message).toMatch(/never closes/);
      expect(r.offset).toBe(offStruct + sizeStruct - 8);
    });

    it('refuses FDT_END while nodes are open', () => {
      const r = refusal(withU32(good, offStruct + sizeStruct - 8, FDT_END));
      expect(r.error.message).toMatch(/never close/);
      expect(r.offset).toBe(offStruct + sizeStruct - 8);
    });

    it('refuses a string offset outside the strings block, at the offending field', () => {
      const at = tokenOffset(fdt, 'bootargs', 'prop');
      const r = refusal(withU32(good, at + 8, u32(good, 32) + 5));
      expect(r.offset).toBe(at + 8);
      expect(r.error.message).toMatch(/strings block/);
    });

    it('refuses a property length past the end of the structure block', () => {
      const at = tokenOffset(fdt, 'model', 'prop');
      const r = refusal(withU32(good, at + 4, 0x7fff_ffff));
      expect(r.offset).toBe(at + 4);
    });

    it('refuses a strings block without a final NUL', () => {
      const blob = good.slice();
      blob[u32(good, 12) + u32(good, 32) - 1] = 0x41;
      expect(refusal(blob).error.message).toMatch(/without a NUL/);
    });

    it('refuses an unknown token', () => {
      const at = tokenOffset(fdt, 'model', 'prop');
      const r = refusal(withU32(good, at, 0x7));
      expect(r.offset).toBe(at);
      expect(r.error.message).toMatch(/unknown structure token 0x7/);
    });

    it('refuses a memory reservation block without its terminator', () => {
      const blob = good.slice();
      blob.fill(0xaa, 40, u32(good, 8));
      expect(refusal(withU32(blob, 16, 40)).error.message).toMatch(/terminator/);
    });

    it(`refuses nodes nested more than ${FDT_MAX_DEPTH} deep, as Linux does`, () => {
      const words: number[] = [];
      for (let i = 0; i <= FDT_MAX_DEPTH; i++) words.push(FDT_BEGIN_NODE, 0x61000000);
      for (let i = 0; i <= FDT_MAX_DEPTH; i++) words.push(FDT_END_NODE);
      words.push(FDT_END);
      const blob = new Uint8Array(56 + 4 * words.length);
      const v = new DataView(blob.buffer);
      [0xd00dfeed, blob.length, 56, blob.length, 40, 17, 16, 0, 0, 4 * words.length].forEach((x, i) => v.setUint32(4 * i, x));
      words.forEach((w, i) => v.setUint32(56 + 4 * i, w));
      expect(refusal(blob).error.message).toMatch(/nested more than 64/);
      // One level less is a tree Linux boots.
      const ok = blob.slice();
      const ov = new DataView(ok.buffer);
      ov.setUint32(56, 4); // FDT_NOP for the outermost BEGIN_NODE
      ov.setUint32(56 + 4, 4);
      ov.setUint32(56 + 8 * (FDT_MAX_DEPTH + 1), 4); // and its END_NODE
      expect(() => parseFdt(ok)).not.toThrow();
    });

    it('refuses a property outside any node', () => {
      const words = [FDT_PROP, 0, 0, FDT_END];
      const blob = new Uint8Array(56 + 16 + 1);
      const v = new DataView(blob.buffer);
      [0xd00dfeed, blob.length, 56, 72, 40, 17, 16, 0, 1, 16].forEach((x, i) => v.setUint32(4 * i, x));
      words.forEach((w, i) => v.setUint32(56 + 4 * i, w));
      expect(refusal(blob).offset).toBe(56);
    });
  });

  it('round-trips every header field it keeps', () => {
    const blob = compileDts('memory-many.dts');
    const fdt = parseFdt(blob);
    const again = parseFdt(serializeFdt({ ...fdt, bootCpuidPhys: 3 }));
    expect(again.bootCpuidPhys).toBe(3);
    expect(again.reservations).toEqual(fdt.reservations);
  });
});
