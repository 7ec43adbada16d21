// powerpc and device trees dumped by QEMU (test/fixtures/powerpc/README.md): the memory the port
// reads from them, checked against fdtget; RTAS/OPAL as the kernel reads them; the usable-memory
// properties of a kdump tree (§6.5) and the /cpus rewrite after ADD_CPU (§6.4), both read back by dtc.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cpuNodeSize,
  possibleCpuNodesRoom,
  rewriteCrashFdt,
  threadsPerCore,
  usableMemoryProperties,
  usableMemoryRanges,
  withCapacity,
  withUsableMemory,
} from '../index.js';
import { type Fdt, fdtAddNode, fdtLookup, fdtSetProperty, fdtU32, parseFdt, readFdtMemory, serializeFdt } from '../../core/fdt/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { ppcPlugin, ppcSystem } from '../../test/fixtures/powerpc/systems.js';
import { crashplugErrorOf as thrown } from '../../test/support/errors.js';

const DIR = join(import.meta.dirname, '../../test/fixtures/powerpc');
const blob = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, name)));
const tree = (name: string): Fdt => parseFdt(blob(name), name);
const tmp = mkdtempSync(join(tmpdir(), 'crashplug-ppc-'));

function fdtget(file: string, ...args: string[]): string {
  return execFileSync('fdtget', [file, ...args], { encoding: 'utf8' }).trim();
}
function fdtgetBlob(bytes: Uint8Array, ...args: string[]): string {
  const f = join(tmp, `t${Math.random().toString(36).slice(2)}.dtb`);
  writeFileSync(f, bytes);
  return fdtget(f, ...args);
}
/** fdtget -t x prints cells; pair them into u64s. */
function u64Cells(text: string): bigint[] {
  const cells = text
    .split(/\s+/)
    .filter((c) => c !== '')
    .map((c) => BigInt(`0x${c}`));
  const out: bigint[] = [];
  for (let i = 0; i < cells.length; i += 2) out.push((cells[i]! << 32n) | cells[i + 1]!);
  return out;
}
function dtcReads(bytes: Uint8Array): string {
  const f = join(tmp, 'read.dtb');
  writeFileSync(f, bytes);
  return execFileSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', f], { encoding: 'utf8' });
}

/** A description whose memory came from a tree, as core would carry it for memory.dtb. */
function fromTree(name: string, extra: Record<string, unknown> = {}): SystemDescription {
  const fdt = tree(name);
  const base = ppcSystem({ powerpc: {}, ...extra });
  return { ...base, memory: { source: 'dtb', origin: name, systemRam: readFdtMemory(fdt).systemRam, fdt } } as SystemDescription;
}

describe('the QEMU fixtures', () => {
  it.each(['pseries-2g.dtb', 'pseries-numa-dimm.dtb', 'pseries-numa-dimm-cas.dtb', 'powernv9-2chip.dtb'])(
    '%s is read by dtc and by crashplug alike',
    (name) => {
      expect(() => dtcReads(blob(name))).not.toThrow();
      const fdt = tree(name);
      for (const node of fdt.root.children.filter((c) => c.name.startsWith('memory@'))) {
        const reg = fdtget(join(DIR, name), `/${node.name}`, 'reg', '-t', 'x');
        const ours = [...node.properties.find((p) => p.name === 'reg')!.value].map((b) => b.toString(16).padStart(2, '0')).join('');
        expect(
          reg
            .split(/\s+/)
            .map((c) => c.padStart(8, '0'))
            .join(''),
        ).toBe(ours);
      }
    },
  );

  it('pseries-numa-dimm (dumped before CAS) has two node memory nodes and no LMBs', () => {
    const m = readFdtMemory(tree('pseries-numa-dimm.dtb'));
    expect(m.regions.map((r) => [r.start, r.end, r.nid])).toEqual([
      [0n, 0x3fff_ffffn, 0],
      [0x4000_0000n, 0x7fff_ffffn, 1],
    ]);
  });

  it('pseries-numa-dimm-cas: the DIMM’s LMBs merge with node 1’s memory, not with node 0’s', () => {
    const m = readFdtMemory(tree('pseries-numa-dimm-cas.dtb'));
    expect(m.regions.map((r) => [r.start, r.end, r.nid])).toEqual([
      [0n, 0x3fff_ffffn, 0],
      [0x4000_0000n, 0xbfff_ffffn, 1],
    ]);
    expect(fdtget(join(DIR, 'pseries-numa-dimm-cas.dtb'), '/ibm,dynamic-reconfiguration-memory', 'ibm,lmb-size', '-t', 'x')).toBe('0 10000000');
  });
});

