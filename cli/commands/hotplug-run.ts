// What `simulate` and `replay` share: their options (defined once here), the run against a loaded
// kdump image, the per-event log (--events-out), the report, and the verdict — a run that ended
// with refused updates, failed arch hooks, or a header that is not a fresh build of the final
// machine makes the answer bad (exit 3), and the report says why: the kernel's message, the first
// RAM missing from the dump and the DIMM it belongs to.

import { type Command, Option } from 'commander';
import { CrashplugError, hex, parseU64 } from '../../core/base/index.js';
import {
  type EventSequence,
  type EventStep,
  elfcorehdrView,
  type HeaderCoverage,
  headerCoverage,
  type MachineEvent,
  type SimulationOptions,
  type SimulationResult,
  type SimulationSummary,
  simulateHotplug,
  STRATEGIES,
  type StrategyName,
  type TimedEvent,
} from '../../core/hotplug/index.js';
import { contentionFraction, type LoadMode, REALISTIC_PAYLOAD } from '../../core/kexec/index.js';
import type { ArchPlugin } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { HOST_CLOCK } from '../../api/host-clock.js';
import type { CliContext } from '../context.js';
import { fractionOption, seedOption, sizeOption } from '../options.js';
import { CommandOutputs, outputName, reportStream } from '../output.js';
import { type PurgatoryReport, purgatoryReport, whyLines } from '../simulate-why.js';
import type { TimelinePicture } from '../svg-timeline.js';
import { msText } from '../svg-text.js';

/** The options both commands take, as commander hands them over. */
export interface HotplugRunOptions {
  readonly system: string;
  readonly dimm: string;
  readonly block: string;
  readonly strategy: StrategyName;
  readonly mode: LoadMode;
  readonly json?: boolean;
  readonly outHeader?: string;
  readonly svg?: string;
  readonly svgScale?: string;
  readonly html?: string;
  readonly eventsOut?: string;
  readonly contention: string;
  readonly seed: string;
  readonly kernel?: string;
  readonly kernelSize: string;
  readonly initrdSize: string;
}

const MODES: readonly LoadMode[] = ['file', 'load'];

/** Add the options of a hot-plug run to `cmd`; `dimm` says what --dimm means for this command. */
export function hotplugRunOptions(cmd: Command, dimm: string): Command {
  return cmd
    .requiredOption('--system <file>', 'the machine, as a system description (JSON, format 1)')
    .option('--dimm <size>', dimm, '1G')
    .option('--block <size>', 'memory block size (memory_block_size_bytes): one online or offline event per block', '128M')
    .addOption(new Option('--strategy <name>', 'how events become header updates').choices(STRATEGIES).default('kernel'))
    .addOption(new Option('--mode <mode>', 'file: kexec_file_load; load: kexec_load with kexec-tools').choices(MODES).default('file'))
    .option('--json', 'print one JSON object instead of text')
    .option('--out-header <file>', 'write the elfcorehdr installed at the end to this file; "-": to standard output, the report to standard error')
    .option(
      '--svg <file>',
      'draw the run: events, updates, refused and dropped ones, unarmed and stale stretches on the modelled clock, and the host timings apart',
    )
    .option('--svg-scale <time>', 'fix the time axis of the pictures to 0..TIME (80s, 500ms, 1500), so two strategies can be compared')
    .option('--html <file>', 'write one self-contained HTML page: summary, findings, the timeline and the installed program headers')
    .option('--events-out <file>', 'write one JSON line per event: what the handler did, and which RAM the installed header then misses or lists wrongly')
    .option('--contention <fraction>', 'share of kexec-lock tries that find a concurrent load holding it', '0')
    .option('--seed <n>', 'seed of the contention draw', '1')
    .option('--kernel <version>', 'model this kernel release instead of the one the description names')
    .option('--kernel-size <size>', 'kernel segment size', `${REALISTIC_PAYLOAD.kernel >> 20}M`)
    .option('--initrd-size <size>', 'initrd segment size', `${REALISTIC_PAYLOAD.initrd >> 20}M`);
}

