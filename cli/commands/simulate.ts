// `crashplug simulate`: resize a machine — hot-add DIMMs, or offline and remove them — and replay
// every resulting hot-plug event against a loaded kdump image under one strategy: Linux's
// handler, the coalescing one, or the udev unload-and-reload it replaced; then report what it cost
// and whether the header left behind is right (exit 3 when it is not).

import type { Command } from 'commander';
import { CrashplugError } from '../../core/base/index.js';
import { resizeTimeline, type StrategyName } from '../../core/hotplug/index.js';
import type { ArchPlugin } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import type { CliContext } from '../context.js';
import { loadSystemFile } from '../../api/system-file.js';
import { kernelOption } from '../options.js';
import { finishRun, type HotplugRunOptions, hotplugRunOptions, jsonReport, runHotplug, runSettings, size, sizeText, textReport } from './hotplug-run.js';

interface SimulateOptions extends HotplugRunOptions {
  readonly budget: string;
  readonly resize?: string;
  readonly add?: string;
  readonly remove?: string;
}

function resizeOf(text: string): { from: bigint; to: bigint } {
  const m = /^([^:]+):([^:]+)$/.exec(text.trim());
  if (!m) throw new CrashplugError('E_BAD_ARGUMENT', `--resize ${JSON.stringify(text)} is not FROM:TO; write it as 32G:512G (grow) or 512G:32G (shrink)`);
  return { from: size(m[1]!, '--resize FROM'), to: size(m[2]!, '--resize TO') };
}

function ramOf(system: SystemDescription): bigint {
  return system.memory.systemRam.reduce((sum, r) => sum + (r.end - r.start + 1n), 0n);
}

/** FROM:TO from exactly one of --resize, --add and --remove (the last two relative to the machine's RAM). */
function planOf(opts: SimulateOptions, system: SystemDescription): { from: bigint; to: bigint } {
  const given = [opts.resize, opts.add, opts.remove].filter((o) => o !== undefined).length;
  if (given !== 1) {
    throw new CrashplugError(
      'E_BAD_ARGUMENT',
      `give exactly one of --resize FROM:TO, --add SIZE and --remove SIZE (${given === 0 ? 'none was' : `${given} were`} given)`,
    );
  }
  if (opts.resize !== undefined) return resizeOf(opts.resize);
  const ram = ramOf(system);
  if (opts.add !== undefined) return { from: ram, to: ram + size(opts.add, '--add') };
  const gone = size(opts.remove!, '--remove');
  if (gone >= ram)
    throw new CrashplugError(
      'E_BAD_ARGUMENT',
      `--remove ${opts.remove} is all of ${system.origin}'s ${sizeText(ram)} of System RAM or more; leave the machine some`,
    );
  return { from: ram, to: ram - gone };
}

/** PN_XNUM: past this many program headers the header rebuilder cannot patch, and each rebuild is whole. */
const PATCHABLE_PHDRS = 0xffff;

/**
 * What a run will cost, from counts alone (before any event is made). A hot-plug rebuild patches
 * the previous header (core/build/elfcorehdr-rebuilder.ts), so an event costs about 6 µs and a
 * regeneration about 12 µs whatever the machine's size; a header past PN_XNUM program headers is
 * rebuilt whole, about 0.8 µs per program header each time; a reload re-hashes the payload (49
 * reloads of a 52 MiB image for the 480 DIMMs of the seed storm, 2 s). Fitted on a 2-core machine
 * (32G→64T in 1 GiB DIMMs: 524 032 events, 1.3 s; 32G→16T, kernel strategy: 1.4 s) and rounded up
 * about threefold, so that a refusal is never of a run that would have finished comfortably.
 */
export function estimateSimulationSeconds(q: {
  readonly dimms: bigint;
  readonly blocksPerDimm: bigint;
  readonly strategy: StrategyName;
  readonly cpus: number;
  readonly ranges: number;
  /** The walk keeps each DIMM as a range of its own (iomem), or merges it (memblock). */
  readonly rangePerDimm: boolean;
  readonly payloadBytes: number;
}): number {
  const d = Number(q.dimms);
  const events = d * (1 + Number(q.blocksPerDimm));
  const perDimm = q.strategy === 'kernel' ? Number(q.blocksPerDimm) : 1;
  // udev's reloads gather the DIMMs that arrive while one runs: 49 reloads for 480 DIMMs in the
  // seed storm; a quarter of the DIMMs keeps the estimate on the safe side.
  const regenerations = q.strategy === 'reload' ? Math.ceil(d / 4) : d * perDimm;
  let us = events * 6 + regenerations * (12 + (q.strategy === 'reload' ? q.payloadBytes * 0.002 : 0));
  if (q.rangePerDimm) {
    // The DIMMs that arrive after the header has PN_XNUM program headers: each rebuild is whole.
    const first = Math.max(0, PATCHABLE_PHDRS - q.cpus - q.ranges);
    const late = Math.max(0, d - first);
    const averagePhdrs = q.cpus + q.ranges + (first + d) / 2;
    us += late * perDimm * 0.8 * averagePhdrs;
  }
  return us / 1e6;
}

function budgetOf(text: string): number {
  const v = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(v) && v >= 0)) {
    throw new CrashplugError('E_BAD_ARGUMENT', `--budget ${JSON.stringify(text)} is not a number of seconds; give e.g. 60, or 0 for no limit`);
  }
  return v;
}

