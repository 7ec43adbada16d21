// Finding a segment again after load: the recorded index, the handler's ELF-magic scan in which the
// last match wins (W9), and the FDT-magic scan in which the first one does.

import { describe, expect, it } from 'vitest';
import { elfcorehdrLocator, elfMagicLocator, fdtMagicLocator, KEXEC_CRASH_HP_NONE, type KexecImage, recordedIndexLocator } from '../core/kexec/index.js';
import { CrashRegion } from '../core/memory/index.js';

/** An image whose segments start with the given bytes, one page each, loaded from 0x1000000 up. */
function imageOf(heads: readonly (readonly number[])[], elfcorehdrIndex = -1): { image: KexecImage; memory: CrashRegion } {
  const memory = new CrashRegion({ start: 0x100_0000n, end: 0x1ff_ffffn });
  const segments = heads.map((head, i) => {
    const mem = 0x100_0000n + BigInt(i) * 0x1000n;
    const buf = Uint8Array.from(head);
    memory.allocate(mem, 0x1000).set(buf);
    return { kind: 'other' as const, buf, bufsz: buf.length, mem, memsz: 0x1000 };
  });
  const image: KexecImage = {
    fileMode: false,
    flags: 1,
    segments,
    purgatoryIndex: -1,
    hotplugSupport: true,
    elfcorehdrIndex,
    elfcorehdrUpdated: false,
    hpAction: KEXEC_CRASH_HP_NONE,
  };
  return { image, memory };
}

const MZ = [0x4d, 0x5a, 0x90, 0x00];
const ELF = [0x7f, 0x45, 0x4c, 0x46];
const FDT = [0xd0, 0x0d, 0xfe, 0xed];
const OTHER = [0x30, 0x37, 0x30, 0x37];

describe('segment locators', () => {
  it('W9: [bzImage "MZ", ELF, ELF, other] → the ELF scan answers 2, the last match', () => {
    const { image, memory } = imageOf([MZ, ELF, ELF, OTHER]);
    expect(elfMagicLocator.locate(image, memory)).toBe(2);
    expect(elfcorehdrLocator.locate(image, memory)).toBe(2);
  });

  it('finds nothing without ELF magic', () => {
    const { image, memory } = imageOf([MZ, OTHER, FDT]);
    expect(elfMagicLocator.locate(image, memory)).toBe(-1);
  });

  it('reads memory, not the source buffers', () => {
    const { image, memory } = imageOf([MZ, OTHER]);
    memory.view(0x100_1000n, 4).set(ELF);
    expect(elfMagicLocator.locate(image, memory)).toBe(1);
  });

  it('FDT: the first segment with 0xd00dfeed wins', () => {
    const { image, memory } = imageOf([ELF, FDT, OTHER, FDT]);
    expect(fdtMagicLocator.locate(image, memory)).toBe(1);
  });

  it('a recorded index is used as it is, without a scan', () => {
    const { image, memory } = imageOf([ELF, OTHER, ELF], 0);
    expect(recordedIndexLocator.locate(image, memory)).toBe(0);
    expect(elfcorehdrLocator.locate(image, memory)).toBe(0);
    expect(recordedIndexLocator.locate(imageOf([ELF]).image, memory)).toBe(-1);
  });
});
