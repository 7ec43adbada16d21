// Helpers for the hot-plug tests: a loaded kdump image on the W1 machine (test/support/systems.ts)
// with small segments, its elfcorehdr as it sits in the reservation, and machines with many ranges.

import { ELF_MAGIC_BYTES, type KexecImage, kexecLoad, KexecState, type LoadOptions, SMALL_PAYLOAD, type Contention } from '../../core/kexec/index.js';
import type { NamedRange } from '../../core/memory/index.js';
import type { ArchPlugin } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { x86Plugin } from './systems.js';

export interface Loaded {
  readonly kexec: KexecState;
  readonly image: KexecImage;
  readonly system: SystemDescription;
  readonly plugin: ArchPlugin;
}

export function load(system: SystemDescription, options: Partial<LoadOptions> = {}, contention?: Contention, plugin: ArchPlugin = x86Plugin()): Loaded {
  const kexec = new KexecState(system.crashkernel!, { contention });
  const image = kexecLoad(kexec, system, plugin, { mode: 'file', payload: SMALL_PAYLOAD, ...options });
  return { kexec, image, system, plugin };
}

/** The index of the segment holding the elfcorehdr (by kind; the kernel may not know it yet). */
export function headerIndex(image: KexecImage): number {
  return image.segments.findIndex((s) => s.kind === 'elfcorehdr');
}

/** The whole elfcorehdr segment as it is in memory now (a copy). */
export function headerSegment(l: Pick<Loaded, 'kexec' | 'image'>): Uint8Array {
  const s = l.image.segments[headerIndex(l.image)]!;
  return l.kexec.memory.view(s.mem, s.memsz).slice();
}

/** The first `length` bytes of the elfcorehdr segment. */
export function headerBytes(l: Pick<Loaded, 'kexec' | 'image'>, length: number): Uint8Array {
  return headerSegment(l).subarray(0, length);
}

export function startsWithElfMagic(bytes: Uint8Array): boolean {
  return ELF_MAGIC_BYTES.every((b, i) => bytes[i] === b);
}

/** e_phnum of a little-endian header. */
export function phnumOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(56, true);
}

/** 128 MiB System RAM ranges with 128 MiB holes, from 4 GiB up (each its own PT_LOAD on x86). */
export function sparseAbove4G(count: number): NamedRange[] {
  const out: NamedRange[] = [];
  for (let i = 0; i < count; i++) {
    const start = 0x1_0000_0000n + BigInt(i) * 0x1000_0000n;
    out.push({ name: 'System RAM', start, end: start + 0x800_0000n - 1n });
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}
