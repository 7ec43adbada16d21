// A small synthetic vmcore as the capture kernel presents /proc/vmcore (fs/proc/vmcore.c): one merged
// PT_NOTE at a page-aligned file offset (p_paddr 0) holding each CPU's NT_PRSTATUS "CORE" note and the
// VMCOREINFO note, then the PT_LOADs at page-aligned file offsets. The ELF header is written with
// crashplug's own encoder; the notes by `note()` below. Memory is never written: the file is sparse.

import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { coreElfHeader, encodeElfCoreHeader, PF_RWX, type ProgramHeader, PT_LOAD, PT_NOTE } from '../../core/elf/index.js';

/** One ELF note: 12-byte header, the NUL-terminated name and the descriptor each padded to 4. */
export function note(name: string, type: number, desc: Uint8Array): Uint8Array {
  const namesz = name.length + 1;
  const pad = (n: number): number => Math.ceil(n / 4) * 4;
  const out = new Uint8Array(12 + pad(namesz) + pad(desc.length));
  const view = new DataView(out.buffer);
  view.setUint32(0, namesz, true);
  view.setUint32(4, desc.length, true);
  view.setUint32(8, type, true);
  for (let i = 0; i < name.length; i++) out[12 + i] = name.charCodeAt(i);
  out.set(desc, 12 + pad(namesz));
  return out;
}

/** An x86_64 elf_prstatus (336 bytes) with pr_pid at 32 and the signal in pr_info.si_signo. */
export function prstatus(pid: number, signo = 0): Uint8Array {
  const desc = new Uint8Array(336);
  const view = new DataView(desc.buffer);
  view.setInt32(0, signo, true);
  view.setInt32(32, pid, true);
  view.setInt32(36, pid === 0 ? 0 : 1, true); // pr_ppid
  return desc;
}

export interface SyntheticVmcore {
  /** The header and notes, to be written at offset 0 (the rest of the file is a hole). */
  readonly head: Uint8Array;
  readonly fileSize: number;
  readonly phdrs: readonly ProgramHeader[];
  readonly notesOffset: number;
  readonly notesLength: number;
}

const PAGE = 0x1000;
const align = (n: number): number => Math.ceil(n / PAGE) * PAGE;

/**
 * x86_64: CPUs with `pids`, VMCOREINFO `info`, a kernel-text PT_LOAD and the RAM `ranges`
 * ([start, end] inclusive, each a PT_LOAD on the linear map at 0xffff888000000000).
 */
export function syntheticVmcore(pids: readonly number[], info: string, ranges: readonly (readonly [bigint, bigint])[]): SyntheticVmcore {
  const notes = [...pids.map((pid, cpu) => note('CORE', 1, prstatus(pid, cpu === 0 ? 11 : 0))), note('VMCOREINFO', 0, new TextEncoder().encode(info))];
  const notesLength = notes.reduce((n, b) => n + b.length, 0);
  const phnum = 2 + ranges.length;
  const notesOffset = align(64 + 56 * phnum);
  let offset = BigInt(align(notesOffset + notesLength));
  const phdrs: ProgramHeader[] = [
    { type: PT_NOTE, flags: 0, offset: BigInt(notesOffset), vaddr: 0n, paddr: 0n, filesz: BigInt(notesLength), memsz: BigInt(notesLength), align: 0n },
  ];
  const load = (paddr: bigint, vaddr: bigint, size: bigint): void => {
    phdrs.push({ type: PT_LOAD, flags: PF_RWX, offset, vaddr, paddr, filesz: size, memsz: size, align: 0n });
    offset += size;
  };
  load(0x100_0000n, 0xffff_ffff_8100_0000n, 0x200_0000n);
  for (const [start, end] of ranges) load(start, 0xffff_8880_0000_0000n + start, end - start + 1n);
  const header = encodeElfCoreHeader({ header: coreElfHeader(62, phnum), phdrs, byteOrder: 'le', size: 64 + 56 * phnum });
  const head = new Uint8Array(notesOffset + notesLength);
  head.set(header);
  let at = notesOffset;
  for (const n of notes) {
    head.set(n, at);
    at += n.length;
  }
  return { head, fileSize: Number(offset), phdrs, notesOffset, notesLength };
}

/** Write the header and notes, then extend the file to `size` without writing memory (a sparse file). */
export function writeSparse(path: string, head: Uint8Array, size: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head, 0, head.length, 0);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}
