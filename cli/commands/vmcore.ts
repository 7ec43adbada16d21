// `crashplug vmcore`: read a vmcore (/proc/vmcore, or a saved ELF dump of any size) without reading
// its memory: the header, the notes (each CPU's NT_PRSTATUS with its pid, the VMCOREINFO keys), the
// dump size the program headers imply, and `check`'s findings. Exit 3 when a finding is an error.

import type { Command } from 'commander';
import { hex } from '../../core/base/index.js';
import { NT_PRSTATUS, NT_VMCOREINFO, parseVmcoreinfo, PT_LOAD, PT_NOTE, prstatusPid } from '../../core/elf/index.js';
import type { CliContext } from '../context.js';
import { ehdrJson, type Json, phdrJson, phdrTable } from '../describe.js';
import { type CheckedFile, checkFile, findingJson, findingLines, verdictLine } from './check.js';

interface VmcoreOptions {
  readonly json?: boolean;
  readonly against?: string;
  readonly kernel?: string;
}

export function registerVmcore(program: Command, ctx: CliContext): void {
  program
    .command('vmcore')
    .description(
      "show a vmcore's header, its notes (CPUs with their pids, VMCOREINFO), the dump size its program headers imply and check's findings, without reading its memory",
    )
    .argument('<file>', '/proc/vmcore or a saved ELF vmcore, of any size')
    .option('--against <system>', 'also check it against this machine (as `check --against`)')
    .option('--kernel <version>', 'with --against: model this kernel release')
    .option('--json', 'print one JSON object instead of text')
    .action((file: string, opts: VmcoreOptions) => runVmcore(file, opts, ctx));
}

interface CpuNote {
  readonly cpu: number;
  readonly phdr: number;
  readonly pid: number | undefined;
  readonly descsz: number;
}

interface NotesSummary {
  readonly cpus: CpuNote[];
  readonly vmcoreinfo?: { readonly phdr: number; readonly size: number; readonly keys: Map<string, string> } | undefined;
  readonly other: { readonly phdr: number; readonly name: string; readonly type: number; readonly descsz: number }[];
  readonly problems: { readonly phdr: number; readonly problem: string }[];
}

/** The NT_PRSTATUS notes in file order are the CPUs in the order the capture kernel merged them. */
function summarise(c: CheckedFile): NotesSummary {
  const out: NotesSummary = { cpus: [], other: [], problems: [] };
  let vmcoreinfo: NotesSummary['vmcoreinfo'];
  for (const n of c.notes) {
    if (n.problem !== undefined) out.problems.push({ phdr: n.phdr, problem: n.problem });
    for (const note of n.notes) {
      if (note.type === NT_PRSTATUS && note.name === 'CORE') {
        out.cpus.push({ cpu: out.cpus.length, phdr: n.phdr, pid: prstatusPid(note.desc, c.header.byteOrder), descsz: note.descsz });
      } else if (note.type === NT_VMCOREINFO && note.name === 'VMCOREINFO' && vmcoreinfo === undefined) {
        vmcoreinfo = { phdr: n.phdr, size: note.descsz, keys: parseVmcoreinfo(note.desc) };
      } else {
        out.other.push({ phdr: n.phdr, name: note.name, type: note.type, descsz: note.descsz });
      }
    }
  }
  return { ...out, vmcoreinfo };
}

/** Header (Ehdr + phdrs) + every PT_NOTE's and PT_LOAD's p_filesz: what the dump holds. */
function dumpSize(c: CheckedFile): { header: bigint; notes: bigint; loads: bigint; total: bigint; extent: bigint } {
  const header = BigInt(c.header.size);
  let notes = 0n;
  let loads = 0n;
  let extent = header;
  for (const p of c.header.phdrs) {
    if (p.type === PT_NOTE) notes += p.filesz;
    if (p.type === PT_LOAD) loads += p.filesz;
    if ((p.type === PT_NOTE || p.type === PT_LOAD) && p.offset + p.filesz > extent) extent = p.offset + p.filesz;
  }
  return { header, notes, loads, total: header + notes + loads, extent };
}

