// The checks on one header against the machine it was built for: the Ehdr, the CPU notes, the
// vmcoreinfo note and the kernel map — every program header before the memory PT_LOADs, which
// memory-checks.ts takes over. Pure: bytes and data in, findings out.

import { hex } from '../core/base/index.js';
import { noteCpusOf } from '../core/build/index.js';
import {
  type ByteOrder,
  type DecodedElfCoreHeader,
  decodeElfCoreHeader,
  EHDR_SIZE,
  ELFDATA2LSB,
  elfcorehdrSize,
  ET_CORE,
  EV_CURRENT,
  PF_RWX,
  PHDR_SIZE,
  type ProgramHeader,
  PT_LOAD,
  PT_NOTE,
} from '../core/elf/index.js';
import type { ArchPlugin } from '../core/port/index.js';
import { crashNotesAddress, type SystemDescription } from '../core/system/index.js';
import type { Findings } from './findings.js';
import { checkMemoryLoads } from './memory-checks.js';
import type { ConformanceSpec } from './spec.js';

/** One machine under check: what the spec declares is resolved against it here. */
export interface MachineContext {
  readonly name: string;
  readonly system: SystemDescription;
  readonly plugin: ArchPlugin;
  readonly spec: ConformanceSpec;
}

export function expectedByteOrder(spec: ConformanceSpec, system: SystemDescription): ByteOrder {
  const o = spec.byteOrder ?? 'le';
  return typeof o === 'function' ? o(system) : o;
}

export function expectsKernelMap(spec: ConformanceSpec, system: SystemDescription): boolean {
  return typeof spec.kernelMap === 'function' ? spec.kernelMap(system) : spec.kernelMap;
}

function phdrText(p: ProgramHeader): string {
  const type = p.type === PT_NOTE ? 'PT_NOTE' : p.type === PT_LOAD ? 'PT_LOAD' : `type ${p.type}`;
  return `${type} offset ${hex(p.offset)} paddr ${hex(p.paddr)} vaddr ${hex(p.vaddr)} filesz ${hex(p.filesz)} memsz ${hex(p.memsz)}`;
}

/** Every header check; returns the decoded header, or undefined when it does not decode. */
export function checkHeader(f: Findings, ctx: MachineContext, bytes: Uint8Array): DecodedElfCoreHeader | undefined {
  let h: DecodedElfCoreHeader;
  try {
    h = decodeElfCoreHeader(bytes, ctx.name);
  } catch (err) {
    f.note('elf-header', ctx.name, [err instanceof Error ? err.message : String(err)]);
    return undefined;
  }
  const noteCount = noteCpusOf(ctx.system).length;
  const afterNotes = h.phdrs[noteCount + 1];
  // The memory PT_LOADs start after whatever is there, so that a kernel map wrongly present or
  // missing is reported once, as kernel-map, and not again as memory the dump gained or lost.
  const firstRam = noteCount + 1 + (isKernelMap(afterNotes, ctx.system) ? 1 : 0);
  f.note('elf-header', ctx.name, ehdrProblems(ctx, h, bytes, Math.max(0, h.phdrs.length - firstRam)));
  f.note('cpu-notes', ctx.name, cpuNoteProblems(ctx, h));
  f.note('vmcoreinfo', ctx.name, vmcoreinfoProblems(ctx, h.phdrs[noteCount]));
  f.note('kernel-map', ctx.name, kernelMapProblems(ctx, afterNotes, expectsKernelMap(ctx.spec, ctx.system)));
  checkMemoryLoads(f, ctx, h.phdrs.slice(firstRam), firstRam);
  return h;
}

