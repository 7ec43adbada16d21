// The synthetic payload bytes (core/kexec/payload.ts) are made the cheap way — the stream only as
// far as a short segment needs it, the tail of a long one neither written nor allocated until
// viewed. Held here to the straightforward construction they replaced: the whole 64 KiB stream,
// then every byte of the segment written out.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { loaderPayloadBytes, PURGATORY_MIN_SIZE, PURGATORY_SHA_REGIONS_OFFSET, payloadBytes } from '../core/kexec/payload.js';
import { lengthOf, materialize } from '../core/memory/index.js';

const PERIOD = 1 << 16;
const PREFIX: Record<string, readonly number[]> = {
  kernel: [0x4d, 0x5a],
  initrd: [0x30, 0x37, 0x30, 0x37, 0x30, 0x31],
  'boot-params': [],
  purgatory: [0xf3, 0x0f, 0x1e, 0xfa],
  other: [],
};

function seedOf(kind: string, size: number): number {
  let h = 0x811c9dc5 ^ size;
  for (let i = 0; i < kind.length; i++) h = Math.imul(h ^ kind.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

/** Every byte, the plain way: a full period of the stream, repeated over the whole segment. */
function oracle(kind: string, size: number): Uint8Array {
  const block = new Uint8Array(PERIOD);
  const words = new Uint32Array(block.buffer);
  let x = seedOf(kind, size);
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  const bytes = new Uint8Array(size);
  if (size >= PERIOD) for (let at = 0; at < size; at += PERIOD) bytes.set(block.subarray(0, Math.min(PERIOD, size - at)), at);
  else bytes.set(block.subarray(0, size & ~3), 0);
  const prefix = PREFIX[kind]!;
  bytes.set(prefix.length <= size ? prefix : prefix.slice(0, size), 0);
  if (kind === 'boot-params') {
    bytes.fill(0, 0, Math.min(size, 0x1000));
    if (size >= 0x206) bytes.set([0x48, 0x64, 0x72, 0x53], 0x202);
  }
  if (kind === 'purgatory') bytes.fill(0, PURGATORY_SHA_REGIONS_OFFSET, PURGATORY_MIN_SIZE);
  return bytes;
}

const kinds = fc.constantFrom('kernel' as const, 'initrd' as const, 'boot-params' as const, 'purgatory' as const, 'other' as const);
const sizes = fc.oneof(
  fc.integer({ min: 0, max: 64 }),
  fc.integer({ min: 0, max: 3 * PERIOD + 17 }),
  fc.integer({ min: -8, max: 8 }).chain((d) => fc.integer({ min: 1, max: 3 }).map((k) => Math.max(0, k * PERIOD + d))),
);

describe('synthetic payload bytes', () => {
  itProp.prop([kinds, sizes], { numRuns: 300 })('are the straightforward construction, byte for byte, both ways', (kind, size) => {
    const want = oracle(kind, size);
    expect(Buffer.from(payloadBytes(kind, size)).equals(Buffer.from(want))).toBe(true);
    const lazy = loaderPayloadBytes(kind, size);
    expect(lengthOf(lazy)).toBe(size);
    expect(lazy.length).toBe(size > PERIOD ? PERIOD : size); // only the first period is allocated
    expect(Buffer.from(materialize(lazy)).equals(Buffer.from(want))).toBe(true);
  });
});
