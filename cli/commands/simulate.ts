// `crashplug simulate`: grow a machine by hot-adding DIMMs and replay every resulting hot-plug
// event against a loaded kdump image under one strategy — Linux's handler, the coalescing one, or
// the udev unload-and-reload it replaced — then report what it cost and whether the header left
// behind is right.

import { type Command, Option } from 'commander';
import { CrashplugError, hex, parseU64 } from '../../core/base/index.js';
import { resizeEvents, type SimulationSummary, simulateHotplug, STRATEGIES, type StrategyName } from '../../core/hotplug/index.js';
import { contentionFraction, type LoadMode, REALISTIC_PAYLOAD } from '../../core/kexec/index.js';

import type { CliContext } from '../context.js';
import { writeFileAtomic } from '../files.js';
import { HOST_CLOCK } from '../../api/host-clock.js';
import { loadSystemFile } from '../../api/system-file.js';
import type { TimelinePicture } from '../svg-timeline.js';

interface SimulateOptions {
  readonly system: string;
  readonly resize: string;
  readonly dimm: string;
  readonly block: string;
  readonly strategy: StrategyName;
  readonly mode: LoadMode;
  readonly json?: boolean;
  readonly outHeader?: string;
  readonly svg?: string;
  readonly svgScale?: string;
  readonly html?: string;
  readonly contention: string;
  readonly seed: string;
  readonly kernel?: string;
  readonly kernelSize: string;
  readonly initrdSize: string;
  readonly budget: string;
}

const MODES: readonly LoadMode[] = ['file', 'load'];

function size(text: string, option: string): bigint {
  const v = parseU64(text);
  if (v === undefined) throw new CrashplugError('E_BAD_ARGUMENT', `${option} ${JSON.stringify(text)} is not a size; write it as 1G, 128M, 4096 or 0x1000`);
  return v;
}

function resizeOf(text: string): { from: bigint; to: bigint } {
  const m = /^([^:]+):([^:]+)$/.exec(text.trim());
  if (!m) throw new CrashplugError('E_BAD_ARGUMENT', `--resize ${JSON.stringify(text)} is not FROM:TO; write it as 32G:512G`);
  return { from: size(m[1]!, '--resize FROM'), to: size(m[2]!, '--resize TO') };
}

function fraction(text: string): number {
  const v = Number(text);
  if (!(text.trim() !== '' && v >= 0 && v <= 1)) {
    throw new CrashplugError('E_BAD_ARGUMENT', `--contention ${JSON.stringify(text)} is not a fraction in [0, 1]; 0.05 means one try in twenty finds the kexec lock busy`);
  }
  return v;
}

function seedOf(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new CrashplugError('E_BAD_ARGUMENT', `--seed ${JSON.stringify(text)} is not a whole number`);
  return Number(text) >>> 0;
}

function segmentSize(text: string, option: string): number {
  const v = size(text, option);
  if (v > 1n << 32n) throw new CrashplugError('E_BAD_ARGUMENT', `${option} ${text} is larger than a crash reservation can hold`);
  return Number(v);
}

export function registerSimulate(program: Command, ctx: CliContext): void {
  program
    .command('simulate')
    .description('resize a machine with hot-added DIMMs and replay the hot-plug events against a loaded kdump image')
    .requiredOption('--system <file>', 'the machine, as a system description (JSON, format 1)')
    .requiredOption('--resize <FROM:TO>', 'memory before and after, e.g. 32G:512G; FROM is the machine as described')
    .option('--dimm <size>', 'size of each hot-added DIMM', '1G')
    .option('--block <size>', 'memory block size: one online event per block', '128M')
    .addOption(new Option('--strategy <name>', 'how events become header updates').choices(STRATEGIES).default('kernel'))
    .addOption(new Option('--mode <mode>', 'file: kexec_file_load; load: kexec_load with kexec-tools').choices(MODES).default('file'))
    .option('--json', 'print one JSON object instead of text')
    .option('--out-header <file>', 'write the elfcorehdr installed at the end to this file')
    .option('--svg <file>', 'draw the run: events, updates, refused and dropped ones, unarmed and stale stretches on the modelled clock, and the host timings apart')
    .option('--svg-scale <time>', 'fix the time axis of the pictures to 0..TIME (80s, 500ms, 1500), so two strategies can be compared')
    .option('--html <file>', 'write one self-contained HTML page: summary, findings, the timeline and the installed program headers')
    .option('--contention <fraction>', 'share of kexec-lock tries that find a concurrent load holding it', '0')
    .option('--seed <n>', 'seed of the contention draw', '1')
    .option('--kernel <version>', 'model this kernel release instead of the one the description names')
    .option('--kernel-size <size>', 'kernel segment size', `${REALISTIC_PAYLOAD.kernel >> 20}M`)
    .option('--initrd-size <size>', 'initrd segment size', `${REALISTIC_PAYLOAD.initrd >> 20}M`)
    .option('--budget <seconds>', 'refuse up front a run estimated to take longer than this (0: no limit)', '60')
    .action(async (opts: SimulateOptions) => runSimulate(opts, ctx));
}

