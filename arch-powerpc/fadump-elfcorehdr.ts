// The elfcorehdr a fadump second kernel builds once at boot (fadump_setup_elfcorehdr_buf and
// fadump_populate_elfcorehdr, 6.10+, facts §7.4, W14): a CPU-notes placeholder, vmcoreinfo from the
// crash-info header, the boot-memory regions at their copies, then every memblock region above the
// boot memory with the reserved area cut out. Native byte order, unlike kdump's. Because it reads
// memblock at that boot, memory hot-plugged before the crash needs no re-registration.

import {
  alignUp,
  type ByteOrder,
  CrashplugError,
  coreElfHeader,
  EHDR_SIZE,
  ELFDATA2LSB,
  ELFDATA2MSB,
  encodeElfCoreHeader,
  type ProgramHeader,
  PF_RWX,
  PHDR_SIZE,
  PT_LOAD,
  PT_NOTE,
  PT_NULL,
  type SystemDescription,
} from '../core/port/index.js';
import { EM_PPC64 } from './ppc-port.js';
import type { FadumpConfig } from './fadump-config.js';
import type { FadumpHeaderFields } from './fadump-header.js';
import { PPC64_NOTE_SIZE } from './ppc-port.js';

export interface FadumpElfcorehdr {
  readonly bytes: Uint8Array;
  readonly phdrs: readonly ProgramHeader[];
  /** 2 + boot-memory regions + memblock regions: what the buffer was sized for. */
  readonly sizedPhnum: number;
  /** Indices of all-zero program headers left by regions wholly inside the reserved area (OBSERVED). */
  readonly nullPhdrs: readonly number[];
}

const ZERO: ProgramHeader = { type: PT_NULL, flags: 0, offset: 0n, vaddr: 0n, paddr: 0n, filesz: 0n, memsz: 0n, align: 0n };

export function fadumpElfcorehdrSize(config: FadumpConfig, memblockRegions: number, pageSize: number): { phnum: number; size: number } {
  const phnum = 2 + config.bootMemory.length + memblockRegions;
  return { phnum, size: Number(alignUp(BigInt(EHDR_SIZE + phnum * PHDR_SIZE), BigInt(pageSize))) };
}

/**
 * The CPU-notes PT_NOTE the platform code fills in: the buffer's address and PAGE_ALIGN(CPUs ×
 * sizeof(note_buf_t)); the CPUs are the ones firmware saved registers for (the present CPUs here).
 */
function cpuNotesPhdr(system: SystemDescription, config: FadumpConfig): ProgramHeader {
  if (config.cpuNotesBuffer === 0n) return { ...ZERO, type: PT_NOTE };
  const size = alignUp(BigInt(system.cpus.present.length) * PPC64_NOTE_SIZE, BigInt(system.pageSize));
  return { type: PT_NOTE, flags: 0, offset: config.cpuNotesBuffer, vaddr: 0n, paddr: config.cpuNotesBuffer, filesz: size, memsz: size, align: 0n };
}

export function buildFadumpElfcorehdr(system: SystemDescription, config: FadumpConfig, fields: FadumpHeaderFields, order: ByteOrder): FadumpElfcorehdr {
  const va = (pa: bigint): bigint => BigInt.asUintN(64, pa + system.pageOffset);
  const load = (start: bigint, size: bigint, offset: bigint): ProgramHeader => ({
    type: PT_LOAD,
    flags: PF_RWX,
    offset,
    vaddr: va(start),
    paddr: start,
    filesz: size,
    memsz: size,
    align: 0n,
  });
  const memblock = system.memory.systemRam;
  const { phnum: sizedPhnum, size } = fadumpElfcorehdrSize(config, memblock.length, system.pageSize);

  const phdrs: ProgramHeader[] = [cpuNotesPhdr(system, config)];
  phdrs.push({
    type: PT_NOTE,
    flags: 0,
    offset: fields.vmcoreinfoRaddr,
    vaddr: 0n,
    paddr: fields.vmcoreinfoRaddr,
    filesz: fields.vmcoreinfoSize,
    memsz: fields.vmcoreinfoSize,
    align: 0n,
  });
  let dest = config.bootMemoryDest;
  for (const r of config.bootMemory) {
    const sz = r.end - r.start + 1n;
    phdrs.push(load(r.start, sz, dest));
    dest += sz;
  }
  const bootTop = config.bootMemory[config.bootMemory.length - 1]!.end + 1n;
  const raStart = config.reservedArea.start;
  const raEnd = config.reservedArea.end + 1n;
  const nullPhdrs: number[] = [];
  for (const region of memblock) {
    let mstart = region.start;
    const mend = region.end + 1n;
    if (mstart < bootTop) {
      if (mend > bootTop) mstart = bootTop;
      else continue;
    }
    if (raStart < mend && raEnd > mstart) {
      if (mstart < raStart && mend > raEnd) {
        phdrs.push(load(mstart, raStart - mstart, mstart));
        phdrs.push(load(raEnd, mend - raEnd, raEnd));
      } else if (mstart < raStart) {
        phdrs.push(load(mstart, raStart - mstart, mstart));
      } else if (raEnd < mend) {
        phdrs.push(load(raEnd, mend - raEnd, raEnd));
      } else {
        // Wholly inside the reserved area: nothing is filled in, yet e_phnum still counts it.
        nullPhdrs.push(phdrs.length);
        phdrs.push(ZERO);
      }
    } else {
      phdrs.push(load(mstart, mend - mstart, mstart));
    }
  }
  if (EHDR_SIZE + phdrs.length * PHDR_SIZE > size) {
    throw new CrashplugError(
      'E_ELFCOREHDR_TOO_LARGE',
      `${system.origin}: the fadump elfcorehdr needs ${phdrs.length} program headers but its ${size}-byte buffer holds ${(size - EHDR_SIZE) / PHDR_SIZE}; ` +
        'the second kernel would write past it (the reserved area splits regions more often than the sizing allows)',
    );
  }
  const header = { ...coreElfHeader(EM_PPC64, phdrs.length, order === 'le' ? ELFDATA2LSB : ELFDATA2MSB, config.elfAbi) };
  const bytes = encodeElfCoreHeader({ header, phdrs, byteOrder: order, size });
  return { bytes, phdrs, sizedPhnum, nullPhdrs };
}
