// Buffers whose tail is a block repeated, written only when something looks at it. A kdump image
// of synthetic bytes is 52 MiB; writing it costs little, but the first touch of every fresh page
// costs the kernel a fault (on the virtual machines here 52 MiB take ~200 ms, more than all the
// rest of a 3840-event resize). The purgatory only hashes those bytes, and a hash can be fed the
// repeated block instead, so the pages are never touched unless a reader asks for a view of them.
// The bytes a reader sees are the same either way: materialize() writes them before any view.
//
// Even unwritten, 52 MiB of ArrayBuffers count against V8's heap: their allocation starts a
// garbage collection whose marking and final pause land in whatever runs next (the hot-plug events,
// doubling their time). So deferredBuffer() does not allocate the tail at all: its buffer is
// resizable, holds only the bytes before the tail, and grows in place (same ArrayBuffer, same view)
// when materialize() writes the tail out. lengthOf() is its length as a reader sees it.

/** What stands for bytes [from, length) of a buffer: byte k is block[k mod block.length]. */
interface Tail {
  readonly from: number;
  readonly block: Uint8Array;
  /** The buffer's length once written out; more than its current length while it is not allocated. */
  readonly length: number;
}

/** A resizable ArrayBuffer (ES2024; Node 20 has it, this project's lib does not yet). */
interface Resizable extends ArrayBuffer {
  resize(byteLength: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => Resizable;

const tails = new WeakMap<Uint8Array, Tail>();

/** What a hash needs: Node's crypto Hash fits. */
export interface HashSink {
  update(data: Uint8Array): unknown;
}

/**
 * Declare that bytes [from, buf.length) of `buf` are `block` repeated from offset 0 of the buffer
 * (byte k is block[k mod block.length]) and are not written yet. `from` must be a multiple of the
 * block's length; the bytes before it are the buffer's own.
 */
export function deferTail(buf: Uint8Array, from: number, block: Uint8Array): void {
  if (block.length === 0 || from % block.length !== 0 || from < 0) throw new Error('deferTail: from must be a multiple of a non-empty block');
  if (from < buf.length) tails.set(buf, { from, block, length: buf.length });
}

/**
 * A buffer of `length` bytes whose bytes [from, length) are `block` repeated (as deferTail says)
 * and are not even allocated yet: only its first `from` bytes exist (zeroed, for the caller to
 * write), and lengthOf() gives `length`. Any view reaching into the tail (written, materialize)
 * grows it in place. Shorter than `from`, it is an ordinary buffer.
 */
export function deferredBuffer(length: number, from: number, block: Uint8Array): Uint8Array {
  if (block.length === 0 || from % block.length !== 0 || from < 0) throw new Error('deferredBuffer: from must be a multiple of a non-empty block');
  if (from >= length) return new Uint8Array(length);
  // A length-tracking view: it follows the buffer when it grows.
  const buf = new Uint8Array(new ResizableArrayBuffer(from, { maxByteLength: length }));
  tails.set(buf, { from, block, length });
  return buf;
}

/** The length of `buf` as every reader sees it: with its tail, written out or not. */
export function lengthOf(buf: Uint8Array): number {
  return tails.get(buf)?.length ?? buf.length;
}

/** Make bytes [0, end) of `buf` real: the whole tail is written when `end` reaches into it. */
export function written(buf: Uint8Array, end: number): Uint8Array {
  const tail = tails.get(buf);
  return tail !== undefined && end > tail.from ? materialize(buf) : buf;
}

/** Write the declared tail into the buffer (once); afterwards it is an ordinary buffer. */
export function materialize(buf: Uint8Array): Uint8Array {
  const tail = tails.get(buf);
  if (tail === undefined) return buf;
  tails.delete(buf);
  // A deferred buffer grows to its full length first; its view follows (zeros, then the tail).
  if (buf.length < tail.length) (buf.buffer as Resizable).resize(tail.length);
  const n = tail.block.length;
  for (let at = tail.from; at < buf.length; at += n) buf.set(at + n <= buf.length ? tail.block : tail.block.subarray(0, buf.length - at), at);
  return buf;
}

/** Feed bytes [start, end) of `buf` to `hash` as a reader of the materialized buffer would see them. */
export function hashBytes(hash: HashSink, buf: Uint8Array, start: number, end: number): void {
  const tail = tails.get(buf);
  if (tail === undefined || end <= tail.from) {
    hash.update(buf.subarray(start, end));
    return;
  }
  if (start < tail.from) hash.update(buf.subarray(start, tail.from));
  const n = tail.block.length;
  for (let at = Math.max(start, tail.from); at < end; ) {
    const k = at % n;
    const take = Math.min(n - k, end - at);
    hash.update(tail.block.subarray(k, k + take));
    at += take;
  }
}
