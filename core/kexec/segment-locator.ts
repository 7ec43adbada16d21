// How a segment of a loaded image is found again after load: by the index the loader recorded
// (kexec_file_load on x86), by scanning every segment's first bytes for ELF magic with the last
// match winning (the generic handler, for kexec_load images; W9), or by the first segment that
// starts with the flattened-device-tree magic (powerpc's FDT update).

import type { CrashRegion } from '../memory/crash-region.js';
import type { KexecImage } from './image.js';

export interface SegmentLocator {
  readonly name: string;
  /** The segment index, or −1. */
  locate(image: KexecImage, memory: CrashRegion): number;
}

function startsWith(image: KexecImage, memory: CrashRegion, index: number, magic: readonly number[]): boolean {
  const s = image.segments[index]!;
  if (s.memsz < magic.length) return false;
  const head = memory.read(s.mem, magic.length);
  return magic.every((b, i) => head[i] === b);
}

export const ELF_MAGIC_BYTES: readonly number[] = [0x7f, 0x45, 0x4c, 0x46];
/** FDT_MAGIC 0xd00dfeed, stored big-endian. */
export const FDT_MAGIC_BYTES: readonly number[] = [0xd0, 0x0d, 0xfe, 0xed];

export const recordedIndexLocator: SegmentLocator = {
  name: 'recorded index',
  locate: (image) => (image.elfcorehdrIndex >= 0 && image.elfcorehdrIndex < image.segments.length ? image.elfcorehdrIndex : -1),
};

/** Every segment is looked at and every match overwrites the answer: the last ELF segment wins. */
export const elfMagicLocator: SegmentLocator = {
  name: 'ELF magic scan',
  locate(image, memory) {
    let found = -1;
    for (let n = 0; n < image.segments.length; n++) if (startsWith(image, memory, n, ELF_MAGIC_BYTES)) found = n;
    return found;
  },
};

export const fdtMagicLocator: SegmentLocator = {
  name: 'FDT magic scan',
  locate(image, memory) {
    for (let n = 0; n < image.segments.length; n++) if (startsWith(image, memory, n, FDT_MAGIC_BYTES)) return n;
    return -1;
  },
};

/** The handler's rule: the recorded index if there is one, else the ELF scan. */
export const elfcorehdrLocator: SegmentLocator = {
  name: 'recorded index, else ELF magic scan',
  locate(image, memory) {
    const recorded = recordedIndexLocator.locate(image, memory);
    return recorded >= 0 ? recorded : elfMagicLocator.locate(image, memory);
  },
};
