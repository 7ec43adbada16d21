// `struct fadump_crash_info_header` (6.10+, facts §7.1–§7.4): what the first kernel registers with
// firmware, in its native byte order, and the checks the second kernel makes before it trusts it —
// each refusal carrying the kernel's own message. The version field is written but never checked.

import { CrashplugError, type ByteOrder, type ErrorCode, hex, type SystemDescription } from '../core/port/index.js';
import { type FadumpConfig, FADUMP_CPU_UNKNOWN } from './fadump-config.js';

/** "FADMPSIG" read big-end-first into a u64. */
export const FADUMP_CRASH_INFO_MAGIC = 0x4641_444d_5053_4947n;
/** "FADMPINF": the magic of kernels before 6.10, whose first kernel built the elfcorehdr itself. */
export const FADUMP_CRASH_INFO_MAGIC_OLD = 0x4641_444d_5049_4e46n;
export const FADUMP_HEADER_VERSION = 1;

/** Byte offsets of the fixed fields; regs follow at 40 and the CPU mask after them. */
export const FADUMP_OFFSETS = {
  magic: 0,
  version: 8,
  crashingCpu: 12,
  vmcoreinfoRaddr: 16,
  vmcoreinfoSize: 24,
  ptRegsSize: 32,
  cpuMaskSize: 36,
  regs: 40,
} as const;
export const FADUMP_FIXED_SIZE = 40;

export function swab64(v: bigint): bigint {
  let out = 0n;
  for (let i = 0n; i < 8n; i++) out = (out << 8n) | ((v >> (8n * i)) & 0xffn);
  return out;
}

export function fadumpHeaderSize(config: Pick<FadumpConfig, 'ptRegsSize' | 'cpuMaskSize'>): number {
  return FADUMP_FIXED_SIZE + config.ptRegsSize + config.cpuMaskSize;
}

/**
 * `fadump_relocate`: an address inside boot-memory region i lives, after the crash, at
 * boot_mem_dest_addr plus its offset within the boot memory counted without the holes.
 */
export function fadumpRelocate(pa: bigint, config: Pick<FadumpConfig, 'bootMemory' | 'bootMemoryDest'>): bigint {
  let holes = 0n;
  let last = 0n;
  for (const r of config.bootMemory) {
    holes += r.start - last;
    if (pa >= r.start && pa <= r.end) return pa + config.bootMemoryDest - holes;
    last = r.end + 1n;
  }
  return pa;
}

export interface FadumpHeaderFields {
  readonly magic: bigint;
  readonly version: number;
  readonly crashingCpu: number;
  readonly vmcoreinfoRaddr: bigint;
  readonly vmcoreinfoSize: bigint;
  readonly ptRegsSize: number;
  readonly cpuMaskSize: number;
  /** CPUs whose bit is set in cpu_mask. */
  readonly cpuMask: readonly number[];
}

function writeMask(view: DataView, at: number, size: number, cpus: readonly number[], le: boolean): void {
  for (const cpu of cpus) {
    const word = Math.floor(cpu / 64);
    if ((word + 1) * 8 > size) {
      throw new CrashplugError(
        'E_BAD_SYSTEM',
        `CPU ${cpu} does not fit a ${size}-byte cpumask (NR_CPUS ${size * 8}); give fadump.cpuMaskSize for a larger NR_CPUS`,
      );
    }
    const off = at + word * 8;
    view.setBigUint64(off, view.getBigUint64(off, le) | (1n << BigInt(cpu % 64)), le);
  }
}

/**
 * The header as `init_fadump_header` fills it at registration (CPU mask = possible CPUs, crashing
 * CPU unknown), or, when the description names a crashing CPU, as `crash_fadump` leaves it at panic
 * (CPU mask = online CPUs). Registers are zero: no crash has saved them.
 */
export function buildFadumpHeader(system: SystemDescription, config: FadumpConfig, order: ByteOrder): Uint8Array {
  const le = order === 'le';
  const bytes = new Uint8Array(fadumpHeaderSize(config));
  const view = new DataView(bytes.buffer);
  const crashed = config.crashingCpu !== FADUMP_CPU_UNKNOWN;
  view.setBigUint64(FADUMP_OFFSETS.magic, FADUMP_CRASH_INFO_MAGIC, le);
  view.setUint32(FADUMP_OFFSETS.version, FADUMP_HEADER_VERSION, le);
  view.setUint32(FADUMP_OFFSETS.crashingCpu, config.crashingCpu, le);
  view.setBigUint64(FADUMP_OFFSETS.vmcoreinfoRaddr, fadumpRelocate(system.vmcoreinfo.address, config), le);
  view.setBigUint64(FADUMP_OFFSETS.vmcoreinfoSize, system.vmcoreinfo.size, le);
  view.setUint32(FADUMP_OFFSETS.ptRegsSize, config.ptRegsSize, le);
  view.setUint32(FADUMP_OFFSETS.cpuMaskSize, config.cpuMaskSize, le);
  writeMask(view, FADUMP_FIXED_SIZE + config.ptRegsSize, config.cpuMaskSize, crashed ? system.cpus.online : system.cpus.possible, le);
  return bytes;
}

