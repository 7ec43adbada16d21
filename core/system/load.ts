// Reader of the system description (JSON, format 1; README.md): validates every field, names the
// JSON path of whatever is wrong, and fills every default, so the rest of crashplug works on a
// complete SystemDescription and never re-checks its input.

import { formatCpulist, parseCpulist } from './cpulist.js';
import { CrashplugError } from '../base/errors.js';
import { hex, U64_MAX } from '../base/hex.js';
import { iomemCrashKernel } from './iomem.js';
import { kernelProfile, newestRelease } from './kernel-profile.js';
import type { ArchPlugin } from '../port/plugin.js';
import type { PluginRegistry } from '../port/registry.js';
import { at, describe, type Json, Reader } from './json-reader.js';
import type { Range } from '../memory/range.js';
import { MEMORY_TODO, readMemory, type SystemFiles } from './memory.js';
import type { RangesCut } from './ranges-text.js';
import {
  type CpuSets,
  type CrashNotes,
  type HeaderBuilder,
  type KernelConfig,
  type KernelImage,
  vmcoreinfoNoteSize,
  type SystemDescription,
} from './system.js';

/** What a caller (the CLI's --kernel and --builder) may impose over the file. */
export interface SystemOverrides {
  readonly kernel?: string | undefined;
  readonly builder?: HeaderBuilder | undefined;
}

export interface ParseSystemOptions {
  /** Names the description in messages and becomes `SystemDescription.origin`. */
  readonly origin: string;
  /** Folder that relative paths inside the description (memory.iomem) resolve against. */
  readonly baseDir: string;
  readonly registry: PluginRegistry;
  /** How files the description names (memory.iomem, memory.dtb) are read: core itself reads none. */
  readonly files: SystemFiles;
  readonly overrides?: SystemOverrides | undefined;
  /**
   * `memory.ranges` read already (cutRangesList), for a description whose list JSON.parse saw as
   * RANGES_MARKER.
   */
  readonly readRanges?: Pick<RangesCut, 'systemRam' | 'ascending'> | undefined;
}

/** The Kconfig defaults of an x86_64 distribution kernel without MAXSMP. */
export const DEFAULT_KERNEL_CONFIG: KernelConfig = {
  nrCpusDefault: 64,
  crashMaxMemoryRanges: 8192,
  memoryHotplug: true,
  crashHotplug: true,
};

export const HEADER_BUILDERS: readonly HeaderBuilder[] = ['kernel', 'kexec-tools'];

/**
 * Every top-level key core reads. The loaded ports add theirs (`ArchIdentity.sections`);
 * anything else is almost always a typo of one of these.
 */
export const SYSTEM_KEYS = [
  'arch',
  'memory',
  'cpus',
  'crashNotes',
  'vmcoreinfo',
  'crashkernel',
  'crashkernelLow',
  'crashkernelCma',
  'kernelImage',
  'pageOffset',
  'physOffset',
  'pageSize',
  'backupStart',
  'kernel',
  'format',
  'builder',
  'config',
] as const;

/** The format of the system description this crashplug reads (README.md); `"format"` may say so. */
export const SYSTEM_FORMAT = 1;

/** `$.format`: absent or 1; anything else is a description written for another crashplug. */
function checkFormat(origin: string, value: unknown): void {
  if (value === undefined || value === SYSTEM_FORMAT) return;
  const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : describe(value);
  throw new CrashplugError(
    'E_FORMAT',
    `${origin}: $.format: ${shown} is not a system description format this crashplug reads (it reads format ${SYSTEM_FORMAT}, written as the number 1); ` +
      'convert the file to format 1 (README.md "System description"), or use the crashplug release that wrote it',
  );
}

/** "CPU 2" or "CPUs 4-5", for messages. */
function cpusNamed(cpus: readonly number[]): string {
  return `${cpus.length === 1 ? 'CPU' : 'CPUs'} ${formatCpulist(cpus)}`;
}

