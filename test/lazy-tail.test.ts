// Buffers with a declared, repeated tail (core/memory/lazy-tail.ts): what a hash is fed, what a view
// shows and what the purgatory digest covers must be exactly the bytes of the written-out buffer.

import { createHash } from 'node:crypto';
import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { verifyPurgatory } from '../core/kexec/index.js';
import { payloadBytes } from '../core/kexec/payload.js';
import { CrashRegion, deferredBuffer, deferTail, hashBytes, lengthOf, materialize } from '../core/memory/index.js';
import { load } from './support/hotplug.js';
import { x86System } from './support/systems.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A buffer of `size` bytes with its own first `from` bytes and `block` repeated after them, both ways. */
function both(block: Uint8Array, blocks: number, extra: number, own: number): { lazy: Uint8Array; full: Uint8Array } {
  const from = blocks * block.length;
  const size = from + extra;
  const full = new Uint8Array(size);
  for (let k = 0; k < size; k++) full[k] = k < from ? (k * 7 + own) & 255 : block[k % block.length]!;
  const lazy = new Uint8Array(size);
  lazy.set(full.subarray(0, from));
  deferTail(lazy, from, block);
  return { lazy, full };
}

const shape = fc.record({
  block: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  blocks: fc.integer({ min: 0, max: 4 }),
  extra: fc.integer({ min: 0, max: 200 }),
  own: fc.integer({ min: 0, max: 255 }),
});

/**
 * A crash region that adopts `lazy` shows its readers, views and hashes the bytes of `full`, keeps
 * the whole length as its extent, and takes writes once a view has written the tail out.
 */
function adoptedByRegion({ lazy, full }: { lazy: Uint8Array; full: Uint8Array }, a: number, b: number): void {
  fc.pre(full.length > 0);
  const region = new CrashRegion({ start: 0x1000n, end: 0xffffn });
  region.adopt(0x2000n, lazy);
  const start = a % full.length;
  const length = b % (full.length - start + 1);
  const h = createHash('sha256');
  region.hashInto(h, 0x2000n + BigInt(start), length);
  expect(h.digest('hex')).toBe(sha(full.subarray(start, start + length)));
  expect(Buffer.from(region.read(0x2000n + BigInt(start), length)).equals(Buffer.from(full.subarray(start, start + length)))).toBe(true);
  expect(Buffer.from(region.view(0x2000n + BigInt(start), length)).equals(Buffer.from(full.subarray(start, start + length)))).toBe(true);
  // The region's extent is the whole length, tail included: nothing may be placed over it.
  expect(() => region.allocate(0x2000n + BigInt(full.length - 1), 1)).toThrow(/overlaps/);
  // After a view into the tail the buffer is ordinary, and a write lands in it.
  region.view(0x2000n, full.length);
  region.write(0x2000n, Uint8Array.of(0xab));
  expect(region.view(0x2000n, 1)[0]).toBe(0xab);
}

describe('a buffer with a deferred tail', () => {
  itProp.prop([shape, fc.nat(), fc.nat()])('feeds a hash the bytes of the written-out buffer, for any slice', (s, a, b) => {
    const { lazy, full } = both(s.block, s.blocks, s.extra, s.own);
    const start = a % (full.length + 1);
    const end = start + (b % (full.length - start + 1));
    const h = createHash('sha256');
    hashBytes(h, lazy, start, end);
    expect(h.digest('hex')).toBe(sha(full.subarray(start, end)));
  });

  itProp.prop([shape])('is written out once, byte for byte, by materialize', (s) => {
    const { lazy, full } = both(s.block, s.blocks, s.extra, s.own);
    expect(Buffer.from(materialize(lazy)).equals(Buffer.from(full))).toBe(true);
  });

  itProp.prop([shape, fc.nat(), fc.nat()])('adopted by a crash region: reads, views and hashes are the written-out bytes', (s, a, b) =>
    adoptedByRegion(both(s.block, s.blocks, s.extra, s.own), a, b),
  );

  it('refuses a tail that does not start on a block boundary', () => {
    expect(() => deferTail(new Uint8Array(10), 3, new Uint8Array(2))).toThrow(/multiple/);
  });
});

