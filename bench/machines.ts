// The machines the benchmarks run: W1 with n possible CPUs and n System RAM ranges after the
// exclusions, as an object and as a system description file for the CLI.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuIds, x86RamWithRanges, x86System } from '../test/support/systems.js';
import type { SystemDescription } from '../core/system/index.js';

export function bigMachine(cpus: number, ranges: number): SystemDescription {
  return x86System({ cpus: { possible: cpuIds(cpus) }, ram: x86RamWithRanges(ranges), config: { nrCpusDefault: cpus } });
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

/** The same machine as a system description file (format 1) in `dir`; returns its path. */
export function writeBigMachine(dir: string, cpus: number, ranges: number): string {
  const s = bigMachine(cpus, ranges);
  const json = {
    arch: 'x86_64',
    kernel: s.kernel.version,
    memory: { ranges: s.memory.systemRam.map((r) => [hex(r.start), hex(r.end)]) },
    cpus: { possible: `0-${cpus - 1}` },
    crashNotes: { base: '0xbfc1a600', stride: '0x100000' },
    vmcoreinfo: { address: '0xbe31a000', size: '0x1024' },
    crashkernel: ['0x2000000', '0x11ffffff'],
    kernelImage: { text: '0xffffffff81000000', textPhys: '0x1000000', size: '0xe00000' },
    pageOffset: '0xffff888000000000',
    config: { nrCpusDefault: cpus },
  };
  const path = join(dir, `x86-${cpus}-cpus-${ranges}-ranges.json`);
  writeFileSync(path, JSON.stringify(json));
  return path;
}
