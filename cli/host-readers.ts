// The pieces of a host description that take more than one file to read — per-CPU crash_notes,
// the kernel image, the kernel's build options — each returning what it found and noting what it
// had to assume. Used by host.ts; `assumptions` and `read` are its running lists.

import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { hex } from '../core/base/index.js';
import { decodeElfCoreHeader, EHDR_SIZE, PHDR_SIZE, PT_LOAD } from '../core/elf/index.js';
import type { Range } from '../core/memory/index.js';
import { KEXEC_SYSFS_DIR, KEXEC_SYSFS_FILES, parseCrashCmaRanges } from '../core/kexec/index.js';
import { DEFAULT_KERNEL_CONFIG, formatCpulist, iomemKernelSections, type IomemResource, type KernelConfig } from '../core/system/index.js';

export type Read = { readonly text: string } | { readonly error: string };

export function tryRead(path: string): Read {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: e.code ?? (err instanceof Error ? err.message : String(err)) };
  }
}

/** sysfs prints addresses in hex, with (`%pa`) or without (`%llx`) a 0x. */
export function parseSysfsHex(text: string): bigint | undefined {
  const t = text.trim().replace(/^0x/i, '');
  return /^[0-9a-f]{1,16}$/i.test(t) ? BigInt(`0x${t}`) : undefined;
}

/** A symbol's address in /proc/kallsyms; zero (hidden by kptr_restrict) counts as absent. */
function kallsymsAddress(text: string, symbol: string): bigint | undefined {
  const m = new RegExp(`^([0-9a-f]+) \\S+ ${symbol}$`, 'm').exec(text);
  if (m === null) return undefined;
  const v = BigInt(`0x${m[1]}`);
  return v === 0n ? undefined : v;
}

