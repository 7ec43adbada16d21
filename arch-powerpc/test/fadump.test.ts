// fadump held against the facts (§7, W13, W14): the crash-info header field by field in both byte
// orders, every refusal of the second kernel with its message and no elfcorehdr, the elfcorehdr it
// builds, and why memory hot-plug needs no re-registration since 6.10.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  buildFadumpElfcorehdr,
  checkFadumpHeader,
  FADUMP_CRASH_INFO_MAGIC,
  FADUMP_CRASH_INFO_MAGIC_OLD,
  type FadumpConfig,
  fadumpHeader,
  fadumpHeaderSize,
  fadumpProcess,
  fadumpRelocate,
  parseFadumpConfig,
  swab64,
} from '../index.js';
import { CrashplugError } from '../../core/base/index.js';
import { decodeElfCoreHeader } from '../../core/elf/index.js';
import { mergeRanges, type Range, subtractRanges } from '../../core/memory/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { cpuIds, ppcSystem, ram } from '../../test/fixtures/powerpc/systems.js';

/** W14's machine: 1 boot-memory region of 1 GiB, 3 memblock regions, the reserved area right above the boot memory. */
const FADUMP = {
  bootMemory: [['0x0', '0x3fffffff']],
  bootMemoryDest: '0x40020000',
  reservedArea: ['0x40000000', '0x8002ffff'],
};
const W14_RAM = ram([0n, 0x7fff_ffffn], [0x8000_0000n, 0xffff_ffffn], [0x1_0000_0000n, 0x1_3fff_ffffn]);

function fadumpSystem(arch: 'ppc64' | 'ppc64le' = 'ppc64le', over: Record<string, unknown> = {}, fadump: Record<string, unknown> = {}): SystemDescription {
  return ppcSystem({
    arch,
    ram: W14_RAM,
    vmcoreinfo: { address: 0x3e6f_0000n, size: 0x1_0024n },
    cpus: { possible: cpuIds(8), present: cpuIds(4), online: cpuIds(4) },
    fadump: { ...FADUMP, ...fadump },
    ...over,
  });
}

const config = (over: Record<string, unknown> = {}): FadumpConfig => parseFadumpConfig({ ...FADUMP, ...over });

describe('the crash-info header the first kernel registers (§7.2, §7.3, W13)', () => {
  const be = fadumpHeader(fadumpSystem('ppc64'));
  const le = fadumpHeader(fadumpSystem('ppc64le'));
  const vbe = new DataView(be.buffer);
  const vle = new DataView(le.buffer);

  it('is 40 + sizeof(pt_regs) 384 + sizeof(cpumask) 256 = 680 bytes', () => {
    expect(be.length).toBe(680);
    expect(fadumpHeaderSize({ ptRegsSize: 384, cpuMaskSize: 256 })).toBe(680);
  });

  it('starts with FADMPSIG in memory order on big-endian: 46 41 44 4D 50 53 49 47', () => {
    expect([...be.subarray(0, 8)]).toEqual([0x46, 0x41, 0x44, 0x4d, 0x50, 0x53, 0x49, 0x47]);
    expect(Buffer.from(be.subarray(0, 8)).toString('latin1')).toBe('FADMPSIG');
  });

  it('stores the same u64 little-endian on ppc64le', () => {
    expect(vle.getBigUint64(0, true)).toBe(0x4641444d50534947n);
    expect([...le.subarray(0, 8)]).toEqual([0x47, 0x49, 0x53, 0x50, 0x4d, 0x44, 0x41, 0x46]);
  });

  it('puts version 1 at 8 and crashing_cpu FADUMP_CPU_UNKNOWN at 12', () => {
    expect(vbe.getUint32(8, false)).toBe(1);
    expect(vbe.getUint32(12, false)).toBe(0xffffffff);
  });

  it('puts vmcoreinfo_raddr at 16: the note relocated into the boot-memory copy', () => {
    expect(vbe.getBigUint64(16, false)).toBe(0x3e6f_0000n + 0x4002_0000n);
    expect(vbe.getBigUint64(24, false)).toBe(0x1_0024n);
  });

  it('puts pt_regs_sz 384 at 32 and cpu_mask_sz 256 at 36, zero registers at 40', () => {
    expect(vbe.getUint32(32, false)).toBe(384);
    expect(vbe.getUint32(36, false)).toBe(256);
    expect(be.subarray(40, 424).every((b) => b === 0)).toBe(true);
  });

  it('sets cpu_mask to the possible CPUs at registration (bits 0–7 of the first long)', () => {
    expect(vbe.getBigUint64(424, false)).toBe(0xffn);
    expect(vle.getBigUint64(424, true)).toBe(0xffn);
    expect(be.subarray(432).every((b) => b === 0)).toBe(true);
  });

  it('sets cpu_mask to the online CPUs and the crashing CPU once a crash is described', () => {
    const h = fadumpHeader(fadumpSystem('ppc64', {}, { crashingCpu: 2 }));
    const v = new DataView(h.buffer);
    expect(v.getUint32(12, false)).toBe(2);
    expect(v.getBigUint64(424, false)).toBe(0xfn);
  });

  it('relocates only addresses inside boot memory, skipping the holes before a region', () => {
    const c = config({
      bootMemory: [
        ['0x0', '0xfffffff'],
        ['0x20000000', '0x2fffffff'],
      ],
    });
    expect(fadumpRelocate(0x100n, c)).toBe(0x4002_0100n);
    expect(fadumpRelocate(0x2000_0100n, c)).toBe(0x2000_0100n + 0x4002_0000n - 0x1000_0000n);
    expect(fadumpRelocate(0x1800_0000n, c)).toBe(0x1800_0000n);
  });

  it('is refused for kernels before 6.10, which used FADMPINF and built the header in the first kernel', () => {
    let err: unknown;
    try {
      fadumpHeader(fadumpSystem('ppc64le', { kernel: '6.9' }));
    } catch (e) {
      err = e;
    }
    expect(CrashplugError.is(err) && err.code).toBe('E_UNSUPPORTED');
  });
});