/** A run estimated to take longer than --budget is refused before it starts, with the estimate. */
function checkBudget(q: {
  from: bigint;
  to: bigint;
  dimmSize: bigint;
  blockSize: bigint;
  system: SystemDescription;
  plugin: ArchPlugin;
  strategy: HotplugRunOptions['strategy'];
  budget: number;
  payloadBytes: number;
}): void {
  if (q.budget <= 0 || q.from === q.to || q.dimmSize === 0n || q.blockSize === 0n) return;
  const delta = q.to > q.from ? q.to - q.from : q.from - q.to;
  const estimate = estimateSimulationSeconds({
    dimms: delta / q.dimmSize,
    blocksPerDimm: q.dimmSize / q.blockSize,
    strategy: q.strategy,
    cpus: q.system.cpus.possible.length,
    ranges: q.system.memory.systemRam.length,
    rangePerDimm: q.plugin.ramWalk === 'iomem',
    payloadBytes: q.payloadBytes,
  });
  if (estimate > q.budget) {
    throw new CrashplugError(
      'E_TOO_LARGE',
      `simulate: ${sizeText(q.from)} → ${sizeText(q.to)} in ${delta / q.dimmSize} DIMMs of ${sizeText(q.dimmSize)} is estimated to take ` +
        `${estimate < 600 ? `${Math.ceil(estimate)} s` : `${Math.round(estimate / 60)} min`}, over the --budget of ${q.budget} s; ` +
        'use larger --dimm or --block sizes, a smaller --resize, or raise --budget (0: no limit)',
    );
  }
}

export function registerSimulate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('simulate')
    .description('resize a machine with hot-added or removed DIMMs and replay the hot-plug events against a loaded kdump image');
  hotplugRunOptions(cmd, 'size of each DIMM added or removed')
    .option('--resize <FROM:TO>', 'memory before and after, e.g. 32G:512G (grow) or 512G:32G (shrink); FROM is the machine as described')
    .option('--add <size>', 'grow the machine by this much (DIMMs of --dimm)')
    .option('--remove <size>', 'shrink the machine by this much: DIMMs off the top of RAM, their blocks offlined first')
    .option('--budget <seconds>', 'refuse up front a run estimated to take longer than this (0: no limit)', '60')
    .action((opts: SimulateOptions) => runSimulate(opts, ctx));
}

async function runSimulate(opts: SimulateOptions, ctx: CliContext): Promise<void> {
  const settings = runSettings(opts);
  const registry = ctx.registry();
  const system = loadSystemFile(opts.system, registry, { kernel: kernelOption(opts.kernel, registry) });
  const plugin = registry.get(system.arch, `${opts.system}: arch`);
  const { from, to } = planOf(opts, system);
  const { dimmSize, blockSize } = settings;
  checkBudget({
    from,
    to,
    dimmSize,
    blockSize,
    system,
    plugin,
    strategy: opts.strategy,
    budget: budgetOf(opts.budget),
    payloadBytes: settings.payload.kernel + settings.payload.initrd,
  });
  // Made one by one as the run reads them, as are their names: a 16 TiB resize has 147 168.
  const events = resizeTimeline(system, { from, to, dimmSize, blockSize });
  const option = opts.resize !== undefined ? `--resize ${opts.resize}` : opts.add !== undefined ? `--add ${opts.add}` : `--remove ${opts.remove}`;
  const sources = { at: (i: number): string => `resize event ${i}` };
  // Memory the machine cannot remove (on x86, RAM that is not a DIMM of its own) is refused when the
  // run reaches it, naming the option: after anything the load refuses, but before any report.
  const onRefusedEvent = (refusal: CrashplugError): never => {
    throw new CrashplugError('E_BAD_ARGUMENT', `${option}: ${refusal.message}`, { cause: refusal });
  };
  const run = runHotplug({ system, plugin, events, sources, onRefusedEvent }, opts, settings);
  const dimms = Number((to > from ? to - from : from - to) / dimmSize);
  const verb = to > from ? 'in' : 'removing';
  let text: string;
  if (opts.json === true) {
    const json = {
      system: system.origin,
      arch: system.arch,
      kernel: system.kernel.version,
      resize: { from: from.toString(), to: to.toString(), dimmSize: dimmSize.toString(), blockSize: blockSize.toString(), dimms },
      ...jsonReport(run, opts, settings),
    };
    text = `${JSON.stringify(json, null, 2)}\n`;
  } else {
    const mode = opts.mode === 'file' ? 'kexec_file_load' : 'kexec_load (kexec-tools)';
    const head =
      `simulate: ${system.arch}, kernel ${system.kernel.version}: ${sizeText(from)} → ${sizeText(to)} ${verb} ${dimms} DIMMs of ${sizeText(dimmSize)} ` +
      `(${sizeText(blockSize)} blocks), strategy ${opts.strategy}, ${mode}`;
    text = textReport(run, head, opts.outHeader);
  }
  await finishRun(ctx, run, opts, settings, text, {
    title: `simulate, ${opts.strategy} strategy: ${system.arch}, kernel ${system.kernel.version}`,
    subtitle: `${sizeText(from)} → ${sizeText(to)}`,
  });
}
