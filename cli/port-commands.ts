// Commands the loaded ports add (TOKENS.PortCommand), turned into commander subcommands. The port
// declares options and a `run`; the CLI parses, checks and does the file I/O.

import { type Command, Option } from 'commander';
import { loadSystemFile } from '../api/system-file.js';
import { CrashplugError } from '../core/base/index.js';
import type { PortCommand, PortCommandIo } from '../core/port/index.js';
import type { CliContext } from './context.js';
import { readInputFile } from './files.js';
import { reportStream, toStdout, writeOutput } from './output.js';

/** `--out -` sends the port's bytes to standard output, so its report goes to standard error. */
function ioFor(ctx: CliContext, opts: Record<string, string | boolean | undefined>): PortCommandIo {
  return {
    loadSystem: (path, kernel) => loadSystemFile(path, ctx.registry(), { kernel }),
    readInput: (path, what) => readInputFile(path, what),
    writeOutput: (path, bytes) => writeOutput(ctx, path, bytes),
    out: reportStream(ctx, toStdout(typeof opts.out === 'string' ? opts.out : undefined)),
  };
}

export function registerPortCommands(program: Command, commands: readonly PortCommand[], ctx: CliContext): void {
  const taken = new Set(program.commands.map((c) => c.name()));
  for (const pc of commands) {
    if (taken.has(pc.name)) {
      throw new CrashplugError('E_PLUGIN', `a port adds the command "${pc.name}", which crashplug already has; load each port once and give port commands their own names`);
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
      cmd.action((opts: Record<string, string | boolean | undefined>) => sub.run(opts, ioFor(ctx, opts)));
    }
  }
}