describe('crash ranges from a device tree', () => {
  it('pseries: RTAS from linux,rtas-base and rtas-size, inside RAM, widens nothing', () => {
    const s = fromTree('pseries-numa-dimm-cas.dtb');
    const m = ppcPlugin().crashMemory(s);
    expect(fdtget(join(DIR, 'pseries-numa-dimm-cas.dtb'), '/rtas', 'rtas-size', '-t', 'x')).toBe('89c');
    expect(m.added[0]).toEqual({ name: 'RTAS', start: 0x3fff_0000n, end: 0x3fff_089bn });
    expect(m.mem.ranges).toEqual([
      { start: 0n, end: 0xffffn },
      { start: 0x1_0000n, end: 0x1fff_ffffn },
      { start: 0x3000_0000n, end: 0x3fff_ffffn },
      { start: 0x4000_0000n, end: 0xbfff_ffffn },
    ]);
  });

  it('a tree dumped before Linux instantiated RTAS lacks linux,rtas-base: the kernel fails, and so do we', () => {
    const err = thrown(() => ppcPlugin().crashMemory(fromTree('pseries-2g.dtb')));
    expect(err.code).toBe('E_BAD_FDT');
    expect(err.message).toContain('linux,rtas-base');
  });

  it('powernv: /ibm,opal without its runtime properties fails; powerpc.opal supplies them', () => {
    expect(thrown(() => ppcPlugin().crashMemory(fromTree('powernv9-2chip.dtb'))).message).toContain('opal-base-address');
    const s = fromTree('powernv9-2chip.dtb', { powerpc: { opal: ['0x30000000', '0x303fffff'] } });
    expect(
      ppcPlugin()
        .crashMemory(s)
        .added.map((r) => r.name),
    ).toEqual(['OPAL', 'backup region']);
  });
});

describe('linux,usable-memory and linux,drconf-usable-memory (§6.5)', () => {
  const s = fromTree('pseries-numa-dimm-cas.dtb');
  const fdt = tree('pseries-numa-dimm-cas.dtb');
  const usable = usableMemoryRanges(s, {});
  const out = serializeFdt(withUsableMemory(fdt, usable));

  it('uses [0, crashkernel end] then RTAS, in that order', () => {
    expect(usable).toEqual([
      { start: 0n, end: 0x2fff_ffffn },
      { start: 0x3fff_0000n, end: 0x3fff_089bn },
    ]);
  });

  it('memory@0 gets the usable parts of its reg as u64 (base, size) pairs', () => {
    expect(u64Cells(fdtgetBlob(out, '/memory@0', 'linux,usable-memory', '-t', 'x'))).toEqual([0n, 0x3000_0000n, 0x3fff_0000n, 0x89cn]);
  });

  it('a memory node with nothing usable gets (0, 0)', () => {
    expect(u64Cells(fdtgetBlob(out, '/memory@40000000', 'linux,usable-memory', '-t', 'x'))).toEqual([0n, 0n]);
  });

  it('every LMB, assigned or not, gets a count then its pairs', () => {
    const v = u64Cells(fdtgetBlob(out, '/ibm,dynamic-reconfiguration-memory', 'linux,drconf-usable-memory', '-t', 'x'));
    expect(v.slice(0, 12)).toEqual([1n, 0n, 0x1000_0000n, 1n, 0x1000_0000n, 0x1000_0000n, 1n, 0x2000_0000n, 0x1000_0000n, 1n, 0x3fff_0000n, 0x89cn]);
    expect(v.slice(12)).toEqual(Array(28).fill(0n));
  });

  it('dtc reads the result back', () => {
    expect(dtcReads(out)).toContain('linux,drconf-usable-memory');
  });

  it('refuses a tree that already has linux,drconf-usable-memory, as the kernel does', () => {
    const kdumpTree = parseFdt(out, 'kdump tree');
    expect(thrown(() => usableMemoryProperties(kdumpTree, usable)).message).toContain('already exists');
  });

  it('misses a usable range that touches a memory range only at its last byte (strict overlap, OBSERVED)', () => {
    const p = usableMemoryProperties(fdt, [{ start: 0x3fff_ffffn, end: 0x4fff_ffffn }]);
    const node0 = p.find((x) => x.path === '/memory@0')!;
    expect(node0.values).toEqual([0n, 0n]);
  });
});

