// `crashplug elfcorehdr`: the header the kernel (kexec_file_load) or kexec-tools (kexec_load,
// --builder kexec-tools) would build for a machine described in a file (--system) or for this one
// (--host), written to --out and explained line by line.

import { type Command, Option } from 'commander';
import { CrashplugError } from '../../core/base/index.js';
import { HEADER_BUILDERS, type HeaderBuilder } from '../../core/system/index.js';
import type { CliContext } from '../context.js';
import { builtReportInto, builtReportJson, builtReportLines, ChunkedText } from '../describe.js';
import { pieceText } from '../report-text.js';
import { CommandOutputs, outputName, reportBytesStream, reportStream } from '../output.js';
import { kernelOption } from '../options.js';
import { readHostSystem, type HostDescription } from '../host.js';
import type { MemoryMapPicture } from '../svg-memory-map.js';
import { buildHeader } from './build-header.js';
import { loadSystemFile } from '../../api/system-file.js';

interface ElfcorehdrOptions {
  readonly system?: string;
  readonly host?: boolean;
  readonly out?: string;
  readonly json?: boolean;
  readonly kernel?: string;
  readonly builder?: HeaderBuilder;
  readonly svg?: string;
  readonly html?: string;
  readonly root?: string;
}

export function registerElfcorehdr(program: Command, ctx: CliContext): void {
  program
    .command('elfcorehdr')
    .description('build the elfcorehdr the kernel (or kexec-tools) would write for a machine, and say what each part of it is')
    .addOption(new Option('--system <file>', 'the machine, as a system description (JSON, format 1)').conflicts('host'))
    .addOption(new Option('--host', 'this machine, read from /proc and /sys (assumes what it cannot read, and says so)'))
    .option('--root <path>', 'with --host: read /proc and /sys under this folder instead of / (a copied or mounted tree)')
    .option(
      '--out <file>',
      'write the header (the whole buffer: page-aligned from the kernel, 1 KiB-aligned from kexec-tools) to this file; "-": to standard output, the report to standard error',
    )
    .option('--json', 'print one JSON object instead of text')
    .option('--svg <file>', 'draw the memory map (RAM, crash reservations, exclusions, PT_LOADs) as an SVG picture')
    .option('--html <file>', 'write one self-contained HTML page: summary, findings, the memory map and the program-header table')
    .option('--kernel <version>', 'model this kernel release (6.1, 6.6, 6.10, …) instead of the one the description names')
    .addOption(
      new Option(
        '--builder <builder>',
        'who builds the header: the kernel (kexec -s -p) or kexec-tools (kexec -p); default: the description\'s "builder", else kernel',
      ).choices(HEADER_BUILDERS),
    )
    .action(async (opts: ElfcorehdrOptions) => runElfcorehdr(opts, ctx));
}

