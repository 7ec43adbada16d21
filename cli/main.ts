// The composition root of the `crashplug` command: loads the built-in ports and any given with
// --port or CRASHPLUG_PORTS into one container, defines core's commands and the ports' own, and
// turns failures into one stderr line and an exit code — 2 for bad input (a CrashplugError or a
// usage error), 1 for an internal fault (ours, or a port's).

import { Command, CommanderError } from 'commander';
import { type Crashplug, createCrashplug } from '../api/crashplug.js';
import { loadPortModule, portsFromEnv } from '../api/load-ports.js';
import { closeInputJournal, ioReason, openInputJournal } from '../api/checked-read.js';
import { CrashplugError } from '../core/base/index.js';
import { registerCheck } from './commands/check.js';
import { registerElfcorehdr } from './commands/elfcorehdr.js';
import { registerInspect } from './commands/inspect.js';
import { registerReplay } from './commands/replay.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerVmcore } from './commands/vmcore.js';
import type { CliContext } from './context.js';
import { packageVersion } from './package-version.js';
import { registerPortCommands } from './port-commands.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;
/** The command worked and its answer is bad (CliContext.answerIsBad); `--no-fail` turns it into 0. */
export const EXIT_ANSWER_BAD = 3;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Bytes to standard output (`--out -`). */
  readonly outBytes?: ((bytes: Uint8Array) => void) | undefined;
  readonly debug: boolean;
}

/** `--port MODULE` / `--port=MODULE`, wherever they stand, taken out of argv (they act before parsing). */
export function takePortArgs(argv: readonly string[]): { specs: string[]; rest: string[] } {
  const specs: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--port') {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('-'))
        throw new CrashplugError('E_BAD_ARGUMENT', "option '--port <module>' argument missing; give a port module's path or package name");
      specs.push(v);
      i++;
    } else if (a.startsWith('--port=')) {
      specs.push(a.slice('--port='.length));
    } else {
      rest.push(a);
    }
  }
  return { specs, rest };
}

const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  fine',
  '  1  internal fault (of crashplug, or E_PORT_FAULT of a port)',
  '  2  bad input: one line on stderr, "crashplug: E_CODE: what, where, what to do"; nothing written',
  '  3  the answer is bad (a check found an error, inspect --against found differences,',
  '     simulate or replay ended with failed updates or a stale header); --no-fail makes it 0',
].join('\n');

function portsHelp(crashplug: Crashplug, external: readonly string[]): string {
  const lines = crashplug.registry.all().map((p) => `  ${p.id.padEnd(10)} ${p.description}`);
  const from = external.length > 0 ? `\nPorts loaded from outside crashplug: ${external.join(', ')}` : '';
  return `\nArch ports loaded (add one with --port MODULE or CRASHPLUG_PORTS=MODULE,…):\n${lines.join('\n')}${from}`;
}

function buildProgram(ctx: CliContext, io: CliIo, crashplug: Crashplug, external: readonly string[]): Command {
  const program = new Command('crashplug');
  // Set before the commands are added: subcommands made with .command() inherit both.
  program.exitOverride().configureOutput({
    writeOut: io.out,
    writeErr: io.err,
    // Usage errors read like every other bad input: one line, a code, exit 2.
    outputError: (text, write) =>
      write(
        `crashplug: E_BAD_ARGUMENT: ${text
          .replace(/^error: /, '')
          .replace(/\s*\n\s*/g, ' ')
          .trim()}\n`,
      ),
  });
  program
    .description('A byte-exact model of how Linux builds the kdump elfcorehdr and keeps it right during CPU and memory hot-plug')
    .version(packageVersion())
    .showSuggestionAfterError()
    .option('--port <module>', 'load an arch port from outside crashplug: a path or a package name (repeatable; also CRASHPLUG_PORTS, comma-separated)')
    .option('--no-fail', 'exit 0 even when the answer is bad (otherwise exit 3: see "Exit codes")')
    .addHelpText('after', () => `${portsHelp(crashplug, external)}\n\n${EXIT_CODES_HELP}`);
  registerElfcorehdr(program, ctx);
  registerInspect(program, ctx);
  registerSimulate(program, ctx);
  registerSnapshot(program, ctx);
  registerCheck(program, ctx);
  registerVmcore(program, ctx);
  registerReplay(program, ctx);
  registerPortCommands(program, crashplug.commands, ctx);
  return program;
}

/** The commands an argv names, outermost first ("fadump process"), and the deepest one found. */
function commandPath(program: Command, words: readonly string[]): { cmd: Command; path: string[]; unknown?: string } {
  let cmd = program;
  const path: string[] = [];
  for (const w of words) {
    const next = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (next === undefined) return cmd.commands.length > 0 ? { cmd, path, unknown: w } : { cmd, path };
    cmd = next;
    path.push(w);
  }
  return { cmd, path };
}

