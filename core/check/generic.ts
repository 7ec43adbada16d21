// Core's checks: what is wrong with a kdump header on any architecture. Each is a pure function of
// the decoded header (and, with --against, the machine); docs/check.md lists the codes.

import { hex } from '../base/hex.js';
import { EHDR_SIZE, ET_CORE, PHDR_SIZE, type ProgramHeader, PT_LOAD, PT_NOTE } from '../elf/elf.js';
import { NT_PRSTATUS, NT_VMCOREINFO } from '../elf/notes.js';
import type { NamedRange, Range } from '../memory/range.js';
import { intersectWith, normalise, subtractFrom } from './ranges.js';
import type { CheckContext, Finding, HeaderCheck } from './types.js';

/** Two note headers, the padded name "CORE": what note_buf_t adds to sizeof(struct elf_prstatus). */
const NOTE_BUF_OVERHEAD = 32n;
/** Two note headers and the padded name "VMCOREINFO": VMCOREINFO_NOTE_SIZE is a page plus this. */
const VMCOREINFO_OVERHEAD = 0x24n;
/** The largest physical address any 64-bit Linux arch supports (MAX_PHYSMEM_BITS is at most 56). */
export const PHYS_LIMIT = 1n << 56n;
const U64 = 1n << 64n;

const rangeText = (r: Range): string => `[${hex(r.start)}-${hex(r.end)}]`;

/** The physical bytes a PT_LOAD covers (p_paddr, p_memsz), inclusive; undefined when empty or wrapping. */
export function loadRange(p: ProgramHeader): Range | undefined {
  if (p.memsz === 0n || p.paddr + p.memsz > U64) return undefined;
  return { start: p.paddr, end: p.paddr + p.memsz - 1n };
}

function ramName(r: NamedRange & { nid?: number | undefined }): string {
  return `${r.name} ${rangeText(r)}${r.nid === undefined ? '' : ` (NUMA node ${r.nid})`}`;
}

function loads(ctx: CheckContext): { index: number; phdr: ProgramHeader }[] {
  const out: { index: number; phdr: ProgramHeader }[] = [];
  ctx.header.phdrs.forEach((phdr, index) => {
    if (phdr.type === PT_LOAD) out.push({ index, phdr });
  });
  return out;
}

const byteOrder: HeaderCheck = {
  code: 'byte-order-mismatch',
  run: (ctx) =>
    ctx.header.warnings.map((w) => ({
      severity: 'error',
      phdr: null,
      code: 'byte-order-mismatch',
      message: `${w}. Tools that trust EI_DATA (readelf, crash, makedumpfile) read every field of this header wrongly`,
    })),
};

const notCore: HeaderCheck = {
  code: 'not-core',
  run: (ctx) =>
    ctx.header.header.type === ET_CORE
      ? []
      : [
          {
            severity: 'warning',
            phdr: null,
            code: 'not-core',
            message: `e_type is ${ctx.header.header.type}, not ET_CORE (4): every kdump builder writes a core file`,
          },
        ],
};

const noLoads: HeaderCheck = {
  code: 'no-loads',
  run: (ctx) =>
    ctx.header.phdrs.some((p) => p.type === PT_LOAD)
      ? []
      : [{ severity: 'error', phdr: null, code: 'no-loads', message: 'no PT_LOAD: the capture kernel would have no memory to dump' }],
};

function vmcoreinfoSizes(ctx: CheckContext): bigint[] {
  if (ctx.machine !== undefined) return [ctx.machine.vmcoreinfoSize];
  return [...new Set(ctx.pageSizes)].map((p) => BigInt(p) + VMCOREINFO_OVERHEAD);
}

function noteSizesOf(ctx: CheckContext): bigint[] {
  return ctx.machine !== undefined ? [ctx.machine.noteSize] : [...ctx.noteSizes];
}

const sizesText = (sizes: readonly bigint[]): string => sizes.map((s) => hex(s)).join(', ');

/** elfcorehdr: each PT_NOTE is one CPU's note_buf_t or the vmcoreinfo note, sized exactly. */
function noteSizeInHeader(ctx: CheckContext): Finding[] {
  const cpu = noteSizesOf(ctx);
  const info = vmcoreinfoSizes(ctx);
  const out: Finding[] = [];
  ctx.header.phdrs.forEach((p, i) => {
    if (p.type !== PT_NOTE) return;
    if (p.filesz !== p.memsz) {
      out.push({
        severity: 'warning',
        phdr: i,
        code: 'note-size',
        message: `PT_NOTE p_filesz ${hex(p.filesz)} differs from p_memsz ${hex(p.memsz)}; the kernel writes both the same`,
      });
    }
    if (cpu.includes(p.filesz) || info.includes(p.filesz)) return;
    const known = cpu.length === 0 ? 'no loaded port writes this e_machine, so only the vmcoreinfo sizes are known' : `a CPU's note_buf_t is ${sizesText(cpu)}`;
    out.push({
      severity: 'error',
      phdr: i,
      code: 'note-size',
      message:
        `PT_NOTE of ${hex(p.filesz)} bytes matches no kernel's note layout (${known}; VMCOREINFO_NOTE_SIZE is ${sizesText(info)}); ` +
        'the capture kernel reads the wrong number of bytes as notes',
    });
  });
  return out;
}