describe('/cpus of the kdump tree after ADD_CPU (§6.4)', () => {
  const live0 = tree('pseries-2g.dtb');
  // The live tree once CPU 4 arrived: a copy of CPU 3's node with CPU 4's numbers.
  const cpu3 = fdtLookup(live0, '/cpus/PowerPC,POWER9@3')!.node;
  let live = fdtAddNode(live0, '/cpus', 'PowerPC,POWER9@4');
  for (const p of [...cpu3.properties].reverse()) live = fdtSetProperty(live, '/cpus/PowerPC,POWER9@4', p.name, p.value);
  live = fdtSetProperty(live, '/cpus/PowerPC,POWER9@4', 'reg', fdtU32(4));
  live = fdtSetProperty(live, '/cpus/PowerPC,POWER9@4', 'ibm,ppc-interrupt-server#s', fdtU32(4));

  it('sizes a CPU node as the kernel does and reserves room for 8 possible CPUs (1 thread per core)', () => {
    expect(threadsPerCore(live0)).toBe(1);
    expect(cpuNodeSize(live0)).toBeGreaterThan(500);
    expect(possibleCpuNodesRoom(live0, 8)).toBe(4 * cpuNodeSize(live0));
  });

  const loaded = withCapacity(serializeFdt(live0), serializeFdt(live0).length + possibleCpuNodesRoom(live0, 8));
  const result = rewriteCrashFdt(loaded, live);

  it('fits the new CPU in the room reserved at load', () => {
    expect(result.ok).toBe(true);
  });

  it('rebuilds /cpus with libfdt’s order: CPU nodes in reverse live order, properties reversed with "name" first', () => {
    if (!result.ok) throw new Error(result.message);
    // The live tree has the new node first (of_attach_node links a node in as its parent's first
    // child), so after the reversal it comes last.
    expect(fdtgetBlob(result.blob, '-l', '/cpus').split('\n')).toEqual([
      'PowerPC,POWER9@3',
      'PowerPC,POWER9@2',
      'PowerPC,POWER9@1',
      'PowerPC,POWER9@0',
      'PowerPC,POWER9@4',
    ]);
    const props = fdtgetBlob(result.blob, '-p', '/cpus/PowerPC,POWER9@4').split('\n');
    expect(props[0]).toBe('name');
    expect(props.at(-1)).toBe('ibm,dec-bits');
    expect(fdtgetBlob(result.blob, '/cpus/PowerPC,POWER9@4', 'reg')).toBe('4');
    expect(fdtgetBlob(result.blob, '-l', '/').split('\n')[0]).toBe('cpus');
    expect(() => dtcReads(result.blob)).not.toThrow();
  });

  it('keeps the blob’s totalsize, so the next CPU finds the remaining room', () => {
    if (!result.ok) throw new Error(result.message);
    expect(result.blob.length).toBe(loaded.length);
    expect(new DataView(result.blob.buffer).getUint32(4, false)).toBe(loaded.length);
  });

  it('fails with FDT_ERR_NOSPACE when no room was reserved, leaving the segment as it was', () => {
    const tight = serializeFdt(live0);
    const r = rewriteCrashFdt(tight, live);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/^Failed to update crash FDT \(FDT_ERR_NOSPACE/);
  });
});
