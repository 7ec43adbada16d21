// The powerpc ports (ppc64 big-endian and ppc64le) under the conformance kit. The spec is
// arch/powerpc/kexec/{ranges,file_load_64,crash}.c as the facts read them (§6, §13): no kernel
// map, memory sorted without merging, the first 64 KiB as a backup PT_LOAD, RTAS/OPAL added.

import { powerpcModule } from '../index.js';

import type { SystemDescription } from '../../core/system/index.js';
import { type ConformanceSpec, describeConformance } from '../../conformance/index.js';
import { cpuIds, ppcSystem, type PpcArch, ram, W11 } from '../../test/fixtures/powerpc/systems.js';
import { EM_PPC64 } from '../../arch-powerpc/index.js';

function sparse(count: number): ReturnType<typeof ram> {
  return Array.from({ length: count }, (_, i) => {
    const start = 0x2_0000_0000n + BigInt(i) * 0x2000_0000n;
    return { name: 'System RAM', start, end: start + 0x1000_0000n - 1n };
  });
}

function machines(arch: PpcArch): () => SystemDescription[] {
  return () => [
    ppcSystem({ arch, origin: `W11 (${arch}), kernel 6.18` }),
    ppcSystem({ arch, origin: `W11 (${arch}), kernel 7.0`, kernel: '7.0' }),
    ppcSystem({ arch, origin: `W11 (${arch}), kernel 7.3`, kernel: '7.3' }),
    ppcSystem({ arch, origin: `W11 (${arch}), kernel 6.6`, kernel: '6.6' }),
    ppcSystem({ arch, origin: 'one CPU', cpus: { possible: [0] } }),
    ppcSystem({ arch, origin: '64 possible CPUs, 8 present', cpus: { possible: cpuIds(64), present: cpuIds(8) } }),
    ppcSystem({ arch, origin: 'sparse memory above 8 GiB', ram: [...W11.ram, ...sparse(32)] }),
    ppcSystem({
      arch,
      origin: 'powernv: OPAL, no RTAS',
      powerpc: { rtas: null, opal: ['0x30000000', '0x303fffff'] },
      crashkernel: { start: 0x4000_0000n, end: 0x4fff_ffffn },
    }),
    ppcSystem({ arch, origin: 'one memblock region from 0', ram: ram([0x0n, 0x1_ffff_ffffn]) }),
  ];
}

function ppcSpec(arch: PpcArch): ConformanceSpec {
  return {
    arch,
    machine: EM_PPC64,
    // 24 + 8 + sizeof(struct elf_prstatus) 504 (facts §1.4, ELF_NGREG 48).
    noteSize: 536n,
    machines: machines(arch),
    // crash_prepare_elf64_headers(cmem, false, …) (facts §6.3).
    kernelMap: false,
    // sort_memory_ranges(merge = false) at the end of get_crash_memory_ranges.
    loadOrder: 'sorted',
    // BE kernels fill the header natively under the LSB tag (facts §13.4).
    byteOrder: arch === 'ppc64' ? 'be' : 'le',
    // The backup region [0, 0xffff] points at its copy from 789335cacdf3 (7.1) on (facts §13.2).
    loadOffset: (pa, s) => (pa === 0n && s.kernel.atLeast(7, 1) ? (s.backupStart ?? s.crashkernel!.start) : pa),
    supportsHotplug: (s) => s.kernel.atLeast(6, 10) && s.config.crashHotplug,
    // trampoline_64.S only reserves the digest symbols (facts §2.9).
    purgatoryChecksDigest: false,
    largestMachine: () =>
      ppcSystem({ arch, origin: '2048 CPUs and 8000 memblock regions', cpus: { possible: cpuIds(2048) }, ram: [...W11.ram, ...sparse(7997)] }),
  };
}

describeConformance('ppc64le conformance', powerpcModule, ppcSpec('ppc64le'));
describeConformance('ppc64 (big-endian) conformance', powerpcModule, ppcSpec('ppc64'));
