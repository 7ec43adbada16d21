// `crashplug check`: judge a captured header — an elfcorehdr, or the ELF header at the start of
// /proc/vmcore or a saved vmcore of any size — against the catalogue of known defects (core/check,
// plus the ports' own), optionally against the machine it should describe. Only the Ehdr, the
// program-header table and (for a vmcore) the PT_NOTE extents are read. Exit 3 when a finding is an error.

import type { Command } from 'commander';
import { CrashplugError, hex } from '../../core/base/index.js';
import { type CheckMachine, checkHeader, type CheckResult, type Finding, headerKind, type HeaderKind, type PhdrNotes } from '../../core/check/index.js';
import { parseNotes, readElfCoreHeader, readNoteExtents, type StreamedHeader } from '../../core/elf/index.js';
import type { NamedRange } from '../../core/memory/index.js';
import type { PluginRegistry } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { loadSystemFile } from '../../api/system-file.js';
import type { CliContext } from '../context.js';
import type { Json } from '../describe.js';
import { type HeaderFile, openHeaderFile } from '../header-file.js';
import { buildHeader } from './build-header.js';

interface CheckOptions {
  readonly json?: boolean;
  readonly against?: string;
  readonly kernel?: string;
}

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description(
      'report every known defect of a captured elfcorehdr or vmcore header, each with its program header and the commit behind it (exit 3 on an error)',
    )
    .argument('<file>', 'an elfcorehdr, /proc/vmcore, or a saved ELF vmcore of any size (only its headers and notes are read)')
    .option(
      '--against <system>',
      'also compare with this machine: RAM the header misses, memory it lists that the machine lacks, PT_LOADs in the crash reservation, the segment size',
    )
    .option('--kernel <version>', 'with --against: model this kernel release instead of the one the description names')
    .option('--json', 'print one JSON object instead of text')
    .action((file: string, opts: CheckOptions) => runCheck(file, opts, ctx));
}

/** Plain facts about the machine of a system description, for the checks. */
export function machineFacts(system: SystemDescription, registry: PluginRegistry): CheckMachine {
  const plugin = registry.get(system.arch, `${system.origin}: $.arch`);
  const reservations: NamedRange[] = [];
  if (system.crashkernel !== undefined) reservations.push({ name: 'crashkernel', ...system.crashkernel });
  if (system.crashkernelLow !== undefined) reservations.push({ name: 'crashkernel low', ...system.crashkernelLow });
  const holes: NamedRange[] = [...reservations];
  const added: NamedRange[] = [];
  // What each builder leaves out or adds on purpose; a builder the port does not model adds nothing.
  const tryIt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (err) {
      if (CrashplugError.is(err) && !err.internal) return undefined;
      throw err;
    }
  };
  const mem = tryIt(() => plugin.crashMemory(system));
  if (mem !== undefined) {
    holes.push(...mem.excluded);
    added.push(...mem.added);
  }
  const kt = tryIt(() => plugin.kexecToolsRanges(system));
  if (kt !== undefined) {
    holes.push(...kt.excluded);
    added.push(...kt.ranges.map((r) => ({ name: `kexec-tools ${r.type}`, start: r.start, end: r.end })));
  }
  const built = tryIt(() => buildHeader(system, registry));
  const sysfsSize = plugin.sysfsElfcorehdrSize(system);
  return {
    origin: system.origin,
    ram: system.memory.systemRam,
    holes,
    reservations,
    added,
    noteSize: plugin.noteSize,
    vmcoreinfoSize: system.vmcoreinfo.size,
    segment: built?.segment === undefined ? undefined : { sysfsSize, memsz: built.segment.memsz },
  };
}

/** A header read from a file, its notes when they are in the file, and the checks' verdict. */
export interface CheckedFile {
  readonly header: StreamedHeader;
  readonly kind: HeaderKind;
  readonly notes: readonly PhdrNotes[];
  readonly result: CheckResult;
  readonly system?: SystemDescription | undefined;
  readonly bytesRead: number;
}

/**
 * Read and check `path`. PT_NOTE contents are read only from a vmcore (in an elfcorehdr they are
 * physical addresses, not file offsets).
 */