/** The same buffer as `both` gives, made by deferredBuffer: its tail not even allocated. */
function deferred(block: Uint8Array, blocks: number, extra: number, own: number): { lazy: Uint8Array; full: Uint8Array } {
  const { full } = both(block, blocks, extra, own);
  const from = blocks * block.length;
  const lazy = deferredBuffer(full.length, from, block);
  lazy.set(full.subarray(0, Math.min(from, full.length)));
  return { lazy, full };
}

describe('a buffer whose tail is not allocated (deferredBuffer)', () => {
  itProp.prop([shape, fc.nat(), fc.nat()])('has the written-out length and feeds a hash its bytes, for any slice, without growing', (s, a, b) => {
    const { lazy, full } = deferred(s.block, s.blocks, s.extra, s.own);
    const allocated = lazy.length;
    expect(allocated).toBe(Math.min(full.length, s.blocks * s.block.length));
    expect(lengthOf(lazy)).toBe(full.length);
    const start = a % (full.length + 1);
    const end = start + (b % (full.length - start + 1));
    const h = createHash('sha256');
    hashBytes(h, lazy, start, end);
    expect(h.digest('hex')).toBe(sha(full.subarray(start, end)));
    expect(lazy.length).toBe(allocated);
  });

  itProp.prop([shape])('grows in place to the written-out bytes on materialize: same buffer, same view', (s) => {
    const { lazy, full } = deferred(s.block, s.blocks, s.extra, s.own);
    const buffer = lazy.buffer;
    expect(materialize(lazy)).toBe(lazy);
    expect(lazy.buffer).toBe(buffer);
    expect(Buffer.from(lazy).equals(Buffer.from(full))).toBe(true);
    expect(lengthOf(lazy)).toBe(full.length);
  });

  itProp.prop([shape, fc.nat(), fc.nat()])('adopted by a crash region: reads, views and hashes are the written-out bytes', (s, a, b) =>
    adoptedByRegion(deferred(s.block, s.blocks, s.extra, s.own), a, b),
  );

  it('refuses a tail that does not start on a block boundary', () => {
    expect(() => deferredBuffer(10, 3, new Uint8Array(2))).toThrow(/multiple/);
  });
});

describe('the synthetic image with deferred tails', () => {
  it('leaves the kernel and initrd tails unallocated through a load and its purgatory check', () => {
    const l = load(x86System(), { payload: { kernel: 4 << 20, initrd: 8 << 20, purgatory: 0x4000, bootParams: 0x1800 } });
    const big = l.image.segments.filter((s) => s.kind === 'kernel' || s.kind === 'initrd');
    expect(verifyPurgatory(l.image, l.kexec.memory, { rehash: true }).ok).toBe(true);
    for (const s of big) {
      expect(s.bufsz).toBe(lengthOf(s.buf));
      expect(s.buf.length).toBe(1 << 16);
    }
    // A view of the last byte writes the tail out: the segment's buffer is then whole.
    for (const s of big) l.kexec.memory.view(s.mem + BigInt(s.bufsz) - 1n, 1);
    for (const s of big) expect(s.buf.length).toBe(s.bufsz);
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(true);
  });

  it('stores the digest of the written-out segments, and the purgatory check agrees', () => {
    const l = load(x86System());
    const hash = createHash('sha256');
    const check = verifyPurgatory(l.image, l.kexec.memory);
    // Hash the regions from views, which write every tail out: the same digest.
    for (const r of check.regions) hash.update(l.kexec.memory.view(r.start, r.len));
    expect(hash.digest('hex')).toBe(check.expected);
    expect(check.ok).toBe(true);
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(true);
  });

  it('is the bytes payloadBytes gives, segment by segment', () => {
    const l = load(x86System());
    for (const s of l.image.segments.filter((x) => x.kind === 'kernel' || x.kind === 'initrd')) {
      expect(Buffer.from(l.kexec.memory.view(s.mem, s.bufsz)).equals(Buffer.from(payloadBytes(s.kind as 'kernel' | 'initrd', s.bufsz)))).toBe(true);
    }
  });

  it('catches a write into a segment whose tail was never written out', () => {
    const l = load(x86System());
    const kernel = l.image.segments.find((s) => s.kind === 'kernel')!;
    const last = kernel.mem + BigInt(kernel.bufsz) - 1n;
    l.kexec.memory.write(last, Uint8Array.of(l.kexec.memory.view(last, 1)[0]! ^ 0xff));
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(false);
  });
});