/** vmcore: the merged notes, each NT_PRSTATUS of sizeof(elf_prstatus), the vmcoreinfo no larger than a page. */
function noteSizeInVmcore(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const prstatus = noteSizesOf(ctx).map((s) => s - NOTE_BUF_OVERHEAD);
  const pageMax = ctx.machine !== undefined ? ctx.machine.vmcoreinfoSize - VMCOREINFO_OVERHEAD : BigInt(Math.max(...ctx.pageSizes, 0));
  for (const n of ctx.notes ?? []) {
    if (n.problem !== undefined) out.push({ severity: 'error', phdr: n.phdr, code: 'note-size', message: `the notes cannot be read: ${n.problem}` });
    for (const note of n.notes) {
      if (note.type === NT_PRSTATUS && note.name === 'CORE' && prstatus.length > 0 && !prstatus.includes(BigInt(note.descsz))) {
        out.push({
          severity: 'error',
          phdr: n.phdr,
          code: 'note-size',
          message: `the NT_PRSTATUS note at byte ${note.at} of the notes has a ${note.descsz}-byte descriptor; sizeof(struct elf_prstatus) is ${prstatus.join(' or ')} on this e_machine`,
        });
      }
      if (note.type === NT_VMCOREINFO && note.name === 'VMCOREINFO' && pageMax > 0n && BigInt(note.descsz) > pageMax) {
        out.push({
          severity: 'error',
          phdr: n.phdr,
          code: 'note-size',
          message: `the VMCOREINFO note at byte ${note.at} of the notes has ${note.descsz} bytes of text, more than a page (${pageMax})`,
        });
      }
    }
  }
  return out;
}

const noteSize: HeaderCheck = {
  code: 'note-size',
  run: (ctx) => (ctx.kind === 'elfcorehdr' ? noteSizeInHeader(ctx) : noteSizeInVmcore(ctx)),
};

const loadFields: HeaderCheck = {
  code: 'load-past-physical-limit',
  run: (ctx) => {
    const out: Finding[] = [];
    for (const { index, phdr } of loads(ctx)) {
      if (phdr.paddr + phdr.memsz > PHYS_LIMIT) {
        out.push({
          severity: 'error',
          phdr: index,
          code: 'load-past-physical-limit',
          message:
            `PT_LOAD at p_paddr ${hex(phdr.paddr)} with p_memsz ${hex(phdr.memsz)} reaches past 2^56, beyond any RAM a 64-bit Linux can address` +
            `${phdr.paddr + phdr.memsz > U64 ? ' (it even wraps around the 64-bit address space)' : ''}; the capture kernel fails or faults reading it`,
        });
      }
      // A filtered saved vmcore (makedumpfile -E) writes less than p_memsz on purpose; a header never does.
      if (ctx.kind === 'elfcorehdr' && phdr.filesz !== phdr.memsz) {
        out.push({
          severity: 'warning',
          phdr: index,
          code: 'load-filesz-memsz',
          message: `PT_LOAD p_filesz ${hex(phdr.filesz)} differs from p_memsz ${hex(phdr.memsz)}; kdump builders write both the same`,
        });
      }
    }
    return out;
  },
};

const vaddrHalf: HeaderCheck = {
  code: 'load-vaddr-not-kernel',
  run: (ctx) =>
    loads(ctx)
      .filter(({ phdr }) => phdr.vaddr < 1n << 63n)
      .map(({ index, phdr }) => ({
        severity: 'warning' as const,
        phdr: index,
        code: 'load-vaddr-not-kernel',
        message: `PT_LOAD p_vaddr ${hex(phdr.vaddr)} is not a kernel address (the top bit is clear); tools that translate kernel addresses through it will not find this memory`,
      })),
};

const overlap: HeaderCheck = {
  code: 'loads-overlap',
  run: (ctx) => {
    const items = loads(ctx)
      .filter(({ index }) => index !== ctx.kernelMap)
      .map(({ index, phdr }) => ({ index, r: loadRange(phdr) }))
      .filter((x): x is { index: number; r: Range } => x.r !== undefined && x.r.end < PHYS_LIMIT)
      .sort((a, b) => (a.r.start < b.r.start ? -1 : a.r.start > b.r.start ? 1 : a.index - b.index));
    const out: Finding[] = [];
    // Sweep: the load reaching furthest so far; each later load that starts before its end overlaps it.
    let reach: { index: number; r: Range } | undefined;
    for (const x of items) {
      if (reach !== undefined && x.r.start <= reach.r.end) {
        const both = { start: x.r.start, end: x.r.end < reach.r.end ? x.r.end : reach.r.end };
        out.push({
          severity: 'error',
          phdr: x.index,
          code: 'loads-overlap',
          message: `PT_LOAD ${rangeText(x.r)} overlaps PT_LOAD ${reach.index} ${rangeText(reach.r)} in ${rangeText(both)}: those bytes are dumped twice and the dump is larger than RAM`,
          range: both,
        });
      }
      if (reach === undefined || x.r.end > reach.r.end) reach = x;
    }
    return out;
  },
};

