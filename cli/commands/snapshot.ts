// `crashplug snapshot --host --out DIR`: copy what `--host` reads into a folder that runs anywhere
// (cli/snapshot.ts), and say what went in.

import { type Command, Option } from 'commander';
import { CrashplugError } from '../../core/base/index.js';
import type { CliContext } from '../context.js';
import { packageVersion } from '../package-version.js';
import { takeSnapshot } from '../snapshot.js';

interface SnapshotCommandOptions {
  readonly host?: boolean;
  readonly out: string;
  readonly root?: string;
  readonly kernel?: string;
  readonly json?: boolean;
}

export function registerSnapshot(program: Command, ctx: CliContext): void {
  program
    .command('snapshot')
    .description(
      'copy what --host reads (iomem, cpulists, sysfs sizes, vmcoreinfo, crash_notes, the FDT, the KASLR values) into a folder whose system.json runs anywhere',
    )
    .addOption(new Option('--host', 'snapshot this machine (the only source there is; say it, so nothing is read by surprise)'))
    .requiredOption('--out <dir>', 'the folder to create (it must not exist); written whole or not at all')
    .option('--root <path>', 'read /proc and /sys under this folder instead of / (a copied or mounted tree)')
    .option('--kernel <version>', 'model this kernel release instead of the running one (uname -r)')
    .option('--json', 'print one JSON object instead of text')
    .action((opts: SnapshotCommandOptions) => runSnapshot(opts, ctx));
}

function runSnapshot(opts: SnapshotCommandOptions, ctx: CliContext): void {
  if (opts.host !== true)
    throw new CrashplugError('E_BAD_ARGUMENT', 'snapshot: say --host: it copies what --host reads from this machine (or from --root PATH)');
  const s = takeSnapshot(ctx.registry(), { out: opts.out, root: opts.root, kernel: opts.kernel, now: new Date(), crashplugVersion: packageVersion() });
  if (opts.json === true) {
    ctx.out(
      `${JSON.stringify(
        {
          dir: s.dir,
          system: `${s.dir}/system.json`,
          arch: s.host.system.arch,
          kernel: s.host.system.kernel.version,
          files: s.files,
          absent: s.absent,
          assumptions: s.host.assumptions,
          headerBytes: s.headerBytes,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const lines = [
    `Snapshot of ${s.host.system.arch} (kernel ${s.host.system.kernel.version} profile) written to ${s.dir}:`,
    `  ${s.files.length} files copied, ${s.absent.length} not present there; PAGE_OFFSET ${String(s.host.json.pageOffset)} recorded (/proc/kcore is never copied)`,
    ...(s.host.assumptions.length === 0 ? [] : [`  ${s.host.assumptions.length} value(s) assumed: see README.txt`]),
    `Run it anywhere: crashplug elfcorehdr --system ${s.dir}/system.json (checked: the same ${s.headerBytes} bytes as --host)`,
  ];
  ctx.out(`${lines.join('\n')}\n`);
}