export function size(text: string, option: string): bigint {
  return sizeOption(text, option, 1n);
}

function fraction(text: string): number {
  return fractionOption(text, '--contention', '0.05 means one try in twenty finds the kexec lock busy');
}

function segmentSize(text: string, option: string): number {
  return Number(sizeOption(text, option, 1n, 1n << 32n));
}

/** "80s", "500ms", "1.5s", "1500" (milliseconds). */
function scaleOf(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(text);
  const v = m === null ? Number.NaN : Number(m[1]) * (m[2] === 's' ? 1000 : m[2] === 'min' ? 60_000 : 1);
  if (!(v > 0))
    throw new CrashplugError('E_BAD_ARGUMENT', `--svg-scale ${JSON.stringify(text)} is not a positive time; write it as 80s, 500ms or 1500 (milliseconds)`);
  return v;
}

/** "timeline, 3840 events, 191 dropped, 0 refused, scale 0-80 s": what a timeline picture shows. */
function timelineWhat(p: TimelinePicture): string {
  const c = p.counts;
  return (
    `timeline: ${c.events} events, ${c.installed} updates, ${c.refused} refused, ${c.dropped} dropped, ${c.unarmedWindows} unarmed windows; ` +
    `time 0-${msText(p.scaleMs)}${p.clippedMs > 0 ? ` (${msText(p.clippedMs)} past it not drawn)` : ''}; warm-up: first ${c.warmup} updates`
  );
}

/** The numeric options, checked before anything is loaded. */
export function runSettings(opts: HotplugRunOptions) {
  return {
    svgScaleMs: opts.svgScale === undefined ? undefined : scaleOf(opts.svgScale),
    dimmSize: size(opts.dimm, '--dimm'),
    blockSize: size(opts.block, '--block'),
    contention: fraction(opts.contention),
    seed: seedOption(opts.seed),
    payload: { ...REALISTIC_PAYLOAD, kernel: segmentSize(opts.kernelSize, '--kernel-size'), initrd: segmentSize(opts.initrdSize, '--initrd-size') },
  };
}

export type RunSettings = ReturnType<typeof runSettings>;

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

export function sizeText(bytes: bigint): string {
  if (bytes > 0n && bytes % (1n << 30n) === 0n) return `${bytes >> 30n} GiB`;
  if (bytes > 0n && bytes % (1n << 20n) === 0n) return `${bytes >> 20n} MiB`;
  return `${hex(bytes)} bytes`;
}

/** An event in the vocabulary of the JSON Lines input, so a line of --events-out reads like the log. */
export function eventJson(e: MachineEvent): Record<string, unknown> {
  switch (e.kind) {
    case 'cpu':
      return { event: `cpu-${e.action}`, cpu: e.cpu };
    case 'cpu-present':
      return { event: `cpu-${e.action}`, cpu: e.cpu };
    case 'memory':
      return { event: `memory-${e.action}`, start: hex(e.start), size: hex(e.size) };
    case 'dimm-add':
      return { event: 'dimm-add', start: hex(e.start), size: hex(e.size), ...(e.nid === undefined ? {} : { node: e.nid }) };
    case 'dimm-remove':
      return { event: 'dimm-remove', start: hex(e.start), size: hex(e.size) };
  }
}

const rangesJson = (ranges: HeaderCoverage['missing']): string[][] => ranges.map((r) => [hex(r.start), hex(r.end)]);

function coverageJson(c: HeaderCoverage | undefined): Record<string, unknown> | null {
  if (c === undefined) return null;
  return { missing: rangesJson(c.missing), wrong: rangesJson(c.wrong), missingBytes: hex(c.missingBytes), wrongBytes: hex(c.wrongBytes) };
}

