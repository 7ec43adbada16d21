// `crash_prepare_elf64_headers`: the kdump elfcorehdr as the kernel lays it out — one PT_NOTE per
// CPU, the vmcoreinfo PT_NOTE, an optional kernel-map PT_LOAD, one PT_LOAD per memory range — in
// a buffer sized for every possible CPU plus the kernel-map slot (counted even when unused) and
// rounded up to 4 KiB. It writes straight into the buffer; the model comes from decoding it.

import { alignUpNumber } from '../base/hex.js';
import { EHDR_SIZE, ELF_CORE_HEADER_ALIGN, ELFDATA2LSB, type ByteOrder, coreElfHeader, PF_RWX, PHDR_SIZE, PT_LOAD, PT_NOTE } from './elf.js';
import { writeElfHeader } from './encode.js';
import { CrashplugError } from '../base/errors.js';
import { isPackingOf, type PackedRanges } from '../memory/packed-ranges.js';
import type { Range } from '../memory/range.js';

/** The kernel-text PT_LOAD (x86_64, arm64): `_text`, `__pa_symbol(_text)`, `_end − _text`. */
export interface KernelMap {
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly size: bigint;
}

/**
 * What the header is written from. `crashNotes` and `va` are called with `context` as their second
 * argument, so a caller that builds header after header can pass the same two functions each time
 * and put what changes in the context: V8 inlines a call site that always sees one function, while
 * a new closure per build left it calling out (measured 25–40 % slower for 16 386 program headers).
 */
export interface ElfcorehdrInput<C = undefined> {
  readonly machine: number;
  /** CPUs that get a PT_NOTE, in mask order (possible CPUs; present ones on ≤6.5 kernels). */
  readonly noteCpus: readonly number[];
  /** num_possible_cpus(): what the buffer is sized for. */
  readonly possibleCpuCount: number;
  readonly crashNotes: (cpu: number, context: C) => bigint;
  /** sizeof(note_buf_t) of the arch. */
  readonly noteSize: bigint;
  readonly vmcoreinfo: { readonly address: bigint; readonly size: bigint };
  readonly kernelMap?: KernelMap | undefined;
  readonly ranges: readonly Range[];
  /** `__va()` of the arch, for the PT_LOAD p_vaddr. */
  readonly va: (pa: bigint, context: C) => bigint;
  /** The second argument of `crashNotes` and `va`. */
  readonly context?: C;
  /**
   * `crashNotes` of every `noteCpus` entry, worked out beforehand (core/build/note-table.ts keeps
   * them per machine). Used only when its `cpus` is the very `noteCpus` array; `crashNotes` otherwise.
   */
  readonly noteAddresses?: NoteAddresses | undefined;
  /** `ranges` packed (core/memory/packed-ranges.ts); read instead of them when packed from that very list. */
  readonly packedRanges?: PackedRanges | undefined;
  /**
   * `__va(p) − p`, the same for every range (the port's vaOffset): p_vaddr is p + this in 64-bit
   * arithmetic and `va` is not called. Undefined: `va` per range.
   */
  readonly vaOffset?: bigint | undefined;
  /** Byte order of the fields; EI_DATA is LSB regardless, as the kernel hard-codes it. */
  readonly byteOrder?: ByteOrder;
}

/** The crash_notes address of each CPU of `cpus`, at the same index. */
export interface NoteAddresses {
  readonly cpus: readonly number[];
  readonly addresses: BigUint64Array;
}

/** Which program header is what: the layout, without the bytes. */
export interface ElfcorehdrLayout {
  readonly noteCpus: readonly number[];
  readonly hasKernelMap: boolean;
  readonly rangeCount: number;
  readonly phnum: number;
  /** The phdr count the buffer was sized for (possible CPUs + 1 + ranges + 1). */
  readonly sizedPhnum: number;
  /** Aligned buffer size: what `crash_prepare_elf64_headers` returns in *sz. */
  readonly size: number;
}

export interface BuiltElfcorehdr {
  readonly bytes: Uint8Array;
  readonly layout: ElfcorehdrLayout;
}

export type PhdrRole =
  | { readonly kind: 'cpu-note'; readonly cpu: number }
  | { readonly kind: 'vmcoreinfo' }
  | { readonly kind: 'kernel-map' }
  | { readonly kind: 'ram'; readonly index: number };

export function elfcorehdrSize(possibleCpuCount: number, rangeCount: number): number {
  const sizedPhnum = possibleCpuCount + 1 + rangeCount + 1;
  return alignUpNumber(EHDR_SIZE + sizedPhnum * PHDR_SIZE, ELF_CORE_HEADER_ALIGN);
}

export function layoutOf<C>(input: ElfcorehdrInput<C>): ElfcorehdrLayout {
  return layoutFor(input, input.ranges.length);
}

/**
 * layoutOf for `rangeCount` RAM ranges: the layout reads only how many there are, so a caller that
 * knows the count need not make an input (a copy of every field) just to say it.
 */
