// powerpc header defects for `crashplug check` (facts §13.1, §13.2, §13.4; README "Kernel versions").

import { type CheckContext, ELFDATA2LSB, type Finding, hex, type HeaderCheck, PT_LOAD } from '../core/port/index.js';

/** The backup region [0, 0xffff] (BACKUP_SRC_START/END, facts §6.1). */
const BACKUP_SIZE = 0x10000n;

/**
 * remove_mem_range as fixed by 7afe2383eff0 computes the tail as old_end − end + 1 with an inclusive
 * old_end, so the appended PT_LOAD runs one byte past its memory (facts §13.1; seen on 6.12.95 and
 * 6.12.107). RAM and LMBs are page-aligned, so such a PT_LOAD is page-aligned plus exactly one byte.
 */
export const ppcTailCheck: HeaderCheck = {
  code: 'remove-mem-range-tail',
  supersedes: ['ram-extra'],
  run: (ctx: CheckContext): Finding[] => {
    const out: Finding[] = [];
    ctx.header.phdrs.forEach((p, i) => {
      if (p.type !== PT_LOAD || p.memsz % 0x1000n !== 1n || p.paddr % 0x1000n !== 0n) return;
      const last = p.paddr + p.memsz - 1n;
      out.push({
        severity: 'error',
        phdr: i,
        code: 'remove-mem-range-tail',
        message:
          `PT_LOAD [${hex(p.paddr)}-${hex(last)}] (p_memsz ${hex(p.memsz)}) ends one byte past the memory it came from: remove_mem_range's tail after a memory hot-remove; ` +
          `byte ${hex(last)} is not RAM, and reading it from /proc/vmcore can fault. The kernel rebuilds the header right on the next load (or when the proposal that uses crash_exclude_mem_range is in)`,
        commit: 'kernel 7afe2383eff0 "powerpc/kdump: Fix size calculation for hot-removed memory ranges" (its tail is one byte long)',
        range: { start: last, end: last },
      });
    });
    return out;
  },
};

/** The 6.10 remove_mem_range took the tail's size after truncating the entry: an inverted range, a size that wraps. */
export const ppcInvertedTailCheck: HeaderCheck = {
  code: 'remove-mem-range-inverted',
  supersedes: ['load-past-physical-limit', 'ram-extra'],
  run: (ctx: CheckContext): Finding[] => {
    const out: Finding[] = [];
    ctx.header.phdrs.forEach((p, i) => {
      if (p.type !== PT_LOAD || p.memsz < 1n << 63n) return;
      out.push({
        severity: 'error',
        phdr: i,
        code: 'remove-mem-range-inverted',
        message:
          `PT_LOAD at p_paddr ${hex(p.paddr)} has p_memsz ${hex(p.memsz)}, a negative size: remove_mem_range's inverted tail after a memory hot-remove (kernels 6.10 to 6.18 without the fix); ` +
          'the capture kernel cannot read this dump; update to a kernel with 7afe2383eff0 and reload',
        commit: 'kernel 849599b702ef "powerpc/crash: add crash memory hotplug support" (fixed by 7afe2383eff0)',
      });
    });
    return out;
  },
};

/**
 * Before 789335cacdf3 the kexec_file fix-up of the backup PT_LOAD never advanced its phdr pointer,
 * so the [0, 0xffff] PT_LOAD kept p_offset 0 (facts §13.2): the dump then shows the capture kernel's
 * first 64 KiB, not the copy purgatory made of the crashed kernel's. Only meaningful in an
 * elfcorehdr: in a vmcore every p_offset is a file offset.
 */
export const ppcBackupOffsetCheck: HeaderCheck = {
  code: 'backup-offset-zero',
  run: (ctx: CheckContext): Finding[] => {
    if (ctx.kind !== 'elfcorehdr') return [];
    const out: Finding[] = [];
    ctx.header.phdrs.forEach((p, i) => {
      if (p.type !== PT_LOAD || p.paddr !== 0n || p.memsz !== BACKUP_SIZE || p.offset !== 0n) return;
      out.push({
        severity: 'error',
        phdr: i,
        code: 'backup-offset-zero',
        message:
          `backup-region PT_LOAD [0x0-0xffff] has p_offset 0 instead of the backup copy's address: the dump's first 64 KiB will be the capture kernel's, not the crashed kernel's; ` +
          'update to a kernel with the fix (7.0.y, 6.12.95+, 6.18.y of May 2026) and reload',
        commit:
          'kernel cb350c1f1f86 "powerpc/kexec_file: Prepare elfcore header for crashing kernel" (fixed by 789335cacdf3, and after hot-plug by f53b24d1fa26)',
        range: { start: 0n, end: BACKUP_SIZE - 1n },
      });
    });
    return out;
  },
};

/** A big-endian kernel fills the header natively under the ELFDATA2LSB the generic builder always writes (facts §13.4). */
export const ppcByteOrderCheck: HeaderCheck = {
  code: 'big-endian-under-lsb',
  supersedes: ['byte-order-mismatch'],
  run: (ctx: CheckContext): Finding[] =>
    ctx.header.header.data === ELFDATA2LSB && ctx.header.byteOrder === 'be'
      ? [
          {
            severity: 'error',
            phdr: null,
            code: 'big-endian-under-lsb',
            message:
              'EI_DATA says little-endian (ELFDATA2LSB) but every field is big-endian: a big-endian ppc64 kernel built this header with kexec_file_load; ' +
              'readelf, crash and makedumpfile read it (and the /proc/vmcore made from it) wrongly. crashplug read it in big-endian order',
            commit: 'kernel cb350c1f1f86 "powerpc/kexec_file: Prepare elfcore header for crashing kernel" (crash_prepare_elf64_headers hard-codes ELFDATA2LSB)',
          },
        ]
      : [],
};

export const PPC_HEADER_CHECKS: readonly HeaderCheck[] = [ppcByteOrderCheck, ppcBackupOffsetCheck, ppcTailCheck, ppcInvertedTailCheck];
