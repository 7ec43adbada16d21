// kexec-tools' arm64 header for kexec_load (arch-arm64/arm64-kexec-tools.ts). Expected values are
// worked by hand from kexec/arch/arm64/crashdump-arm64.c, kexec/mem_regions.c and
// kexec/crashdump-elf.c (facts §8, W15 of §11), not taken from crashplug's output.

import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../../core/base/index.js';
import { buildKexecToolsElfcorehdr, kexecToolsSegmentSize } from '../../core/kexec/index.js';
import { iomemSystemRam, parseIomem, type SystemDescription } from '../../core/system/index.js';
import { KEXEC_TOOLS_ARM64_SEGMENT } from '../index.js';
import { arm64Plugin, arm64System, W15 } from '../../test/fixtures/arm64/arm64-systems.js';

interface Phdr {
  type: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
}
function phdrs(bytes: Uint8Array): Phdr[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: v.getUint16(56, true) }, (_, i) => {
    const o = 64 + 56 * i;
    return {
      type: v.getUint32(o, true),
      offset: v.getBigUint64(o + 8, true),
      vaddr: v.getBigUint64(o + 16, true),
      paddr: v.getBigUint64(o + 24, true),
      filesz: v.getBigUint64(o + 32, true),
    };
  });
}

function iomemSystem(text: string, o: Partial<SystemDescription> = {}): SystemDescription {
  const iomem = parseIomem(text, 'iomem');
  return arm64System({ memory: { source: 'iomem', origin: 'iomem', systemRam: iomemSystemRam(iomem), iomem }, ...o });
}

describe('W15 (VA_BITS 48, PHYS_OFFSET 0x40000000, crashk [0x60000000, 0x6fffffff]) with kexec-tools', () => {
  it('cuts the reservation, sorts the split tail into place, adds the kernel PT_LOAD from _text', () => {
    const built = buildKexecToolsElfcorehdr(arm64System(), arm64Plugin());
    const p = phdrs(built.bytes);
    // 4 present CPUs + vmcoreinfo + kernel + 3 RAM = e_phnum 9 (W15: ncpus + 1 + 1 + 3).
    expect(p.length).toBe(9);
    expect(p.slice(0, 5).map((x) => x.type)).toEqual([4, 4, 4, 4, 4]);
    expect(p[5]).toMatchObject({ type: 1, vaddr: W15.kernelImage.text, paddr: 0x4020_0000n, offset: 0x4020_0000n, filesz: 0x1e0_0000n });
    expect(p.slice(6).map((x) => [x.paddr, x.filesz, x.vaddr])).toEqual([
      [0x4000_0000n, 0x2000_0000n, 0xffff_0000_0000_0000n],
      [0x7000_0000n, 0x1000_0000n, 0xffff_0000_3000_0000n],
      [0x8000_0000n, 0x4000_0000n, 0xffff_0000_4000_0000n],
    ]);
    // 64 + 9 × 56 = 568, rounded to 1 KiB; no backup region on arm64.
    expect(built.size).toBe(1024);
    expect(built.ranges.backup).toBeUndefined();
  });

  it('segment rule: memsz = bufsz, even with --hotplug', () => {
    const s = kexecToolsSegmentSize(KEXEC_TOOLS_ARM64_SEGMENT, 1024, 459096, 4096);
    expect([s.memsz, s.hotplug]).toEqual([1024, { kind: 'sized', sysfsSize: 459096, memsz: 1024, pageRounded: 4096 }]);
  });
});

describe('/proc/iomem as kexec-tools reads it', () => {
  const IOMEM = [
    '40000000-5fffffff : System RAM',
    '  40210000-41a2ffff : Kernel code',
    '  41a30000-4213ffff : reserved',
    '  42140000-425fffff : Kernel data',
    '  48000000-4fffffff : Crash kernel',
    '60000000-bfffffff : System RAM',
    '  a0000000-bfffffff : Crash kernel',
    '',
  ].join('\n');

  it('low and high reservations are both cut; the kernel PT_LOAD reaches the end of Kernel data', () => {
    const s = iomemSystem(IOMEM, { kernelImage: { text: W15.kernelImage.text, textPhys: 0x4020_0000n, size: 0x240_0000n } });
    const p = phdrs(buildKexecToolsElfcorehdr(s, arm64Plugin()).bytes);
    expect(p[5]).toMatchObject({ paddr: 0x4020_0000n, filesz: 0x4260_0000n - 0x4020_0000n });
    expect(p.slice(6).map((x) => [x.paddr, x.filesz])).toEqual([
      [0x4000_0000n, 0x800_0000n],
      [0x5000_0000n, 0x1000_0000n], // the split's tail, appended then sorted
      [0x6000_0000n, 0x4000_0000n],
    ]);
  });

  it('a reservation no single RAM line contains is not cut at all (mem_regions_exclude)', () => {
    const s = arm64System({ crashkernel: { start: 0x7ff0_0000n, end: 0x800f_ffffn } });
    const p = phdrs(buildKexecToolsElfcorehdr(s, arm64Plugin()).bytes);
    expect(p.slice(6).map((x) => [x.paddr, x.filesz])).toEqual([
      [0x4000_0000n, 0x4000_0000n],
      [0x8000_0000n, 0x4000_0000n],
    ]);
  });

  it('refuses a machine without a reservation or without kernelImage', () => {
    expect(() => buildKexecToolsElfcorehdr(arm64System({ crashkernel: undefined }), arm64Plugin())).toThrow(CrashplugError);
    expect(() => buildKexecToolsElfcorehdr(arm64System({ kernelImage: undefined }), arm64Plugin())).toThrow(/kernelImage is required on arm64/);
  });
});
