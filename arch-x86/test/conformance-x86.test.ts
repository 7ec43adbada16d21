// The x86_64 port under the conformance kit: the real 6.1 guest, W1 on three kernel generations,
// sparse and hot-added memory, one CPU and many, crashkernel with crashkernel-low, reservations at
// a range's head and tail, and the largest machine a distribution build claims (NR_CPUS_DEFAULT
// 64, CRASH_MAX_MEMORY_RANGES 8192). The spec is arch/x86/kernel/crash.c as the facts read it.

import { fileURLToPath } from 'node:url';
import { x86Module } from '../index.js';

import { registryOf } from '../../core/port/index.js';
import { type SystemDescription } from '../../core/system/index.js';
import { type ConformanceSpec, describeConformance, reservationsOf } from '../../conformance/index.js';
import { cpuIds, sparseRam, systemRam, W1, x86RamWithRanges, x86System } from '../../test/support/systems.js';
import { loadSystemFile } from '../../api/system-file.js';
import { EM_X86_64 } from '../../arch-x86/index.js';

const REAL_6_1 = fileURLToPath(new URL('../../test/fixtures/real-x86_64-6.1/system.json', import.meta.url));

/** The real 6.1 capture, and the same machine as a 6.18 kernel would describe it. */
function realGuest(kernel?: string): SystemDescription {
  const system = loadSystemFile(REAL_6_1, registryOf([x86Module]), { kernel });
  return { ...system, origin: `real x86_64 guest (kernel ${system.kernel.version})` };
}

const HIGH = systemRam([0x1000n, 0x9_fbffn], [0x10_0000n, 0xbfff_ffffn], [0x1_0000_0000n, 0x2_3fff_ffffn]);

export const X86_MACHINES: () => SystemDescription[] = () => [
  realGuest(),
  realGuest('6.18'),
  x86System({ origin: 'W1, kernel 6.18' }),
  x86System({ origin: 'W1, kernel 6.6', kernel: '6.6' }),
  x86System({ origin: 'W1, kernel 6.1', kernel: '6.1' }),
  x86System({ origin: 'one CPU', cpus: { possible: [0] } }),
  x86System({ origin: '64 possible CPUs, 8 present, kernel 6.18', cpus: { possible: cpuIds(64), present: cpuIds(8) } }),
  x86System({ origin: '64 possible CPUs, 8 present, kernel 6.1', kernel: '6.1', cpus: { possible: cpuIds(64), present: cpuIds(8) } }),
  x86System({ origin: 'sparse memory above 4 GiB', ram: [...W1.ram, ...sparseRam(48)] }),
  x86System({
    origin: 'crashkernel above 4 GiB with crashkernel-low',
    ram: HIGH,
    crashkernel: { start: 0x2_0000_0000n, end: 0x2_3fff_ffffn },
    crashkernelLow: { start: 0x2000_0000n, end: 0x2fff_ffffn },
  }),
  x86System({ origin: 'crashkernel at the head of a range', ram: HIGH, crashkernel: { start: 0x1_0000_0000n, end: 0x1_0fff_ffffn } }),
  x86System({
    origin: 'hot-added DIMMs next to boot RAM (one resource each)',
    ram: systemRam([0x1000n, 0x9_fbffn], [0x10_0000n, 0xbfff_ffffn], [0x1_0000_0000n, 0x1_3fff_ffffn], [0x1_4000_0000n, 0x1_7fff_ffffn]),
  }),
];

export const X86_SPEC: ConformanceSpec = {
  arch: 'x86_64',
  machine: EM_X86_64,
  // 24 + 8 + sizeof(struct elf_prstatus) 336 (facts §1.4).
  noteSize: 368n,
  machines: X86_MACHINES,
  // need_kernel_map = IS_ENABLED(CONFIG_X86_64).
  kernelMap: true,
  // walk_system_ram_res over /proc/iomem, in file order, never merged.
  loadOrder: 'walk-order',
  // elf_header_exclude_ranges: low 1M, crashk_res, crashk_low_res (facts §4.1).
  exclusions: (s) => [{ name: 'low 1M', start: 0n, end: 0xf_ffffn }, ...reservationsOf(s)],
  va: (pa, s) => BigInt.asUintN(64, pa + s.pageOffset),
  // ARCH_SUPPORTS_CRASH_HOTPLUG since 6.6; kexec_file images always qualify (facts §4.4).
  supportsHotplug: (s) => s.kernel.hotplug !== 'none' && s.config.crashHotplug,
  largestMachine: () =>
    x86System({ origin: 'NR_CPUS_DEFAULT CPUs and CRASH_MAX_MEMORY_RANGES ranges', cpus: { possible: cpuIds(64) }, ram: x86RamWithRanges(8192) }),
};

describeConformance('x86_64 conformance', x86Module, X86_SPEC);