/** The ports' sections, each checked to be an object and carried raw for its port. */
/**
 * The port sections of a description, each parsed once by the port that reads it. A section only
 * another port reads is refused: it would be silently ignored for this arch.
 */
function readSections(r: Reader, top: Json, plugin: ArchPlugin, registry: PluginRegistry): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [key, { ports }] of registry.sections()) {
    if (top[key] === undefined) continue;
    const section = plugin.sections[key];
    if (section === undefined) {
      r.bad(
        at('$', key),
        `the "${key}" section is read by the ${ports.join(', ')} port${ports.length > 1 ? 's' : ''}, not by ${plugin.id}`,
        `remove it, or set "arch" to ${ports.map((p) => `"${p}"`).join(' or ')}`,
      );
    }
    out[key] = section.parse(top[key], r);
  }
  return Object.freeze(out);
}

function readCpus(r: Reader, value: unknown): CpuSets {
  const json = r.object(value, '$.cpus', ['possible', 'present', 'online']);
  const list = (key: string): number[] | undefined => {
    const v = json[key];
    if (v === undefined) return undefined;
    const text = r.string(v, `$.cpus.${key}`, 'write CPU sets as cpulist strings such as "0-3"');
    return parseCpulist(text, `${r.origin}: $.cpus.${key}`);
  };
  const possible = list('possible');
  if (possible === undefined) {
    r.bad('$.cpus.possible', 'missing', 'give the possible CPUs as a cpulist, e.g. "0-3" (/sys/devices/system/cpu/possible)');
  }
  if (possible.length === 0) r.bad('$.cpus.possible', 'is empty', 'a machine has at least one possible CPU');
  const present = list('present') ?? possible;
  // Online defaults to present, not possible, so that giving only `present` stays consistent.
  const online = list('online') ?? present;
  for (const [sub, sup, what, of] of [
    [present, possible, 'present', 'possible'],
    [online, present, 'online', 'present'],
  ] as const) {
    // A set left out (present or online was not given), it is the other one: nothing to check.
    if (sub === sup) continue;
    // A set, not `sup.includes` per CPU: 8192 possible CPUs made that 67 million comparisons.
    const inSup = new Set(sup);
    const extra = sub.filter((c) => !inSup.has(c));
    if (extra.length > 0) {
      const verb = extra.length === 1 ? 'is' : 'are';
      const why = `${cpusNamed(extra)} ${verb} ${what} but not ${of} (${of}: ${formatCpulist(sup) || 'none'})`;
      r.bad(`$.cpus.${what}`, why, `every ${what} CPU must also be ${of}`);
    }
  }
  return { possible, present, online };
}

function readCrashNotes(r: Reader, value: unknown, possible: readonly number[]): CrashNotes {
  const json = r.object(value, '$.crashNotes', ['base', 'stride', 'addresses']);
  const todo = 'give either crashNotes.base and crashNotes.stride, or crashNotes.addresses ({"0": "0x…", …})';
  if (json.addresses !== undefined) {
    if (json.base !== undefined || json.stride !== undefined) {
      r.bad('$.crashNotes', 'has both addresses and base/stride', todo);
    }
    const table = r.object(json.addresses, '$.crashNotes.addresses');
    const addresses = new Map<number, bigint>();
    const isPossible = new Set(possible);
    for (const [key, v] of Object.entries(table)) {
      const path = at('$.crashNotes.addresses', key);
      const cpu = /^\d+$/.test(key) ? Number(key) : NaN;
      if (!isPossible.has(cpu)) {
        const why = Number.isNaN(cpu) ? `"${key}" is not a CPU number` : `CPU ${cpu} is not possible (possible: ${formatCpulist(possible)})`;
        r.bad(path, why, 'key the table by possible CPU numbers');
      }
      if (addresses.has(cpu)) r.bad(path, `CPU ${cpu} is given twice`, 'give each CPU once');
      addresses.set(cpu, r.u64(v, path));
    }
    const missing = possible.filter((c) => !addresses.has(c));
    if (missing.length > 0) r.bad('$.crashNotes.addresses', `no address for ${cpusNamed(missing)}`, 'give one address per possible CPU');
    return { kind: 'table', addresses };
  }
  const base = r.u64(r.required(json, 'base', '$.crashNotes', todo), '$.crashNotes.base');
  const stride = r.u64(r.required(json, 'stride', '$.crashNotes', todo), '$.crashNotes.stride');
  const last = BigInt(possible[possible.length - 1]!);
  if (base + last * stride > U64_MAX) r.bad('$.crashNotes', `CPU ${last}'s notes would lie past 2^64`, 'check base and stride');
  return { kind: 'stride', base, stride };
}

