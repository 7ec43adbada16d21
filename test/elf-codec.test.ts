// The ELF64 core-header encoder and decoder: every header survives a round trip in both byte orders,
// a bad file is refused with E_BAD_ELF and the byte offset that is wrong, and a header whose fields
// are big-endian under the kernel's hard-coded LSB tag is read with a warning (facts §1, §13.4).

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { U64_MAX } from '../core/base/index.js';
import { buildElfcorehdr, type ByteOrder, decodeElfCoreHeader, type ElfCoreHeader, encodeElfCoreHeader } from '../core/elf/index.js';
import { crashplugErrorOf as thrown } from './support/errors.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: U64_MAX });

const phdr = fc.record({ type: u32, flags: u32, offset: u64, vaddr: u64, paddr: u64, filesz: u64, memsz: u64, align: u64 });

/**
 * Any header the decoder can take: phdrs right after the Ehdr (e_phoff 64, e_ehsize 64, e_phentsize 56),
 * every other field random. EI_DATA (1 LSB, 2 MSB) is drawn apart from the field order, so a quarter
 * of the cases are fields in the order EI_DATA does not name.
 */
const header = fc
  .record({
    byteOrder: fc.constantFrom<ByteOrder>('le', 'be'),
    data: fc.constantFrom(1, 2),
    osabi: u8,
    type: u16,
    machine: u16,
    version: u32,
    entry: u64,
    shoff: u64,
    flags: u32,
    shentsize: u16,
    shnum: u16,
    shstrndx: u16,
    phdrs: fc.array(phdr, { maxLength: 40 }),
    slack: fc.nat(300),
  })
  .map(
    ({ byteOrder, phdrs, slack, ...h }): ElfCoreHeader => ({
      header: { ...h, phoff: 64n, ehsize: 64, phentsize: 56, phnum: phdrs.length },
      phdrs,
      byteOrder,
      size: 64 + 56 * phdrs.length + slack,
    }),
  );

/**
 * A tiny writer independent of core's encoder, laid out from the facts' tables (§1.1, §1.2), for the
 * files the decoder is fed: `order` is the order of the multi-byte fields, `data` the EI_DATA byte.
 */
function writeByHand(
  order: ByteOrder,
  data: number,
  machine: number,
  phdrs: readonly (readonly [type: number, flags: number, offset: bigint, vaddr: bigint, paddr: bigint, size: bigint])[],
  size: number,
): Uint8Array {
  const bytes = new Uint8Array(size);
  const v = new DataView(bytes.buffer);
  const le = order === 'le';
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, data, 1, 0], 0);
  v.setUint16(16, 4, le); // ET_CORE
  v.setUint16(18, machine, le);
  v.setUint32(20, 1, le); // EV_CURRENT
  v.setBigUint64(32, 64n, le); // e_phoff
  v.setUint16(52, 64, le); // e_ehsize
  v.setUint16(54, 56, le); // e_phentsize
  v.setUint16(56, phdrs.length, le);
  phdrs.forEach(([type, flags, offset, vaddr, paddr, sz], i) => {
    const at = 64 + 56 * i;
    v.setUint32(at, type, le);
    v.setUint32(at + 4, flags, le);
    v.setBigUint64(at + 8, offset, le);
    v.setBigUint64(at + 16, vaddr, le);
    v.setBigUint64(at + 24, paddr, le);
    v.setBigUint64(at + 32, sz, le);
    v.setBigUint64(at + 40, sz, le);
  });
  return bytes;
}

/** A valid little-endian x86_64 elfcorehdr: two CPU notes, vmcoreinfo, kernel text, one RAM range. */
function validHeader(): Uint8Array {
  return writeByHand(
    'le',
    1,
    62,
    [
      [4, 0, 0x17bc3a600n, 0n, 0x17bc3a600n, 368n],
      [4, 0, 0x17bd3a600n, 0n, 0x17bd3a600n, 368n],
      [4, 0, 0x10031a000n, 0n, 0x10031a000n, 0x1024n],
      [1, 7, 0x1000000n, 0xffffffff81000000n, 0x1000000n, 0xe00000n],
      [1, 7, 0x100000n, 0xffff888000100000n, 0x100000n, 0x1f00000n],
    ],
    4096,
  );
}

