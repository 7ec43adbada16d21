// `crashplug simulate`: resize a machine — hot-add DIMMs, or offline and remove them — and replay
// every resulting hot-plug event against a loaded kdump image under one strategy: Linux's
// handler, the coalescing one, or the udev unload-and-reload it replaced; then report what it cost
// and whether the header left behind is right (exit 3 when it is not).

import type { Command } from 'commander';
import { CrashplugError } from '../../core/base/index.js';
import { MachineState, resizeEvents, type TimedEvent } from '../../core/hotplug/index.js';
import type { ArchPlugin } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import type { CliContext } from '../context.js';
import { loadSystemFile } from '../../api/system-file.js';
import { finishRun, type HotplugRunOptions, hotplugRunOptions, jsonReport, runHotplug, runSettings, size, sizeText, textReport } from './hotplug-run.js';

interface SimulateOptions extends HotplugRunOptions {
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
/** Walk the resize over the machine first, so memory it cannot remove is refused naming the option. */
function checkResize(system: SystemDescription, plugin: ArchPlugin, events: readonly TimedEvent[], blockSize: bigint, option: string): void {
  let machine = MachineState.boot(system, blockSize, plugin.ramWalk);
  for (const e of events) {
    try {
      machine = machine.apply(e.event);
    } catch (err) {
      if (!CrashplugError.is(err)) throw err;
      throw new CrashplugError('E_BAD_ARGUMENT', `${option}: ${err.message}`, { cause: err });
    }
  }
}

function planOf(opts: SimulateOptions, system: SystemDescription): { from: bigint; to: bigint } {
  const given = [opts.resize, opts.add, opts.remove].filter((o) => o !== undefined).length;
  if (given !== 1) {
    throw new CrashplugError('E_BAD_ARGUMENT', `give exactly one of --resize FROM:TO, --add SIZE and --remove SIZE (${given === 0 ? 'none was' : `${given} were`} given)`);
  }
  if (opts.resize !== undefined) return resizeOf(opts.resize);
  const ram = ramOf(system);
  if (opts.add !== undefined) return { from: ram, to: ram + size(opts.add, '--add') };
  const gone = size(opts.remove!, '--remove');
  if (gone >= ram) throw new CrashplugError('E_BAD_ARGUMENT', `--remove ${opts.remove} is all of ${system.origin}'s ${sizeText(ram)} of System RAM or more; leave the machine some`);
  return { from: ram, to: ram - gone };
}

export function registerSimulate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('simulate')
    .description('resize a machine with hot-added or removed DIMMs and replay the hot-plug events against a loaded kdump image');
  hotplugRunOptions(cmd, 'size of each DIMM added or removed')
    .option('--resize <FROM:TO>', 'memory before and after, e.g. 32G:512G (grow) or 512G:32G (shrink); FROM is the machine as described')
    .option('--add <size>', 'grow the machine by this much (DIMMs of --dimm)')
    .option('--remove <size>', 'shrink the machine by this much: DIMMs off the top of RAM, their blocks offlined first')
    .action((opts: SimulateOptions) => runSimulate(opts, ctx));
}

function runSimulate(opts: SimulateOptions, ctx: CliContext): void {
  const settings = runSettings(opts);
  const registry = ctx.registry();
  const system = loadSystemFile(opts.system, registry, { kernel: opts.kernel });
  const plugin = registry.get(system.arch, `${opts.system}: arch`);
  const { from, to } = planOf(opts, system);
  const { dimmSize, blockSize } = settings;
  const events = resizeEvents(system, { from, to, dimmSize, blockSize });
  const option = opts.resize !== undefined ? `--resize ${opts.resize}` : opts.add !== undefined ? `--add ${opts.add}` : `--remove ${opts.remove}`;
  checkResize(system, plugin, events, blockSize, option);
  const sources = events.map((_, i) => `resize event ${i}`);
  const run = runHotplug({ system, plugin, events, sources }, opts, settings);
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
  finishRun(ctx, run, opts, text, {
    title: `kdump unarmed per update: ${opts.strategy} strategy, ${system.arch}, kernel ${system.kernel.version}`,
    subtitle: `${sizeText(from)} → ${sizeText(to)}`,
  });
}