function stepJson(step: EventStep, source: string, plugin: ArchPlugin): string {
  const coverage = step.header === undefined ? undefined : headerCoverage(step.header, step.machine, plugin);
  return JSON.stringify({
    index: step.index,
    source,
    atMs: step.event.atMs,
    burst: step.event.batch,
    ...eventJson(step.event.event),
    outcome: step.outcome,
    regenerations: step.regenerations,
    updates: step.updates.map((u) => ({
      action: u.action,
      outcome: u.outcome,
      folded: u.folded,
      bytes: u.bytes,
      ...(u.segment === undefined ? {} : { segment: u.segment }),
    })),
    messages: step.messages.map((l) => l.text),
    header: coverageJson(coverage),
  });
}

export interface HotplugRun {
  readonly input: RunInput;
  readonly result: SimulationResult;
  readonly coverage: HeaderCoverage | undefined;
  /** Why the answer is bad; empty when it is not. */
  readonly problems: readonly string[];
  /** Why the counters look as they do when something did not happen (no crash hot-plug, refusals). */
  readonly why: readonly string[];
  /** What the image's purgatory really checks. */
  readonly purgatory: PurgatoryReport;
  /** --events-out lines, written with the other outputs. */
  readonly steps: readonly string[] | undefined;
}

/** The DIMM (by the event that added it) that holds `at`, if the run added one there. */
function dimmOf(at: bigint, events: EventSequence, sources: SourceNames): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events.at(i)!.event;
    if (e.kind === 'dimm-add' && e.start <= at && at < e.start + e.size) {
      return `the DIMM [${hex(e.start)}, ${hex(e.start + e.size - 1n)}] (${sizeText(e.size)}) added by ${sources.at(i)}`;
    }
  }
  return undefined;
}

/**
 * The installed header lists memory the machine no longer has, so a dump would read memory that is
 * gone (x86 after a DIMM removal, which no notifier event follows).
 */
export function staleRamProblems(s: SimulationSummary): string[] {
  if (s.staleRam.length === 0) return [];
  return [`the installed elfcorehdr still lists ${rangeList(s.staleRam)}, which the machine no longer has: a dump would read removed memory`];
}

/** What is wrong with the end of a run, in words; nothing when it ended well. */
function problemsOf(run: SimulationResult, coverage: HeaderCoverage | undefined, events: EventSequence, sources: SourceNames): string[] {
  const s = run.summary;
  const out: string[] = [];
  const kernelSays = (): string => {
    const said = run.kexec.log.lines.filter((l) => l.level === 'err' || l.level === 'warn');
    return said.length > 0 ? `; the kernel said "${said[said.length - 1]!.text}"` : '';
  };
  if (s.failedUpdates > 0) out.push(`${s.failedUpdates} header update(s) refused${kernelSays()}`);
  if (s.hookFailures > 0) out.push(`the arch's hot-plug hook failed ${s.hookFailures} time(s)${kernelSays()}`);
  if (!s.finalHeaderMatchesFresh) {
    const why: string[] = [];
    if (s.dropped > 0) {
      const said = run.kexec.log.lines.findLast((l) => l.level === 'info');
      why.push(`${s.dropped} event(s) were dropped while the kexec lock was busy${said === undefined ? '' : ` ("${said.text}")`}`);
    }
    if (s.skipped.noHotplugSupport > 0)
      why.push(`the kernel did not update the header at all: this image has no crash hot-plug support (${s.skipped.noHotplugSupport} event(s) ignored)`);
    if (s.skipped.notLoaded > 0) why.push(`${s.skipped.notLoaded} event(s) found no crash image loaded`);
    if (s.skipped.notLocated > 0) why.push(`${s.skipped.notLocated} event(s) could not locate the elfcorehdr segment`);
    const first = coverage?.missing[0];
    if (first !== undefined) {
      const dimm = dimmOf(first.start, events, sources);
      why.push(
        `the dump would miss ${hex(coverage!.missingBytes)} bytes of RAM, first [${hex(first.start)}, ${hex(first.end)}]${dimm === undefined ? '' : `, in ${dimm}`}`,
      );
    }
    const wrong = coverage?.wrong[0];
    if (wrong !== undefined)
      why.push(`the header lists ${hex(coverage!.wrongBytes)} bytes the machine does not have as RAM, first [${hex(wrong.start)}, ${hex(wrong.end)}]`);
    out.push(`the final header is not what a fresh build of the final machine gives${why.length > 0 ? `: ${why.join('; ')}` : ''}`);
  }
  return out;
}