function readKernelImage(r: Reader, value: unknown): KernelImage {
  const json = r.object(value, '$.kernelImage', ['text', 'textPhys', 'size']);
  const field = (key: string, what: string): bigint => r.u64(r.required(json, key, '$.kernelImage', `give ${what}`), `$.kernelImage.${key}`);
  return {
    text: field('text', '_text (virtual)'),
    textPhys: field('textPhys', '__pa_symbol(_text)'),
    size: field('size', '_end − _text'),
  };
}

function readConfig(r: Reader, value: unknown): KernelConfig {
  if (value === undefined) return DEFAULT_KERNEL_CONFIG;
  const json = r.object(value, '$.config', Object.keys(DEFAULT_KERNEL_CONFIG));
  const d = DEFAULT_KERNEL_CONFIG;
  const num = (key: 'nrCpusDefault' | 'crashMaxMemoryRanges'): number => (json[key] === undefined ? d[key] : r.count(json[key], `$.config.${key}`, 1));
  const bool = (key: 'memoryHotplug' | 'crashHotplug'): boolean => (json[key] === undefined ? d[key] : r.boolean(json[key], `$.config.${key}`));
  return {
    nrCpusDefault: num('nrCpusDefault'),
    crashMaxMemoryRanges: num('crashMaxMemoryRanges'),
    memoryHotplug: bool('memoryHotplug'),
    crashHotplug: bool('crashHotplug'),
  };
}

const BUILDER_TODO = `use ${HEADER_BUILDERS.map((b) => `"${b}"`).join(' or ')}`;

function isHeaderBuilder(value: unknown): value is HeaderBuilder {
  return (HEADER_BUILDERS as readonly unknown[]).includes(value);
}

function readBuilder(r: Reader, value: unknown): HeaderBuilder {
  const s = r.string(value, '$.builder', BUILDER_TODO);
  if (!isHeaderBuilder(s)) r.bad('$.builder', `"${s}" is not a header builder`, BUILDER_TODO);
  return s;
}

function builderOverride(value: unknown): HeaderBuilder {
  // The CLI passes its option through unchecked; a bad one is the caller's argument, not the file's.
  if (!isHeaderBuilder(value)) {
    throw new CrashplugError('E_BAD_ARGUMENT', `builder override: ${describe(value)} is not a header builder; ${BUILDER_TODO}`);
  }
  return value;
}

function readKernelVersion(r: Reader, value: unknown): string {
  // A JSON number would turn "6.10" into 6.1 before we ever saw it.
  if (typeof value === 'number') {
    r.bad('$.kernel', `expected a string, got the number ${value}`, 'quote the version ("6.10"): as a JSON number 6.10 reads as 6.1');
  }
  return r.string(value, '$.kernel', 'write the kernel version as a string such as "6.1"');
}

function readVmcoreinfo(r: Reader, value: unknown, pageSize: number): SystemDescription['vmcoreinfo'] {
  const json = r.object(value, '$.vmcoreinfo', ['address', 'size']);
  const address = r.required(json, 'address', '$.vmcoreinfo', 'give the first field of /sys/kernel/vmcoreinfo');
  return {
    address: r.u64(address, '$.vmcoreinfo.address'),
    size: json.size === undefined ? vmcoreinfoNoteSize(pageSize) : r.u64(json.size, '$.vmcoreinfo.size'),
  };
}

