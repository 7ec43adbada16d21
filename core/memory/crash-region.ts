// The physical memory of the crash reservation (`crashk_res`), sparse: one zero-filled chunk per
// loaded segment. Hot-plug updates, the purgatory check and the segment scans read and write it
// by physical address, as the kernel does through the linear map.

import { CrashplugError } from '../base/errors.js';
import { hex } from '../base/hex.js';
import { type HashSink, hashBytes, lengthOf, written } from './lazy-tail.js';
import type { Range } from './range.js';

interface Chunk {
  readonly mem: bigint;
  readonly bytes: Uint8Array;
  /** The bytes' length as readers see it (an adopted buffer's tail may not be allocated yet). */
  readonly length: number;
  /**
   * How many times the chunk's bytes may have changed: every write() and every live view() handed
   * out counts, since whoever holds a view can write through it. read() and hashInto() do not.
   */
  writes: number;
}

/**
 * The state of the chunk holding some range at one moment (mark()); unchanged() tells whether it
 * can have been written since. Opaque outside this file.
 */
export interface WriteMark {
  readonly chunk: object;
  readonly writes: number;
}

/** Called after every write; tests use it to see what else was true while the copy ran. */
export type WriteObserver = (mem: bigint, length: number) => void;

export class CrashRegion {
  #chunks: Chunk[] = [];
  #observers: WriteObserver[] = [];

  constructor(readonly reservation: Range) {}

  /** Back [mem, mem + memsz) with zeroed memory; it must lie inside the reservation and overlap nothing. */
  allocate(mem: bigint, memsz: number): Uint8Array {
    this.#checkFree(mem, memsz);
    return this.#add(mem, new Uint8Array(memsz));
  }

  /**
   * Back [mem, mem + bytes.length) with `bytes` itself, not a copy: the caller gives it up. Same
   * checks as allocate.
   */
  adopt(mem: bigint, bytes: Uint8Array): Uint8Array {
    this.#checkFree(mem, lengthOf(bytes));
    return this.#add(mem, bytes);
  }

  #checkFree(mem: bigint, length: number): void {
    const end = mem + BigInt(length) - 1n;
    if (mem < this.reservation.start || end > this.reservation.end) {
      throw new CrashplugError(
        'E_SEGMENT_PLACEMENT',
        `segment [${hex(mem)}, ${hex(end)}] lies outside the crash reservation ` +
          `[${hex(this.reservation.start)}, ${hex(this.reservation.end)}]; the kernel refuses it with -EADDRNOTAVAIL`,
      );
    }
    for (const c of this.#chunks) {
      if (mem <= c.mem + BigInt(c.length) - 1n && c.mem <= end) {
        throw new CrashplugError('E_SEGMENT_PLACEMENT', `segment at ${hex(mem)} overlaps the one at ${hex(c.mem)}`);
      }
    }
  }

  #add(mem: bigint, bytes: Uint8Array): Uint8Array {
    this.#chunks.push({ mem, bytes, length: lengthOf(bytes), writes: 0 });
    this.#chunks.sort((a, b) => (a.mem < b.mem ? -1 : a.mem > b.mem ? 1 : 0));
    return bytes;
  }

  /** Forget every chunk: the image was unloaded. */
  clear(): void {
    this.#chunks = [];
  }

  /** The chunk holding [pa, pa + length) and the offset of pa in it. */
  #find(pa: bigint, length: number): { chunk: Chunk; bytes: Uint8Array; off: number } {
    // Indexed, not for…of: every header install comes here, mostly interpreted, where for…of makes
    // a result object per chunk.
    const chunks = this.#chunks;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (pa < c.mem) break;
      const off = pa - c.mem;
      if (off + BigInt(length) <= BigInt(c.length)) return { chunk: c, bytes: c.bytes, off: Number(off) };
    }
    throw new CrashplugError('E_SEGMENT_NOT_FOUND', `no loaded segment holds [${hex(pa)}, ${hex(pa + BigInt(length) - 1n)}] in the crash reservation`);
  }

  /**
   * A live view of [pa, pa + length); the range must lie inside one loaded segment. The caller may
   * write through it, so the chunk counts as written from now on (see mark()); readers use read().
   */
  view(pa: bigint, length: number): Uint8Array {
    const { chunk, bytes, off } = this.#find(pa, length);
    chunk.writes++;
    return written(bytes, off + length).subarray(off, off + length);
  }

  /** A copy of [pa, pa + length), for readers: it leaves the chunk's write count alone. */
  read(pa: bigint, length: number): Uint8Array {
    const { bytes, off } = this.#find(pa, length);
    return written(bytes, off + length).slice(off, off + length);
  }

  /** The chunk holding [pa, pa + length) as it is now, to ask unchanged() about later. */
  mark(pa: bigint, length: number): WriteMark {
    const { chunk } = this.#find(pa, length);
    return { chunk, writes: chunk.writes };
  }

  /**
   * Whether no byte of the marked chunk can have changed since mark(): it is still loaded (not
   * cleared and reallocated) and nothing wrote to it or took a live view of it in between.
   */
  unchanged(mark: WriteMark): boolean {
    const chunk = mark.chunk as Chunk;
    return chunk.writes === mark.writes && this.#chunks.includes(chunk);
  }

  /** Feed [pa, pa + length) to a hash, as view() would show it, without writing a deferred tail. */
  hashInto(hash: HashSink, pa: bigint, length: number): void {
    const { bytes, off } = this.#find(pa, length);
    hashBytes(hash, bytes, off, off + length);
  }

  write(pa: bigint, bytes: Uint8Array): void {
    // What view(pa, bytes.length).set(bytes) does, without making the view: a hot-plug run writes
    // the header once per update.
    const { chunk, bytes: into, off } = this.#find(pa, bytes.length);
    chunk.writes++;
    written(into, off + bytes.length).set(bytes, off);
    const observers = this.#observers;
    for (let i = 0; i < observers.length; i++) observers[i]!(pa, bytes.length);
  }

  observeWrites(observer: WriteObserver): () => void {
    this.#observers.push(observer);
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }
}
