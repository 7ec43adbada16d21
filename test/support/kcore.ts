// /proc/kcore of the real Linux 6.1 guest (test/fixtures/real-x86_64-6.1), as host tests fake it:
// the ELF header kexec-tools reads to find PAGE_OFFSET.

import { EM_X86_64 } from '../../arch-x86/index.js';
import { coreElfHeader, encodeElfCoreHeader, type ProgramHeader, PT_LOAD, PT_NOTE } from '../../core/elf/index.js';

/**
 * /proc/kcore as the 6.1 guest's kernel would lay it out (fs/proc/kcore.c): a note, the kernel text
 * at `_text`, every System RAM range at __va(paddr) = paddr + PAGE_OFFSET (KASLR's 0xffff8ce840000000),
 * and a vmalloc area with no physical address.
 */
export function kcore61(): Uint8Array {
  const pageOffset = 0xffff8ce840000000n;
  const load = (vaddr: bigint, paddr: bigint, size: bigint): ProgramHeader => ({
    type: PT_LOAD,
    flags: 7,
    offset: 0x1000n,
    vaddr,
    paddr,
    filesz: size,
    memsz: size,
    align: 0x1000n,
  });
  const phdrs: ProgramHeader[] = [
    { type: PT_NOTE, flags: 0, offset: 0x200n, vaddr: 0n, paddr: 0n, filesz: 0x800n, memsz: 0n, align: 0n },
    load(0xffffffffaa600000n, 0x12e200000n, 0x3430000n),
    load(0xffffb3a1c0000000n, 0xffffffffffffffffn, 0x2000000000n),
    ...[
      [0x1000n, 0x9fbffn],
      [0x100000n, 0x7ffdefffn],
      [0x100000000n, 0x17fffffffn],
    ].map(([a, b]) => load(pageOffset + a!, a!, b! - a! + 1n)),
  ];
  return encodeElfCoreHeader({ header: coreElfHeader(EM_X86_64, phdrs.length), phdrs, byteOrder: 'le', size: 64 + 56 * phdrs.length });
}
