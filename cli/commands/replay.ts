// `crashplug replay`: apply a real event log — JSON Lines, or what `udevadm monitor --kernel`
// printed during a resize — to a loaded kdump image, with every option of `simulate`, and report
// what the handler did with each event and whether the header left behind is right (exit 3 when
// it is not).

import { type Command, Option } from 'commander';
import { checkEventLog, EVENT_LOG_FORMATS, type EventLogFormat, parseEventLog } from '../../core/hotplug/index.js';
import type { CliContext } from '../context.js';
import { readInputFile } from '../files.js';
import { loadSystemFile } from '../../api/system-file.js';
import { kernelOption } from '../options.js';
import { finishRun, type HotplugRunOptions, hotplugRunOptions, jsonReport, runHotplug, runSettings, sizeText, textReport } from './hotplug-run.js';

interface ReplayOptions extends HotplugRunOptions {
  readonly events: string;
  readonly format?: EventLogFormat;
}

export function registerReplay(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('replay')
    .description('apply a real event log (JSON Lines, or `udevadm monitor --kernel` output) to a loaded kdump image and judge the header it leaves');
  hotplugRunOptions(cmd, 'size of one DIMM: how a run of udev add or remove uevents of contiguous memory blocks is cut into DIMMs')
    .requiredOption('--events <file>', 'the event log: one JSON event per line, or the text of `udevadm monitor --kernel`')
    .addOption(new Option('--format <format>', "the log's format (detected from its first line when not given)").choices(EVENT_LOG_FORMATS))
    .action((opts: ReplayOptions) => runReplay(opts, ctx));
}

async function runReplay(opts: ReplayOptions, ctx: CliContext): Promise<void> {
  const settings = runSettings(opts);
  const registry = ctx.registry();
  const system = loadSystemFile(opts.system, registry, { kernel: kernelOption(opts.kernel, registry) });
  const plugin = registry.get(system.arch, `${opts.system}: arch`);
  const text = new TextDecoder().decode(readInputFile(opts.events, 'event log', 'events'));
  const log = parseEventLog(text, opts.events, { format: opts.format, blockSize: settings.blockSize, dimmSize: settings.dimmSize });
  checkEventLog(system, plugin, log, settings.blockSize);
  const run = runHotplug({ system, plugin, events: log.events, sources: log.sources }, opts, settings);
  let out: string;
  if (opts.json === true) {
    const json = {
      system: system.origin,
      arch: system.arch,
      kernel: system.kernel.version,
      eventLog: {
        path: opts.events,
        format: log.format,
        machineEvents: log.events.length,
        ueventsIgnored: log.ueventsIgnored,
        dimmSize: settings.dimmSize.toString(),
        blockSize: settings.blockSize.toString(),
      },
      eventsRead: log.eventsRead,
      linesSkipped: log.linesSkipped,
      ...jsonReport(run, opts, settings),
    };
    out = `${JSON.stringify(json, null, 2)}\n`;
  } else {
    const mode = opts.mode === 'file' ? 'kexec_file_load' : 'kexec_load (kexec-tools)';
    const what = log.format === 'udev' ? `${log.eventsRead} kernel uevents (${log.ueventsIgnored} of other devices)` : `${log.eventsRead} events`;
    const head =
      `replay: ${system.arch}, kernel ${system.kernel.version}: ${what} from ${opts.events}, ${log.events.length} machine events, ` +
      `${log.linesSkipped} lines skipped (${sizeText(settings.blockSize)} blocks), strategy ${opts.strategy}, ${mode}`;
    out = textReport(run, head, opts.outHeader);
  }
  await finishRun(ctx, run, opts, settings, out, {
    title: `kdump unarmed per update: replay of ${opts.events}, ${opts.strategy} strategy, ${system.arch}, kernel ${system.kernel.version}`,
    subtitle: `${log.events.length} machine events`,
  });
}
