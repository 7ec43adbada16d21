// `crash_prepare_elf64_headers`: the kdump elfcorehdr as the kernel lays it out — one PT_NOTE per
// CPU, the vmcoreinfo PT_NOTE, an optional kernel-map PT_LOAD, one PT_LOAD per memory range — in
// a buffer sized for every possible CPU plus the kernel-map slot (counted even when unused) and
// rounded up to 4 KiB. It writes straight into the buffer; the model comes from decoding it.

import { alignUpNumber } from '../base/hex.js';
import { EHDR_SIZE, ELF_CORE_HEADER_ALIGN, ELFDATA2LSB, type ByteOrder, coreElfHeader, PF_RWX, PHDR_SIZE, PT_LOAD, PT_NOTE } from './elf.js';
import { writeElfHeader } from './encode.js';
import { CrashplugError } from '../base/errors.js';
import type { Range } from '../memory/range.js';

/** The kernel-text PT_LOAD (x86_64, arm64): `_text`, `__pa_symbol(_text)`, `_end − _text`. */
export interface KernelMap {
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly size: bigint;
}

export interface ElfcorehdrInput {
  readonly machine: number;
  /** CPUs that get a PT_NOTE, in mask order (possible CPUs; present ones on ≤6.5 kernels). */
  readonly noteCpus: readonly number[];
  /** num_possible_cpus(): what the buffer is sized for. */
  readonly possibleCpuCount: number;
  readonly crashNotes: (cpu: number) => bigint;
  /** sizeof(note_buf_t) of the arch. */
  readonly noteSize: bigint;
  readonly vmcoreinfo: { readonly address: bigint; readonly size: bigint };
  readonly kernelMap?: KernelMap | undefined;
  readonly ranges: readonly Range[];
  /** `__va()` of the arch, for the PT_LOAD p_vaddr. */
  readonly va: (pa: bigint) => bigint;
  /** Byte order of the fields; EI_DATA is LSB regardless, as the kernel hard-codes it. */
  readonly byteOrder?: ByteOrder;
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

export function layoutOf(input: ElfcorehdrInput): ElfcorehdrLayout {
  const hasKernelMap = input.kernelMap !== undefined;
  const sizedPhnum = input.possibleCpuCount + 1 + input.ranges.length + 1;
  return {
    noteCpus: input.noteCpus,
    hasKernelMap,
    rangeCount: input.ranges.length,
    phnum: input.noteCpus.length + 1 + (hasKernelMap ? 1 : 0) + input.ranges.length,
    sizedPhnum,
    size: elfcorehdrSize(input.possibleCpuCount, input.ranges.length),
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
export function buildElfcorehdr(input: ElfcorehdrInput, target?: Uint8Array): BuiltElfcorehdr {
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

/**
 * The fast path: every phdr starts at 64 + 56·i, a multiple of 8, so each 64-bit field is one
 * aligned BigUint64Array store — about 8× cheaper than DataView.setBigUint64, which dominated a
 * 16 000-phdr build. `q` counts 8-byte words; a phdr is 7 of them.
 */
function writePhdrsNative(bytes: Uint8Array, input: ElfcorehdrInput): void {
  const words = bytes.byteLength >>> 3;
  const u64 = new BigUint64Array(bytes.buffer, bytes.byteOffset, words);
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, words * 2);
  const PHDR_WORDS = PHDR_SIZE >>> 3;
  let q = EHDR_SIZE >>> 3;
  const noteSize = input.noteSize;
  // Indexed loops, not for…of: the array iterator made V8 deoptimise this function on every build.
  const cpus = input.noteCpus;
  const crashNotes = input.crashNotes;
  for (let i = 0; i < cpus.length; i++) {
    const addr = crashNotes(cpus[i]!);
    u32[q * 2] = PT_NOTE;
    u64[q + 1] = addr;
    u64[q + 3] = addr;
    u64[q + 4] = noteSize;
    u64[q + 5] = noteSize;
    q += PHDR_WORDS;
  }
  const vmci = input.vmcoreinfo;
  u32[q * 2] = PT_NOTE;
  u64[q + 1] = vmci.address;
  u64[q + 3] = vmci.address;
  u64[q + 4] = vmci.size;
  u64[q + 5] = vmci.size;
  q += PHDR_WORDS;
  const km = input.kernelMap;
  if (km !== undefined) {
    writeLoadNative(u32, u64, q, km.paddr, km.vaddr, km.size);
    q += PHDR_WORDS;
  }
  const va = input.va;
  const ranges = input.ranges;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    // asUintN(64, …) changes no value here (end ≥ start) but lets V8 do the sum in a machine word
    // instead of allocating a BigInt per range.
    writeLoadNative(u32, u64, q, r.start, va(r.start), BigInt.asUintN(64, r.end - r.start + 1n));
    q += PHDR_WORDS;
  }
}

function writeLoadNative(u32: Uint32Array, u64: BigUint64Array, q: number, paddr: bigint, vaddr: bigint, size: bigint): void {
  u32[q * 2] = PT_LOAD;
  u32[q * 2 + 1] = PF_RWX;
  u64[q + 1] = paddr;
  u64[q + 2] = vaddr;
  u64[q + 3] = paddr;
  u64[q + 4] = size;
  u64[q + 5] = size;
}

/** Any byte order and alignment: big-endian fields (ppc64 BE), or a target at an odd offset. */
function writePhdrsView(view: DataView, le: boolean, input: ElfcorehdrInput): void {
  let at = EHDR_SIZE;
  const noteSize = input.noteSize;
  for (const cpu of input.noteCpus) {
    const addr = input.crashNotes(cpu);
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
  for (const r of input.ranges) {
    writeLoad(view, at, le, r.start, va(r.start), r.end - r.start + 1n);
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
