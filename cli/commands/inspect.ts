// `crashplug inspect`: read any elfcorehdr (a capture from a real machine, or what `elfcorehdr
// --out` wrote), show it as `elfcorehdr` does, and with --against say which kernel releases and
// which builder reproduce it byte for byte, then list every way it differs from the header
// crashplug builds for the builder and release that explain it (or --builder, --kernel). Differences
// are a result, not an error: the report is printed whole, and the exit code is 3 (--no-fail: 0).

import { type Command, Option } from 'commander';
import { decodeElfCoreHeader } from '../../core/elf/index.js';

import { type CandidateGroup, type Explanation, explainHeader, rangeHolds } from '../../core/build/index.js';
import { CrashplugError } from '../../core/base/index.js';
import { HEADER_BUILDERS, type HeaderBuilder, type SystemDescription } from '../../core/system/index.js';
import type { CliContext } from '../context.js';
import { ehdrJson, ehdrLines, phdrJson, phdrTable, trailingBytes } from '../describe.js';
import { type DiffSide, diffElfcorehdrs, differenceJson, differenceText, diffVerdict, type HeaderDiff } from '../diff.js';
import { explanationJson, explanationLines } from '../explain.js';
import { readInputFile } from '../files.js';
import { kernelOption, requireWith } from '../options.js';
import { guessWhat, type PhdrWhat, whatFromRoles } from '../phdr-roles.js';
import { buildHeader, type BuiltHeader } from './build-header.js';
import { loadSystemFile } from '../../api/system-file.js';

interface InspectOptions {
  readonly json?: boolean;
  readonly against?: string;
  readonly kernel?: string;
  readonly builder?: HeaderBuilder;
}

export function registerInspect(program: Command, ctx: CliContext): void {
  program
    .command('inspect')
    .description("decode an elfcorehdr and say what each program header is; compare it with crashplug's with --against")
    .argument('<file>', 'an elfcorehdr: a capture from a real machine, or what `elfcorehdr --out` wrote')
    .option('--json', 'print one JSON object instead of text')
    .option(
      '--against <system>',
      "say which kernel releases and builder reproduce the file for this system description, and compare it field by field with the header of the description's own profile",
    )
    .option('--kernel <version>', 'with --against: compare with this kernel release instead of the one the explanation picked (or the description names)')
    .addOption(
      new Option(
        '--builder <builder>',
        "with --against: compare with this builder's header; default: the builder that explains the file (or comes closest), else the description's",
      ).choices(HEADER_BUILDERS),
    )
    .action((file: string, opts: InspectOptions) => runInspect(file, opts, ctx));
}

interface Comparison {
  readonly built: BuiltHeader;
  readonly diff: HeaderDiff;
  /** The file's phdrs labelled by the crashplug phdr each pairs with. */
  readonly fileWhat: readonly PhdrWhat[];
  readonly explanation: Explanation;
}

/**
 * The (builder, kernel) the field comparison uses, so that it and the explanation speak of the same
 * header: what the user asked for, else the pair that explains the file — the description's own
 * builder and release when they are among the explaining ones — else the closest pair.
 */
export function comparedWith(
  e: Explanation,
  system: SystemDescription,
  opts: { builder?: HeaderBuilder | undefined; kernel?: string | undefined },
): { builder: HeaderBuilder; kernel: string } {
  const fits = (g: CandidateGroup, builder: HeaderBuilder | undefined): boolean => builder === undefined || g.builder === builder;
  const explaining = e.explainedBy.filter((g) => fits(g, opts.builder) && (opts.kernel === undefined || rangeHolds(g.kernels, opts.kernel)));
  const own =
    explaining.find((g) => g.builder === system.builder && rangeHolds(g.kernels, system.kernel.version)) ??
    explaining.find((g) => rangeHolds(g.kernels, system.kernel.version));
  const pick = own ?? explaining[0];
  if (pick !== undefined) {
    return {
      builder: pick.builder,
      kernel: opts.kernel ?? (rangeHolds(pick.kernels, system.kernel.version) ? system.kernel.version : pick.builtAt[pick.builtAt.length - 1]!),
    };
  }
  const c = e.closest;
  if (c !== undefined && fits(c.group, opts.builder) && (opts.kernel === undefined || rangeHolds(c.group.kernels, opts.kernel))) {
    return { builder: c.group.builder, kernel: opts.kernel ?? c.kernel };
  }
  return { builder: opts.builder ?? e.explainedBy[0]?.builder ?? c?.group.builder ?? system.builder, kernel: opts.kernel ?? system.kernel.version };
}