/** The VMCOREINFO keys worth a line of their own in the text report. */
const KEY_LINES = [
  'OSRELEASE',
  'BUILD-ID',
  'PAGESIZE',
  'KERNELOFFSET',
  'SYMBOL(_stext)',
  'NUMBER(phys_base)',
  'NUMBER(PHYS_OFFSET)',
  'NUMBER(VA_BITS)',
  'CRASHTIME',
];

function runVmcore(path: string, opts: VmcoreOptions, ctx: CliContext): void {
  const registry = ctx.registry();
  const c = checkFile(path, opts.against, opts.kernel, registry, undefined);
  const h = c.header;
  const machineName = registry.machineName(h.header.machine);
  const notes = summarise(c);
  const size = dumpSize(c);
  if (c.result.errors > 0) ctx.answerIsBad(`vmcore: ${c.result.errors} error(s) in ${path}`);
  if (opts.json === true) {
    const json: Json = {
      file: path,
      fileSize: h.fileSize,
      kind: c.kind,
      bytesRead: c.bytesRead,
      elfHeader: ehdrJson(h, machineName),
      programHeaders: h.phdrs.map((p, i) => phdrJson(p, i)),
      notes: {
        prstatus: notes.cpus.map((n) => ({ cpu: n.cpu, phdr: n.phdr, pid: n.pid ?? null, descsz: n.descsz })),
        vmcoreinfo:
          notes.vmcoreinfo === undefined ? null : { phdr: notes.vmcoreinfo.phdr, size: notes.vmcoreinfo.size, keys: Object.fromEntries(notes.vmcoreinfo.keys) },
        other: notes.other,
        problems: notes.problems,
      },
      dumpSize: {
        header: Number(size.header),
        notes: hex(size.notes),
        loads: hex(size.loads),
        total: hex(size.total),
        totalBytes: size.total.toString(),
        fileExtent: hex(size.extent),
      },
      errors: c.result.errors,
      warnings: c.result.warnings,
      findings: c.result.findings.map(findingJson),
    };
    ctx.out(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const lines: string[] = [
    `${path}: ${c.kind === 'vmcore' ? 'vmcore' : 'an elfcorehdr, not a vmcore (its PT_NOTEs name physical addresses, so no notes are in this file)'}, ` +
      `${machineName}, ${h.byteOrder === 'le' ? 'little' : 'big'}-endian fields, ${h.fileSize} bytes (${c.bytesRead} read)`,
    '',
    'Program headers:',
    ...phdrTable(h),
    '',
  ];
  if (notes.cpus.length > 0) {
    lines.push(`CPUs (NT_PRSTATUS notes, in the order the capture kernel merged them): ${notes.cpus.length}`);
    for (const n of notes.cpus) lines.push(`  cpu ${n.cpu}: pid ${n.pid ?? '?'} (${n.descsz}-byte elf_prstatus, phdr ${n.phdr})`);
  } else if (c.kind === 'vmcore') {
    lines.push('CPUs: no NT_PRSTATUS note');
  }
  if (notes.vmcoreinfo !== undefined) {
    lines.push(`VMCOREINFO (${notes.vmcoreinfo.size} bytes, ${notes.vmcoreinfo.keys.size} keys):`);
    for (const k of KEY_LINES) {
      const v = notes.vmcoreinfo.keys.get(k);
      if (v !== undefined) lines.push(`  ${k}=${v}`);
    }
  } else if (c.kind === 'vmcore') {
    lines.push('VMCOREINFO: no note');
  }
  for (const o of notes.other) lines.push(`other note: "${o.name}" type ${o.type}, ${o.descsz} bytes (phdr ${o.phdr})`);
  for (const p of notes.problems) lines.push(`notes of phdr ${p.phdr} not read: ${p.problem}`);
  lines.push(
    '',
    `Dump size: header ${size.header} + notes ${hex(size.notes)} + PT_LOADs ${hex(size.loads)} = ${hex(size.total)} bytes (${size.total}); ` +
      `the segments end at file offset ${hex(size.extent)}, the file has ${hex(BigInt(h.fileSize))}`,
    '',
    ...findingLines(c.result.findings),
    verdictLine(c.result),
  );
  ctx.out(`${lines.join('\n')}\n`);
}
