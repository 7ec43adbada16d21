// `crashplug fadump header` and `crashplug fadump process`: powerpc's firmware-assisted dump, a
// command this port contributes to the CLI (TOKENS.PortCommand). The first writes the crash-info
// header the first kernel registers; the second checks a header as the fadump (second) kernel does
// and writes the elfcorehdr it builds, or refuses with the kernel's message and writes nothing.

import { CrashplugError, hex, type PortCommand, type PortCommandIo, type SystemDescription } from '../core/port/index.js';
import { fadumpConfigOf } from './fadump-config.js';
import { fadumpHeader, fadumpProcess } from './fadump.js';

type Options = Readonly<Record<string, string | boolean | undefined>>;

const POWERPC_IDS = ['ppc64', 'ppc64le'];

function text(opts: Options, key: string): string {
  const v = opts[key];
  if (typeof v !== 'string') throw new CrashplugError('E_BAD_ARGUMENT', `fadump: give --${key}`);
  return v;
}

function kernelOf(opts: Options): string | undefined {
  return typeof opts.kernel === 'string' ? opts.kernel : undefined;
}

/** A powerpc description; its `fadump` object was parsed when it was loaded. */
function loadPowerpcSystem(path: string, io: PortCommandIo, kernel: string | undefined): SystemDescription {
  const system = io.loadSystem(path, kernel);
  if (!POWERPC_IDS.includes(system.arch)) {
    throw new CrashplugError('E_UNSUPPORTED', `${path}: $.arch: fadump exists only on powerpc; "${system.arch}" is not "ppc64" or "ppc64le"`);
  }
  return system;
}

/** "-" is standard output (the CLI's `--out -`). */
function outName(out: string): string {
  return out === '-' ? 'standard output' : out;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function runHeader(opts: Options, io: PortCommandIo): void {
  const out = text(opts, 'out');
  const system = loadPowerpcSystem(text(opts, 'system'), io, kernelOf(opts));
  const config = fadumpConfigOf(system);
  const bytes = fadumpHeader(system, config);
  io.writeOutput(out, bytes, 'fadump crash-info header');
  const crashed = config.crashingCpu !== 0xffff_ffff;
  if (opts.json === true) {
    io.out(
      json({
        system: system.origin,
        arch: system.arch,
        kernel: system.kernel.version,
        header: {
          bytes: bytes.length,
          byteOrder: system.arch === 'ppc64' ? 'big' : 'little',
          magic: 'FADMPSIG',
          version: 1,
          crashingCpu: crashed ? config.crashingCpu : null,
          vmcoreinfo: { address: hex(system.vmcoreinfo.address), size: hex(system.vmcoreinfo.size) },
          ptRegsSize: config.ptRegsSize,
          cpuMaskSize: config.cpuMaskSize,
          cpuMask: crashed ? 'online' : 'possible',
        },
        out: { path: out, bytes: bytes.length },
      }),
    );
    return;
  }
  io.out(
    [
      `fadump_crash_info_header for ${system.origin} (${system.arch}, kernel ${system.kernel.version} profile), ${bytes.length} bytes, ${system.arch === 'ppc64' ? 'big' : 'little'}-endian:`,
      `  magic FADMPSIG, version 1, crashing_cpu ${crashed ? config.crashingCpu : 'FADUMP_CPU_UNKNOWN'}`,
      `  vmcoreinfo at ${hex(system.vmcoreinfo.address)}, relocated into the boot-memory copy as the header records it, size ${hex(system.vmcoreinfo.size)}`,
      `  pt_regs_sz ${config.ptRegsSize}, cpu_mask_sz ${config.cpuMaskSize}; cpu_mask = the ${crashed ? 'online' : 'possible'} CPUs`,
      `Wrote ${bytes.length} bytes to ${outName(out)}`,
      '',
    ].join('\n'),
  );
}

function runProcess(opts: Options, io: PortCommandIo): void {
  const headerPath = text(opts, 'header');
  const out = text(opts, 'out');
  const header = io.readInput(headerPath, 'fadump crash-info header');
  const system = loadPowerpcSystem(text(opts, 'system'), io, kernelOf(opts));
  const result = fadumpProcess(system, header);
  if (!result.ok) {
    throw new CrashplugError(
      result.code,
      `${headerPath}: the fadump kernel refuses this header: "${result.message}" (${result.reason}); it invalidates the dump and releases its memory, so no elfcorehdr is written`,
    );
  }
  const e = result.elfcorehdr;
  io.writeOutput(out, e.bytes, 'elfcorehdr');
  const kind = (t: number): string => (t === 4 ? 'NOTE' : t === 1 ? 'LOAD' : 'NULL');
  if (opts.json === true) {
    io.out(
      json({
        system: system.origin,
        arch: system.arch,
        kernel: system.kernel.version,
        header: headerPath,
        accepted: true,
        elfcorehdr: {
          bytes: e.bytes.length,
          sizedPhnum: e.sizedPhnum,
          programHeaders: e.phdrs.map((p, i) => ({ index: i, type: kind(p.type), paddr: hex(p.paddr), offset: hex(p.offset), size: hex(p.filesz) })),
          nullPhdrs: e.nullPhdrs.length,
        },
        out: { path: out, bytes: e.bytes.length },
      }),
    );
    return;
  }
  const lines = [
    `elfcorehdr of the fadump kernel for ${system.origin} (${system.arch}), ${e.bytes.length} bytes, ${e.phdrs.length} program headers (sized for ${e.sizedPhnum}):`,
    ...e.phdrs.map((p, i) => `  [${i}] ${kind(p.type)} paddr ${hex(p.paddr)} offset ${hex(p.offset)} size ${hex(p.filesz)}`),
    ...(e.nullPhdrs.length > 0
      ? [`  note: ${e.nullPhdrs.length} all-zero program header(s) for memory wholly inside the reserved area (the kernel still counts them)`]
      : []),
    `Wrote ${e.bytes.length} bytes to ${outName(out)}`,
    '',
  ];
  io.out(lines.join('\n'));
}

const KERNEL_OPTION = { flags: '--kernel <version>', description: 'model this kernel release instead of the one the description names' };
const JSON_OPTION = { flags: '--json', description: 'print one JSON object instead of text' };

export const FADUMP_COMMAND: PortCommand = {
  name: 'fadump',
  summary: 'powerpc firmware-assisted dump: the crash-info header, and the elfcorehdr the second kernel builds',
  subcommands: [
    {
      name: 'header',
      summary: 'write the fadump_crash_info_header the first kernel registers (native byte order)',
      options: [
        { flags: '--system <file>', description: 'the machine, as a system description with a "fadump" object', required: true },
        { flags: '--out <file>', description: 'where to write the header ("-": standard output, the report to standard error)', required: true },
        KERNEL_OPTION,
        JSON_OPTION,
      ],
      run: runHeader,
    },
    {
      name: 'process',
      summary: 'check a crash-info header as the fadump kernel does and write the elfcorehdr it builds',
      options: [
        { flags: '--header <file>', description: 'the crash-info header (what `fadump header` wrote, or a capture)', required: true },
        { flags: '--system <file>', description: 'the machine at the fadump kernel\'s boot, with a "fadump" object', required: true },
        { flags: '--out <file>', description: 'where to write the elfcorehdr ("-": standard output, the report to standard error)', required: true },
        KERNEL_OPTION,
        JSON_OPTION,
      ],
      run: runProcess,
    },
  ],
};
