// Buffers whose tail is a block repeated, written only when something looks at it. A kdump image
// of synthetic bytes is 52 MiB; writing it costs little, but the first touch of every fresh page
// costs the kernel a fault (on the virtual machines here 52 MiB take ~200 ms, more than all the
// rest of a 3840-event resize). The purgatory only hashes those bytes, and a hash can be fed the
// repeated block instead, so the pages are never touched unless a reader asks for a view of them.
// The bytes a reader sees are the same either way: materialize() writes them before any view.

/** What stands for bytes [from, buffer length) of a buffer: byte k is block[k mod block.length]. */
interface Tail {
  readonly from: number;
  readonly block: Uint8Array;
}

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
  if (from < buf.length) tails.set(buf, { from, block });
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
