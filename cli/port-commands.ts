// Commands the loaded ports add (TOKENS.PortCommand), turned into commander subcommands. The port
// declares options and a `run`; the CLI parses, checks and does the file I/O. A run's outputs are one
// output set (cli/files.ts), committed when `run` returns, and its report reaches stdout only then.

import { type Command, Option } from 'commander';
import { loadSystemFile } from '../api/system-file.js';
import { CrashplugError } from '../core/base/index.js';
import type { PortCommand, PortCommandIo, PortSubcommand } from '../core/port/index.js';
import type { CliContext } from './context.js';
import { type InputKind, readInputFile } from './files.js';
import { CommandOutputs, reportStream } from './output.js';
import { kernelOption } from './options.js';

/** The cap a port's input gets, from what the port calls it. */
function kindOf(what: string): InputKind {
  if (/fadump/i.test(what)) return 'fadump-header';
  if (/elfcorehdr/i.test(what)) return 'elfcorehdr';
  return 'other';
}

function runPortSubcommand(sub: PortSubcommand, opts: Record<string, string | boolean | undefined>, ctx: CliContext): void {
  // --out - sends the port's bytes to standard output, after the files land; its report then goes to standard error.
  const outputs = new CommandOutputs(ctx);
  const report: string[] = [];
  const io: PortCommandIo = {
    loadSystem: (path, kernel) => loadSystemFile(path, ctx.registry(), { kernel: kernelOption(kernel, ctx.registry()) }),
    readInput: (path, what) => readInputFile(path, what, kindOf(what)),
    writeOutput: (path, bytes, what) => void outputs.add(path, bytes, what),
    out: (text) => void report.push(text),
  };
  sub.run(opts, io);
  outputs.commit();
  reportStream(ctx, outputs.toStdout)(report.join(''));
}

export function registerPortCommands(program: Command, commands: readonly PortCommand[], ctx: CliContext): void {
  const taken = new Set(program.commands.map((c) => c.name()));
  for (const pc of commands) {
    if (taken.has(pc.name)) {
      throw new CrashplugError(
        'E_PLUGIN',
        `a port adds the command "${pc.name}", which crashplug already has; load each port once and give port commands their own names`,
      );
    }
    taken.add(pc.name);
    const parent = program.command(pc.name).description(pc.summary);
    for (const sub of pc.subcommands) {
      const cmd = parent.command(sub.name).description(sub.summary);
      for (const o of sub.options) {
        const option = new Option(o.flags, o.description);
        if (o.required === true) option.makeOptionMandatory();
        cmd.addOption(option);
      }
      cmd.action((opts: Record<string, string | boolean | undefined>) => runPortSubcommand(sub, opts, ctx));
    }
  }
}
