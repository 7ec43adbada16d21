// kexec-tools' ppc64 header for kexec_load (arch-powerpc/ppc-kexec-tools.ts). The worked examples
// are derived by hand from kexec/arch/ppc64/crashdump-ppc64.c and kexec/crashdump-elf.c (facts
// §8), not from crashplug's output; the real capture (test/fixtures/real-ppc64le-6.12) is checked
// byte for byte in real-ppc64le-6.12.test.ts.

import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../../core/base/index.js';
import type { Fdt, FdtNode } from '../../core/fdt/index.js';
import { buildKexecToolsElfcorehdr, kexecToolsSegmentSize } from '../../core/kexec/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { KEXEC_TOOLS_PPC64_SEGMENT, kernfsNameHash } from '../index.js';
import { ppcPlugin, ppcSystem } from '../../test/fixtures/powerpc/systems.js';

const u32 = (...v: number[]): Uint8Array => {
  const b = new Uint8Array(4 * v.length);
  const d = new DataView(b.buffer);
  v.forEach((x, i) => d.setUint32(4 * i, x >>> 0, false));
  return b;
};
const u64 = (...v: bigint[]): number[] => v.flatMap((x) => [Number(x >> 32n), Number(x & 0xffff_ffffn)]);
const prop = (name: string, value: Uint8Array) => ({ name, value });
const node = (name: string, properties: { name: string; value: Uint8Array }[], children: FdtNode[] = []): FdtNode => ({ name, properties, children });
const memoryNode = (base: bigint, size: bigint): FdtNode =>
  node(`memory@${base.toString(16)}`, [prop('device_type', new TextEncoder().encode('memory\0')), prop('reg', u32(...u64(base, size)))]);

const LMB = 0x1000_0000n;
/** ibm,dynamic-memory (v1): base, drc index, reserved, aa index, flags per LMB. */
function drconfV1(lmbs: readonly { base: bigint; flags: number }[]): FdtNode {
  const cells = [lmbs.length, ...lmbs.flatMap((l, i) => [...u64(l.base), 0x8000_0000 + i, 0, 0, l.flags])];
  return node('ibm,dynamic-reconfiguration-memory', [prop('ibm,lmb-size', u32(...u64(LMB))), prop('ibm,dynamic-memory', u32(...cells))]);
}

function tree(children: FdtNode[]): Fdt {
  return { origin: 'test tree', bootCpuidPhys: 0, reservations: [], root: node('', [prop('#address-cells', u32(2)), prop('#size-cells', u32(2))], children) };
}

function machine(fdt: Fdt, extra: Partial<SystemDescription> = {}, rtas: [string, string] | null = ['0x2fff0000', '0x3000ffff']): SystemDescription {
  return ppcSystem({
    memory: { source: 'dtb', origin: 'test tree', systemRam: [], fdt },
    cpus: { possible: [0, 1, 2, 3], present: [0, 1] },
    powerpc: { rtas },
    ...extra,
  });
}

interface Phdr {
  type: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
}
function phdrs(bytes: Uint8Array): Phdr[] {
  const le = bytes[5] === 1;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = Number(v.getBigUint64(32, le));
  return Array.from({ length: v.getUint16(56, le) }, (_, i) => {
    const o = phoff + 56 * i;
    return {
      type: v.getUint32(o, le),
      offset: v.getBigUint64(o + 8, le),
      vaddr: v.getBigUint64(o + 16, le),
      paddr: v.getBigUint64(o + 24, le),
      filesz: v.getBigUint64(o + 32, le),
    };
  });
}
const loads = (b: Uint8Array): [bigint, bigint][] =>
  phdrs(b)
    .filter((p) => p.type === 1)
    .map((p) => [p.paddr, p.filesz]);

describe('kernfs readdir order of /proc/device-tree', () => {
  it('kernfs_name_hash values, computed by hand from fs/kernfs/dir.c and stringhash.h', () => {
    expect(kernfsNameHash('memory@0')).toBe(0x1688cf07);
    expect(kernfsNameHash('memory@80000000')).toBe(0x38764863);
    expect(kernfsNameHash('ibm,dynamic-reconfiguration-memory')).toBe(0x3c9ac2f4);
    expect(kernfsNameHash('memory@100000000')).toBe(0x66bc6b6b);
  });
});

