// The arm64 port under the conformance kit, both ways it can be loaded: mainline (no crash
// hot-plug, so udev's reload keeps the image right) and with the proposed crash hot-plug series.
// The spec is arch/arm64/kernel/machine_kexec_file.c and asm/memory.h as the facts read them (§5).

import { arm64CrashHotplugModule, arm64Module } from '../index.js';

import type { SystemDescription } from '../../core/system/index.js';
import { type ConformanceSpec, describeConformance } from '../../conformance/index.js';
import { arm64System, dtbSystem, W15 } from '../../test/fixtures/arm64/arm64-systems.js';
import { QEMU_FIXTURES, qemuDump } from '../../test/fixtures/fdt/fdt-tools.js';
import { EM_AARCH64 } from '../../arch-arm64/index.js';

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** 128 MiB memblock regions with 128 MiB holes from 4 GiB up. */
function sparse(count: number): SystemDescription['memory']['systemRam'] {
  return Array.from({ length: count }, (_, i) => {
    const start = 0x1_0000_0000n + BigInt(i) * 0x1000_0000n;
    return { name: 'System RAM', start, end: start + 0x800_0000n - 1n };
  });
}

const ARM64_MACHINES = (): SystemDescription[] => [
  arm64System({ origin: 'W15, kernel 6.18' }),
  arm64System({ origin: 'W15, kernel 6.1', kernel: '6.1' }),
  arm64System({ origin: 'one CPU', possible: 1 }),
  arm64System({ origin: '64 possible CPUs, 4 present', cpus: { possible: ids(64), present: ids(4), online: ids(4) } }),
  arm64System({ origin: 'sparse memory above 4 GiB', ram: [...W15.ram, ...sparse(48)] }),
  arm64System({ origin: 'crashkernel with crashkernel-low', crashkernelLow: { start: 0x4400_0000n, end: 0x47ff_ffffn } }),
  ...QEMU_FIXTURES.map((name) => dtbSystem(qemuDump(name), `QEMU virt ${name}`)),
];

function arm64Spec(crashHotplugSeries: boolean): ConformanceSpec {
  return {
    arch: 'arm64',
    machine: EM_AARCH64,
    // 24 + 8 + sizeof(struct elf_prstatus) 392 (facts §1.4).
    noteSize: 424n,
    machines: ARM64_MACHINES,
    // crash_prepare_elf64_headers(cmem, true, …).
    kernelMap: true,
    // for_each_mem_range walks memblock, which is sorted.
    loadOrder: 'sorted',
    // __va(p) = (p − PHYS_OFFSET) | PAGE_OFFSET (facts §5.3).
    va: (pa, s) => BigInt.asUintN(64, pa - s.physOffset) | s.pageOffset,
    // Mainline has no ARCH_SUPPORTS_CRASH_HOTPLUG; the series brings it on the 6.10 API.
    supportsHotplug: (s) => crashHotplugSeries && s.kernel.atLeast(6, 10) && s.config.crashHotplug,
    // No ARCH_SUPPORTS_KEXEC_PURGATORY on arm64: nothing hashes the segments.
    purgatoryChecksDigest: false,
    largestMachine: () => arm64System({ origin: '512 CPUs and 8192 crash ranges', possible: 512, ram: [W15.ram[0]!, ...sparse(8190)] }),
  };
}

describeConformance('arm64 conformance (mainline)', arm64Module, arm64Spec(false));
describeConformance('arm64 conformance (crash hot-plug series)', arm64CrashHotplugModule, arm64Spec(true));