export function layoutFor<C>(input: Pick<ElfcorehdrInput<C>, 'noteCpus' | 'possibleCpuCount' | 'kernelMap'>, rangeCount: number): ElfcorehdrLayout {
  const hasKernelMap = input.kernelMap !== undefined;
  const sizedPhnum = input.possibleCpuCount + 1 + rangeCount + 1;
  return {
    noteCpus: input.noteCpus,
    hasKernelMap,
    rangeCount,
    phnum: input.noteCpus.length + 1 + (hasKernelMap ? 1 : 0) + rangeCount,
    sizedPhnum,
    size: elfcorehdrSize(input.possibleCpuCount, rangeCount),
  };
}

export function roleOf(layout: ElfcorehdrLayout, index: number): PhdrRole {
  const notes = layout.noteCpus.length;
  if (index < notes) return { kind: 'cpu-note', cpu: layout.noteCpus[index]! };
  if (index === notes) return { kind: 'vmcoreinfo' };
  const firstRam = notes + 1 + (layout.hasKernelMap ? 1 : 0);
  if (index < firstRam) return { kind: 'kernel-map' };
  return { kind: 'ram', index: index - firstRam };
}

/** Build the elfcorehdr bytes. `target`, if given, must be zero-filled and at least `layout.size`. */
export function buildElfcorehdr<C>(input: ElfcorehdrInput<C>, target?: Uint8Array): BuiltElfcorehdr {
  const layout = layoutOf(input);
  if (layout.phnum > 0xffff) {
    throw new CrashplugError(
      'E_TOO_MANY_PHDRS',
      `the elfcorehdr would need ${layout.phnum} program headers, more than e_phnum can hold (65535); ` + 'describe fewer CPUs or memory ranges',
    );
  }
  const bytes = target ?? new Uint8Array(layout.size);
  if (bytes.length < layout.size) {
    throw new CrashplugError('E_ELFCOREHDR_TOO_LARGE', `the elfcorehdr needs ${layout.size} bytes but the buffer holds ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const order = input.byteOrder ?? 'le';
  const le = order === 'le';
  writeElfHeader(view, coreElfHeader(input.machine, layout.phnum, ELFDATA2LSB), order);

  // Fields a phdr leaves zero are already zero in the fresh buffer.
  if (le === HOST_LITTLE_ENDIAN && bytes.byteOffset % 8 === 0) writePhdrsNative(bytes, input);
  else writePhdrsView(view, le, input);
  return { bytes, layout };
}

/** Typed arrays store in the host's byte order; where that is the header's, they replace DataView. */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** p_type and p_flags of a PT_LOAD / PT_NOTE as the first 64-bit word of a little-endian phdr. */
const LOAD_WORD = BigInt(PT_LOAD) | (BigInt(PF_RWX) << 32n);
const NOTE_WORD = BigInt(PT_NOTE);
const PHDR_WORDS = PHDR_SIZE >>> 3;

/**
 * The fast path: every phdr starts at 64 + 56·i, a multiple of 8, so each field is one aligned
 * BigUint64Array store — p_type and p_flags together as one word — about 8× cheaper than
 * DataView.setBigUint64. Everything is inline in one loop per kind: a helper per phdr and mixed
 * 32/64-bit stores measured 35 % slower on Node 20. `q` counts 8-byte words; a phdr is 7 of them.
 */
function writePhdrsNative<C>(bytes: Uint8Array, input: ElfcorehdrInput<C>): void {
  const u64 = new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 3);
  let q = EHDR_SIZE >>> 3;
  const noteSize = input.noteSize;
  // Indexed loops, not for…of: the array iterator made V8 deoptimise this function on every build.
  const cpus = input.noteCpus;
  const context = input.context as C;
  const known = input.noteAddresses;
  // Two loops rather than one choosing the address source per CPU: the one loop made the whole
  // write about 8 % slower (bench/header-build.ts, interleaved).
  if (known !== undefined && known.cpus === cpus && known.addresses.length === cpus.length) {
    const addresses = known.addresses;
    for (let i = 0; i < addresses.length; i++) {
      const addr = addresses[i]!;
      u64[q] = NOTE_WORD;
      u64[q + 1] = addr;
      u64[q + 3] = addr;
      u64[q + 4] = noteSize;
      u64[q + 5] = noteSize;
      q += PHDR_WORDS;
    }
  } else {
    const crashNotes = input.crashNotes;
    for (let i = 0; i < cpus.length; i++) {
      const addr = crashNotes(cpus[i]!, context);
      u64[q] = NOTE_WORD;
      u64[q + 1] = addr;
      u64[q + 3] = addr;
      u64[q + 4] = noteSize;
      u64[q + 5] = noteSize;
      q += PHDR_WORDS;
    }
  }
  const vmci = input.vmcoreinfo;
  u64[q] = NOTE_WORD;
  u64[q + 1] = vmci.address;
  u64[q + 3] = vmci.address;
  u64[q + 4] = vmci.size;
  u64[q + 5] = vmci.size;
  q += PHDR_WORDS;
  const km = input.kernelMap;
  if (km !== undefined) {
    u64[q] = LOAD_WORD;
    u64[q + 1] = km.paddr;
    u64[q + 2] = km.vaddr;
    u64[q + 3] = km.paddr;
    u64[q + 4] = km.size;
    u64[q + 5] = km.size;
    q += PHDR_WORDS;
  }
  const ranges = input.ranges;
  const packed = input.packedRanges;
  const offset = input.vaOffset;
  if (isPackingOf(packed, ranges) && offset !== undefined) writeLoadsPacked(u64, q, packed.bounds, offset);
  else writeLoads(u64, q, ranges, input.va, context, offset);
}

/**
 * The PT_LOADs from packed (start, end) pairs with p_vaddr = start + offset: typed-array loads and
 * word-sized sums only, no object read and no call per range — what the C anchor's loop does.
 * asUintN(64, …) is the u64 wrap the field has anyway, and lets V8 keep each sum in a machine word
 * instead of allocating a BigInt.
 */
function writeLoadsPacked(u64: BigUint64Array, q: number, bounds: BigUint64Array, offset: bigint): void {
  for (let j = 0; j < bounds.length; j += 2) {
    const start = bounds[j]!;
    const size = BigInt.asUintN(64, bounds[j + 1]! - start + 1n);
    u64[q] = LOAD_WORD;
    u64[q + 1] = start;
    u64[q + 2] = BigInt.asUintN(64, start + offset);
    u64[q + 3] = start;
    u64[q + 4] = size;
    u64[q + 5] = size;
    q += PHDR_WORDS;
  }
}

/** The PT_LOADs from range objects, p_vaddr from `va` per range unless an offset stands in for it. */
function writeLoads<C>(
  u64: BigUint64Array,
  q: number,
  ranges: readonly Range[],
  va: (pa: bigint, context: C) => bigint,
  context: C,
  offset: bigint | undefined,
): void {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    const start = r.start;
    // asUintN(64, …) changes no value here (end ≥ start) but lets V8 do the sum in a machine word
    // instead of allocating a BigInt per range.
    const size = BigInt.asUintN(64, r.end - start + 1n);
    u64[q] = LOAD_WORD;
    u64[q + 1] = start;
    u64[q + 2] = offset === undefined ? va(start, context) : BigInt.asUintN(64, start + offset);
    u64[q + 3] = start;
    u64[q + 4] = size;
    u64[q + 5] = size;
    q += PHDR_WORDS;
  }
}

/** Any byte order and alignment: big-endian fields (ppc64 BE), or a target at an odd offset. */
function writePhdrsView<C>(view: DataView, le: boolean, input: ElfcorehdrInput<C>): void {
  let at = EHDR_SIZE;
  const noteSize = input.noteSize;
  const context = input.context as C;
  const known = input.noteAddresses;
  const cpus = input.noteCpus;
  const useKnown = known !== undefined && known.cpus === cpus && known.addresses.length === cpus.length;
  for (let i = 0; i < cpus.length; i++) {
    const addr = useKnown ? known.addresses[i]! : input.crashNotes(cpus[i]!, context);
    view.setUint32(at, PT_NOTE, le);
    view.setBigUint64(at + 8, addr, le);
    view.setBigUint64(at + 24, addr, le);
    view.setBigUint64(at + 32, noteSize, le);
    view.setBigUint64(at + 40, noteSize, le);
    at += PHDR_SIZE;
  }
  const vmci = input.vmcoreinfo;
  view.setUint32(at, PT_NOTE, le);
  view.setBigUint64(at + 8, vmci.address, le);
  view.setBigUint64(at + 24, vmci.address, le);
  view.setBigUint64(at + 32, vmci.size, le);
  view.setBigUint64(at + 40, vmci.size, le);
  at += PHDR_SIZE;
  const km = input.kernelMap;
  if (km !== undefined) {
    writeLoad(view, at, le, km.paddr, km.vaddr, km.size);
    at += PHDR_SIZE;
  }
  const va = input.va;
  const offset = input.vaOffset;
  // Indexed, not for…of: a hot-plug run writes a few ranges per update, mostly interpreted, where
  // for…of makes a result object per range.
  const ranges = input.ranges;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    const vaddr = offset === undefined ? va(r.start, context) : BigInt.asUintN(64, r.start + offset);
    writeLoad(view, at, le, r.start, vaddr, r.end - r.start + 1n);
    at += PHDR_SIZE;
  }
}

function writeLoad(view: DataView, at: number, le: boolean, paddr: bigint, vaddr: bigint, size: bigint): void {
  view.setUint32(at, PT_LOAD, le);
  view.setUint32(at + 4, PF_RWX, le);
  view.setBigUint64(at + 8, paddr, le);
  view.setBigUint64(at + 16, vaddr, le);
  view.setBigUint64(at + 24, paddr, le);
  view.setBigUint64(at + 32, size, le);
  view.setBigUint64(at + 40, size, le);
}
