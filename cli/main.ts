// The composition root of the `crashplug` command: loads every arch port into the container,
// defines the commands, and turns failures into one stderr line and an exit code — 2 for bad
// input (a CrashplugError or a usage error), 1 for an internal fault.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CrashplugError } from '../core/base/index.js';
import { type PluginRegistry, registryOf } from '../core/port/index.js';
import { ARCH_MODULES } from './arch-modules.js';
import { registerElfcorehdr } from './commands/elfcorehdr.js';
import { registerFadump } from './commands/fadump.js';
import { registerInspect } from './commands/inspect.js';
import { registerSimulate } from './commands/simulate.js';
import type { CliContext } from './context.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly debug: boolean;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

function buildProgram(ctx: CliContext, io: CliIo): Command {
  const program = new Command('crashplug');
  // Set before the commands are added: subcommands made with .command() inherit both.
  program
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      // Usage errors read like every other bad input: one line, a code, exit 2.
      outputError: (text, write) => write(`crashplug: E_BAD_ARGUMENT: ${text.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').trim()}\n`),
    });
  program
    .description('A byte-exact model of how Linux builds the kdump elfcorehdr and keeps it right during CPU and memory hot-plug')
    .version(packageVersion())
    .showSuggestionAfterError()
    .addHelpText('after', () => `\nArch ports loaded: ${ctx.registry().ids().join(', ')}`);
  registerElfcorehdr(program, ctx);
  registerInspect(program, ctx);
  registerSimulate(program, ctx);
  registerFadump(program, ctx);
  return program;
}

function stackOf(err: unknown): string {
  const parts: string[] = [];
  // Causes chain through the port wrapper (registry.ts); a few levels are all there ever are.
  for (let e: unknown = err; e !== undefined && parts.length < 8; e = e instanceof Error ? e.cause : undefined) {
    parts.push(`${parts.length === 0 ? '' : 'caused by: '}${e instanceof Error ? (e.stack ?? String(e)) : String(e)}`);
  }
  return `${parts.join('\n')}\n`;
}

/** Run one command line (argv as in process.argv) and return the exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let registry: PluginRegistry | undefined;
  const ctx: CliContext = { registry: () => (registry ??= registryOf(ARCH_MODULES)), out: io.out };
  try {
    await buildProgram(ctx, io).parseAsync([...argv]);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message (or the help/version it was asked for) already.
      return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (CrashplugError.is(err)) {
      io.err(`crashplug: ${err.toLine().replace(/\s*\n\s*/g, ' ')}\n`);
      if (io.debug) io.err(stackOf(err));
      return EXIT_BAD_INPUT;
    }
    const why = err instanceof Error ? err.message : String(err);
    io.err(`crashplug: internal error: ${why.replace(/\s*\n\s*/g, ' ')}${io.debug ? '' : ' (set CRASHPLUG_DEBUG=1 for the stack trace)'}\n`);
    if (io.debug) io.err(stackOf(err));
    return EXIT_INTERNAL;
  }
}

// A reader that closes the pipe early (`crashplug … | head`) is not a failure of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
  process.stderr.write(`crashplug: internal error: cannot write to standard output: ${err.message}\n`);
  process.exit(EXIT_INTERNAL);
});

process.exitCode = await runCli(process.argv, {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  debug: process.env.CRASHPLUG_DEBUG === '1',
});
