// `crashplug fadump header` and `crashplug fadump process`: powerpc's firmware-assisted dump. The
// first writes the crash-info header the first kernel registers; the second checks a header as the
// fadump (second) kernel does and writes the elfcorehdr it builds, or refuses with the kernel's
// message and writes nothing.

import type { Command } from 'commander';
import { fadumpConfigOf, fadumpHeader, fadumpProcess } from '../../arch-powerpc/index.js';
import { CrashplugError, hex } from '../../core/base/index.js';
import { loadSystemFile, type SystemDescription } from '../../core/system/index.js';
import type { CliContext } from '../context.js';
import { readInputFile, writeFileAtomic } from '../files.js';

interface FadumpOptions {
  readonly system: string;
  readonly out: string;
  readonly header?: string;
  readonly kernel?: string;
}

/** A powerpc description; its `fadump` and `powerpc` objects arrive in `system.extensions`, for the port. */
function loadPowerpcSystem(path: string, ctx: CliContext, kernel: string | undefined): SystemDescription {
  const system = loadSystemFile(path, ctx.registry(), { kernel });
  if (system.arch !== 'ppc64' && system.arch !== 'ppc64le') {
    throw new CrashplugError('E_UNSUPPORTED', `${path}: $.arch: fadump exists only on powerpc; "${system.arch}" is not "ppc64" or "ppc64le"`);
  }
  return system;
}

function runHeader(opts: FadumpOptions, ctx: CliContext): void {
  const system = loadPowerpcSystem(opts.system, ctx, opts.kernel);
  const config = fadumpConfigOf(system);
  const bytes = fadumpHeader(system, config);
  writeFileAtomic(opts.out, bytes);
  const crashed = config.crashingCpu !== 0xffff_ffff;
  ctx.out(
    [
      `fadump_crash_info_header for ${system.origin} (${system.arch}, kernel ${system.kernel.version} profile), ${bytes.length} bytes, ${system.arch === 'ppc64' ? 'big' : 'little'}-endian:`,
      `  magic FADMPSIG, version 1, crashing_cpu ${crashed ? config.crashingCpu : 'FADUMP_CPU_UNKNOWN'}`,
      `  vmcoreinfo at ${hex(system.vmcoreinfo.address)}, relocated into the boot-memory copy as the header records it, size ${hex(system.vmcoreinfo.size)}`,
      `  pt_regs_sz ${config.ptRegsSize}, cpu_mask_sz ${config.cpuMaskSize}; cpu_mask = the ${crashed ? 'online' : 'possible'} CPUs`,
      `Wrote ${bytes.length} bytes to ${opts.out}`,
      '',
    ].join('\n'),
  );
}

function runProcess(opts: FadumpOptions, ctx: CliContext): void {
  if (opts.header === undefined) throw new CrashplugError('E_BAD_ARGUMENT', 'fadump process: give the crash-info header with --header FILE');
  const header = readInputFile(opts.header, 'fadump crash-info header');
  const system = loadPowerpcSystem(opts.system, ctx, opts.kernel);
  const result = fadumpProcess(system, header);
  if (!result.ok) {
    throw new CrashplugError(
      result.code,
      `${opts.header}: the fadump kernel refuses this header: "${result.message}" (${result.reason}); it invalidates the dump and releases its memory, so no elfcorehdr is written`,
    );
  }
  const e = result.elfcorehdr;
  writeFileAtomic(opts.out, e.bytes);
  const lines = [
    `elfcorehdr of the fadump kernel for ${system.origin} (${system.arch}), ${e.bytes.length} bytes, ${e.phdrs.length} program headers (sized for ${e.sizedPhnum}):`,
    ...e.phdrs.map((p, i) => `  [${i}] ${p.type === 4 ? 'NOTE' : p.type === 1 ? 'LOAD' : 'NULL'} paddr ${hex(p.paddr)} offset ${hex(p.offset)} size ${hex(p.filesz)}`),
    ...(e.nullPhdrs.length > 0 ? [`  note: ${e.nullPhdrs.length} all-zero program header(s) for memory wholly inside the reserved area (the kernel still counts them)`] : []),
    `Wrote ${e.bytes.length} bytes to ${opts.out}`,
    '',
  ];
  ctx.out(lines.join('\n'));
}

export function registerFadump(program: Command, ctx: CliContext): void {
  const fadump = program.command('fadump').description('powerpc firmware-assisted dump: the crash-info header, and the elfcorehdr the second kernel builds');
  fadump
    .command('header')
    .description('write the fadump_crash_info_header the first kernel registers (native byte order)')
    .requiredOption('--system <file>', 'the machine, as a system description with a "fadump" object')
    .requiredOption('--out <file>', 'where to write the header')
    .option('--kernel <version>', 'model this kernel release instead of the one the description names')
    .action((opts: FadumpOptions) => runHeader(opts, ctx));
  fadump
    .command('process')
    .description('check a crash-info header as the fadump kernel does and write the elfcorehdr it builds')
    .requiredOption('--header <file>', 'the crash-info header (what `fadump header` wrote, or a capture)')
    .requiredOption('--system <file>', 'the machine at the fadump kernel\'s boot, with a "fadump" object')
    .requiredOption('--out <file>', 'where to write the elfcorehdr')
    .option('--kernel <version>', 'model this kernel release instead of the one the description names')
    .action((opts: FadumpOptions) => runProcess(opts, ctx));
}
