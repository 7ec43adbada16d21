// The purgatory's integrity check. At load time the loader hashes every segment it includes
// (bufsz bytes of data, then zeros up to memsz) and writes the regions and the SHA-256 into the
// purgatory (kernel: kexec_calculate_store_digests; kexec-tools: update_purgatory). At crash time
// the purgatory hashes those regions of memory again and refuses to start the capture kernel on a
// mismatch. The digest is never recomputed after load, so any segment that hot-plug rewrites must
// have been left out of it.

import { createHash } from 'node:crypto';
import type { CrashRegion } from '../memory/crash-region.js';
import { hashBytes } from '../memory/lazy-tail.js';
import { CrashplugError } from '../base/errors.js';
import { hex } from '../base/hex.js';
import { KEXEC_SEGMENT_MAX, type KexecImage, type KexecSegment } from './image.js';
import { PURGATORY_DIGEST_OFFSET, PURGATORY_DIGEST_SIZE, PURGATORY_MIN_SIZE, PURGATORY_SHA_REGIONS_OFFSET } from './payload.js';

export interface ShaRegion {
  readonly start: bigint;
  readonly len: number;
}

export interface StoredDigest {
  readonly regions: readonly ShaRegion[];
  readonly digest: Uint8Array;
}

const ZEROS = new Uint8Array(1 << 16);

function hashZeros(hash: ReturnType<typeof createHash>, count: number): void {
  for (let left = count; left > 0; left -= ZEROS.length) hash.update(left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left));
}

/**
 * Hash the included segments and write regions + digest into the purgatory's buffer.
 * `include(i)` says whether segment i is hashed (never the purgatory itself).
 */
export function storePurgatoryDigest(segments: readonly KexecSegment[], purgatoryIndex: number, include: (index: number) => boolean): StoredDigest {
  const purgatory = segments[purgatoryIndex];
  if (purgatory === undefined || purgatory.buf.length < PURGATORY_MIN_SIZE) {
    throw new CrashplugError('E_BAD_ARGUMENT', `the purgatory segment must hold at least ${PURGATORY_MIN_SIZE} bytes for its digest`);
  }
  const hash = createHash('sha256');
  const regions: ShaRegion[] = [];
  segments.forEach((s, i) => {
    if (i === purgatoryIndex || !include(i)) return;
    hashBytes(hash, s.buf, 0, s.bufsz);
    hashZeros(hash, s.memsz - s.bufsz);
    regions.push({ start: s.mem, len: s.memsz });
  });
  if (regions.length > KEXEC_SEGMENT_MAX) throw new Error('more sha regions than segments');
  const digest = new Uint8Array(hash.digest());
  const view = new DataView(purgatory.buf.buffer, purgatory.buf.byteOffset, purgatory.buf.byteLength);
  regions.forEach((r, j) => {
    view.setBigUint64(PURGATORY_SHA_REGIONS_OFFSET + 16 * j, r.start, true);
    view.setBigUint64(PURGATORY_SHA_REGIONS_OFFSET + 16 * j + 8, BigInt(r.len), true);
  });
  purgatory.buf.set(digest, PURGATORY_DIGEST_OFFSET);
  return { regions, digest };
}

export interface PurgatoryCheck {
  readonly ok: boolean;
  readonly expected: string;
  readonly actual: string;
  /** The regions hashed, as the purgatory read them from its own memory. */
  readonly regions: readonly ShaRegion[];
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** What the purgatory does at crash time, reading only memory: its own regions and digest, then the regions. */
export function verifyPurgatory(image: KexecImage, memory: CrashRegion): PurgatoryCheck {
  const purgatory = image.segments[image.purgatoryIndex];
  if (purgatory === undefined) {
    throw new CrashplugError('E_SEGMENT_NOT_FOUND', 'the image has no purgatory segment to verify');
  }
  const own = memory.view(purgatory.mem, PURGATORY_MIN_SIZE);
  const view = new DataView(own.buffer, own.byteOffset, own.byteLength);
  const regions: ShaRegion[] = [];
  const hash = createHash('sha256');
  for (let j = 0; j < KEXEC_SEGMENT_MAX; j++) {
    const start = view.getBigUint64(PURGATORY_SHA_REGIONS_OFFSET + 16 * j, true);
    const len = Number(view.getBigUint64(PURGATORY_SHA_REGIONS_OFFSET + 16 * j + 8, true));
    if (len === 0) continue;
    memory.hashInto(hash, start, len);
    regions.push({ start, len });
  }
  const actual = toHex(new Uint8Array(hash.digest()));
  const expected = toHex(own.subarray(PURGATORY_DIGEST_OFFSET, PURGATORY_DIGEST_OFFSET + PURGATORY_DIGEST_SIZE));
  return { ok: actual === expected, expected, actual, regions };
}

/** The sentence for a failed check: the capture kernel would never start. */
export function purgatoryFailure(check: PurgatoryCheck): string {
  const where = check.regions.map((r) => `[${hex(r.start)}+${hex(r.len)}]`).join(' ');
  return `purgatory: sha256 mismatch over ${where} (expected ${check.expected}, found ${check.actual}); it would spin forever instead of starting the capture kernel`;
}