describe('the second kernel refuses a bad header (§7.4, W13)', () => {
  const system = fadumpSystem('ppc64le');
  const good = fadumpHeader(system);
  const withU64 = (at: number, v: bigint, le = true) => {
    const b = good.slice();
    new DataView(b.buffer).setBigUint64(at, v, le);
    return b;
  };
  const withU32 = (at: number, v: number) => {
    const b = good.slice();
    new DataView(b.buffer).setUint32(at, v, true);
    return b;
  };

  it.each([
    ['old magic FADMPINF', withU64(0, FADUMP_CRASH_INFO_MAGIC_OLD), 'old-magic', "fadump: Old magic number, can't process the dump."],
    ['byte-swapped magic', withU64(0, swab64(FADUMP_CRASH_INFO_MAGIC)), 'endianness', 'fadump: Endianness mismatch between the crashed and fadump kernels.'],
    [
      'a big-endian header on ppc64le',
      fadumpHeader(fadumpSystem('ppc64')),
      'endianness',
      'fadump: Endianness mismatch between the crashed and fadump kernels.',
    ],
    ['random magic', withU64(0, 0x0123_4567_89ab_cdefn), 'corrupted', 'fadump: Fadump header is corrupted.'],
    ['pt_regs_sz 352 on a kernel whose pt_regs is 384', withU32(32, 352), 'size-mismatch', 'fadump: Fadump header size mismatch.'],
    ['cpu_mask_sz 1024 (NR_CPUS 8192) on a kernel with 256', withU32(36, 1024), 'size-mismatch', 'fadump: Fadump header size mismatch.'],
    ['an empty header', new Uint8Array(0), 'empty', 'fadump: Crash info header is empty.'],
  ] as const)('%s', (_name, bytes, reason, message) => {
    const r = fadumpProcess(system, bytes);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(reason);
    // A wrong magic is E_FADUMP_MAGIC; a header with the right magic that is still refused, E_FADUMP_HEADER.
    expect(r.code).toBe(reason === 'size-mismatch' || reason === 'empty' ? 'E_FADUMP_HEADER' : 'E_FADUMP_MAGIC');
    expect(r.message).toBe(message);
    expect(r.invalidated).toBe(true);
    expect('elfcorehdr' in r).toBe(false);
  });

  it.each([4, 20, 100, 679])('a header truncated to %i bytes', (n) => {
    const r = fadumpProcess(system, good.subarray(0, n));
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.reason, r.code]).toEqual(['truncated', 'E_FADUMP_HEADER']);
  });

  it('does not check the version field', () => {
    expect(fadumpProcess(system, withU32(8, 7)).ok).toBe(true);
  });

  it('accepts what the first kernel wrote', () => {
    expect(checkFadumpHeader(good, 'le', { ptRegsSize: 384, cpuMaskSize: 256 }).ok).toBe(true);
  });
});