function progressBar(): ((done: number, total: number) => void) | undefined {
  const err = process.stderr;
  if (!err.isTTY) return undefined;
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    err.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} machine events`);
    if (done === total) err.write('\r\x1b[K');
  };
}

function ms(ns: number): string {
  return ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${(ns / 1e3).toFixed(1)} µs`;
}

function sizeText(bytes: bigint): string {
  if (bytes > 0n && bytes % (1n << 30n) === 0n) return `${bytes >> 30n} GiB`;
  if (bytes > 0n && bytes % (1n << 20n) === 0n) return `${bytes >> 20n} MiB`;
  return `${hex(bytes)} bytes`;
}

function textReport(s: SimulationSummary, head: string, outHeader: string | undefined, headerBytes: number): string {
  const yes = (b: boolean): string => (b ? 'yes' : 'NO');
  const lines = [
    head,
    `  events received          ${s.events}`,
    `  header regenerations     ${s.regenerations}`,
    `  dropped (lock busy)      ${s.dropped}`,
    `  coalesced                ${s.coalesced}`,
    `  failed updates           ${s.failedUpdates}`,
    `  arch hook failures       ${s.hookFailures}`,
    `  bytes written            ${s.bytesWritten}`,
    `  kdump unarmed            ${ms(s.unarmedNs.total)} in ${s.unarmedNs.count} windows, longest ${ms(s.unarmedNs.max)}`,
    `  elapsed                  ${s.elapsedMs.toFixed(1)} ms`,
  ];
  if (s.udev !== undefined) {
    lines.push(
      `  udev (simulated)         ${s.udev.reloads} reloads for ${s.udev.matched} uevents; settled after ${(s.udev.lastReloadDoneMs / 1000).toFixed(1)} s, ` +
        `unarmed ${(s.udev.simulatedUnarmedMs / 1000).toFixed(1)} s of it`,
    );
  }
  lines.push(`  final header = fresh     ${yes(s.finalHeaderMatchesFresh)}`, `  purgatory verifies       ${yes(s.purgatoryVerified)}`);
  if (outHeader !== undefined) lines.push(`Wrote ${headerBytes} bytes to ${outHeader}`);
  return `${lines.join('\n')}\n`;
}

/** "80s", "500ms", "1.5s", "1500" (milliseconds). */
function scaleOf(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(text);
  const v = m === null ? NaN : Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'min' ? 60_000 : 1);
  if (!(v > 0)) throw new CrashplugError('E_BAD_ARGUMENT', `--svg-scale ${JSON.stringify(text)} is not a positive time; write it as 80s, 500ms or 1500 (milliseconds)`);
  return v;
}

/** "timeline, 3840 events, 191 dropped, 0 refused, scale 0-80 s": what a timeline picture shows. */
function timelineWhat(p: TimelinePicture, msText: (ms: number) => string): string {
  const c = p.counts;
  return (
    `timeline: ${c.events} events, ${c.installed} updates, ${c.refused} refused, ${c.dropped} dropped, ${c.unarmedWindows} unarmed windows; ` +
    `time 0-${msText(p.scaleMs)}${p.clippedMs > 0 ? ` (${msText(p.clippedMs)} past it not drawn)` : ''}; warm-up: first ${c.warmup} updates`
  );
}