function roundUpPow2(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/**
 * Per-CPU `crash_notes` addresses, as a base and stride when they line up (one NUMA node), as a
 * table otherwise. CPUs without a sysfs directory (possible but not present) are extrapolated.
 */
export function readCrashNotes(
  cpuDir: string,
  possible: readonly number[],
  present: readonly number[],
  noteSize: bigint,
  pageSize: number,
  assumptions: string[],
  read: string[],
): Record<string, unknown> {
  const found = new Map<number, bigint>();
  let firstError: string | undefined;
  for (const cpu of possible) {
    const r = tryRead(join(cpuDir, `cpu${cpu}`, 'crash_notes'));
    const addr = 'text' in r ? parseSysfsHex(r.text) : undefined;
    if (addr !== undefined) found.set(cpu, addr);
    else firstError ??= 'error' in r ? r.error : `unreadable contents "${r.text.trim()}"`;
  }
  const cpus = [...found.keys()];
  const first = cpus[0];
  if (first !== undefined) {
    const sizeRead = tryRead(join(cpuDir, `cpu${first}`, 'crash_notes_size'));
    const size = 'text' in sizeRead ? Number(sizeRead.text.trim()) : undefined;
    if (size !== undefined && Number.isInteger(size) && BigInt(size) !== noteSize) {
      assumptions.push(`crash_notes_size reads ${size}, but this port's note_buf_t is ${noteSize} bytes: the PT_NOTEs use ${noteSize}`);
    }
  }
  const strides = cpus.slice(1).map((cpu, i) => (found.get(cpu)! - found.get(cpus[i]!)!) / BigInt(cpu - cpus[i]!));
  const stride = strides[0];
  const uniform =
    stride !== undefined &&
    stride > 0n &&
    strides.every((s) => s === stride) &&
    cpus.every((cpu) => found.get(cpu)! === found.get(first!)! + BigInt(cpu - first!) * stride);

  const missing = possible.filter((c) => !found.has(c));
  if (first === undefined) {
    // crash_notes are aligned to min(roundup_pow_of_two(size), PAGE_SIZE); pack them at that step.
    const step = BigInt(Math.min(roundUpPow2(Number(noteSize)), pageSize));
    assumptions.push(
      `crash_notes not readable (${firstError}; kernel without CONFIG_CRASH_DUMP?): ` +
        `assumed base 0x0 stride ${hex(step)} (placeholders: only the CPU PT_NOTEs' addresses depend on them)`,
    );
    return { base: '0x0', stride: hex(step) };
  }
  const base = found.get(first)! - BigInt(first) * (uniform ? stride! : 0n);
  if (uniform && base >= 0n) {
    read.push(`crash_notes of CPUs ${formatCpulist(cpus)}: base ${hex(base)} stride ${hex(stride!)} (${cpuDir}/cpuN/crash_notes)`);
    if (missing.length > 0) {
      assumptions.push(`crash_notes of CPUs ${formatCpulist(missing)} not readable (${firstError}): assumed to follow the same base and stride`);
    }
    return { base: hex(base), stride: hex(stride!) };
  }
  read.push(`crash_notes of CPUs ${formatCpulist(cpus)} (${cpuDir}/cpuN/crash_notes)`);
  const addresses: Record<string, string> = {};
  // Possible-but-absent CPUs have no sysfs directory: place them after the last one read, one
  // stride (or, with a single CPU read, one aligned note) apart.
  const last = cpus[cpus.length - 1]!;
  const step = stride !== undefined && stride > 0n ? stride : BigInt(Math.min(roundUpPow2(Number(noteSize)), pageSize));
  for (const cpu of possible) {
    addresses[String(cpu)] = hex(found.get(cpu) ?? found.get(last)! + BigInt(cpu - last) * step);
  }
  if (missing.length > 0) {
    const notPresent = missing.filter((c) => !present.includes(c));
    assumptions.push(
      `crash_notes of CPUs ${formatCpulist(missing)} not readable (${firstError}${notPresent.length > 0 ? `; CPUs ${formatCpulist(notPresent)} are not present` : ''}): ` +
        `assumed ${hex(step)} apart after CPU ${last}'s`,
    );
  }
  return { addresses };
}

/** `_text`, `__pa_symbol(_text)` and `_end − _text`, from /proc/kallsyms and the Kernel lines of /proc/iomem. */
export function readKernelImage(
  kallsymsPath: string,
  iomemPath: string,
  tree: readonly IomemResource[],
  /** The port's `_text` link address without KASLR (HostIdentity), assumed when kallsyms hides `_text`. */
  linkedText: bigint | undefined,
  pageOffset: bigint,
  assumptions: string[],
  read: string[],
): { text: bigint; textPhys: bigint; size: bigint; textRead: boolean } {
  const sections = iomemKernelSections(tree, iomemPath);
  const ks = tryRead(kallsymsPath);
  const kallsyms = 'text' in ks ? ks.text : '';
  const kallsymsWhy = 'error' in ks ? `not readable (${ks.error})` : 'zero or absent (kptr_restrict, or not root)';

  let textPhys: bigint;
  if (sections.code !== undefined) {
    textPhys = sections.code.start;
    read.push(`__pa_symbol(_text) ${hex(textPhys)} (start of Kernel code in ${iomemPath})`);
  } else {
    textPhys = 0n;
    assumptions.push(`no Kernel code in ${iomemPath}: __pa_symbol(_text) assumed 0x0`);
  }

  let text = kallsymsAddress(kallsyms, '_text');
  const textRead = text !== undefined;
  if (text !== undefined) {
    read.push(`_text ${hex(text)} (${kallsymsPath})`);
  } else {
    text = linkedText ?? (textPhys + pageOffset) & 0xffff_ffff_ffff_ffffn;
    assumptions.push(
      `_text in ${kallsymsPath} ${kallsymsWhy}: assumed ${hex(text)}${linkedText !== undefined ? ' (the link address without KASLR)' : ' (the linear-map alias of the kernel)'}`,
    );
  }

  const end = kallsymsAddress(kallsyms, '_end');
  if (end !== undefined && end > text) {
    read.push(`_end ${hex(end)} (${kallsymsPath}): kernel size ${hex(end - text)}`);
    return { text, textPhys, size: end - text, textRead };
  }
  const last = sections.bss ?? sections.data ?? sections.rodata ?? sections.code;
  if (sections.code !== undefined && last !== undefined) {
    const size = last.end + 1n - sections.code.start;
    const lastName = last === sections.bss ? 'bss' : last === sections.data ? 'data' : last === sections.rodata ? 'rodata' : 'code';
    assumptions.push(
      `_end not in ${kallsymsPath}: kernel size taken from the Kernel code…Kernel ${lastName} span of ${iomemPath}, ${hex(size)} ` +
        '(the real _end lies a little further, past the brk area)',
    );
    return { text, textPhys, size, textRead };
  }
  assumptions.push(`_end not in ${kallsymsPath} and no Kernel sections in ${iomemPath}: kernel size assumed 0`);
  return { text, textPhys, size: 0n, textRead };
}

/** Kernel build options visible from sysfs: crash hot-plug, memory hot-plug, NR_CPUS. */
export function readConfig(cpuDir: string, memoryDir: string, assumptions: string[], read: string[]): KernelConfig {
  const crashHotplugFile = join(cpuDir, 'crash_hotplug');
  const crashHotplug = existsSync(crashHotplugFile) || existsSync(join(memoryDir, 'crash_hotplug'));
  const memoryHotplug = existsSync(memoryDir);
  if (crashHotplug) {
    read.push(`CONFIG_CRASH_HOTPLUG (${crashHotplugFile} exists)`);
  } else {
    assumptions.push(
      `no ${crashHotplugFile}: kernel assumed built without CONFIG_CRASH_HOTPLUG, so the segment holds this header only ` +
        'and /sys/kernel/crash_elfcorehdr_size would read 0',
    );
  }
  read.push(`CONFIG_MEMORY_HOTPLUG ${memoryHotplug ? 'on' : 'off'} (${memoryDir} ${memoryHotplug ? 'exists' : 'absent'})`);
  let nrCpusDefault = DEFAULT_KERNEL_CONFIG.nrCpusDefault;
  const kmax = tryRead(join(cpuDir, 'kernel_max'));
  const nrCpus = 'text' in kmax ? Number(kmax.text.trim()) + 1 : undefined;
  // Only MAXSMP (NR_CPUS 8192) moves NR_CPUS_DEFAULT, which is what hot-plug sizing uses.
  if (nrCpus === 8192) {
    nrCpusDefault = 8192;
    read.push(`NR_CPUS 8192 (${join(cpuDir, 'kernel_max')}): MAXSMP, so NR_CPUS_DEFAULT 8192`);
  } else if (crashHotplug) {
    assumptions.push(
      `NR_CPUS_DEFAULT assumed ${nrCpusDefault} (no MAXSMP${nrCpus === undefined ? '' : `; NR_CPUS is ${nrCpus}`}); it sizes the hot-plug segment`,
    );
  }
  return { ...DEFAULT_KERNEL_CONFIG, nrCpusDefault, memoryHotplug, crashHotplug };
}

/** The first of `paths` that reads, with its text; the errors of all when none does. */
function firstReadable(paths: readonly string[]): { path: string; text: string } | { errors: string[] } {
  const errors: string[] = [];
  for (const path of paths) {
    const r = tryRead(path);
    if ('text' in r) return { path, text: r.text };
    errors.push(`${path} (${r.error})`);
  }
  return { errors };
}

/**
 * The kexec files of /sys/kernel, new place (/sys/kernel/kexec/, 6.19+) first, then the old name
 * (a symlink from 6.19, the file itself before): the CMA reservations (crash_cma_ranges, 6.19+)
 * and, for the record, crash_elfcorehdr_size. `sysKernel` is the host's /sys/kernel.
 */
export function readKexecSysfs(sysKernel: string, assumptions: string[], read: string[]): { crashkernelCma: Range[] | undefined } {
  const both = (file: keyof typeof KEXEC_SYSFS_FILES): string[] => [
    join(sysKernel, KEXEC_SYSFS_DIR.slice('/sys/kernel/'.length), file),
    join(sysKernel, KEXEC_SYSFS_FILES[file]),
  ];
  let crashkernelCma: Range[] | undefined;
  const cma = firstReadable(both('crash_cma_ranges'));
  if ('text' in cma) {
    crashkernelCma = parseCrashCmaRanges(cma.text, cma.path);
    const list = crashkernelCma.map((r) => `[${hex(r.start)}, ${hex(r.end)}]`).join(', ');
    read.push(`crashkernel CMA ranges: ${crashkernelCma.length === 0 ? 'none' : list} (${cma.path})`);
  } else {
    assumptions.push(
      `no crash_cma_ranges (${cma.errors.join('; ')}): no crashkernel=…,cma reservation assumed; ` +
        'kernels before 6.19 do not show it, so give crashkernelCma in a description if the command line has one',
    );
  }
  const size = firstReadable(both('crash_elfcorehdr_size'));
  if ('text' in size) read.push(`crash_elfcorehdr_size ${size.text.trim()} (${size.path})`);
  return { crashkernelCma };
}

/** Reads `length` bytes from the start of a file that may be huge (/proc/kcore maps all of memory). */
function readHead(path: string, length: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(length);
    const n = readSync(fd, buf, 0, length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * The linear map's offset from /proc/kcore, as kexec-tools finds PAGE_OFFSET: the kernel gives each
 * RAM PT_LOAD p_vaddr = __va(p_paddr), so vaddr − paddr is the offset, KASLR or not. The kernel-text
 * PT_LOAD (vaddr `_text`) is left out; of the rest whose paddr lies in RAM, the most common offset wins.
 */
export function readKcoreLinearOffset(path: string, ram: readonly Range[], text: bigint | undefined): { offset: bigint } | { error: string } {
  try {
    const head = readHead(path, EHDR_SIZE);
    if (head.length < EHDR_SIZE) return { error: 'shorter than an ELF header' };
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const le = head[5] !== 2;
    const need = Number(view.getBigUint64(32, le)) + view.getUint16(56, le) * PHDR_SIZE;
    const core = decodeElfCoreHeader(readHead(path, need), path);
    const votes = new Map<bigint, number>();
    for (const p of core.phdrs) {
      if (p.type !== PT_LOAD || p.vaddr === text) continue;
      if (!ram.some((r) => r.start <= p.paddr && p.paddr <= r.end)) continue;
      const offset = BigInt.asUintN(64, p.vaddr - p.paddr);
      votes.set(offset, (votes.get(offset) ?? 0) + 1);
    }
    const best = [...votes].sort((a, b) => b[1] - a[1])[0];
    return best === undefined ? { error: 'no RAM PT_LOAD in it' } : { offset: best[0] };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: e.code ?? (err instanceof Error ? err.message : String(err)) };
  }
}