const inReservation: HeaderCheck = {
  code: 'load-in-crash-reservation',
  run: (ctx) => {
    const m = ctx.machine;
    if (m === undefined || m.reservations.length === 0) return [];
    const added = normalise(m.added);
    const out: Finding[] = [];
    for (const { index, phdr } of loads(ctx)) {
      if (index === ctx.kernelMap) continue;
      const r = loadRange(phdr);
      if (r === undefined) continue;
      for (const res of m.reservations) {
        for (const piece of intersectWith(r, [res])) {
          for (const bad of subtractFrom(piece, added)) {
            out.push({
              severity: 'error',
              phdr: index,
              code: 'load-in-crash-reservation',
              message: `PT_LOAD ${rangeText(r)} lists ${rangeText(bad)}, inside the crash reservation ${res.name} ${rangeText(res)}: that is the capture kernel's own memory, not the crashed kernel's`,
              range: bad,
            });
          }
        }
      }
    }
    return out;
  },
};

const ramCoverage: HeaderCheck = {
  code: 'ram-missing',
  run: (ctx) => {
    const m = ctx.machine;
    if (m === undefined) return [];
    const out: Finding[] = [];
    const listed: Range[] = [];
    for (const { phdr } of loads(ctx)) {
      const r = loadRange(phdr);
      if (r !== undefined) listed.push(r);
    }
    const covered = normalise([...listed, ...m.holes]);
    for (const ram of m.ram) {
      for (const gap of subtractFrom(ram, covered)) {
        out.push({
          severity: 'error',
          phdr: null,
          code: 'ram-missing',
          message: `RAM ${rangeText(gap)} (${gap.end - gap.start + 1n} bytes) of ${ramName(ram)} is in no PT_LOAD: the dump will not contain it`,
          range: gap,
        });
      }
    }
    const machine = normalise([...m.ram, ...m.added]);
    for (const { index, phdr } of loads(ctx)) {
      const r = loadRange(phdr);
      if (r === undefined) continue;
      for (const extra of subtractFrom(r, machine)) {
        out.push({
          severity: 'error',
          phdr: index,
          code: 'ram-extra',
          message: `PT_LOAD ${rangeText(r)} lists ${rangeText(extra)} (${extra.end - extra.start + 1n} bytes), which is not RAM of ${m.origin}: reading it from the capture kernel can fault`,
          range: extra,
        });
      }
    }
    return out;
  },
};

const segmentSize: HeaderCheck = {
  code: 'segment-too-small',
  run: (ctx) => {
    const seg = ctx.machine?.segment;
    if (seg === undefined || ctx.kind !== 'elfcorehdr' || seg.sysfsSize === 0) return [];
    const bytes = EHDR_SIZE + ctx.header.phdrs.length * PHDR_SIZE;
    if (bytes <= seg.memsz) return [];
    return [
      {
        severity: 'error',
        phdr: null,
        code: 'segment-too-small',
        message: `the header takes ${bytes} bytes (64 + ${ctx.header.phdrs.length} × 56), more than the ${seg.memsz}-byte segment /sys/kernel/crash_elfcorehdr_size (${seg.sysfsSize}) reserves: the kernel cannot have written it there`,
      },
    ];
  },
};

/** vmcore: every segment the header names must be in the file, or the dump came out short. */
const truncated: HeaderCheck = {
  code: 'vmcore-truncated',
  run: (ctx) => {
    if (ctx.kind !== 'vmcore' || ctx.fileSize === undefined) return [];
    const size = BigInt(ctx.fileSize);
    const out: Finding[] = [];
    ctx.header.phdrs.forEach((p, i) => {
      if ((p.type !== PT_LOAD && p.type !== PT_NOTE) || p.filesz === 0n || p.offset + p.filesz <= size) return;
      const have = p.offset >= size ? 0n : size - p.offset;
      out.push({
        severity: 'error',
        phdr: i,
        code: 'vmcore-truncated',
        message: `the ${p.type === PT_LOAD ? 'PT_LOAD' : 'PT_NOTE'} at file offset ${hex(p.offset)} needs ${hex(p.filesz)} bytes, but the file holds ${hex(have)} of them (${ctx.fileSize} bytes in all): the dump came out short`,
        ...(p.type === PT_LOAD ? { range: { start: p.paddr + have, end: p.paddr + p.filesz - 1n } } : {}),
      });
    });
    return out;
  },
};

/** Core's checks, in the order their findings are listed. */
export const CORE_CHECKS: readonly HeaderCheck[] = [
  byteOrder,
  notCore,
  noLoads,
  noteSize,
  loadFields,
  vaddrHalf,
  overlap,
  inReservation,
  ramCoverage,
  segmentSize,
  truncated,
];