function readPageSize(r: Reader, value: unknown, fallback: number): number {
  const pageSize = value === undefined ? fallback : r.count(value, '$.pageSize', 1);
  if (pageSize < 4096 || (pageSize & (pageSize - 1)) !== 0) {
    r.bad('$.pageSize', `${pageSize} is not a power of two of at least 4096`, "give the kernel's PAGE_SIZE in bytes (4096, 16384 or 65536)");
  }
  return pageSize;
}

/** CRASHKERNEL_CMA_RANGES_MAX (include/linux/crash_reserve.h) where CMA reservations exist. */
export const CRASHKERNEL_CMA_RANGES_MAX = 4;

function overlaps(a: Range, b: Range): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/**
 * `crashkernelCma`: up to four inclusive ranges that overlap neither each other nor the
 * crashkernel reservations (the kernel allocates them from CMA, apart from crashk_res). Sorting
 * them by start makes the overlap check O(n log n) and leaves the given order untouched.
 */
function readCrashkernelCma(r: Reader, value: unknown, reserved: readonly [string, Range | undefined][]): Range[] {
  const todo = 'give crashkernelCma as [["0x…", "0x…"], …]: the ranges of /sys/kernel/kexec/crash_cma_ranges, inclusive ends';
  if (!Array.isArray(value)) r.bad('$.crashkernelCma', `expected an array of ranges, got ${describe(value)}`, todo);
  if (value.length > CRASHKERNEL_CMA_RANGES_MAX) {
    r.bad(
      '$.crashkernelCma',
      `has ${value.length} ranges, but the kernel keeps at most CRASHKERNEL_CMA_RANGES_MAX = ${CRASHKERNEL_CMA_RANGES_MAX}`,
      `give at most ${CRASHKERNEL_CMA_RANGES_MAX}`,
    );
  }
  const ranges = value.map((v, i) => r.range(v, `$.crashkernelCma[${i}]`));
  const order = ranges.map((_, i) => i).sort((a, b) => (ranges[a]!.start < ranges[b]!.start ? -1 : ranges[a]!.start > ranges[b]!.start ? 1 : 0));
  for (let k = 1; k < order.length; k++) {
    const [i, j] = [order[k - 1]!, order[k]!];
    if (overlaps(ranges[i]!, ranges[j]!)) {
      r.bad(
        `$.crashkernelCma[${j}]`,
        `[${hex(ranges[j]!.start)}, ${hex(ranges[j]!.end)}] overlaps crashkernelCma[${i}] [${hex(ranges[i]!.start)}, ${hex(ranges[i]!.end)}]`,
        'CMA reservations are disjoint; give each once',
      );
    }
  }
  ranges.forEach((c, i) => {
    for (const [name, res] of reserved) {
      if (res !== undefined && res.end !== 0n && overlaps(c, res)) {
        r.bad(
          `$.crashkernelCma[${i}]`,
          `[${hex(c.start)}, ${hex(c.end)}] overlaps ${name} [${hex(res.start)}, ${hex(res.end)}]`,
          'the CMA reservation lies apart from the crashkernel reservations; check both',
        );
      }
    }
  });
  return ranges;
}

