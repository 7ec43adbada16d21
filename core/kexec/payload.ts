// The segments of a kdump image other than the elfcorehdr — kernel, initrd, boot parameters,
// purgatory — as deterministic synthetic bytes of configurable, realistic sizes. Nothing reads
// their meaning; they exist so that placement, the purgatory digest and a reload cost what they
// cost, and so that a segment scan has real first bytes to look at.

import { deferredBuffer, materialize } from '../memory/lazy-tail.js';
import type { SegmentKind } from './image.js';

/** The segments made of synthetic bytes: not the elfcorehdr or a device tree, whose bytes mean something. */
export type PayloadKind = Exclude<SegmentKind, 'elfcorehdr' | 'fdt'>;

export interface PayloadSizes {
  /** The kernel segment's bufsz (a bzImage's protected-mode part). */
  readonly kernel: number;
  /** Its memsz (the setup header's init_size); defaults to `kernel`. */
  readonly kernelInitSize?: number | undefined;
  readonly initrd: number;
  /** The purgatory's loaded size; at least PURGATORY_MIN_SIZE, it holds the digest. */
  readonly purgatory: number;
  /** boot_params, command line and setup_data. */
  readonly bootParams: number;
}

/** A distribution kdump image: a 12 MiB kernel and a 40 MiB initrd. */
export const REALISTIC_PAYLOAD: PayloadSizes = {
  kernel: 12 << 20,
  initrd: 40 << 20,
  purgatory: 0x4000,
  bootParams: 0x1800,
};

/** Small enough that re-hashing per event costs microseconds: for tests and benchmarks. */
export const SMALL_PAYLOAD: PayloadSizes = {
  kernel: 0x2_0000,
  initrd: 0x4_0000,
  purgatory: 0x1000,
  bootParams: 0x1000,
};

/**
 * Where the purgatory keeps what the loader writes into it: the regions it must hash
 * (`purgatory_sha_regions`, KEXEC_SEGMENT_MAX × {u64 start, u64 len}) and the expected SHA-256
 * (`purgatory_sha256_digest`). Offsets inside crashplug's synthetic purgatory; little-endian.
 */
export const PURGATORY_SHA_REGIONS_OFFSET = 0x100;
export const PURGATORY_SHA_REGIONS_SIZE = 16 * 16;
export const PURGATORY_DIGEST_OFFSET = PURGATORY_SHA_REGIONS_OFFSET + PURGATORY_SHA_REGIONS_SIZE;
export const PURGATORY_DIGEST_SIZE = 32;
export const PURGATORY_MIN_SIZE = PURGATORY_DIGEST_OFFSET + PURGATORY_DIGEST_SIZE;

/** First bytes of each kind, so a dump of the region says what is where (never ELF or FDT magic). */
const PREFIX: Record<PayloadKind, readonly number[]> = {
  kernel: [0x4d, 0x5a], // "MZ": the EFI stub header every bzImage starts with
  initrd: [0x30, 0x37, 0x30, 0x37, 0x30, 0x31], // "070701": a newc cpio archive
  'boot-params': [],
  purgatory: [0xf3, 0x0f, 0x1e, 0xfa], // endbr64
  backup: [],
  other: [],
};

/**
 * The pseudo-random stream repeats every PERIOD bytes: one 64 KiB block is generated, the first
 * PERIOD bytes of the segment are written from it (then its kind's first bytes over them), and the
 * rest is that block repeated — a deferredBuffer, so 52 MiB are neither allocated nor written unless
 * a reader views them (the purgatory's hashes are fed the block instead: see memory/lazy-tail.ts).
 */
const PERIOD = 1 << 16;

function seedOf(kind: string, size: number): number {
  let h = 0x811c9dc5 ^ size;
  for (let i = 0; i < kind.length; i++) h = Math.imul(h ^ kind.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

function fill(kind: PayloadKind, size: number): Uint8Array {
  if (kind === 'backup') return new Uint8Array(size); // kexec-tools hands over a zeroed buffer; purgatory fills it at crash time
  // As much of the stream as the segment holds, at most one period: a 6 KiB segment needs 6 KiB of
  // it, not 64 (the words past a short segment's last whole one were never used).
  const block = new Uint8Array(size >= PERIOD ? PERIOD : size & ~3);
  const words = new Uint32Array(block.buffer);
  let x = seedOf(kind, size);
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  // Only the first block is allocated; the rest is declared (lazy-tail.ts), allocated when viewed.
  const bytes = size > PERIOD ? deferredBuffer(size, PERIOD, block) : new Uint8Array(size);
  bytes.set(block, 0);
  // A segment shorter than its kind's first bytes (a 1-byte --kernel-size) gets as many as fit.
  const prefix = PREFIX[kind];
  bytes.set(prefix.length <= size ? prefix : prefix.slice(0, size), 0);
  if (kind === 'boot-params') {
    bytes.fill(0, 0, Math.min(size, 0x1000));
    if (size >= 0x206) bytes.set([0x48, 0x64, 0x72, 0x53], 0x202); // "HdrS" of the setup header
  }
  if (kind === 'purgatory') bytes.fill(0, PURGATORY_SHA_REGIONS_OFFSET, PURGATORY_MIN_SIZE);
  return bytes;
}

/**
 * The bytes of a synthetic segment, all written: the same kind and size always give the same bytes.
 */
export function payloadBytes(kind: PayloadKind, size: number): Uint8Array {
  return materialize(fill(kind, size));
}

/**
 * The same bytes for a loader: a new buffer that nothing else holds, so it may become the
 * segment's memory in the crash region instead of a copy (a 52 MiB image is then held once, not
 * twice), with its repeated tail still only declared (written on the first view of it).
 */
export function loaderPayloadBytes(kind: PayloadKind, size: number): Uint8Array {
  return fill(kind, size);
}