/** Where each event came from ("events.jsonl:3", "resize event 12"): an array, or names made when asked for. */
export interface SourceNames {
  at(index: number): string | undefined;
}

export interface RunInput {
  readonly system: SystemDescription;
  readonly plugin: ArchPlugin;
  /** The timeline: a log's events, or a resize's made one by one (read in order; `at` only for the report). */
  readonly events: EventSequence;
  readonly sources: SourceNames;
  /** What a refused event becomes (simulate names its option); the machine's own error otherwise. */
  readonly onRefusedEvent?: SimulationOptions['onRefusedEvent'];
}

/** Run the events and judge the end; finishRun writes the outputs. */
export function runHotplug(input: RunInput, opts: HotplugRunOptions, settings: RunSettings): HotplugRun {
  const { system, plugin, events, sources } = input;
  const steps: string[] | undefined = opts.eventsOut === undefined ? undefined : [];
  const result = simulateHotplug(system, plugin, events, {
    strategy: opts.strategy,
    mode: opts.mode,
    payload: settings.payload,
    blockSize: settings.blockSize,
    contention: contentionFraction(settings.contention, settings.seed),
    onProgress: progressBar(),
    clock: HOST_CLOCK,
    // Only the pictures read every update; otherwise the counts do.
    keepUpdates: opts.svg !== undefined || opts.html !== undefined,
    onEvent: steps === undefined ? undefined : (step) => void steps.push(stepJson(step, sources.at(step.index) ?? `event ${step.index}`, plugin)),
    onRefusedEvent: input.onRefusedEvent,
  });
  const view = elfcorehdrView(result.kexec);
  const coverage = view === undefined ? undefined : headerCoverage(view, result.machine, plugin);
  if (opts.outHeader !== undefined && result.installedHeader === undefined) {
    throw new CrashplugError('E_SEGMENT_NOT_FOUND', `--out-header: no elfcorehdr is loaded at the end of the run (every reload failed); nothing was written`);
  }
  const s = result.summary;
  const why = whyLines({ system, plugin, mode: opts.mode, summary: s, log: result.kexec.log.summary(), installedHeader: result.installedHeader, events });
  const purgatory = purgatoryReport(plugin, opts.mode, s.purgatoryVerified);
  // A stale header is also not a fresh one: problemsOf names it then (with the DIMM); the stale-RAM
  // line stands alone only when the comparison could not say it.
  const problems = problemsOf(result, coverage, events, sources);
  return { input, result, coverage, problems: problems.length > 0 ? problems : staleRamProblems(s), why, purgatory, steps };
}

function rangeList(ranges: readonly (readonly [string, string])[]): string {
  return ranges.length === 0 ? 'none' : ranges.map(([a, b]) => `[${a}, ${b}]`).join(', ');
}

/** The summary lines both commands print. */
export function textReport(run: HotplugRun, head: string, outHeader: string | undefined): string {
  const s: SimulationSummary = run.result.summary;
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
  lines.push(`  final header = fresh     ${yes(s.finalHeaderMatchesFresh)}`, `  purgatory                ${run.purgatory.text}`);
  lines.push(`  stale RAM in header      ${rangeList(s.staleRam)}`, `  RAM missing from header  ${rangeList(s.missingRam)}`);
  // Why the counters look as they do, when something did not happen.
  for (const w of run.why) lines.push(`  why: ${w}`);
  if (outHeader !== undefined) lines.push(`Wrote ${run.result.installedHeader!.length} bytes to ${outputName(outHeader)}`);
  for (const p of run.problems) lines.push(`Bad: ${p}`);
  return `${lines.join('\n')}\n`;
}