function compare(file: DiffSide, bytes: Uint8Array, against: string, opts: InspectOptions, ctx: CliContext): Comparison {
  const registry = ctx.registry();
  const described = loadSystemFile(against, registry);
  const explanation = explainHeader({ bytes, header: file.header }, described, registry.get(described.arch));
  const pick = comparedWith(explanation, described, { builder: opts.builder, kernel: opts.kernel });
  const system = loadSystemFile(against, registry, { kernel: pick.kernel, builder: pick.builder });
  const built = buildHeader(system, registry);
  const ours: DiffSide = {
    header: built.header,
    trailing: trailingBytes(built.bytes, built.header),
    what: whatFromRoles(built.roles, built.header),
  };
  const diff = diffElfcorehdrs(file, ours);
  const fileWhat = file.what.map((w) => ({ ...w, label: `${w.label} (only in the file)` }));
  for (const pair of diff.pairs) {
    if (pair.file !== undefined && pair.crashplug !== undefined) fileWhat[pair.file] = ours.what[pair.crashplug]!;
  }
  return { built, diff, fileWhat, explanation };
}

function runInspect(path: string, opts: InspectOptions, ctx: CliContext): void {
  requireWith(opts.kernel, '--kernel', opts.against, '--against', 'it picks the profile of the header built for --against');
  kernelOption(opts.kernel, ctx.registry());
  const bytes = readInputFile(path, 'elfcorehdr', 'elfcorehdr');
  const header = decodeElfCoreHeader(bytes, path);
  const trailing = trailingBytes(bytes, header);
  const file: DiffSide = { header, trailing, what: guessWhat(header) };
  if (opts.against === undefined && (opts.builder !== undefined || opts.kernel !== undefined)) {
    throw new CrashplugError('E_BAD_ARGUMENT', 'inspect: --builder and --kernel choose what the file is compared with; give --against SYSTEM.json too');
  }
  const cmp = opts.against === undefined ? undefined : compare(file, bytes, opts.against, opts, ctx);
  // Differences are the answer a script asks for: exit 3 (unless --no-fail).
  if (cmp !== undefined && cmp.diff.differences.length > 0) {
    ctx.answerIsBad(
      `${path} differs from crashplug's ${cmp.built.builder} header (kernel ${cmp.built.system.kernel.version}) in ${cmp.diff.differences.length} field(s)`,
    );
  }
  const what = cmp?.fileWhat ?? file.what;

  if (opts.json === true) {
    const json = {
      file: path,
      size: bytes.length,
      elfHeader: ehdrJson(header, ctx.registry().machineName(header.header.machine)),
      rolesFrom: cmp === undefined ? 'guessed' : 'crashplug',
      programHeaders: header.phdrs.map((p, i) => phdrJson(p, i, what[i])),
      trailing: {
        from: trailing.from,
        length: trailing.length,
        nonZero: trailing.nonZero,
        ...(trailing.firstNonZero === undefined ? {} : { firstNonZero: trailing.firstNonZero }),
      },
      warnings: header.warnings,
      ...(cmp === undefined
        ? {}
        : {
            against: {
              system: cmp.built.system.origin,
              arch: cmp.built.system.arch,
              kernel: cmp.built.system.kernel.version,
              builder: cmp.built.builder,
              identical: cmp.diff.differences.length === 0,
              verdict: diffVerdict(cmp.diff),
              differences: cmp.diff.differences.map(differenceJson),
              notes: cmp.diff.notes,
            },
            explain: explanationJson(cmp.explanation),
          }),
    };
    ctx.out(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }

  const lines = [...ehdrLines(header, path, trailing, ctx.registry().machineName(header.header.machine))];
  for (const w of header.warnings) lines.push(`warning: ${w}`);
  lines.push('', 'Program headers:');
  lines.push(...phdrTable(header, what, cmp === undefined ? 'What (guessed)' : "What (crashplug's layout)"));
  if (cmp !== undefined) {
    const s = cmp.built.system;
    // The explanation goes first: the comparison below, ending in its verdict, closes the report.
    lines.push('', ...explanationLines(cmp.explanation));
    lines.push(
      '',
      `Compared with crashplug's header for ${s.origin} (${s.arch}, kernel ${s.kernel.version} profile, ${cmp.built.builder} builder, ${cmp.built.bytes.length} bytes):`,
    );
    for (const n of cmp.diff.notes) lines.push(`  note: ${n}`);
    for (const d of cmp.diff.differences) lines.push(`  ${differenceText(d)}`);
    lines.push(diffVerdict(cmp.diff));
  }
  ctx.out(`${lines.join('\n')}\n`);
}
