// serializeFdt and the editing functions against dtc and fdtput: a blob we write reads back in dtc
// exactly as the blob it came from, and an edit made with our functions gives the tree fdtput gives.

import { fc, test as propertyTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../core/base/index.js';
import {
  type Fdt,
  fdtAddNode,
  fdtDeleteNode,
  fdtDeleteProperty,
  type FdtNode,
  fdtSetProperty,
  fdtString,
  fdtU32,
  parseFdt,
  serializeFdt,
} from '../core/fdt/index.js';
import { allFixtureBlobs, compileDts, dtcRecompile, dtcSource, fdtput, qemuDump } from './fixtures/fdt/fdt-tools.js';

/** The model without the source offsets, which a re-read blob naturally changes. */
function shape(fdt: Fdt): unknown {
  const node = (n: FdtNode): unknown => ({
    name: n.name,
    properties: n.properties.map((p) => [p.name, [...p.value]]),
    children: n.children.map(node),
  });
  return { bootCpuidPhys: fdt.bootCpuidPhys, reservations: fdt.reservations, root: node(fdt.root) };
}

function expectBadArgument(f: () => unknown, pattern: RegExp): void {
  try {
    f();
  } catch (err) {
    expect(CrashplugError.is(err) && err.code).toBe('E_BAD_ARGUMENT');
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('accepted');
}

describe('serializeFdt', () => {
  describe('when writing back a tree it read', () => {
    for (const [name, blob] of allFixtureBlobs()) {
      it(`${name}: dtc reads our blob back as the original`, () => {
        const ours = serializeFdt(parseFdt(blob, name));
        expect(dtcSource(ours)).toBe(dtcSource(blob));
        expect(shape(parseFdt(ours))).toEqual(shape(parseFdt(blob)));
        expect(serializeFdt(parseFdt(ours))).toEqual(ours);
      });

      it(`${name}: our blob is byte for byte the one dtc writes for the same tree`, () => {
        expect(serializeFdt(parseFdt(blob, name))).toEqual(dtcRecompile(blob));
      });
    }

    it('packs a QEMU dump: the 1 MiB of free space is not written', () => {
      const blob = qemuDump('virt-numa2.dtb.gz');
      const ours = serializeFdt(parseFdt(blob));
      expect(ours.length).toBeLessThan(16 * 1024);
    });
  });

  describe('when the tree comes from code', () => {
    const names = fc.stringMatching(/^[a-z][a-z0-9,._+-]{0,12}(@[0-9a-f]{1,8})?$/);
    const propNames = fc.stringMatching(/^[a-z#][a-z0-9,._+#-]{0,16}$/);
    const node: fc.Memo<FdtNode> = fc.memo((depth) =>
      fc.record({
        name: names,
        properties: fc.uniqueArray(fc.record({ name: propNames, value: fc.uint8Array({ maxLength: 24 }) }), {
          maxLength: 5,
          selector: (p) => p.name,
        }),
        children: depth <= 1 ? fc.constant([]) : fc.uniqueArray(node(depth - 1), { maxLength: 3, selector: (n) => n.name }),
      }),
    );
    const tree = fc.record({
      origin: fc.constant('generated'),
      bootCpuidPhys: fc.nat(),
      reservations: fc.array(fc.record({ address: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), size: fc.bigInt({ min: 1n, max: 1n << 40n }) }), {
        maxLength: 3,
      }),
      root: node(4).map((r) => ({ ...r, name: '' })),
    });

    propertyTest.prop([tree], { numRuns: 200 })('parse(serialize(t)) is t', (t) => {
      expect(shape(parseFdt(serializeFdt(t)))).toEqual(shape(t));
    });

    propertyTest.prop([tree], { numRuns: 25 })('dtc accepts what we write and writes the same tree back', (t) => {
      expect(shape(parseFdt(dtcRecompile(serializeFdt(t))))).toEqual(shape(t));
    });

    it('refuses names a blob cannot hold', () => {
      const base: Fdt = { origin: 'code', bootCpuidPhys: 0, reservations: [], root: { name: '', properties: [], children: [] } };
      const child = (name: string): Fdt => ({ ...base, root: { ...base.root, children: [{ name, properties: [], children: [] }] } });
      expectBadArgument(() => serializeFdt(child('a/b')), /contains "\/"/);
      expectBadArgument(() => serializeFdt(child('')), /needs a name/);
      expectBadArgument(() => serializeFdt(child('a\0b')), /cannot hold/);
      expectBadArgument(() => serializeFdt(child('mémoire\u0100')), /cannot hold/);
    });
  });
});

describe('editing a tree', () => {
  const blob = qemuDump('virt-1g-2cpu.dtb.gz');
  const fdt = parseFdt(blob, 'virt-1g-2cpu');

  /** Our edit and fdtput's, printed by dtc in tree order: equal text means the same tree, same order. */
  function expectLikeFdtput(ours: Fdt, options: string[], operands: string[]): void {
    expect(dtcSource(serializeFdt(ours))).toBe(dtcSource(fdtput(blob, options, operands)));
  }

  it('adds a property first in its node, as fdtput does', () => {
    const edited = fdtSetProperty(fdt, '/chosen', 'linux,elfcorehdr', fdtU32(0, 0xbfff0000, 0, 0x10000));
    expectLikeFdtput(edited, ['-t', 'x'], ['/chosen', 'linux,elfcorehdr', '0', 'bfff0000', '0', '10000']);
  });

  it('changes a property in place', () => {
    const edited = fdtSetProperty(fdt, '/chosen', 'stdout-path', fdtString('/pl011@9000000:115200n8'));
    expectLikeFdtput(edited, ['-t', 's'], ['/chosen', 'stdout-path', '/pl011@9000000:115200n8']);
  });

  it('deletes a property', () => {
    expectLikeFdtput(fdtDeleteProperty(fdt, '/memory@40000000', 'device_type'), ['-d'], ['/memory@40000000', 'device_type']);
  });

  it('adds a node first among its siblings, as fdtput does', () => {
    const edited = fdtAddNode(fdt, '/', 'memory@80000000');
    expectLikeFdtput(edited, ['-c'], ['/memory@80000000']);
  });

  it('deletes a node and everything below it', () => {
    expectLikeFdtput(fdtDeleteNode(fdt, '/cpus'), ['-r'], ['/cpus']);
  });

  it('finds a node by its name without unit address, as libfdt does', () => {
    const edited = fdtSetProperty(fdt, '/memory', 'numa-node-id', fdtU32(0));
    expectLikeFdtput(edited, ['-t', 'u'], ['/memory@40000000', 'numa-node-id', '0']);
  });

  it('leaves the tree it was given unchanged and shares untouched nodes', () => {
    const before = serializeFdt(fdt);
    const edited = fdtSetProperty(fdtAddNode(fdt, '/', 'x'), '/x', 'y', fdtU32(1));
    expect(serializeFdt(fdt)).toEqual(before);
    expect(edited.root.children.find((c) => c.name === 'cpus')).toBe(fdt.root.children.find((c) => c.name === 'cpus'));
  });

  it('builds a memory node dtc reads as the source it would compile', () => {
    let t = fdtAddNode(fdt, '/', 'memory@80000000');
    t = fdtSetProperty(t, '/memory@80000000', 'reg', fdtU32(0, 0x80000000, 0, 0x40000000));
    t = fdtSetProperty(t, '/memory@80000000', 'device_type', fdtString('memory'));
    expect(dtcSource(serializeFdt(t))).toContain('memory@80000000 {\n\t\tdevice_type = "memory";\n\t\treg = <0x00 0x80000000 0x00 0x40000000>;\n\t};');
  });

  it('refuses edits of nodes and properties that are not there', () => {
    expectBadArgument(() => fdtSetProperty(fdt, '/nope', 'a', fdtU32(1)), /no node "\/nope"/);
    expectBadArgument(() => fdtDeleteProperty(fdt, '/chosen', 'nope'), /no property "nope"/);
    expectBadArgument(() => fdtAddNode(fdt, '/', 'cpus'), /already exists/);
    expectBadArgument(() => fdtDeleteNode(fdt, '/'), /root/);
    expectBadArgument(() => fdtDeleteNode(fdt, '/cpus/nope'), /no node/);
    expectBadArgument(() => fdtSetProperty(fdt, 'chosen', 'a', fdtU32(1)), /start with "\/"/);
  });

  it('keeps a dtc-compiled tree byte-compatible through an edit round trip', () => {
    const src = compileDts('cells.dts');
    const t = fdtDeleteProperty(fdtSetProperty(parseFdt(src), '/soc', 'x', fdtU32(7)), '/soc', 'x');
    expect(dtcSource(serializeFdt(t))).toBe(dtcSource(src));
  });
});
