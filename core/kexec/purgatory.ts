// The purgatory's integrity check. At load time the loader hashes every segment it includes
// (bufsz bytes of data, then zeros up to memsz) and writes the regions and the SHA-256 into the
// purgatory (kernel: kexec_calculate_store_digests; kexec-tools: update_purgatory). At crash time
// the purgatory hashes those regions of memory again and refuses to start the capture kernel on a
// mismatch. The digest is never recomputed after load, so any segment that hot-plug rewrites must
// have been left out of it.
//
// Hashing a 52 MiB image costs tens of milliseconds, and a run checks the purgatory at its end.
// When the regions the purgatory names are the ones hashed at load and the crash region proves
// none of their bytes can have changed since (CrashRegion.mark/unchanged: every write and every
// live view counts), the crash-time hash is the load-time one, and the check reuses it; any doubt
// and it hashes memory again.

import { createHash } from 'node:crypto';
import type { CrashRegion } from '../memory/crash-region.js';
import { hashBytes } from '../memory/lazy-tail.js';
import { CrashplugError } from '../base/errors.js';
import { hex } from '../base/hex.js';
import { KEXEC_SEGMENT_MAX, type KexecImage, type KexecSegment, type LoadDigest } from './image.js';
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

/**
 * The load-time digest, with a mark of the memory under each region taken now: call right after
 * the segments are copied into `memory`, so that the marks stand for the bytes that were hashed.
 */
export function loadDigestOf(stored: StoredDigest, memory: CrashRegion): LoadDigest {
  return { digest: stored.digest, regions: stored.regions, marks: stored.regions.map((r) => memory.mark(r.start, r.len)) };
}

export interface PurgatoryCheck {
  readonly ok: boolean;
  readonly expected: string;
  readonly actual: string;
  /** The regions hashed, as the purgatory read them from its own memory. */
  readonly regions: readonly ShaRegion[];
  /** The bytes were provably those hashed at load, so `actual` is the load-time digest, not a new hash. */
  readonly reusedLoadDigest: boolean;
}

export interface VerifyOptions {
  /** Hash memory even when the load-time digest could stand in (the straightforward check, for tests). */
  readonly rehash?: boolean | undefined;
}

function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Whether `regions` are the load's, in order, and the memory under every one is as it was then. */
function loadDigestHolds(load: LoadDigest | undefined, regions: readonly ShaRegion[], memory: CrashRegion): load is LoadDigest {
  if (load === undefined || load.regions.length !== regions.length) return false;
  for (let j = 0; j < regions.length; j++) {
    const r = regions[j]!;
    const then = load.regions[j]!;
    if (r.start !== then.start || r.len !== then.len || !memory.unchanged(load.marks[j]!)) return false;
  }
  return true;
}

/** What the purgatory does at crash time, reading only memory: its own regions and digest, then the regions. */
export function verifyPurgatory(image: KexecImage, memory: CrashRegion, options: VerifyOptions = {}): PurgatoryCheck {
  const purgatory = image.segments[image.purgatoryIndex];
  if (purgatory === undefined) {
    throw new CrashplugError('E_SEGMENT_NOT_FOUND', 'the image has no purgatory segment to verify');
  }
  const own = memory.read(purgatory.mem, PURGATORY_MIN_SIZE);
  const view = new DataView(own.buffer, own.byteOffset, own.byteLength);
  const regions: ShaRegion[] = [];
  for (let j = 0; j < KEXEC_SEGMENT_MAX; j++) {
    const start = view.getBigUint64(PURGATORY_SHA_REGIONS_OFFSET + 16 * j, true);
    const len = Number(view.getBigUint64(PURGATORY_SHA_REGIONS_OFFSET + 16 * j + 8, true));
    if (len === 0) continue;
    regions.push({ start, len });
  }
  const expected = toHex(own.subarray(PURGATORY_DIGEST_OFFSET, PURGATORY_DIGEST_OFFSET + PURGATORY_DIGEST_SIZE));
  const load = image.loadDigest;
  if (options.rehash !== true && loadDigestHolds(load, regions, memory)) {
    const actual = toHex(load.digest);
    return { ok: actual === expected, expected, actual, regions, reusedLoadDigest: true };
  }
  const hash = createHash('sha256');
  for (const r of regions) memory.hashInto(hash, r.start, r.len);
  const actual = toHex(new Uint8Array(hash.digest()));
  return { ok: actual === expected, expected, actual, regions, reusedLoadDigest: false };
}

/** The sentence for a failed check: the capture kernel would never start. */
export function purgatoryFailure(check: PurgatoryCheck): string {
  const where = check.regions.map((r) => `[${hex(r.start)}+${hex(r.len)}]`).join(' ');
  return `purgatory: sha256 mismatch over ${where} (expected ${check.expected}, found ${check.actual}); it would spin forever instead of starting the capture kernel`;
}