describe('encodeElfCoreHeader → decodeElfCoreHeader', () => {
  describe('when any header is encoded in either byte order', () => {
    itProp.prop([header], { numRuns: 300 })('decodes to the same header, phdrs, order and size', (elf) => {
      const bytes = encodeElfCoreHeader(elf);
      expect(bytes.length).toBe(elf.size);
      const back = decodeElfCoreHeader(bytes);
      expect({ header: back.header, phdrs: back.phdrs, byteOrder: back.byteOrder, size: back.size }).toEqual(elf);
      // A warning exactly when the fields are not in the order EI_DATA names.
      const tagged: ByteOrder = elf.header.data === 1 ? 'le' : 'be';
      expect(back.warnings).toHaveLength(tagged === elf.byteOrder ? 0 : 1);
    });

    // Aligned little-endian buffers take a typed-array fast path; any other offset goes through
    // DataView. The bytes must not depend on which.
    itProp.prop([header, fc.integer({ min: 1, max: 7 })])('writes the same bytes into a buffer at any offset', (elf, offset) => {
      const backing = new Uint8Array(elf.size + offset);
      const at = encodeElfCoreHeader(elf, backing.subarray(offset));
      expect(at.byteOffset).toBe(offset);
      expect(Buffer.from(at).equals(Buffer.from(encodeElfCoreHeader(elf)))).toBe(true);
    });

    itProp.prop([header])('leaves the bytes past the last program header zero', (elf) => {
      const bytes = encodeElfCoreHeader(elf);
      expect(bytes.subarray(64 + 56 * elf.phdrs.length).every((b) => b === 0)).toBe(true);
    });
  });

  describe('when given a buffer too small for the program headers', () => {
    it('refuses with E_ELFCOREHDR_TOO_LARGE and the size it needs', () => {
      const elf = decodeElfCoreHeader(validHeader());
      const err = thrown(() => encodeElfCoreHeader(elf, new Uint8Array(300)));
      expect(err.code).toBe('E_ELFCOREHDR_TOO_LARGE');
      expect(err.message).toContain(`${64 + 5 * 56} bytes`);
    });
  });
});