/** "crashplug fadump --help": where a usage error's help is. */
function helpHint(program: Command, args: readonly string[]): string {
  const { path } = commandPath(
    program,
    args.filter((a) => !a.startsWith('-')),
  );
  return `see crashplug${path.map((p) => ` ${p}`).join('')} --help`;
}

/**
 * The one line for a command line that names no command where one is needed (`crashplug`,
 * `crashplug fadump`) or asks for help on a command that does not exist (`crashplug help bogus`):
 * commander would print the whole help on stderr instead.
 */
export function usageLine(program: Command, args: readonly string[]): string {
  const words = args.filter((a) => !a.startsWith('-'));
  const names = (c: Command): string =>
    c.commands
      .map((s) => s.name())
      .filter((n) => n !== 'help')
      .join(', ');
  const asHelp = words[0] === 'help';
  const { cmd, path, unknown } = commandPath(program, asHelp ? words.slice(1) : words);
  const where = `crashplug${path.map((p) => ` ${p}`).join('')}`;
  if (unknown !== undefined) {
    return `E_BAD_ARGUMENT: ${asHelp ? 'help: ' : ''}${where} has no command "${unknown}"; its commands are ${names(cmd)} (see ${where} --help)`;
  }
  return `E_BAD_ARGUMENT: ${path.length === 0 ? '' : `${path.join(' ')}: `}give a command: ${names(cmd)} (see ${where} --help)`;
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
export async function runCli(argv: readonly string[], io: CliIo, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  // Commander's own stderr output is held back: help shown as an error becomes one line (usageLine).
  let held = '';
  let program: Command | undefined;
  const heldIo: CliIo = { ...io, err: (text) => void (held += text) };
  openInputJournal();
  try {
    const { specs, rest } = takePortArgs(argv.slice(2));
    const external = [...portsFromEnv(env.CRASHPLUG_PORTS), ...specs];
    const modules = [];
    for (const spec of external) modules.push(await loadPortModule(spec));
    const crashplug = createCrashplug({ ports: modules });
    const bad: string[] = [];
    const ctx: CliContext = { registry: () => crashplug.registry, out: io.out, outBytes: io.outBytes, err: io.err, answerIsBad: (why) => void bad.push(why) };
    // --no-fail acts after the command, whichever command it is: taken out like --port.
    const noFail = rest.includes('--no-fail');
    const args = rest.filter((a) => a !== '--no-fail');
    program = buildProgram(ctx, heldIo, crashplug, external);
    await program.parseAsync([...argv.slice(0, 2), ...args]);
    if (held !== '') io.err(held);
    return bad.length > 0 && !noFail ? EXIT_ANSWER_BAD : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.help' && err.exitCode !== 0 && program !== undefined) {
        io.err(`crashplug: ${usageLine(program, argv.slice(2))}\n`);
        return EXIT_BAD_INPUT;
      }
      // Commander's message (or the help/version it was asked for), with where to find help.
      if (err.exitCode !== 0 && program !== undefined && /^crashplug: E_BAD_ARGUMENT: .*\n$/.test(held)) {
        held = `${held.slice(0, -1)} (${helpHint(program, argv.slice(2))})\n`;
      }
      if (held !== '') io.err(held);
      return err.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (held !== '') io.err(held);
    if (CrashplugError.is(err)) {
      io.err(`crashplug: ${err.toLine().replace(/\s*\n\s*/g, ' ')}\n`);
      if (io.debug) io.err(stackOf(err));
      // A port's own fault (E_PORT_FAULT) is not the user's input: exit 1, like ours.
      return err.internal ? EXIT_INTERNAL : EXIT_BAD_INPUT;
    }
    const why = err instanceof Error ? err.message : String(err);
    io.err(`crashplug: internal error: ${why.replace(/\s*\n\s*/g, ' ')}${io.debug ? '' : ' (set CRASHPLUG_DEBUG=1 for the stack trace)'}\n`);
    if (io.debug) io.err(stackOf(err));
    return EXIT_INTERNAL;
  } finally {
    closeInputJournal();
  }
}

// A reader that closes the pipe early (`crashplug … | head`) is not a failure of ours: exit as
// the command would have, quietly, as Unix tools do. Any other failure to write the report (a full
// disk, `> /dev/full`) is an I/O error of the command: one coded line, exit 2.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
  process.stderr.write(`crashplug: E_IO: standard output: cannot write the report (${ioReason(err)}); it is incomplete\n`);
  process.exit(EXIT_BAD_INPUT);
});

process.exitCode = await runCli(process.argv, {
  out: (text) => void process.stdout.write(text),
  outBytes: (bytes) => void process.stdout.write(bytes),
  err: (text) => void process.stderr.write(text),
  debug: process.env.CRASHPLUG_DEBUG === '1',
});