function ehdrProblems(ctx: MachineContext, h: DecodedElfCoreHeader, bytes: Uint8Array, ramLoads: number): string[] {
  const e = h.header;
  const out: string[] = [];
  const want = expectedByteOrder(ctx.spec, ctx.system);
  if (h.byteOrder !== want)
    out.push(`fields are ${h.byteOrder === 'le' ? 'little' : 'big'}-endian, the spec expects ${want === 'le' ? 'little' : 'big'}-endian`);
  const fields: readonly [string, number | bigint, number | bigint][] = [
    ['EI_DATA', e.data, ELFDATA2LSB],
    ['EI_OSABI', e.osabi, 0],
    ['e_type', e.type, ET_CORE],
    ['e_machine', e.machine, ctx.spec.machine],
    ['e_version', e.version, EV_CURRENT],
    ['e_entry', e.entry, 0n],
    ['e_phoff', e.phoff, BigInt(EHDR_SIZE)],
    ['e_shoff', e.shoff, 0n],
    ['e_flags', e.flags, 0],
    ['e_ehsize', e.ehsize, EHDR_SIZE],
    ['e_shnum', e.shnum, 0],
  ];
  for (const [name, got, expected] of fields) if (got !== expected) out.push(`${name} is ${got}, expected ${expected}`);
  const sized = elfcorehdrSize(ctx.system.cpus.possible.length, ramLoads);
  if (bytes.length !== sized) {
    out.push(`the buffer is ${bytes.length} bytes; sized for ${ctx.system.cpus.possible.length} possible CPUs and ${ramLoads} ranges it is ${sized}`);
  }
  const used = EHDR_SIZE + h.phdrs.length * PHDR_SIZE;
  const dirty = bytes.subarray(used).findIndex((b) => b !== 0);
  if (dirty >= 0) out.push(`byte ${used + dirty}, past the last program header, is not zero`);
  return out;
}

function cpuNoteProblems(ctx: MachineContext, h: DecodedElfCoreHeader): string[] {
  const cpus = noteCpusOf(ctx.system);
  const out: string[] = [];
  const size = ctx.spec.noteSize;
  cpus.forEach((cpu, i) => {
    const p = h.phdrs[i];
    const at = crashNotesAddress(ctx.system.crashNotes, cpu);
    if (p === undefined) {
      out.push(`no program header ${i} for CPU ${cpu}`);
    } else if (p.type !== PT_NOTE || p.paddr !== at || p.offset !== at || p.vaddr !== 0n || p.flags !== 0 || p.align !== 0n) {
      out.push(`phdr ${i} should be CPU ${cpu}'s PT_NOTE at ${hex(at)}, is ${phdrText(p)}`);
    } else if (p.filesz !== size || p.memsz !== size) {
      out.push(`CPU ${cpu}'s note size is ${p.filesz} (memsz ${p.memsz}), the spec's sizeof(note_buf_t) is ${size}`);
    }
  });
  const notes = h.phdrs.filter((p) => p.type === PT_NOTE).length;
  if (notes !== cpus.length + 1) {
    out.push(`${notes} PT_NOTEs for ${cpus.length} ${ctx.system.kernel.cpuNotes} CPUs plus vmcoreinfo (expected ${cpus.length + 1})`);
  }
  return out;
}

function vmcoreinfoProblems(ctx: MachineContext, p: ProgramHeader | undefined): string[] {
  const v = ctx.system.vmcoreinfo;
  if (p === undefined) return ['no program header after the CPU notes'];
  if (p.type !== PT_NOTE || p.paddr !== v.address || p.offset !== v.address || p.filesz !== v.size || p.memsz !== v.size) {
    return [`expected PT_NOTE at ${hex(v.address)} of ${hex(v.size)} bytes, found ${phdrText(p)}`];
  }
  return [];
}

/** The kernel-image PT_LOAD: where the machine's `_text` is, mapped at `_text`. */
function isKernelMap(p: ProgramHeader | undefined, system: SystemDescription): p is ProgramHeader {
  const k = system.kernelImage;
  return p !== undefined && k !== undefined && p.type === PT_LOAD && p.vaddr === k.text && p.paddr === k.textPhys;
}

function kernelMapProblems(ctx: MachineContext, p: ProgramHeader | undefined, expected: boolean): string[] {
  const k = ctx.system.kernelImage;
  const isMap = isKernelMap(p, ctx.system);
  if (!expected) return isMap ? [`found a kernel-image PT_LOAD (${phdrText(p)}) although the arch passes need_kernel_map = false`] : [];
  if (k === undefined) return ['the spec expects a kernel map but the machine has no kernelImage'];
  if (p === undefined || !isMap) {
    return [
      `expected the kernel-image PT_LOAD (vaddr ${hex(k.text)}, paddr ${hex(k.textPhys)}) after vmcoreinfo, found ${p === undefined ? 'nothing' : phdrText(p)}`,
    ];
  }
  const out: string[] = [];
  if (p.offset !== k.textPhys) out.push(`p_offset ${hex(p.offset)} is not __pa_symbol(_text) ${hex(k.textPhys)}`);
  if (p.filesz !== k.size || p.memsz !== k.size) out.push(`size ${hex(p.filesz)}/${hex(p.memsz)} is not _end − _text ${hex(k.size)}`);
  if (p.flags !== PF_RWX) out.push(`p_flags ${p.flags} is not RWX`);
  return out;
}
