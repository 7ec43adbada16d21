// `crashplug simulate`: grow a machine by hot-adding DIMMs and replay every resulting hot-plug
// event against a loaded kdump image under one strategy — Linux's handler, the coalescing one, or
// the udev unload-and-reload it replaced — then report what it cost and whether the header left
// behind is right.

import { type Command, Option } from 'commander';
import { CrashplugError, hex } from '../../core/base/index.js';
import { resizeEvents, type SimulationSummary, simulateHotplug, STRATEGIES, type StrategyName } from '../../core/hotplug/index.js';
import { contentionFraction, type LoadMode, REALISTIC_PAYLOAD } from '../../core/kexec/index.js';

import type { CliContext } from '../context.js';
import { OutputSet } from '../files.js';
import { fractionOption, kernelOption, seedOption, sizeOption } from '../options.js';
import { nsText, unarmedSvg } from '../svg-unarmed.js';
import { HOST_CLOCK } from '../../api/host-clock.js';
import { loadSystemFile } from '../../api/system-file.js';

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
  readonly contention: string;
  readonly seed: string;
  readonly kernel?: string;
  readonly kernelSize: string;
  readonly initrdSize: string;
}

const MODES: readonly LoadMode[] = ['file', 'load'];

function size(text: string, option: string): bigint {
  return sizeOption(text, option);
}

function resizeOf(text: string): { from: bigint; to: bigint } {
  const m = /^([^:]+):([^:]+)$/.exec(text.trim());
  if (!m) throw new CrashplugError('E_BAD_ARGUMENT', `--resize ${JSON.stringify(text)} is not FROM:TO; write it as 32G:512G`);
  return { from: size(m[1]!, '--resize FROM'), to: size(m[2]!, '--resize TO') };
}

function fraction(text: string): number {
  return fractionOption(text, '--contention', '0.05 means one try in twenty finds the kexec lock busy');
}

/** A kexec segment: at least one byte (an empty one has no place), at most 4 GiB. */
function segmentSize(text: string, option: string): number {
  return Number(sizeOption(text, option, 1n, 1n << 32n));
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
    .option('--svg <file>', 'draw how long kdump was unarmed at each update, as an SVG picture')
    .option('--contention <fraction>', 'share of kexec-lock tries that find a concurrent load holding it', '0')
    .option('--seed <n>', 'seed of the contention draw', '1')
    .option('--kernel <version>', 'model this kernel release instead of the one the description names')
    .option('--kernel-size <size>', 'kernel segment size', `${REALISTIC_PAYLOAD.kernel >> 20}M`)
    .option('--initrd-size <size>', 'initrd segment size', `${REALISTIC_PAYLOAD.initrd >> 20}M`)
    .action((opts: SimulateOptions) => runSimulate(opts, ctx));
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

function runSimulate(opts: SimulateOptions, ctx: CliContext): void {
  const { from, to } = resizeOf(opts.resize);
  const dimmSize = sizeOption(opts.dimm, '--dimm', 1n);
  const blockSize = sizeOption(opts.block, '--block', 1n);
  const contention = fraction(opts.contention);
  const seed = seedOption(opts.seed);
  const payload = { ...REALISTIC_PAYLOAD, kernel: segmentSize(opts.kernelSize, '--kernel-size'), initrd: segmentSize(opts.initrdSize, '--initrd-size') };
  const registry = ctx.registry();
  const system = loadSystemFile(opts.system, registry, { kernel: kernelOption(opts.kernel, registry) });
  const plugin = registry.get(system.arch, `${opts.system}: arch`);
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
  const outputs = new OutputSet().add(opts.outHeader, header ?? new Uint8Array(), 'installed header');
  if (opts.svg !== undefined) {
    const picture = unarmedSvg({
      title: `kdump unarmed per update: ${opts.strategy} strategy, ${system.arch}, kernel ${system.kernel.version}`,
      subtitle:
        `${sizeText(from)} → ${sizeText(to)}: ${s.events} events, ${s.regenerations} regenerations, ${s.dropped} dropped; ` +
        `kdump unarmed ${nsText(s.unarmedNs.total)} in total, longest ${nsText(s.unarmedNs.max)}`,
      updates: result.metrics.updates,
    });
    outputs.add(opts.svg, picture, 'SVG picture');
  }
  outputs.commit();
  ctx.out(text);
}
