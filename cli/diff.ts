// Field-by-field comparison of an elfcorehdr someone captured with the one crashplug builds for the
// same machine. Program headers are paired by what they are for (CPU notes in order, vmcoreinfo,
// kernel text, RAM by overlap), so one extra RAM range shows as one difference, not a cascade.

import { hex } from '../core/base/index.js';
import { type ElfCoreHeader, type ElfHeader, phdrTypeName, type ProgramHeader } from '../core/elf/index.js';
import { type Json, type TrailingBytes, usedBytes } from './describe.js';
import type { PhdrWhat } from './phdr-roles.js';

/** One of the two headers being compared, with the roles of its program headers. */
export interface DiffSide {
  readonly header: ElfCoreHeader;
  readonly trailing: TrailingBytes;
  readonly what: readonly PhdrWhat[];
}

export type Side = 'file' | 'crashplug';

export type Difference =
  | { readonly kind: 'ehdr'; readonly field: string; readonly file: string; readonly crashplug: string }
  | {
      readonly kind: 'phdr';
      readonly fileIndex: number;
      readonly crashplugIndex: number;
      readonly what: string;
      readonly field: string;
      readonly file: string;
      readonly crashplug: string;
    }
  | { readonly kind: 'only-in'; readonly side: Side; readonly index: number; readonly what: string; readonly phdr: ProgramHeader }
  | { readonly kind: 'trailing'; readonly side: Side; readonly nonZero: number; readonly firstNonZero: number }
  | { readonly kind: 'size'; readonly file: number; readonly crashplug: number };

/** Which program header of one side goes with which of the other; one index is missing when unpaired. */
export interface PhdrPair {
  readonly file?: number | undefined;
  readonly crashplug?: number | undefined;
}

export interface HeaderDiff {
  readonly differences: readonly Difference[];
  readonly pairs: readonly PhdrPair[];
  /** Facts worth saying that are not differences (a capture cut at the last program header). */
  readonly notes: readonly string[];
}

const EHDR_FIELDS: readonly (readonly [keyof ElfHeader, string, (v: number | bigint) => string])[] = [
  ['data', 'EI_DATA', String],
  ['osabi', 'EI_OSABI', String],
  ['type', 'e_type', String],
  ['machine', 'e_machine', String],
  ['version', 'e_version', String],
  ['entry', 'e_entry', hex],
  ['phoff', 'e_phoff', String],
  ['shoff', 'e_shoff', String],
  ['flags', 'e_flags', hex],
  ['ehsize', 'e_ehsize', String],
  ['phentsize', 'e_phentsize', String],
  ['phnum', 'e_phnum', String],
  ['shentsize', 'e_shentsize', String],
  ['shnum', 'e_shnum', String],
  ['shstrndx', 'e_shstrndx', String],
];

const PHDR_FIELDS: readonly (readonly [keyof ProgramHeader, string, (v: number | bigint) => string])[] = [
  ['type', 'p_type', (v) => phdrTypeName(Number(v))],
  ['flags', 'p_flags', hex],
  ['offset', 'p_offset', hex],
  ['vaddr', 'p_vaddr', hex],
  ['paddr', 'p_paddr', hex],
  ['filesz', 'p_filesz', hex],
  ['memsz', 'p_memsz', hex],
  ['align', 'p_align', hex],
];

function indicesOf(what: readonly PhdrWhat[], kind: PhdrWhat['kind']): number[] {
  const out: number[] = [];
  what.forEach((w, i) => {
    if (w.kind === kind) out.push(i);
  });
  return out;
}

function pairInOrder(a: readonly number[], b: readonly number[]): PhdrPair[] {
  const out: PhdrPair[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) out.push({ file: a[i], crashplug: b[i] });
  return out;
}

function overlaps(p: ProgramHeader, q: ProgramHeader): boolean {
  if (p.memsz === 0n || q.memsz === 0n) return p.paddr === q.paddr;
  return p.paddr <= q.paddr + q.memsz - 1n && q.paddr <= p.paddr + p.memsz - 1n;
}

/**
 * RAM PT_LOADs paired in header order by overlapping physical ranges: a range trimmed differently
 * stays one pair with a p_filesz difference, a range only one side has stays unpaired.
 */
function pairRam(file: ElfCoreHeader, a: readonly number[], ours: ElfCoreHeader, b: readonly number[]): PhdrPair[] {
  const out: PhdrPair[] = [];
  let j = 0;
  for (const i of a) {
    const p = file.phdrs[i]!;
    let k = j;
    while (k < b.length && !overlaps(p, ours.phdrs[b[k]!]!)) k++;
    if (k === b.length) {
      out.push({ file: i });
      continue;
    }
    for (; j < k; j++) out.push({ crashplug: b[j] });
    out.push({ file: i, crashplug: b[k] });
    j = k + 1;
  }
  for (; j < b.length; j++) out.push({ crashplug: b[j] });
  return out;
}

export function pairPhdrs(file: DiffSide, ours: DiffSide): PhdrPair[] {
  const pairs: PhdrPair[] = [];
  for (const kind of ['cpu-note', 'vmcoreinfo', 'kernel-map', 'other'] as const) {
    pairs.push(...pairInOrder(indicesOf(file.what, kind), indicesOf(ours.what, kind)));
  }
  pairs.push(...pairRam(file.header, indicesOf(file.what, 'ram'), ours.header, indicesOf(ours.what, 'ram')));
  const position = (p: PhdrPair): number => p.file ?? p.crashplug ?? 0;
  return pairs.sort((x, y) => position(x) - position(y) || (x.file === undefined ? 1 : 0) - (y.file === undefined ? 1 : 0));
}