describe('decodeElfCoreHeader', () => {
  describe('when the file is valid', () => {
    it('reads every field the hand-written file holds', () => {
      const d = decodeElfCoreHeader(validHeader());
      expect(d.warnings).toEqual([]);
      expect(d.byteOrder).toBe('le');
      expect(d.header).toMatchObject({ data: 1, type: 4, machine: 62, version: 1, phoff: 64n, ehsize: 64, phentsize: 56, phnum: 5 });
      expect(d.phdrs[3]).toEqual({
        type: 1,
        flags: 7,
        offset: 0x1000000n,
        vaddr: 0xffffffff81000000n,
        paddr: 0x1000000n,
        filesz: 0xe00000n,
        memsz: 0xe00000n,
        align: 0n,
      });
    });
  });

  // Each refusal is E_BAD_ELF and names the byte offset at fault, so a user can look at it with xxd.
  describe('when the file is not a valid ELF64 core header', () => {
    const cases: [string, (b: Uint8Array) => Uint8Array, number][] = [
      ['the magic is not \\x7fELF (a PE/bzImage "MZ")', (b) => (b.set([0x4d, 0x5a, 0x90, 0x00], 0), b), 0],
      ['EI_CLASS is ELFCLASS32', (b) => ((b[4] = 1), b), 4],
      ['EI_DATA is neither LSB nor MSB', (b) => ((b[5] = 0), b), 5],
      ['e_phentsize is 32 (an Elf32_Phdr), not 56', (b) => (new DataView(b.buffer).setUint16(54, 32, true), b), 54],
      ['e_phoff points inside the ELF header', (b) => (new DataView(b.buffer).setBigUint64(32, 16n, true), b), 32],
      ['e_phnum runs past the end of the buffer (73 phdrs need 4152 bytes)', (b) => (new DataView(b.buffer).setUint16(56, 73, true), b), 56],
      ['the phdrs are cut off (5 phdrs, 300 bytes)', (b) => b.slice(0, 300), 56],
      ['it is truncated below the 64-byte Ehdr (40 bytes)', (b) => b.slice(0, 40), 40],
      ['it is empty', () => new Uint8Array(0), 0],
    ];
    for (const [what, corrupt, offset] of cases) {
      it(`refuses it with E_BAD_ELF at byte ${offset} when ${what}`, () => {
        const err = thrown(() => decodeElfCoreHeader(corrupt(validHeader()), 'hdr.bin'));
        expect(err.code).toBe('E_BAD_ELF');
        expect(err.message).toMatch(new RegExp(`^hdr\\.bin at byte ${offset}\\b`));
      });
    }
  });

  describe('when the fields are big-endian under an ELFDATA2LSB tag (big-endian ppc64 kexec_file, §13.4)', () => {
    // Two CPU notes (ppc64 note_buf_t 536), vmcoreinfo with 64 KiB pages, the [0, 0xffff] PT_LOAD.
    const bytes = writeByHand(
      'be',
      1,
      21,
      [
        [4, 0, 0x3fd0000n, 0n, 0x3fd0000n, 536n],
        [4, 0, 0x3fe0000n, 0n, 0x3fe0000n, 536n],
        [4, 0, 0x2d20000n, 0n, 0x2d20000n, 0x10024n],
        [1, 7, 0x20000000n, 0xc000000000000000n, 0n, 0x10000n],
      ],
      65536,
    );

    it('reads the fields in big-endian order', () => {
      const d = decodeElfCoreHeader(bytes);
      expect(d.byteOrder).toBe('be');
      expect(d.header).toMatchObject({ data: 1, machine: 21, phnum: 4, phoff: 64n, phentsize: 56 });
      expect(d.phdrs.map((p) => [p.type, p.offset, p.filesz])).toEqual([
        [4, 0x3fd0000n, 536n],
        [4, 0x3fe0000n, 536n],
        [4, 0x2d20000n, 0x10024n],
        [1, 0x20000000n, 0x10000n],
      ]);
      expect(d.phdrs[3]!.vaddr).toBe(0xc000000000000000n);
    });

    it('is what buildElfcorehdr writes for the same machine with big-endian fields', () => {
      // No kernel map on ppc64; the [0, 0xffff] PT_LOAD is the only range here, its p_offset is
      // backup_start (patched by the port's fix-up; set by hand below to compare the rest).
      const built = buildElfcorehdr({
        machine: 21,
        noteCpus: [0, 1],
        possibleCpuCount: 2,
        crashNotes: (cpu) => 0x3fd0000n + BigInt(cpu) * 0x10000n,
        noteSize: 536n,
        vmcoreinfo: { address: 0x2d20000n, size: 0x10024n },
        ranges: [{ start: 0n, end: 0xffffn }],
        va: (pa) => pa + 0xc000000000000000n,
        byteOrder: 'be',
      }).bytes;
      new DataView(built.buffer).setBigUint64(64 + 3 * 56 + 8, 0x20000000n, false);
      expect(built.length).toBe(4096);
      expect(Buffer.from(built).equals(Buffer.from(bytes.subarray(0, 4096)))).toBe(true);
    });

    it('warns that EI_DATA says little-endian but the fields are big-endian', () => {
      const d = decodeElfCoreHeader(bytes);
      expect(d.warnings).toHaveLength(1);
      expect(d.warnings[0]).toMatch(/EI_DATA says little-endian but the fields are big-endian/);
    });
  });
});