describe('worked example: two memory nodes out of tree order, drconf LMBs, a crash reservation and RTAS straddling its end', () => {
  // memory@0 [0, 2G), memory@100000000 [4G, 5G) written before memory@80000000 [2G, 4G); LMBs at
  // 5G and 5.25G assigned, 5.5G reserved (0x80), 5.75G assigned; crashkernel [512M, 768M); RTAS
  // [0x2fff0000, +0x20000) runs 64 KiB past the reservation's end.
  const fdt = tree([
    memoryNode(0n, 0x8000_0000n),
    memoryNode(0x1_0000_0000n, 0x4000_0000n),
    memoryNode(0x8000_0000n, 0x8000_0000n),
    drconfV1([
      { base: 0x1_4000_0000n, flags: 0x8 },
      { base: 0x1_5000_0000n, flags: 0x8 },
      { base: 0x1_6000_0000n, flags: 0x88 },
      { base: 0x1_7000_0000n, flags: 0x8 },
    ]),
  ]);
  const system = machine(fdt);

  it('lists the backup first, then nodes in readdir order, the crash cut, LMB runs joined, RTAS clipped and last', () => {
    const built = buildKexecToolsElfcorehdr(system, ppcPlugin('ppc64le'));
    expect(loads(built.bytes)).toEqual([
      [0x0n, 0x10000n], // backup region, always first
      [0x1_0000n, 0x1fff_0000n], // memory@0 from 64 KiB, up to the reservation
      [0x3000_0000n, 0x5000_0000n], // memory@0 after it
      [0x8000_0000n, 0x8000_0000n], // memory@80000000 (hash 0x38764863)
      [0x1_4000_0000n, 0x2000_0000n], // drconf (0x3c9ac2f4): two adjacent assigned LMBs joined
      [0x1_7000_0000n, 0x1000_0000n], // after the reserved LMB
      [0x1_0000_0000n, 0x4000_0000n], // memory@100000000 (0x66bc6b6b), though first in the tree
      [0x2fff_0000n, 0x1_0000n], // RTAS, clipped to the reservation, page-rounded, last
    ]);
    const p = phdrs(built.bytes);
    // Present CPUs only (0, 1), then vmcoreinfo; no kernel PT_LOAD.
    expect(p.slice(0, 3).map((x) => x.type)).toEqual([4, 4, 4]);
    expect(p.length).toBe(3 + 8);
    // Backup p_offset = backup_start; every other p_offset = paddr; p_vaddr = 0xc000… + paddr.
    expect(p[3]).toMatchObject({ offset: system.backupStart, vaddr: 0xc000_0000_0000_0000n });
    for (const x of p.slice(4)) expect([x.offset, x.vaddr]).toEqual([x.paddr, 0xc000_0000_0000_0000n + x.paddr]);
    // 64 + (2 CPUs + vmcoreinfo + 8 entries) × 56 = 680, rounded to 1 KiB.
    expect(built.size).toBe(1024);
    expect(built.ranges.excluded).toEqual([{ name: 'crashkernel', start: 0x2000_0000n, end: 0x2fff_ffffn }]);
  });

  it('ppc64 (big-endian) writes the same header in big-endian fields under ELFDATA2MSB', () => {
    const le = buildKexecToolsElfcorehdr(system, ppcPlugin('ppc64le')).bytes;
    const be = buildKexecToolsElfcorehdr(system, ppcPlugin('ppc64')).bytes;
    expect([le[5], be[5]]).toEqual([1, 2]);
    expect(new DataView(be.buffer, be.byteOffset).getUint16(18, false)).toBe(21); // EM_PPC64
    expect(phdrs(be)).toEqual(phdrs(le));
  });
});

describe('the other rules', () => {
  it('RTAS outside the crash reservation is not listed (the RAM entry already covers it)', () => {
    const s = machine(tree([memoryNode(0n, 0x8000_0000n)]), {}, ['0x7fff0000', '0x7fff0fff']);
    expect(loads(buildKexecToolsElfcorehdr(s, ppcPlugin('ppc64le')).bytes)).toEqual([
      [0x0n, 0x10000n],
      [0x1_0000n, 0x1fff_0000n],
      [0x3000_0000n, 0x5000_0000n],
    ]);
  });

  it('a memory node inside the reservation vanishes; only reg’s first pair counts; coherent device memory is skipped', () => {
    const twoPairs = node('memory@40000000', [prop('reg', u32(...u64(0x4000_0000n, 0x1000_0000n, 0x9000_0000n, 0x1000_0000n)))]);
    const gpu = node('memory@200000000', [
      prop('compatible', new TextEncoder().encode('ibm,coherent-device-memory\0')),
      prop('reg', u32(...u64(0x2_0000_0000n, LMB))),
    ]);
    const inside = memoryNode(0x2000_0000n, 0x1000_0000n);
    const s = machine(tree([memoryNode(0n, 0x2000_0000n), inside, twoPairs, gpu]), {}, null);
    expect(loads(buildKexecToolsElfcorehdr(s, ppcPlugin('ppc64le')).bytes)).toEqual([
      [0x0n, 0x10000n],
      [0x1_0000n, 0x1fff_0000n],
      [0x4000_0000n, 0x1000_0000n],
    ]);
  });

  it('without a device tree each RAM range stands for a memory node', () => {
    const s = ppcSystem({ powerpc: { rtas: null } });
    expect(loads(buildKexecToolsElfcorehdr(s, ppcPlugin('ppc64le')).bytes)).toEqual([
      [0x0n, 0x10000n],
      [0x1_0000n, 0x1fff_0000n],
      [0x3000_0000n, 0x5000_0000n],
      [0x8000_0000n, 0x8000_0000n],
      [0x1_0000_0000n, 0x4000_0000n],
    ]);
  });

  it('refuses a machine without a crash reservation', () => {
    const s = ppcSystem({ crashkernel: undefined });
    expect(() => buildKexecToolsElfcorehdr(s, ppcPlugin('ppc64le'))).toThrow(CrashplugError);
  });

  it('segment rule: memsz = bufsz; with --hotplug round_up(sysfs, 1 KiB) only when larger (the real guest: 0x71000)', () => {
    const real = kexecToolsSegmentSize(KEXEC_TOOLS_PPC64_SEGMENT, 0x400, 458984, 4096);
    expect([real.memsz, real.hotplug]).toEqual([0x400, { kind: 'sized', sysfsSize: 458984, memsz: 0x70400, pageRounded: 0x71000 }]);
    const smaller = kexecToolsSegmentSize(KEXEC_TOOLS_PPC64_SEGMENT, 0x800, 0x500, 4096);
    expect(smaller.hotplug).toMatchObject({ kind: 'sized', memsz: 0x800 });
  });
});
