// A pseries partition with as many 256 MiB LMBs as asked for (65 536 make 16 TiB), as a device-tree
// source for dtc and a system description next to it: 2 GiB of boot memory in /memory@0, then the
// LMBs in ibm,dynamic-memory (the v1 list) spread over four NUMA nodes in runs of 4096, with every
// 97th LMB not assigned to the partition (a hole). Used by the benchmarks and the big-tree tests.

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LMB_SIZE = 0x1000_0000n;
/** Where the LMBs start: above the 2 GiB of boot memory. */
export const LMB_BASE = 0x8000_0000n;
export const NODE_RUN = 4096;
export const HOLE_EVERY = 97;

/** LMB i: its base, NUMA node and whether it is assigned (flags 0x8) or a hole (flags 0). */
export function lmbOf(i: number): { base: bigint; nid: number; assigned: boolean } {
  return { base: LMB_BASE + BigInt(i) * LMB_SIZE, nid: Math.floor(i / NODE_RUN) % 4, assigned: i % HOLE_EVERY !== HOLE_EVERY - 1 };
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

export function lmbTreeDts(lmbs: number): string {
  const rows: string[] = [];
  for (let i = 0; i < lmbs; i++) {
    const l = lmbOf(i);
    rows.push(`\t\t\t${hex(l.base >> 32n)} ${hex(l.base & 0xffff_ffffn)} ${hex(0x8000_0000 + i)} 0x0 ${hex(l.nid)} ${l.assigned ? '0x8' : '0x0'}`);
  }
  return `/dts-v1/;
/ {
\t#address-cells = <2>;
\t#size-cells = <2>;
\tcompatible = "qemu,pseries";
\tdevice_type = "chrp";
\trtas {
\t\tibm,associativity-reference-points = <0x4 0x4 0x2>;
\t\tlinux,rtas-base = <0x7fff0000>;
\t\trtas-size = <0x89c>;
\t};
\tmemory@0 {
\t\tdevice_type = "memory";
\t\treg = <0x0 0x0 0x0 0x80000000>;
\t\tibm,associativity = <0x4 0x0 0x0 0x0 0x0>;
\t};
\tibm,dynamic-reconfiguration-memory {
\t\tibm,lmb-size = <0x0 ${hex(LMB_SIZE)}>;
\t\tibm,memory-flags-mask = <0xff>;
\t\tibm,associativity-lookup-arrays = <0x4 0x4
\t\t\t0x0 0x0 0x0 0x0
\t\t\t0x0 0x0 0x0 0x1
\t\t\t0x0 0x0 0x0 0x2
\t\t\t0x0 0x0 0x0 0x3>;
\t\tibm,dynamic-memory = <${hex(lmbs)}
${rows.join('\n')}>;
\t};
};
`;
}

/**
 * Write `lmb-<n>.dts`, its `memory.dtb` (compiled by dtc) and a `system.json` naming it into `dir`;
 * returns the paths. dtc must be installed.
 */
export function writeLmbTree(dir: string, lmbs: number): { dts: string; dtb: string; system: string } {
  const dts = join(dir, `lmb-${lmbs}.dts`);
  const dtb = join(dir, 'memory.dtb');
  writeFileSync(dts, lmbTreeDts(lmbs));
  const r = spawnSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', dtb, dts], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) throw new Error(`dtc could not compile ${dts}: ${r.error?.message ?? r.stderr}`);
  const system = join(dir, 'system.json');
  writeFileSync(
    system,
    JSON.stringify({
      arch: 'ppc64le',
      kernel: '6.12.95',
      memory: { dtb: 'memory.dtb' },
      cpus: { possible: '0-1', present: '0-1', online: '0-1' },
      crashNotes: { base: '0x7f74a000', stride: '0x27000' },
      vmcoreinfo: { address: '0x4d02000', size: '0x1024' },
      crashkernel: ['0x20000000', '0x3fffffff'],
      backupStart: '0x228a0000',
      config: { nrCpusDefault: 2048, crashMaxMemoryRanges: 8192, memoryHotplug: true, crashHotplug: true },
    }),
  );
  return { dts, dtb, system };
}