/** The JSON fields both commands print after their own. */
export function jsonReport(run: HotplugRun, opts: HotplugRunOptions, settings: RunSettings): Record<string, unknown> {
  return {
    contention: { fraction: settings.contention, seed: settings.seed },
    ...run.result.summary,
    purgatory: {
      checksDigest: run.purgatory.checksDigest,
      digestMatches: run.purgatory.digestMatches,
      captureKernelStarts: run.purgatory.captureKernelStarts,
      text: run.purgatory.text,
    },
    why: run.why,
    finalHeader: coverageJson(run.coverage),
    problems: run.problems,
    log: run.result.kexec.log.summary(),
    ...(opts.outHeader === undefined ? {} : { outHeader: { path: opts.outHeader, bytes: run.result.installedHeader!.length } }),
    ...(opts.eventsOut === undefined ? {} : { eventsOut: opts.eventsOut }),
  };
}

/**
 * Write the outputs (--events-out, --svg, --html, then --out-header, which may be standard output),
 * print the report (to standard error when the header took standard output) and, when the answer is
 * bad, say so to the exit code.
 */
export async function finishRun(
  ctx: CliContext,
  run: HotplugRun,
  opts: HotplugRunOptions,
  settings: RunSettings,
  text: string,
  picture: { title: string; subtitle: string },
): Promise<void> {
  const s = run.result.summary;
  const outputs = new CommandOutputs(ctx);
  const wrote: string[] = [];
  if (run.steps !== undefined) outputs.add(opts.eventsOut, run.steps.length > 0 ? `${run.steps.join('\n')}\n` : '', 'event log (--events-out)');
  if (opts.svg !== undefined || opts.html !== undefined) {
    // The picture and page code loads only when --svg or --html asks for it: start-up stays light.
    const [{ timelineOf }, { timelinePicture }, { htmlReport }, { simulatePage }] = await Promise.all([
      import('../timeline.js'),
      import('../svg-timeline.js'),
      import('../html-report.js'),
      import('../report-pages.js'),
    ]);
    const { system, plugin } = run.input;
    // The picture places every event: here, and only here, they are all held at once.
    const events = Array.isArray(run.input.events) ? (run.input.events as readonly TimedEvent[]) : Array.from(run.input.events);
    const timeline = timelineOf({ system, plugin, events, result: run.result, blockSize: settings.blockSize });
    const subtitle =
      `${picture.subtitle}: ${s.events} events, ${s.regenerations} regenerations, ${s.failedUpdates} refused or failed, ${s.dropped} dropped; ` +
      `final header ${s.finalHeaderMatchesFresh ? 'matches a fresh build' : 'is NOT a fresh build'}`;
    const drawn = timelinePicture({ title: picture.title, subtitle, timeline, maxMs: settings.svgScaleMs });
    if (opts.svg !== undefined) {
      outputs.add(opts.svg, drawn.svg, 'SVG picture');
      wrote.push(`wrote ${opts.svg} (${timelineWhat(drawn)})`);
    }
    if (opts.html !== undefined) {
      const page = htmlReport(
        simulatePage({
          title: picture.title,
          subtitle: system.origin,
          summary: s,
          timeline,
          svg: drawn.svg,
          text: opts.json === true ? '' : text,
          installedHeader: run.result.installedHeader,
        }),
      );
      outputs.add(opts.html, page, 'HTML report');
      wrote.push(`wrote ${opts.html} (HTML report: ${timelineWhat(drawn)}; ${Math.ceil(page.length / 1024)} KiB)`);
    }
  }
  outputs.add(opts.outHeader, run.result.installedHeader ?? new Uint8Array(), 'installed header');
  outputs.commit();
  // What was written: on stderr under --json, so that stdout stays one JSON object.
  if (opts.json === true) for (const w of wrote) process.stderr.write(`${w}\n`);
  reportStream(ctx, outputs.toStdout)(opts.json === true ? text : text + wrote.map((w) => `${w}\n`).join(''));
  for (const p of run.problems) ctx.answerIsBad(p);
}
