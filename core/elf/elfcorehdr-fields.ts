// Byte-for-byte comparison of two elfcorehdr buffers, reported by field: every byte is compared,
// and a differing byte is named by the field it sits in (e_phnum, phdr 4 p_offset, …), positionally
// — program header i against program header i — because "byte for byte" is what a match means.

import { EHDR_SIZE, type ElfCoreHeader, PHDR_SIZE, phdrTypeName } from './elf.js';

/** One side: the raw buffer and its decoded header (for its byte order and phdr count). */
export interface HeaderBytes {
  readonly bytes: Uint8Array;
  readonly header: ElfCoreHeader;
}

export interface FieldDifference {
  /** "e_phnum", "phdr 4 p_offset", "bytes past the program headers", "size". */
  readonly field: string;
  /** Offset of the field's first byte (for "size": the shorter length). */
  readonly offset: number;
  readonly a: string;
  readonly b: string;
}

type Show = 'dec' | 'hex' | 'bytes' | 'ptype';

interface Slot {
  readonly field: string;
  readonly at: number;
  readonly size: number;
  readonly show: Show;
}

const EHDR_SLOTS: readonly Slot[] = (
  [
    ['EI_MAG', 0, 4, 'bytes'],
    ['EI_CLASS', 4, 1, 'dec'],
    ['EI_DATA', 5, 1, 'dec'],
    ['EI_VERSION', 6, 1, 'dec'],
    ['EI_OSABI', 7, 1, 'dec'],
    ['EI_ABIVERSION', 8, 1, 'dec'],
    ['EI_PAD', 9, 7, 'bytes'],
    ['e_type', 16, 2, 'dec'],
    ['e_machine', 18, 2, 'dec'],
    ['e_version', 20, 4, 'dec'],
    ['e_entry', 24, 8, 'hex'],
    ['e_phoff', 32, 8, 'dec'],
    ['e_shoff', 40, 8, 'dec'],
    ['e_flags', 48, 4, 'hex'],
    ['e_ehsize', 52, 2, 'dec'],
    ['e_phentsize', 54, 2, 'dec'],
    ['e_phnum', 56, 2, 'dec'],
    ['e_shentsize', 58, 2, 'dec'],
    ['e_shnum', 60, 2, 'dec'],
    ['e_shstrndx', 62, 2, 'dec'],
  ] as const
).map(([field, at, size, show]) => ({ field, at, size, show }));

const PHDR_SLOTS: readonly (readonly [string, number, number, Show])[] = [
  ['p_type', 0, 4, 'ptype'],
  ['p_flags', 4, 4, 'hex'],
  ['p_offset', 8, 8, 'hex'],
  ['p_vaddr', 16, 8, 'hex'],
  ['p_paddr', 24, 8, 'hex'],
  ['p_filesz', 32, 8, 'hex'],
  ['p_memsz', 40, 8, 'hex'],
  ['p_align', 48, 8, 'hex'],
];

/** Past its bytes a buffer reads as zero: the kernel's buffer is zero-filled to its end. */
function byteAt(bytes: Uint8Array, i: number): number {
  return i < bytes.length ? bytes[i]! : 0;
}

function valueOf(side: HeaderBytes, slot: Slot): string {
  const raw = Array.from({ length: slot.size }, (_, k) => byteAt(side.bytes, slot.at + k));
  if (slot.show === 'bytes') return raw.map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const ordered = side.header.byteOrder === 'le' ? raw.reverse() : raw;
  const v = ordered.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  if (slot.show === 'ptype') return phdrTypeName(Number(v));
  return slot.show === 'hex' ? `0x${v.toString(16)}` : v.toString();
}

function differs(a: Uint8Array, b: Uint8Array, at: number, size: number): boolean {
  for (let i = at; i < at + size; i++) if (byteAt(a, i) !== byteAt(b, i)) return true;
  return false;
}

function usedBytes(h: ElfCoreHeader): number {
  return Number(h.header.phoff) + h.header.phnum * PHDR_SIZE;
}

/**
 * A buffer cut at its last program header is compared as if it went on with zeros (captures are
 * cut there); any other length must equal the other side's, or "size" differs.
 */
export function compareHeaderBytes(a: HeaderBytes, b: HeaderBytes): FieldDifference[] {
  const out: FieldDifference[] = [];
  const check = (slot: Slot): void => {
    if (differs(a.bytes, b.bytes, slot.at, slot.size)) out.push({ field: slot.field, offset: slot.at, a: valueOf(a, slot), b: valueOf(b, slot) });
  };
  for (const slot of EHDR_SLOTS) check(slot);
  const phnum = Math.max(a.header.header.phnum, b.header.header.phnum);
  for (let i = 0; i < phnum; i++) {
    for (const [name, at, size, show] of PHDR_SLOTS) check({ field: `phdr ${i} ${name}`, at: EHDR_SIZE + i * PHDR_SIZE + at, size, show });
  }
  const tail = EHDR_SIZE + phnum * PHDR_SIZE;
  const end = Math.max(a.bytes.length, b.bytes.length);
  for (let i = tail; i < end; i++) {
    if (byteAt(a.bytes, i) !== byteAt(b.bytes, i)) {
      out.push({ field: `bytes past the program headers (first at byte ${i})`, offset: i, a: hex8(byteAt(a.bytes, i)), b: hex8(byteAt(b.bytes, i)) });
      break;
    }
  }
  const cut = (s: HeaderBytes): boolean => s.bytes.length === usedBytes(s.header);
  if (a.bytes.length !== b.bytes.length && !cut(a) && !cut(b)) {
    out.push({ field: 'size', offset: Math.min(a.bytes.length, b.bytes.length), a: `${a.bytes.length} bytes`, b: `${b.bytes.length} bytes` });
  }
  return out;
}

function hex8(v: number): string {
  return `0x${v.toString(16).padStart(2, '0')}`;
}
