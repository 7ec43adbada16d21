// A command a port adds to the `crashplug` CLI (powerpc's `fadump`), bound to TOKENS.PortCommand.
// It is declared as data, so a port needs no CLI library: the CLI turns it into subcommands,
// parses the options, and hands `run` the values and the I/O it may use (files are read and
// written by the CLI, with its checks, never by the port).

import type { SystemDescription } from '../system/system.js';

export interface PortOption {
  /** Commander-style flags: "--system <file>", "--json" (a boolean: every command offers it, and prints one JSON object). */
  readonly flags: string;
  readonly description: string;
  readonly required?: boolean | undefined;
}

/** What a port command may do beyond computing: everything goes through the CLI's checked I/O. */
export interface PortCommandIo {
  /** Load a system description file; `kernel` overrides the release it names. */
  loadSystem(path: string, kernel?: string | undefined): SystemDescription;
  /** Read an input file (E_IO naming it when that fails). */
  readInput(path: string, what: string): Uint8Array;
  /**
   * Write an output file whole or not at all; an existing file is replaced only on success. The
   * path "-" is standard output (`--out -`), and `out` then writes to standard error; the
   * outputs of one `run` land together after it returns (the CLI's output set), with `out`'s report.
   */
  writeOutput(path: string, bytes: Uint8Array, what: string): void;
  /** Standard output: the command's report, written once. */
  out(text: string): void;
}

export interface PortSubcommand {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly PortOption[];
  /** `options` by camel-cased long flag name ("--system" → system), as given. */
  run(options: Readonly<Record<string, string | boolean | undefined>>, io: PortCommandIo): void;
}

export interface PortCommand {
  /** The command name under `crashplug` ("fadump"); it must not clash with core's commands. */
  readonly name: string;
  readonly summary: string;
  readonly subcommands: readonly PortSubcommand[];
}
