// The header writer's fast path (aligned BigUint64Array stores, host byte order) against the
// straightforward encoder: the same program headers spelled out one by one from the kernel's rules
// and written field by field through a DataView (encode.ts, forced onto its DataView path by an
// odd byte offset). Random inputs in both byte orders, values ≥ 2^53 and up to 2^64 − 1 included.

import { it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { buildElfcorehdr, coreElfHeader, type ElfcorehdrInput, encodeElfCoreHeader, type ProgramHeader } from '../core/elf/index.js';
import { writerInput } from './support/arbitraries.js';

const input = writerInput(40).map((w) => w.input);

/** crash_prepare_elf64_headers' program headers, spelled out. */
function phdrsOf(i: ElfcorehdrInput): ProgramHeader[] {
  const note = (addr: bigint, size: bigint): ProgramHeader => ({
    type: 4,
    flags: 0,
    offset: addr,
    vaddr: 0n,
    paddr: addr,
    filesz: size,
    memsz: size,
    align: 0n,
  });
  const load = (paddr: bigint, vaddr: bigint, size: bigint): ProgramHeader => ({
    type: 1,
    flags: 7,
    offset: paddr,
    vaddr,
    paddr,
    filesz: size,
    memsz: size,
    align: 0n,
  });
  return [
    ...i.noteCpus.map((cpu) => note(i.crashNotes(cpu, undefined), i.noteSize)),
    note(i.vmcoreinfo.address, i.vmcoreinfo.size),
    ...(i.kernelMap === undefined ? [] : [load(i.kernelMap.paddr, i.kernelMap.vaddr, i.kernelMap.size)]),
    ...i.ranges.map((r) => load(r.start, i.va(r.start, undefined), BigInt.asUintN(64, r.end - r.start + 1n))),
  ];
}

/** The reference bytes: encode.ts through its DataView path (the target sits at byte 1 of its buffer). */
function reference(i: ElfcorehdrInput, size: number): Uint8Array {
  const phdrs = phdrsOf(i);
  const backing = new Uint8Array(size + 1);
  const target = backing.subarray(1);
  encodeElfCoreHeader({ header: coreElfHeader(i.machine, phdrs.length), phdrs, byteOrder: i.byteOrder ?? 'le', size }, target);
  return target;
}

describe('buildElfcorehdr: the fast path writes what the field-by-field encoder writes', () => {
  itProp.prop([input], { numRuns: 300 })('into an aligned, zeroed buffer', (i) => {
    const built = buildElfcorehdr(i);
    expect(Buffer.from(built.bytes).equals(Buffer.from(reference(i, built.layout.size)))).toBe(true);
  });

  itProp.prop([input], { numRuns: 100 })('into a reused buffer at an odd offset (the DataView path) too', (i) => {
    const size = buildElfcorehdr(i).layout.size;
    const backing = new Uint8Array(size + 3);
    const built = buildElfcorehdr(i, backing.subarray(3));
    expect(Buffer.from(built.bytes).equals(Buffer.from(reference(i, size)))).toBe(true);
  });

  it('writes big-endian fields byte by byte where the host is little-endian', () => {
    const i: ElfcorehdrInput = {
      machine: 21,
      noteCpus: [0],
      possibleCpuCount: 1,
      crashNotes: () => 0x0102_0304_0506_0708n,
      noteSize: 0x10n,
      vmcoreinfo: { address: 0x20n, size: 0x30n },
      ranges: [{ start: 0x0020_0000_0000_0001n, end: 0x0020_0000_0000_1000n }],
      va: (pa) => pa | 0xc000_0000_0000_0000n,
      byteOrder: 'be',
    };
    const b = buildElfcorehdr(i).bytes;
    // phdr 0 p_offset: the address's bytes most significant first.
    expect([...b.subarray(64 + 8, 64 + 16)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // phdr 2 (the range) p_vaddr and p_filesz (0x1000).
    expect([...b.subarray(64 + 112 + 16, 64 + 112 + 24)]).toEqual([0xc0, 0x20, 0, 0, 0, 0, 0, 1]);
    expect([...b.subarray(64 + 112 + 32, 64 + 112 + 40)]).toEqual([0, 0, 0, 0, 0, 0, 0x10, 0]);
  });
});