describe('the second kernel’s elfcorehdr (§7.4, W14)', () => {
  const system = fadumpSystem('ppc64le');
  const r = fadumpProcess(system, fadumpHeader(system));
  if (!r.ok) throw new Error(r.message);
  const d = decodeElfCoreHeader(r.elfcorehdr.bytes);

  it('is sized for 2 + 1 boot region + 3 memblock regions = 6 phdrs: 64 + 336 = 400 → 65536', () => {
    expect(r.elfcorehdr.sizedPhnum).toBe(6);
    expect(r.elfcorehdr.bytes.length).toBe(65536);
    expect(fadumpProcess(fadumpSystem('ppc64le', { pageSize: 4096 }), fadumpHeader(system)).ok && 4096).toBe(4096);
  });

  it('is native little-endian with EI_DATA saying so, EM_PPC64, e_flags 2 (ELF ABI v2)', () => {
    expect(r.elfcorehdr.bytes[5]).toBe(1);
    expect(d.header.machine).toBe(21);
    expect(d.header.flags).toBe(2);
    expect(d.warnings).toEqual([]);
  });

  it('is native big-endian with EI_DATA = ELFDATA2MSB on ppc64', () => {
    const s = fadumpSystem('ppc64');
    const b = fadumpProcess(s, fadumpHeader(s));
    expect(b.ok && b.elfcorehdr.bytes[5]).toBe(2);
    if (b.ok) expect(decodeElfCoreHeader(b.elfcorehdr.bytes).phdrs).toEqual(d.phdrs);
  });

  it('phdr 0 is an all-zero PT_NOTE placeholder for the CPU notes', () => {
    expect(d.phdrs[0]).toEqual({ type: 4, flags: 0, offset: 0n, vaddr: 0n, paddr: 0n, filesz: 0n, memsz: 0n, align: 0n });
  });

  it('phdr 0 points at the CPU-notes buffer when one is given: PAGE_ALIGN(4 present CPUs × 536)', () => {
    const s = fadumpSystem('ppc64le', {}, { cpuNotesBuffer: '0x7d000000' });
    const b = fadumpProcess(s, fadumpHeader(s));
    expect(b.ok && b.elfcorehdr.phdrs[0]).toEqual({
      type: 4,
      flags: 0,
      offset: 0x7d00_0000n,
      vaddr: 0n,
      paddr: 0x7d00_0000n,
      filesz: 0x1_0000n,
      memsz: 0x1_0000n,
      align: 0n,
    });
  });

  it('phdr 1 is vmcoreinfo as the header gives it (relocated address, size)', () => {
    expect(d.phdrs[1]).toMatchObject({ type: 4, offset: 0x7e71_0000n, paddr: 0x7e71_0000n, filesz: 0x1_0024n });
  });

  it('phdr 2 is the boot region with p_offset = boot_mem_dest_addr', () => {
    expect(d.phdrs[2]).toEqual({
      type: 1,
      flags: 7,
      offset: 0x4002_0000n,
      vaddr: 0xc000_0000_0000_0000n,
      paddr: 0n,
      filesz: 0x4000_0000n,
      memsz: 0x4000_0000n,
      align: 0n,
    });
  });

  it('leaves an all-zero phdr for a region wholly inside the reserved area, and trims or keeps the others', () => {
    expect(r.elfcorehdr.nullPhdrs).toEqual([3]);
    expect(d.phdrs[3]!.type).toBe(0);
    expect(d.phdrs[4]).toMatchObject({ type: 1, offset: 0x8003_0000n, paddr: 0x8003_0000n, filesz: 0x7ffd_0000n });
    expect(d.phdrs[5]).toMatchObject({ type: 1, offset: 0x1_0000_0000n, paddr: 0x1_0000_0000n, filesz: 0x4000_0000n });
    expect(d.header.phnum).toBe(6);
  });

  it('splits a region the reserved area lies inside', () => {
    const s = fadumpSystem('ppc64le', { ram: ram([0n, 0x1_3fff_ffffn]) }, { reservedArea: ['0x50000000', '0x5fffffff'] });
    const b = fadumpProcess(s, fadumpHeader(s));
    expect(b.ok && b.elfcorehdr.phdrs.slice(3).map((p) => [p.paddr, p.filesz])).toEqual([
      [0x4000_0000n, 0x1000_0000n],
      [0x6000_0000n, 0x1_3fff_ffffn - 0x6000_0000n + 1n],
    ]);
  });
});

describe('memory hot-plug needs no re-registration (§7.3)', () => {
  const BLOCK = 0x1000_0000n;
  const base = fadumpSystem('ppc64le');
  const registered = fadumpHeader(base);
  const ra: Range = { start: 0x4000_0000n, end: 0x8002_ffffn };

  /** The machine after `events`: blocks above the reserved area come and go (one NUMA node here). */
  function afterEvents(events: readonly { add: boolean; block: number }[]): SystemDescription {
    let mem: Range[] = mergeRanges(W14_RAM);
    for (const e of events) {
      const start = 0x1_4000_0000n + BigInt(e.block) * BLOCK;
      const r = { start, end: start + BLOCK - 1n };
      mem = e.add ? mergeRanges([...mem, r]) : subtractRanges(mem, [r]);
    }
    return fadumpSystem('ppc64le', { ram: mem.map((r) => ({ name: 'System RAM', ...r })) });
  }

  itProp.prop([fc.array(fc.record({ add: fc.boolean(), block: fc.integer({ min: 0, max: 15 }) }), { maxLength: 24 })])(
    'the registered header is unchanged, and the second kernel dumps exactly the memory at crash time',
    (events) => {
      const system = afterEvents(events);
      expect(fadumpHeader(system)).toEqual(registered);
      const r = fadumpProcess(system, registered);
      if (!r.ok) throw new Error(r.message);
      const loads = r.elfcorehdr.phdrs.filter((p) => p.type === 1);
      const covered = mergeRanges(loads.map((p) => ({ start: p.paddr, end: p.paddr + p.filesz - 1n })));
      expect(covered).toEqual(subtractRanges(system.memory.systemRam, [ra]));
      // The boot memory is read from its copy; everything else from where it is.
      for (const p of loads) expect(p.offset).toBe(p.paddr === 0n ? 0x4002_0000n : p.paddr);
    },
  );
});
