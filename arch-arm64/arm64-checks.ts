// arm64 header defects for `crashplug check`: the header kexec-tools 2.0.24–2.0.25 (and every later
// release, horms/kexec-tools up to 29898e149feb) writes when /proc/kallsyms has no `_text` (a
// kernel without CONFIG_KALLSYMS_ALL, or kallsyms hidden from the caller). facts §13.9: on a real
// Debian 6.1 arm64 guest the capture kernel oopsed reading /proc/vmcore.
//
// Read in kexec/arch/arm64/crashdump-arm64.c and kexec-arm64.c:
// - `elf_info.kern_vaddr_start = get_kernel_sym("_text")`, UINT64_MAX when it reads 0 (0bd5219da953,
//   "arm64: kdump: add elf core header segment", 2.0.15);
// - `kern_paddr_start = base - (_stext - _text)` when `__init_begin - _stext` equals the "Kernel code"
//   resource's size (1614959f2f0d, 2.0.24): with `_text` read as 0 it wraps, and `kern_size`
//   ("Kernel data" end − kern_paddr_start) becomes a size past any RAM;
// - `get_page_offset` returns −1 without `_text` (95de9eccf413, 2.0.24), leaving `page_offset` 0,
//   so `phys_to_virt` gives p_vaddr = p_paddr − PHYS_OFFSET: linear-map addresses without PAGE_OFFSET.
// No later horms/kexec-tools commit changes any of the three.

import { type CheckContext, type Finding, hex, type HeaderCheck, PT_LOAD } from '../core/port/index.js';

const U64_MAX = (1n << 64n) - 1n;
const TEXT_COMMITS = 'kexec-tools 0bd5219da953 (p_vaddr = UINT64_MAX without _text) and 1614959f2f0d (p_paddr = Kernel code − _stext, wrapping)';
const PAGE_OFFSET_COMMIT = 'kexec-tools 95de9eccf413 (get_page_offset fails without _text; page_offset stays 0)';
const TODO =
  'load with kexec -s (kexec_file_load, the kernel builds the header) or make _text readable in /proc/kallsyms (CONFIG_KALLSYMS_ALL, run kexec as root)';

/** The kernel-text PT_LOAD kexec-tools writes when it could not read `_text`: p_vaddr all ones. */
export const arm64UnknownTextCheck: HeaderCheck = {
  code: 'kexec-tools-unknown-text',
  supersedes: ['load-past-physical-limit', 'ram-extra', 'load-filesz-memsz'],
  run: (ctx: CheckContext): Finding[] => {
    const out: Finding[] = [];
    ctx.header.phdrs.forEach((p, i) => {
      if (p.type !== PT_LOAD || p.vaddr !== U64_MAX) return;
      out.push({
        severity: 'error',
        phdr: i,
        code: 'kexec-tools-unknown-text',
        message:
          `kernel-text PT_LOAD with p_vaddr ${hex(p.vaddr)} (all ones), p_paddr ${hex(p.paddr)} and p_filesz ${hex(p.filesz)}: ` +
          `kexec-tools could not read _text from /proc/kallsyms, so the kernel's own mapping is bogus and its size reaches past any RAM; ${TODO}`,
        commit: TEXT_COMMITS,
      });
    });
    return out;
  },
};

/** Linear-map PT_LOADs whose p_vaddr lacks PAGE_OFFSET (top bit clear): kexec-tools' page_offset 0. */
export const arm64NoPageOffsetCheck: HeaderCheck = {
  code: 'kexec-tools-no-page-offset',
  supersedes: ['load-vaddr-not-kernel'],
  run: (ctx: CheckContext): Finding[] => {
    const out: Finding[] = [];
    ctx.header.phdrs.forEach((p, i) => {
      if (p.type !== PT_LOAD || i === ctx.kernelMap || p.vaddr >= 1n << 63n) return;
      out.push({
        severity: 'error',
        phdr: i,
        code: 'kexec-tools-no-page-offset',
        message:
          `PT_LOAD of RAM at p_paddr ${hex(p.paddr)} has p_vaddr ${hex(p.vaddr)} = p_paddr − PHYS_OFFSET ${hex(p.paddr - p.vaddr)} without PAGE_OFFSET: ` +
          `kexec-tools computed page_offset 0; a capture kernel oopsed reading /proc/vmcore from such a header; ${TODO}`,
        commit: PAGE_OFFSET_COMMIT,
      });
    });
    return out;
  },
};

export const ARM64_HEADER_CHECKS: readonly HeaderCheck[] = [arm64UnknownTextCheck, arm64NoPageOffsetCheck];