/**
 * What a run will cost, from counts alone (before any event is made): each event costs about 20 µs,
 * each header regeneration about 400 µs plus 0.8 µs per program header (CPUs and RAM ranges as they
 * stand half-way through), each reload re-hashes the payload. Measured on a 2-core machine and
 * rounded up, so that a refusal is never of a run that would have finished comfortably.
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
  const regenerations = q.strategy === 'kernel' ? d * Number(q.blocksPerDimm) : d;
  const phdrs = q.cpus + q.ranges + (q.rangePerDimm ? d / 2 : 0);
  const perRegenerationUs = 400 + 0.8 * phdrs + (q.strategy === 'reload' ? q.payloadBytes * 0.002 : 0);
  return (events * 20 + regenerations * perRegenerationUs) / 1e6;
}

function budgetOf(text: string): number {
  const v = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(v) && v >= 0)) {
    throw new CrashplugError('E_BAD_ARGUMENT', `--budget ${JSON.stringify(text)} is not a number of seconds; give e.g. 60, or 0 for no limit`);
  }
  return v;
}

async function runSimulate(opts: SimulateOptions, ctx: CliContext): Promise<void> {
  const { from, to } = resizeOf(opts.resize);
  const maxMs = opts.svgScale === undefined ? undefined : scaleOf(opts.svgScale);
  const dimmSize = size(opts.dimm, '--dimm');
  const blockSize = size(opts.block, '--block');
  const contention = fraction(opts.contention);
  const seed = seedOf(opts.seed);
  const payload = { ...REALISTIC_PAYLOAD, kernel: segmentSize(opts.kernelSize, '--kernel-size'), initrd: segmentSize(opts.initrdSize, '--initrd-size') };
  const registry = ctx.registry();
  const system = loadSystemFile(opts.system, registry, { kernel: opts.kernel });
  const plugin = registry.get(system.arch, `${opts.system}: arch`);
  const budget = budgetOf(opts.budget);
  if (budget > 0 && to > from && dimmSize > 0n && blockSize > 0n) {
    const estimate = estimateSimulationSeconds({
      dimms: (to - from) / dimmSize,
      blocksPerDimm: dimmSize / blockSize,
      strategy: opts.strategy,
      cpus: system.cpus.possible.length,
      ranges: system.memory.systemRam.length,
      rangePerDimm: plugin.ramWalk === 'iomem',
      payloadBytes: payload.kernel + payload.initrd,
    });
    if (estimate > budget) {
      throw new CrashplugError(
        'E_TOO_LARGE',
        `simulate: ${sizeText(from)} → ${sizeText(to)} in ${(to - from) / dimmSize} DIMMs of ${sizeText(dimmSize)} is estimated to take ` +
          `${estimate < 600 ? `${Math.ceil(estimate)} s` : `${Math.round(estimate / 60)} min`}, over the --budget of ${budget} s; ` +
          'use larger --dimm or --block sizes, a smaller --resize, or raise --budget (0: no limit)',
      );
    }
  }
  const events = resizeEvents(system, { from, to, dimmSize, blockSize });
  const result = simulateHotplug(system, plugin, events, {
    strategy: opts.strategy,
    mode: opts.mode,
    payload,
    blockSize,
    contention: contentionFraction(contention, seed),
    onProgress: progressBar(),
    clock: HOST_CLOCK,
  });
  const s = result.summary;
  const header = result.installedHeader;
  if (opts.outHeader !== undefined && header === undefined) {
    throw new CrashplugError('E_SEGMENT_NOT_FOUND', `--out-header: no elfcorehdr is loaded at the end of the run (every reload failed); nothing was written`);
  }
  const dimms = Number((to - from) / dimmSize);
  let text: string;
  if (opts.json === true) {
    const json = {
      system: system.origin,
      arch: system.arch,
      kernel: system.kernel.version,
      resize: { from: from.toString(), to: to.toString(), dimmSize: dimmSize.toString(), blockSize: blockSize.toString(), dimms },
      contention: { fraction: contention, seed },
      ...s,
      log: result.kexec.log.summary(),
      ...(opts.outHeader === undefined ? {} : { outHeader: { path: opts.outHeader, bytes: header!.length } }),
    };
    text = `${JSON.stringify(json, null, 2)}\n`;
  } else {
    const mode = opts.mode === 'file' ? 'kexec_file_load' : 'kexec_load (kexec-tools)';
    const head =
      `simulate: ${system.arch}, kernel ${system.kernel.version}: ${sizeText(from)} → ${sizeText(to)} in ${dimms} DIMMs of ${sizeText(dimmSize)} ` +
      `(${sizeText(blockSize)} blocks), strategy ${opts.strategy}, ${mode}`;
    text = textReport(s, head, opts.outHeader, header?.length ?? 0);
  }
  const files: [string, Uint8Array][] = [];
  const wrote: string[] = [];
  if (opts.outHeader !== undefined) files.push([opts.outHeader, header!]);
  if (opts.svg !== undefined || opts.html !== undefined) {
    // The picture and page code loads only when a picture or page is asked for: start-up stays light.
    const [{ htmlReport }, { simulatePage }, { timelinePicture }, { msText }, { timelineOf }] = await Promise.all([
      import('../html-report.js'),
      import('../report-pages.js'),
      import('../svg-timeline.js'),
      import('../svg-text.js'),
      import('../timeline.js'),
    ]);
    const timeline = timelineOf({ system, plugin, events, result, blockSize });
    const title = `${opts.strategy} strategy: ${system.arch}, kernel ${system.kernel.version}, ${sizeText(from)} → ${sizeText(to)}`;
    const subtitle =
      `${s.events} events, ${s.regenerations} regenerations, ${s.failedUpdates} refused or failed, ${s.dropped} dropped; ` +
      `final header ${s.finalHeaderMatchesFresh ? 'matches a fresh build' : 'is NOT a fresh build'}`;
    const picture = timelinePicture({ title, subtitle, timeline, maxMs });
    if (opts.svg !== undefined) {
      files.push([opts.svg, new TextEncoder().encode(picture.svg)]);
      wrote.push(`wrote ${opts.svg} (${timelineWhat(picture, msText)})`);
    }
    if (opts.html !== undefined) {
      const page = htmlReport(
        simulatePage({ title: `simulate: ${title}`, subtitle: system.origin, summary: s, timeline, svg: picture.svg, text: opts.json === true ? '' : text, installedHeader: header }),
      );
      files.push([opts.html, new TextEncoder().encode(page)]);
      wrote.push(`wrote ${opts.html} (HTML report: ${timelineWhat(picture, msText)}; ${Math.ceil(page.length / 1024)} KiB)`);
    }
  }
  for (const [path, bytes] of files) writeFileAtomic(path, bytes);
  // What was written: on stderr under --json, so that stdout stays one JSON object.
  if (opts.json === true) for (const w of wrote) process.stderr.write(`${w}\n`);
  else text += wrote.map((w) => `${w}\n`).join('');
  ctx.out(text);
}