export function checkFile(
  path: string,
  against: string | undefined,
  kernel: string | undefined,
  registry: PluginRegistry,
  open: (p: string) => HeaderFile = (p) => openHeaderFile(p, 'header'),
): CheckedFile {
  if (kernel !== undefined && against === undefined) {
    throw new CrashplugError('E_BAD_ARGUMENT', '--kernel needs --against: it chooses the kernel release the system description is modelled with');
  }
  // The description first: a bad one is refused before the file is opened.
  const system = against === undefined ? undefined : loadSystemFile(against, registry, { kernel });
  const machine = system === undefined ? undefined : machineFacts(system, registry);
  const file = open(path);
  try {
    const header = readElfCoreHeader(file.read, file.size, path);
    const kind = headerKind(header.phdrs);
    const notes: PhdrNotes[] = [];
    if (kind === 'vmcore') {
      for (const extent of readNoteExtents(file.read, file.size, header.phdrs)) {
        if (extent.bytes === undefined) {
          notes.push({ phdr: extent.phdr, notes: [], problem: extent.skipped });
          continue;
        }
        const parsed = parseNotes(extent.bytes, header.byteOrder);
        notes.push({ phdr: extent.phdr, notes: parsed.notes, problem: parsed.problem });
      }
    }
    const result = checkHeader({ header, kind, notes, machine, fileSize: file.size }, registry);
    return { header, kind, notes, result, system, bytesRead: file.bytesRead() };
  } finally {
    file.close();
  }
}

export function findingJson(f: Finding): Json {
  return {
    severity: f.severity,
    phdr: f.phdr,
    code: f.code,
    message: f.message,
    ...(f.commit === undefined ? {} : { commit: f.commit }),
    ...(f.range === undefined ? {} : { range: [hex(f.range.start), hex(f.range.end)] }),
  };
}

export function findingLines(findings: readonly Finding[]): string[] {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.severity.padEnd(7)} ${f.phdr === null ? 'header ' : `phdr ${String(f.phdr).padEnd(2)}`} ${f.code}: ${f.message}`);
    if (f.commit !== undefined) lines.push(`                 commit: ${f.commit}`);
  }
  return lines;
}

export function verdictLine(r: CheckResult): string {
  const infos = r.findings.length - r.errors - r.warnings;
  const counts = `${r.errors} error${r.errors === 1 ? '' : 's'}, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}, ${infos} note${infos === 1 ? '' : 's'}`;
  return r.errors > 0
    ? `${counts}: the header is defective`
    : r.findings.length === 0
      ? `${counts}: no known defect`
      : `${counts}: no defect that breaks the dump`;
}

function runCheck(path: string, opts: CheckOptions, ctx: CliContext): void {
  const registry = ctx.registry();
  const c = checkFile(path, opts.against, opts.kernel, registry);
  const h = c.header;
  const machineName = registry.machineName(h.header.machine);
  if (c.result.errors > 0) ctx.answerIsBad(`check: ${c.result.errors} error(s) in ${path}`);
  if (opts.json === true) {
    const json = {
      file: path,
      fileSize: c.header.fileSize,
      kind: c.kind,
      machine: machineName,
      byteOrder: h.byteOrder,
      phnum: h.header.phnum,
      headerBytes: h.size,
      bytesRead: c.bytesRead,
      ...(c.system === undefined ? {} : { against: { system: c.system.origin, arch: c.system.arch, kernel: c.system.kernel.version } }),
      kernelMap: c.result.kernelMap ?? null,
      errors: c.result.errors,
      warnings: c.result.warnings,
      findings: c.result.findings.map(findingJson),
    };
    ctx.out(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const what = c.kind === 'vmcore' ? 'vmcore header (notes merged, p_offset = file offsets)' : 'elfcorehdr';
  const lines = [
    `${path}: ${what}, ${machineName}, ${h.byteOrder === 'le' ? 'little' : 'big'}-endian fields, ${h.header.phnum} program headers (${h.size} bytes of ${c.header.fileSize}; ${c.bytesRead} read)`,
  ];
  if (c.system !== undefined) lines.push(`checked against ${c.system.origin} (${c.system.arch}, kernel ${c.system.kernel.version})`);
  lines.push(...findingLines(c.result.findings), verdictLine(c.result));
  ctx.out(`${lines.join('\n')}\n`);
}
