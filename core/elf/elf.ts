// ELF64 core-header model: the Ehdr and program headers the kdump elfcorehdr is made of, with
// the constants the kernel uses. Pure data; encode.ts and decode.ts turn it into bytes and back.

export const ELF_MAGIC = 0x7f454c46; // "\x7fELF" read big-endian
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;
export const ELFOSABI_NONE = 0;
export const ET_CORE = 4;

export const EHDR_SIZE = 64;
export const PHDR_SIZE = 56;
/** The largest e_phnum the kernel's sizing accepts ("number of Phdrs exceeds max"). */
export const PN_XNUM = 0xffff;
/** Kernel ELF_CORE_HEADER_ALIGN: the elfcorehdr buffer is a whole number of 4 KiB pages. */
export const ELF_CORE_HEADER_ALIGN = 4096;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_NOTE = 4;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;
export const PF_RWX = PF_R | PF_W | PF_X;

/** How multi-byte fields are stored; independent of EI_DATA (big-endian ppc64 writes BE under an LSB tag). */
export type ByteOrder = 'le' | 'be';

export interface ElfHeader {
  /** EI_DATA as written in e_ident[5]. */
  readonly data: number;
  readonly osabi: number;
  readonly type: number;
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: bigint;
  readonly shoff: bigint;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
}

export interface ProgramHeader {
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

/** An elfcorehdr: the Ehdr, its program headers, and the size of the buffer that holds them. */
export interface ElfCoreHeader {
  readonly header: ElfHeader;
  readonly phdrs: readonly ProgramHeader[];
  /** Byte order of the fields (normally the one EI_DATA names). */
  readonly byteOrder: ByteOrder;
  /** Bytes of the whole buffer (≥ 64 + 56·phnum; zero-filled past the last phdr). */
  readonly size: number;
}

/** The Ehdr `crash_prepare_elf64_headers` writes; only the machine, phnum and flags vary. */
export function coreElfHeader(machine: number, phnum: number, data = ELFDATA2LSB, flags = 0): ElfHeader {
  return {
    data,
    osabi: ELFOSABI_NONE,
    type: ET_CORE,
    machine,
    version: EV_CURRENT,
    entry: 0n,
    phoff: BigInt(EHDR_SIZE),
    shoff: 0n,
    flags,
    ehsize: EHDR_SIZE,
    phentsize: PHDR_SIZE,
    phnum,
    shentsize: 0,
    shnum: 0,
    shstrndx: 0,
  };
}

export function phdrTypeName(type: number): string {
  switch (type) {
    case PT_NULL:
      return 'NULL';
    case PT_LOAD:
      return 'LOAD';
    case PT_NOTE:
      return 'NOTE';
    default:
      return `0x${type.toString(16)}`;
  }
}