export function diffElfcorehdrs(file: DiffSide, ours: DiffSide): HeaderDiff {
  const differences: Difference[] = [];
  const notes: string[] = [];
  const fh = file.header.header;
  const oh = ours.header.header;
  for (const [key, field, show] of EHDR_FIELDS) {
    if (fh[key] !== oh[key]) differences.push({ kind: 'ehdr', field, file: show(fh[key] as number | bigint), crashplug: show(oh[key] as number | bigint) });
  }
  if (file.header.byteOrder !== ours.header.byteOrder) {
    differences.push({ kind: 'ehdr', field: 'field byte order', file: file.header.byteOrder, crashplug: ours.header.byteOrder });
  }

  const pairs = pairPhdrs(file, ours);
  for (const pair of pairs) {
    if (pair.file !== undefined && pair.crashplug !== undefined) {
      const p = file.header.phdrs[pair.file]!;
      const q = ours.header.phdrs[pair.crashplug]!;
      const what = ours.what[pair.crashplug]?.label ?? '';
      for (const [key, field, show] of PHDR_FIELDS) {
        if (p[key] !== q[key]) {
          differences.push({ kind: 'phdr', fileIndex: pair.file, crashplugIndex: pair.crashplug, what, field, file: show(p[key]), crashplug: show(q[key]) });
        }
      }
    } else if (pair.file !== undefined) {
      differences.push({ kind: 'only-in', side: 'file', index: pair.file, what: file.what[pair.file]?.label ?? '', phdr: file.header.phdrs[pair.file]! });
    } else if (pair.crashplug !== undefined) {
      differences.push({
        kind: 'only-in',
        side: 'crashplug',
        index: pair.crashplug,
        what: ours.what[pair.crashplug]?.label ?? '',
        phdr: ours.header.phdrs[pair.crashplug]!,
      });
    }
  }

  for (const [side, s] of [
    ['file', file],
    ['crashplug', ours],
  ] as const) {
    if (s.trailing.nonZero > 0) {
      differences.push({ kind: 'trailing', side, nonZero: s.trailing.nonZero, firstNonZero: s.trailing.firstNonZero ?? s.trailing.from });
    }
  }

  // Captures are often cut at the last program header; the rest of the kernel's buffer is zero,
  // so a cut file is the same header. Only a file that carries a tail of another length differs.
  const fileUsed = usedBytes(file.header);
  const fileCut = file.header.size === fileUsed;
  if (file.header.size !== ours.header.size) {
    if (fileCut) {
      notes.push(
        `the file ends at its last program header (byte ${fileUsed}); crashplug's buffer is ${ours.header.size} bytes, ` +
          `zero from byte ${usedBytes(ours.header)}: compared as if the file continued with zeros`,
      );
    } else {
      differences.push({ kind: 'size', file: file.header.size, crashplug: ours.header.size });
    }
  }
  return { differences, pairs, notes };
}

function phdrBrief(p: ProgramHeader): string {
  return `${phdrTypeName(p.type)} offset ${hex(p.offset)} vaddr ${hex(p.vaddr)} paddr ${hex(p.paddr)} filesz ${hex(p.filesz)} memsz ${hex(p.memsz)}`;
}

function sideName(side: Side): string {
  return side === 'file' ? 'the file' : "crashplug's header";
}

export function differenceText(d: Difference): string {
  switch (d.kind) {
    case 'ehdr':
      return `${d.field}: file ${d.file}, crashplug ${d.crashplug}`;
    case 'phdr': {
      const where = d.fileIndex === d.crashplugIndex ? `phdr ${d.fileIndex}` : `phdr ${d.fileIndex} (crashplug's phdr ${d.crashplugIndex})`;
      return `${where}${d.what === '' ? '' : ` (${d.what})`} ${d.field}: file ${d.file}, crashplug ${d.crashplug}`;
    }
    case 'only-in':
      return `phdr ${d.index}${d.what === '' ? '' : ` (${d.what})`} only in ${sideName(d.side)}: ${phdrBrief(d.phdr)}`;
    case 'trailing':
      return `trailing bytes: ${sideName(d.side)} has ${d.nonZero} non-zero bytes past its program headers (first at byte ${d.firstNonZero}); the kernel leaves them zero`;
    case 'size':
      return `size: file ${d.file} bytes, crashplug ${d.crashplug} bytes`;
    default: {
      const never: never = d;
      throw new Error(`unknown difference ${String(never)}`);
    }
  }
}

export function differenceJson(d: Difference): Json {
  if (d.kind !== 'only-in') return { ...d, text: differenceText(d) };
  const p = d.phdr;
  return {
    kind: d.kind,
    side: d.side,
    index: d.index,
    what: d.what,
    phdr: {
      type: phdrTypeName(p.type),
      p_offset: hex(p.offset),
      p_vaddr: hex(p.vaddr),
      p_paddr: hex(p.paddr),
      p_filesz: hex(p.filesz),
      p_memsz: hex(p.memsz),
    },
    text: differenceText(d),
  };
}

export function diffVerdict(diff: HeaderDiff): string {
  const n = diff.differences.length;
  return n === 0 ? 'identical' : `${n} difference${n === 1 ? '' : 's'}`;
}
