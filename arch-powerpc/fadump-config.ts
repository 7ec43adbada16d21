// The fadump fields of a system description (arch-powerpc/README.md "fadump fields"), read and
// defaulted: the boot-memory regions firmware preserves and where it copies them, the reserved
// area, and the sizes of the kernel structures the crash-info header embeds.

import { CrashplugError, hex, parseU64, type Range, type SectionReader, type SystemDescription, type SystemSection } from '../core/port/index.js';
import { fadumpExtensionOf } from './ppc-options.js';

/** FADUMP_CPU_UNKNOWN: the crashing CPU before a crash sets it. */
export const FADUMP_CPU_UNKNOWN = 0xffff_ffff;
/** sizeof(struct pt_regs) on ppc64: 44 register longs and a 4-long union (README "Verified"). */
export const PPC64_PT_REGS_SIZE = 384;
/** sizeof(struct cpumask) with NR_CPUS 2048: BITS_TO_LONGS(2048) × 8. */
export const DEFAULT_CPUMASK_SIZE = 256;

export interface FadumpConfig {
  /** boot_mem_addr[i] / boot_mem_sz[i], inclusive ranges, in order. */
  readonly bootMemory: readonly Range[];
  /** boot_mem_dest_addr: where firmware copied the boot memory. */
  readonly bootMemoryDest: bigint;
  /** [reserve_dump_area_start, + get_fadump_area_size()), given inclusive. */
  readonly reservedArea: Range;
  /** __pa(cpu_notes_buf); 0 leaves the first PT_NOTE a zero placeholder. */
  readonly cpuNotesBuffer: bigint;
  readonly crashingCpu: number;
  readonly ptRegsSize: number;
  readonly cpuMaskSize: number;
  /** e_flags of the second kernel's header: 2 for ELF ABI v2 (every ppc64le, BE by default since 6.4), 1 for v1. */
  readonly elfAbi: 1 | 2;
}

export const FADUMP_KEYS = ['bootMemory', 'bootMemoryDest', 'reservedArea', 'cpuNotesBuffer', 'crashingCpu', 'ptRegsSize', 'cpuMaskSize', 'elfAbi'] as const;

export const DEFAULT_BOOT_MEMORY: readonly Range[] = [{ start: 0n, end: 0x3fff_ffffn }];

function bad(where: string, what: string, todo: string): never {
  throw new CrashplugError('E_BAD_SYSTEM', `${where}: ${what}; ${todo}`);
}

function u64(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  const p = typeof v === 'string' ? parseU64(v) : undefined;
  if (p === undefined) bad(where, `expected a "0x…" string, got ${JSON.stringify(v) ?? String(v)}`, 'write 64-bit values as "0x…" strings');
  return p;
}

function range(v: unknown, where: string): Range {
  if (!Array.isArray(v) || v.length !== 2) bad(where, 'expected a range ["0x…", "0x…"]', 'write a range as [start, end] with an inclusive end');
  const r = { start: u64(v[0], `${where}[0]`), end: u64(v[1], `${where}[1]`) };
  if (r.end < r.start) bad(where, `start ${hex(r.start)} is above end ${hex(r.end)}`, 'the end is inclusive and at least the start');
  return r;
}

function count(v: unknown, where: string, min: number, max: number): number {
  const n = typeof v === 'number' ? v : Number(u64(v, where));
  if (!Number.isSafeInteger(n) || n < min || n > max) bad(where, `${String(v)} is not a whole number in [${min}, ${max}]`, 'give the size in bytes');
  return n;
}

/** Read the `fadump` object (raw JSON); `where` names it in messages. */
export function parseFadumpConfig(value: unknown, where = '$.fadump'): FadumpConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    bad(where, 'missing or not an object', 'give fadump.bootMemoryDest and fadump.reservedArea (arch-powerpc/README.md "fadump fields")');
  }
  const json = value as Record<string, unknown>;
  for (const key of Object.keys(json)) {
    if (!(FADUMP_KEYS as readonly string[]).includes(key)) bad(`${where}.${key}`, `unknown key "${key}"`, `the known keys are ${FADUMP_KEYS.join(', ')}`);
  }
  if (json.bootMemoryDest === undefined) bad(`${where}.bootMemoryDest`, 'missing', 'give where firmware copies the boot memory (boot_mem_dest_addr)');
  if (json.reservedArea === undefined) bad(`${where}.reservedArea`, 'missing', 'give the fadump reserved area as an inclusive range');
  let bootMemory = DEFAULT_BOOT_MEMORY;
  if (json.bootMemory !== undefined) {
    if (!Array.isArray(json.bootMemory) || json.bootMemory.length === 0)
      bad(`${where}.bootMemory`, 'expected a non-empty list of ranges', 'write [["0x0", "0x3fffffff"]]');
    bootMemory = json.bootMemory.map((r, i) => range(r, `${where}.bootMemory[${i}]`));
    for (let i = 1; i < bootMemory.length; i++) {
      if (bootMemory[i]!.start <= bootMemory[i - 1]!.end)
        bad(`${where}.bootMemory[${i}]`, 'overlaps or precedes the region before it', 'list boot-memory regions in ascending order');
    }
  }
  const elfAbi = json.elfAbi === undefined ? 2 : count(json.elfAbi, `${where}.elfAbi`, 1, 2);
  return {
    bootMemory,
    bootMemoryDest: u64(json.bootMemoryDest, `${where}.bootMemoryDest`),
    reservedArea: range(json.reservedArea, `${where}.reservedArea`),
    cpuNotesBuffer: json.cpuNotesBuffer === undefined ? 0n : u64(json.cpuNotesBuffer, `${where}.cpuNotesBuffer`),
    crashingCpu: json.crashingCpu === undefined ? FADUMP_CPU_UNKNOWN : count(json.crashingCpu, `${where}.crashingCpu`, 0, FADUMP_CPU_UNKNOWN),
    ptRegsSize: json.ptRegsSize === undefined ? PPC64_PT_REGS_SIZE : count(json.ptRegsSize, `${where}.ptRegsSize`, 0, 0xffff_ffff),
    cpuMaskSize: json.cpuMaskSize === undefined ? DEFAULT_CPUMASK_SIZE : count(json.cpuMaskSize, `${where}.cpuMaskSize`, 0, 0xffff_ffff),
    elfAbi: elfAbi as 1 | 2,
  };
}

/** The `fadump` section: parsed once when the description is loaded, kept in `system.extensions`. */
export const FADUMP_SECTION_READER: SystemSection = {
  description: 'powerpc firmware-assisted dump: boot memory, its copy, the reserved area, the crashing CPU',
  parse(value: unknown, r: SectionReader): FadumpConfig {
    r.object(value, '$.fadump', FADUMP_KEYS); // unknown keys get core's "did you mean"
    return parseFadumpConfig(value, `${r.origin}: $.fadump`);
  },
};

/** The fadump fields of a description, as the loader parsed them (`extensions.fadump`). */
export function fadumpConfigOf(system: SystemDescription): FadumpConfig {
  const config = fadumpExtensionOf(system) as FadumpConfig | undefined;
  if (config === undefined) {
    bad(`${system.origin}: $.fadump`, 'missing', 'give fadump.bootMemoryDest and fadump.reservedArea (arch-powerpc/README.md "fadump fields")');
  }
  return config;
}
