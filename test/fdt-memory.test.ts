// readFdtMemory / fdtSystemRam: System RAM as memblock holds it, from QEMU's device trees and from
// dtc-compiled sources covering every memory description — checked against the values fdtget reads
// and against what the QEMU command line asked for.

import { fc, test as propertyTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../core/base/index.js';
import {
  type Fdt,
  fdtAddNode,
  fdtSetProperty,
  fdtString,
  fdtSystemRam,
  fdtU32,
  fdtNumbers,
  NUMA_NO_NODE,
  parseFdt,
  readDrconfMemory,
  readFdtMemory,
  serializeFdt,
} from '../core/fdt/index.js';
import { mergeRanges, subtractRanges } from '../core/memory/index.js';
import { compileDts, fdtget, qemuDump } from './fixtures/fdt/fdt-tools.js';

const G = 1n << 30n;
const M = 1n << 20n;

/** [start, end, nid, hotpluggable] per region, for compact expectations. */
type Row = [bigint, bigint, number, boolean];
const rows = (blob: Uint8Array | Fdt): Row[] => readFdtMemory(blob, 'test').regions.map((r) => [r.start, r.end, r.nid, r.hotpluggable]);

function refusal(f: () => unknown): CrashplugError {
  try {
    f();
  } catch (err) {
    if (CrashplugError.is(err)) return err;
    throw err;
  }
  throw new Error('accepted');
}

describe('readFdtMemory', () => {
  describe('when QEMU virt describes the machine (arm64 fixtures)', () => {
    const cases: [string, string, Row[]][] = [
      ['virt-1g-2cpu.dtb.gz', '-m 1G', [[0x4000_0000n, 0x4000_0000n + G - 1n, 0, false]]],
      ['virt-8g-8cpu-topology.dtb.gz', '-m 8G: one node crossing 4 GiB', [[0x4000_0000n, 0x4000_0000n + 8n * G - 1n, 0, false]]],
      ['virt-slots-maxmem.dtb.gz', 'slots/maxmem add an implicit NUMA node 0 but no memory', [[0x4000_0000n, 0x7fff_ffffn, 0, false]]],
      ['virt-secure.dtb.gz', 'the secure-only RAM node is status "disabled"', [[0x4000_0000n, 0x7fff_ffffn, 0, false]]],
      [
        'virt-numa2.dtb.gz',
        'two adjacent 2 GiB nodes stay two regions (facts §13.3)',
        [
          [0x4000_0000n, 0xbfff_ffffn, 0, false],
          [0xc000_0000n, 0x1_3fff_ffffn, 1, false],
        ],
      ],
      [
        'virt-numa4-uneven.dtb.gz',
        '1 GiB, 512 MiB and 2.5 GiB nodes back to back; node 3 has no memory',
        [
          [0x4000_0000n, 0x7fff_ffffn, 0, false],
          [0x8000_0000n, 0x9fff_ffffn, 1, false],
          [0xa000_0000n, 0x1_3fff_ffffn, 2, false],
        ],
      ],
    ];
    for (const [name, why, expected] of cases) {
      it(`${name}: ${why}`, () => {
        expect(rows(qemuDump(name))).toEqual(expected);
      });
    }

    it('pseries-numa2.dtb.gz (QEMU pseries): adjacent nodes by ibm,associativity stay two regions', () => {
      const memory = readFdtMemory(qemuDump('pseries-numa2.dtb.gz'));
      expect(memory.numa).toMatchObject({ kind: 'ibm,associativity', primaryIndex: 4 });
      expect(memory.regions.map((r): Row => [r.start, r.end, r.nid, r.hotpluggable])).toEqual([
        [0x0n, 0x3fff_ffffn, 0, false],
        [0x4000_0000n, 0x7fff_ffffn, 1, false],
      ]);
    });

    it('covers exactly the bytes of the enabled memory nodes fdtget reads', () => {
      for (const name of [...cases.map(([n]) => n), 'pseries-numa2.dtb.gz']) {
        const blob = qemuDump(name);
        const nodes = fdtget(blob, ['-l'], ['/'])
          .split('\n')
          .filter((n) => /^memory@/.test(n));
        const regs = nodes.flatMap((n) => {
          const cells = fdtget(blob, ['-t', 'x'], [`/${n}`, 'reg'])
            .trim()
            .split(/\s+/)
            .map((x) => BigInt(`0x${x}`));
          const out = [];
          for (let i = 0; i + 3 < cells.length; i += 4) {
            const start = (cells[i]! << 32n) | cells[i + 1]!;
            const size = (cells[i + 2]! << 32n) | cells[i + 3]!;
            out.push({ start, end: start + size - 1n });
          }
          return out;
        });
        expect(mergeRanges(fdtSystemRam(blob, name)), name).toEqual(mergeRanges(regs));
      }
    });

    it('reads the same memory from the 1 MiB dump and from our packed copy of it', () => {
      const blob = qemuDump('virt-numa4-uneven.dtb.gz');
      expect(rows(serializeFdt(parseFdt(blob)))).toEqual(rows(blob));
    });
  });

  describe('when memory is described every way the reader supports (memory-many.dts)', () => {
    const memory = readFdtMemory(compileDts('memory-many.dts'), 'memory-many.dts');

    it('sorts and merges tuples across nodes, skips empty and disabled ones, keeps the hotpluggable node apart, and cuts out no-map memory', () => {
      expect(memory.regions.map((r): Row => [r.start, r.end, r.nid, r.hotpluggable])).toEqual([
        [0x4000_0000n, 0x4fff_ffffn, 0, false],
        [0x5020_0000n, 0xffff_ffffn, 0, false],
        [0x2_0000_0000n, 0x2_3fff_ffffn, 0, true],
        [0x2_4000_0000n, 0x2_7fff_ffffn, 0, false],
      ]);
      expect(memory.noMap).toEqual([{ start: 0x5000_0000n, end: 0x501f_ffffn }]);
    });

    it('keeps /memreserve/ regions as RAM (memblock_reserve, not removal)', () => {
      const ram = memory.systemRam;
      expect(ram.some((r) => r.start <= 0x4800_0000n && r.end >= 0x480f_ffffn)).toBe(true);
    });

    it('names every range "System RAM", as fdtSystemRam returns it', () => {
      expect(fdtSystemRam(compileDts('memory-many.dts'), 'x').every((r) => r.name === 'System RAM')).toBe(true);
      expect(memory.chosen).toEqual({ elfcorehdr: undefined, usableMemoryRanges: [] });
    });
  });

  describe('when a kdump kernel boots (kdump-capture.dts)', () => {
    const memory = readFdtMemory(compileDts('kdump-capture.dts'), 'kdump-capture.dts');

    it('reads /chosen linux,elfcorehdr and linux,usable-memory-range in root cells', () => {
      expect(memory.chosen.elfcorehdr).toEqual({ start: 0xdfff_0000n, end: 0xdfff_ffffn });
      expect(memory.chosen.usableMemoryRanges).toEqual([
        { start: 0xa000_0000n, end: 0xdfff_ffffn },
        { start: 0x5000_0000n, end: 0x5fff_ffffn },
      ]);
    });

    it('caps memory to the first usable range, adds the others, and still splits at the node boundary', () => {
      expect(memory.regions.map((r): Row => [r.start, r.end, r.nid, r.hotpluggable])).toEqual([
        [0x5000_0000n, 0x5fff_ffffn, 0, false],
        [0xa000_0000n, 0xbfff_ffffn, 0, false],
        [0xc000_0000n, 0xdfff_ffffn, 1, false],
      ]);
    });
  });

  describe('#address-cells and #size-cells', () => {
    it('reads memory with the root cells, 2 + 1 here (cells.dts)', () => {
      expect(fdtSystemRam(compileDts('cells.dts'), 'cells.dts').map((r) => [r.start, r.end])).toEqual([
        [0x8000_0000n, 0x8fff_ffffn],
        [0x1_0000_0000n, 0x1_0fff_ffffn],
      ]);
    });

    it("defaults to Linux's 1 + 1 cells, not the specification's 2 + 1 (cells-default.dts)", () => {
      expect(fdtSystemRam(compileDts('cells-default.dts'), 'cells-default.dts').map((r) => [r.start, r.end])).toEqual([
        [0x1000_0000n, 0x17ff_ffffn],
        [0x2000_0000n, 0x2000_0fffn],
      ]);
    });
  });

  describe('NUMA', () => {
    it('of_numa: a memory node without numa-node-id makes Linux put everything on node 0 (numa-partial.dts)', () => {
      const memory = readFdtMemory(compileDts('numa-partial.dts'), 'numa-partial.dts');
      expect(memory.numaFellBack).toBe(true);
      expect(memory.regions.map((r): Row => [r.start, r.end, r.nid, r.hotpluggable])).toEqual([[0x4000_0000n, 0xbfff_ffffn, 0, false]]);
      expect(memory.warnings.join()).toMatch(/numa-node-id/);
    });

    it('pseries: associativity at the primary domain index splits nodes, merges LMBs of one node, skips unassigned and reserved LMBs', () => {
      expect(rows(compileDts('pseries-drconf-v1.dts'))).toEqual([
        [0x0n, 0x3fff_ffffn, 0, false],
        [0x4000_0000n, 0x9fff_ffffn, 1, false],
        [0xa000_0000n, 0xafff_ffffn, 0, false],
        [0xd000_0000n, 0xefff_ffffn, NUMA_NO_NODE, false],
        [0xf000_0000n, 0xffff_ffffn, 0, true],
        [0x1_0000_0000n, 0x1_0fff_ffffn, 0, false],
      ]);
    });

    it('without reference points Linux turns NUMA off and adjacent nodes merge', () => {
      const fdt = parseFdt(compileDts('pseries-drconf-v1.dts'));
      const noRefs = { ...fdt, root: { ...fdt.root, children: fdt.root.children.filter((c) => c.name !== 'rtas') } };
      expect(rows(noRefs).slice(0, 2)).toEqual([
        [0x0n, 0xafff_ffffn, 0, false],
        [0xd000_0000n, 0xefff_ffffn, 0, false],
      ]);
    });
  });

  describe('dynamic-reconfiguration memory (LMBs)', () => {
    it('reads the v2 run-length form as the v1 list, plus its one extra 1 TiB run as one region', () => {
      const v1 = rows(compileDts('pseries-drconf-v1.dts'));
      const v2 = rows(compileDts('pseries-drconf-v2.dts'));
      expect(v2).toEqual([...v1, [0x100_0000_0000n, 0x1ff_ffff_ffffn, 1, false]]);
    });

    it('reads LMB size, flags and associativity index as fdtget shows them', () => {
      const blob = compileDts('pseries-drconf-v1.dts');
      const drconf = readDrconfMemory(parseFdt(blob))!;
      const cells = fdtget(blob, ['-t', 'x'], ['/ibm,dynamic-reconfiguration-memory', 'ibm,dynamic-memory'])
        .trim()
        .split(/\s+/)
        .map((x) => parseInt(x, 16));
      expect(drconf.format).toBe('ibm,dynamic-memory');
      expect(drconf.lmbSize).toBe(256n * M);
      expect(drconf.runs).toHaveLength(cells[0]!);
      drconf.runs.forEach((run, i) => {
        const e = cells.slice(1 + 6 * i, 7 + 6 * i);
        expect([run.base, run.drcIndex, run.aaIndex, run.flags]).toEqual([(BigInt(e[0]!) << 32n) | BigInt(e[1]!), e[2], e[4], e[5]]);
      });
    });

    it("a kdump kernel's linux,usable-memory and linux,drconf-usable-memory replace reg and the LMBs (pseries-kdump.dts)", () => {
      expect(rows(compileDts('pseries-kdump.dts'))).toEqual([
        [0x0n, 0x1fff_ffffn, 0, false],
        [0xc000_0000n, 0xc7ff_ffffn, 1, false],
      ]);
    });

    it('ignores a drconf node without ibm,lmb-size, as Linux does, and says so', () => {
      const fdt = parseFdt(compileDts('pseries-drconf-v1.dts'));
      const drconf = fdt.root.children.find((c) => c.name === 'ibm,dynamic-reconfiguration-memory')!;
      const stripped = { ...drconf, properties: drconf.properties.filter((p) => p.name !== 'ibm,lmb-size') };
      const t = { ...fdt, root: { ...fdt.root, children: fdt.root.children.map((c) => (c === drconf ? stripped : c)) } };
      const memory = readFdtMemory(t);
      expect(memory.systemRam.at(-1)!.end).toBe(0x7fff_ffffn);
      expect(memory.warnings.join()).toMatch(/ibm,lmb-size/);
    });

    it('refuses an LMB list shorter than its count, at the property', () => {
      let t = fdtSetProperty(
        parseFdt(compileDts('pseries-drconf-v1.dts')),
        '/ibm,dynamic-reconfiguration-memory',
        'ibm,dynamic-memory',
        fdtU32(3, 0, 0, 0, 0, 0, 8),
      );
      t = parseFdt(serializeFdt(t), 'short.dtb');
      const err = refusal(() => readFdtMemory(t));
      expect(err.code).toBe('E_BAD_FDT');
      expect(err.message).toMatch(/^short\.dtb: byte \d+ .*claims 3 entries/);
    });
  });

  describe('when memory properties are malformed', () => {
    const base = parseFdt(compileDts('cells.dts'), 'bad.dtb');
    const bad = (name: string, value: Uint8Array): CrashplugError =>
      refusal(() => readFdtMemory(parseFdt(serializeFdt(fdtSetProperty(base, '/memory@80000000', name, value)), 'bad.dtb')));

    it('refuses a reg that is not whole (address, size) entries, naming the byte', () => {
      const err = bad('reg', fdtU32(0, 0x8000_0000, 0x1000, 7));
      expect(err.code).toBe('E_BAD_FDT');
      expect(err.message).toMatch(/byte \d+ .*"reg" is 16 bytes, not a whole number of \(2\+1\)-cell entries/);
    });

    it('refuses a range that runs past 2^64', () => {
      expect(bad('reg', fdtU32(0xffff_ffff, 0xffff_f000, 0x2000)).message).toMatch(/past the 64-bit address space/);
    });

    it('refuses a device_type that is not a string', () => {
      expect(bad('device_type', new Uint8Array([0x6d])).code).toBe('E_BAD_FDT');
    });
  });

  describe('for any set of memory nodes', () => {
    const node = fc.record({
      start: fc.bigInt({ min: 0n, max: 1n << 40n }).map((x) => x << 12n),
      size: fc.bigInt({ min: 1n, max: 1n << 20n }).map((x) => x << 12n),
      nid: fc.option(fc.nat({ max: 3 }), { nil: undefined }),
      hotpluggable: fc.boolean(),
    });

    propertyTest.prop([fc.array(node, { minLength: 1, maxLength: 12 }), fc.boolean()])(
      'regions are sorted, disjoint, cover exactly the nodes, and touching regions differ in node or hot-plug flag',
      (nodes, numa) => {
        let t: Fdt = { origin: 'generated', bootCpuidPhys: 0, reservations: [], root: { name: '', properties: [], children: [] } };
        t = fdtSetProperty(fdtSetProperty(t, '/', '#address-cells', fdtU32(2)), '/', '#size-cells', fdtU32(2));
        nodes.forEach((n, i) => {
          const path = `/memory@${i}`;
          t = fdtSetProperty(fdtAddNode(t, '/', `memory@${i}`), path, 'device_type', fdtString('memory'));
          t = fdtSetProperty(t, path, 'reg', fdtNumbers(2, [n.start, n.size]));
          if (numa) t = fdtSetProperty(t, path, 'numa-node-id', fdtU32(n.nid ?? i % 4));
          if (n.hotpluggable) t = fdtSetProperty(t, path, 'hotpluggable', new Uint8Array(0));
        });
        const { regions } = readFdtMemory(t);
        const union = mergeRanges(nodes.map((n) => ({ start: n.start, end: n.start + n.size - 1n })));
        expect(mergeRanges(regions)).toEqual(union);
        for (let i = 1; i < regions.length; i++) {
          const a = regions[i - 1]!;
          const b = regions[i]!;
          expect(a.end).toBeLessThan(b.start);
          if (a.end + 1n === b.start) expect(a.nid !== b.nid || a.hotpluggable !== b.hotpluggable).toBe(true);
        }
        if (!numa) expect(regions.every((r) => r.nid === 0)).toBe(true);
        expect(subtractRanges(union, regions)).toEqual([]);
      },
    );
  });
});