async function runElfcorehdr(opts: ElfcorehdrOptions, ctx: CliContext): Promise<void> {
  if (opts.root !== undefined && opts.host !== true)
    throw new CrashplugError('E_BAD_ARGUMENT', 'elfcorehdr: --root says where --host reads /proc and /sys; give --host too');
  if (opts.system === undefined && opts.host !== true) {
    throw new CrashplugError('E_BAD_ARGUMENT', 'elfcorehdr: say which machine: --system FILE.json (a system description) or --host (this one)');
  }
  const registry = ctx.registry();
  kernelOption(opts.kernel, registry);
  let host: HostDescription | undefined;
  let system;
  if (opts.system !== undefined) {
    system = loadSystemFile(opts.system, registry, { kernel: opts.kernel, builder: opts.builder });
  } else {
    host = readHostSystem(registry, { kernel: opts.kernel, root: opts.root });
    system = opts.builder === undefined ? host.system : { ...host.system, builder: opts.builder };
  }
  const built = buildHeader(system, registry);

  // Render before writing: a report that cannot be made must not leave a file behind. The text
  // report is kept in flat pieces (ChunkedText) and written piece by piece: one string of 2 MB
  // would be joined, then flattened and encoded again by the write. The tables written as bytes
  // stay bytes down to standard output.
  let pieces: readonly (string | Uint8Array)[];
  if (opts.json === true) {
    const json = {
      ...(host === undefined
        ? {}
        : {
            assumptions: hostAssumptions(host, system.builder),
            read: host.read,
            systemDescription: host.json,
            // memory.iomem names the live file: the description reads the machine as it is when used.
            systemDescriptionLive: {
              liveFiles: [(host.json.memory as { iomem: string }).iomem],
              note: 'names live files of this machine; crashplug snapshot --host --out DIR makes a copy whose DIR/system.json runs anywhere',
            },
          }),
      ...(builtReportJson(built) as object),
      ...(opts.out === undefined ? {} : { out: { path: opts.out, bytes: built.bytes.length } }),
    };
    pieces = [`${JSON.stringify(json, null, 2)}\n`];
  } else {
    const lines = new ChunkedText();
    if (host !== undefined) {
      const assumptions = hostAssumptions(host, system.builder);
      lines.push('Assumed (could not be read on this machine):');
      for (const a of assumptions.length === 0 ? ['  nothing'] : assumptions.map((a) => `  - ${a}`)) lines.push(a);
      lines.push('Read from this machine:');
      for (const r of host.read) lines.push(`  - ${r}`);
      lines.push('');
    }
    builtReportInto(built, lines);
    if (opts.out !== undefined) lines.push(`Wrote ${built.bytes.length} bytes to ${outputName(opts.out)}`);
    pieces = lines.pieces();
  }
  // The picture and page code loads only when --svg or --html asks for it: start-up stays light.
  const pictures = opts.svg === undefined && opts.html === undefined ? undefined : await loadPictureCode();
  const picture = pictures === undefined ? undefined : pictures.memoryMapPicture(pictures.memoryMapOf(built));
  const wrote: string[] = [];
  const outputs = new CommandOutputs(ctx).add(opts.out, built.bytes, 'header');
  if (opts.svg !== undefined && picture !== undefined) {
    outputs.add(opts.svg, picture.svg, 'SVG picture');
    wrote.push(`wrote ${opts.svg} (${memoryMapWhat(picture)})`);
  }
  if (opts.html !== undefined && picture !== undefined) {
    const assumptions = host === undefined ? [] : hostAssumptions(host, system.builder);
    const textReport = opts.json === true ? `${builtReportLines(built).join('\n')}\n` : pieces.map(pieceText).join('');
    const page = pictures!.htmlReport(pictures!.elfcorehdrPage(built, picture.svg, textReport, assumptions));
    outputs.add(opts.html, page, 'HTML report');
    wrote.push(
      `wrote ${opts.html} (HTML report: ${memoryMapWhat(picture)}, ${built.header.header.phnum} program headers, ${Math.ceil(page.length / 1024)} KiB)`,
    );
  }
  outputs.commit();
  // What was written: on stderr under --json, so that stdout stays one JSON object.
  if (opts.json === true) for (const w of wrote) process.stderr.write(`${w}\n`);
  const report = reportStream(ctx, outputs.toStdout);
  const reportBytes = reportBytesStream(ctx, outputs.toStdout);
  for (const piece of pieces) {
    if (typeof piece === 'string') report(piece);
    else reportBytes(piece);
  }
  if (opts.json !== true && wrote.length > 0) report(wrote.map((w) => `${w}\n`).join(''));
}

async function loadPictureCode() {
  const [{ memoryMapOf }, { memoryMapPicture }, { htmlReport }, { elfcorehdrPage }] = await Promise.all([
    import('../memory-map-rows.js'),
    import('../svg-memory-map.js'),
    import('../html-report.js'),
    import('../report-pages.js'),
  ]);
  return { memoryMapOf, memoryMapPicture, htmlReport, elfcorehdrPage };
}

/** "memory map, 8192 System RAM ranges in 6 bars (4 bands), 8192 PT_LOADs in 6 bars (4 bands)": what --svg drew. */
export function memoryMapWhat(p: MemoryMapPicture): string {
  const row = (label: string, noun: string): string => {
    const r = p.rows.find((x) => x.label === label);
    if (r === undefined) return '';
    const n = `${r.bars} ${noun}${r.bars === 1 ? '' : 's'}`;
    return r.bands === 0 ? n : `${n} in ${r.items} bars (${r.bands} band${r.bands === 1 ? '' : 's'})`;
  };
  return ['memory map', row('System RAM', 'System RAM range'), row('PT_LOAD (RAM)', 'PT_LOAD')].filter((s) => s !== '').join(', ');
}

/** The host reader assumes the kernel's builder; with kexec-tools' that line would mislead. */
function hostAssumptions(host: HostDescription, builder: HeaderBuilder): readonly string[] {
  if (builder === 'kernel') return host.assumptions;
  return host.assumptions.map((a) =>
    /^header built as kexec_file_load/.test(a)
      ? 'header built as kexec-tools (kexec -p, kexec_load) builds it, its backup copy placed where kexec-tools would place it'
      : a,
  );
}