/** Why the second kernel refuses a header. */
export type FadumpRefusal = 'empty' | 'truncated' | 'old-magic' | 'endianness' | 'corrupted' | 'size-mismatch';

/** The error code of each refusal: a wrong magic is E_FADUMP_MAGIC, any other refusal E_FADUMP_HEADER. */
export const FADUMP_REFUSAL_CODES = {
  'old-magic': 'E_FADUMP_MAGIC',
  endianness: 'E_FADUMP_MAGIC',
  corrupted: 'E_FADUMP_MAGIC',
  empty: 'E_FADUMP_HEADER',
  truncated: 'E_FADUMP_HEADER',
  'size-mismatch': 'E_FADUMP_HEADER',
} as const satisfies Record<FadumpRefusal, ErrorCode>;

export type FadumpCheck =
  | { readonly ok: true; readonly fields: FadumpHeaderFields }
  | {
      readonly ok: false;
      readonly reason: FadumpRefusal;
      readonly code: (typeof FADUMP_REFUSAL_CODES)[FadumpRefusal];
      /** What the kernel prints (pr_err with the "fadump: " prefix), or ours where it has no message. */
      readonly message: string;
      /** Every refusal ends in fadump_invalidate_release_mem(): no /proc/vmcore. */
      readonly invalidated: true;
    };

function refuse(reason: FadumpRefusal, message: string): FadumpCheck {
  return { ok: false, reason, code: FADUMP_REFUSAL_CODES[reason], message: `fadump: ${message}`, invalidated: true };
}

function readMask(view: DataView, at: number, size: number, le: boolean): number[] {
  const cpus: number[] = [];
  for (let w = 0; w + 8 <= size; w += 8) {
    const word = view.getBigUint64(at + w, le);
    for (let b = 0; b < 64; b++) if ((word >> BigInt(b)) & 1n) cpus.push((w / 8) * 64 + b);
  }
  return cpus;
}

/**
 * `fadump_process` up to building the header: the checks of `is_fadump_header_compatible`, in the
 * kernel's order, against the second kernel's byte order and structure sizes. A short file is a
 * case the kernel never meets (it reads memory, not a file); it is refused as truncated.
 */
export function checkFadumpHeader(bytes: Uint8Array, order: ByteOrder, sizes: Pick<FadumpConfig, 'ptRegsSize' | 'cpuMaskSize'>): FadumpCheck {
  const le = order === 'le';
  if (bytes.length === 0) return refuse('empty', 'Crash info header is empty.');
  const truncated = (need: number, what: string): FadumpCheck =>
    refuse(
      'truncated',
      `crash info header truncated: ${bytes.length} bytes, but ${what} needs ${need} (crashplug's check; the kernel reads the header from memory)`,
    );
  if (bytes.length < 8) return truncated(8, 'the magic number');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getBigUint64(FADUMP_OFFSETS.magic, le);
  if (magic === FADUMP_CRASH_INFO_MAGIC_OLD) return refuse('old-magic', "Old magic number, can't process the dump.");
  if (magic !== FADUMP_CRASH_INFO_MAGIC) {
    if (magic === swab64(FADUMP_CRASH_INFO_MAGIC)) return refuse('endianness', 'Endianness mismatch between the crashed and fadump kernels.');
    return refuse('corrupted', 'Fadump header is corrupted.');
  }
  if (bytes.length < FADUMP_FIXED_SIZE) return truncated(FADUMP_FIXED_SIZE, 'the fixed fields');
  const ptRegsSize = view.getUint32(FADUMP_OFFSETS.ptRegsSize, le);
  const cpuMaskSize = view.getUint32(FADUMP_OFFSETS.cpuMaskSize, le);
  if (ptRegsSize !== sizes.ptRegsSize || cpuMaskSize !== sizes.cpuMaskSize) return refuse('size-mismatch', 'Fadump header size mismatch.');
  const full = fadumpHeaderSize(sizes);
  if (bytes.length < full) return truncated(full, `fadump_crash_info_header (40 + pt_regs ${sizes.ptRegsSize} + cpumask ${sizes.cpuMaskSize})`);
  return {
    ok: true,
    fields: {
      magic,
      version: view.getUint32(FADUMP_OFFSETS.version, le),
      crashingCpu: view.getUint32(FADUMP_OFFSETS.crashingCpu, le),
      vmcoreinfoRaddr: view.getBigUint64(FADUMP_OFFSETS.vmcoreinfoRaddr, le),
      vmcoreinfoSize: view.getBigUint64(FADUMP_OFFSETS.vmcoreinfoSize, le),
      ptRegsSize,
      cpuMaskSize,
      cpuMask: readMask(view, FADUMP_FIXED_SIZE + ptRegsSize, cpuMaskSize, le),
    },
  };
}

export function describeMagic(v: bigint): string {
  return `${hex(v)} ("${String.fromCharCode(...Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(56 - 8 * i)) & 0xffn)).map((c) => (c >= 0x20 && c < 0x7f ? c : 0x3f)))}")`;
}