/** A parsed JSON value → a complete SystemDescription (every default README.md names filled). */
export function parseSystemDescription(json: unknown, opts: ParseSystemOptions): SystemDescription {
  const r = new Reader(opts.origin);
  // A port's key that shadowed one of core's would be read twice, differently.
  const portKeys = opts.registry.sectionKeys();
  const clash = portKeys.find((k) => (SYSTEM_KEYS as readonly string[]).includes(k));
  if (clash !== undefined) throw new CrashplugError('E_PLUGIN', `a port declares the section "${clash}", which core reads itself; rename the port's section`);
  // The format before anything else: a description of another format is wrong everywhere, and its
  // keys would otherwise be reported as unknown ones.
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) checkFormat(opts.origin, (json as Record<string, unknown>).format);
  // Unknown keys first: a typo of a required key would otherwise be reported as that key missing.
  const top = r.object(json, '$', [...SYSTEM_KEYS, ...portKeys]);
  const need = (key: string, todo: string): unknown => r.required(top, key, '$', todo);
  const optionalU64 = (key: string): bigint | undefined => (top[key] === undefined ? undefined : r.u64(top[key], at('$', key)));

  const ports = opts.registry
    .ids()
    .map((k) => `"${k}"`)
    .join(', ');
  const arch = r.string(need('arch', `give the architecture, one of ${ports}`), '$.arch', 'write the arch as a string such as "x86_64"');
  const plugin = opts.registry.get(arch, `${opts.origin}: $.arch`);
  const extensions = readSections(r, top, plugin, opts.registry);
  const pageSize = readPageSize(r, top.pageSize, plugin.defaults.pageSize);
  const memory = readMemory(r, need('memory', MEMORY_TODO), opts.baseDir, opts.files, opts.readRanges);
  const cpus = readCpus(r, need('cpus', 'give cpus.possible as a cpulist such as "0-3"'));
  const crashNotes = readCrashNotes(r, need('crashNotes', 'give crashNotes.base and .stride, or crashNotes.addresses'), cpus.possible);
  const vmcoreinfo = readVmcoreinfo(r, need('vmcoreinfo', 'give vmcoreinfo.address (the first field of /sys/kernel/vmcoreinfo)'), pageSize);

  const fromIomem = memory.iomem === undefined ? {} : iomemCrashKernel(memory.iomem, memory.origin);
  const crashkernel = top.crashkernel === undefined ? fromIomem.crashkernel : r.range(top.crashkernel, '$.crashkernel');
  const crashkernelLow = top.crashkernelLow === undefined ? fromIomem.crashkernelLow : r.range(top.crashkernelLow, '$.crashkernelLow');
  const crashkernelCma =
    top.crashkernelCma === undefined
      ? undefined
      : readCrashkernelCma(r, top.crashkernelCma, [
          ['crashkernel', crashkernel],
          ['crashkernelLow', crashkernelLow],
        ]);
  // Indexed, not for…of: run cold over 8192 ranges, the iterator made a result object per range.
  // A list read from the text in ascending order starts with its lowest.
  let lowestRam: bigint | undefined;
  const ram = memory.systemRam;
  if (opts.readRanges?.ascending === true && ram === opts.readRanges.systemRam) lowestRam = ram[0]?.start;
  else {
    for (let i = 0; i < ram.length; i++) {
      const start = ram[i]!.start;
      if (lowestRam === undefined || start < lowestRam) lowestRam = start;
    }
  }

  const o = opts.overrides ?? {};
  const kernel =
    o.kernel !== undefined
      ? kernelProfile(o.kernel, 'kernel override')
      : kernelProfile(top.kernel === undefined ? newestRelease(opts.registry.releases()) : readKernelVersion(r, top.kernel), `${opts.origin}: $.kernel`);
  const builder = o.builder !== undefined ? builderOverride(o.builder) : top.builder === undefined ? 'kernel' : readBuilder(r, top.builder);
  return {
    arch,
    origin: opts.origin,
    memory,
    cpus,
    crashNotes,
    vmcoreinfo,
    crashkernel,
    crashkernelLow,
    ...(crashkernelCma === undefined ? {} : { crashkernelCma }),
    kernelImage: top.kernelImage === undefined ? undefined : readKernelImage(r, top.kernelImage),
    pageOffset: optionalU64('pageOffset') ?? plugin.defaults.pageOffset,
    physOffset: optionalU64('physOffset') ?? lowestRam ?? 0n,
    pageSize,
    // No core default: where the backup copy lands depends on who loads it (the port derives it).
    backupStart: optionalU64('backupStart'),
    kernel,
    builder,
    config: readConfig(r, top.config),
    extensions,
  };
}
