// The contract between the generic core and an architecture port. A port names itself and may
// override any hook; every hook has a core default, as Linux's `#ifndef arch_…` stubs do.
// `ArchHooks` is declared once and the defaults are a `Record` of it, so a hook added here
// without a default does not compile.

import { type ByteOrder, ELF_CORE_HEADER_ALIGN } from '../elf/elf.js';
import type { HeaderCheck } from '../check/types.js';
import type { ElfcorehdrLayout, KernelMap } from '../elf/elfcorehdr.js';
import { excludeWith } from '../memory/exclude-mem-range.js';
import type { ElfcorehdrUpdateMessages, HotplugContext } from '../hotplug/context.js';
import { KEXEC_CRASH_HOTPLUG_SUPPORT, type SegmentKind } from '../kexec/image.js';
import type { KexecToolsRanges } from '../kexec/kexec-tools-hooks.js';
import type { CrashMem, NamedRange, Range } from '../memory/range.js';
import type { SystemDescription } from '../system/system.js';

/** What a port assumes when the system description is silent. */
export interface ArchDefaults {
  /** Linear-map base (`PAGE_OFFSET`) without KASLR. */
  readonly pageOffset: bigint;
  readonly pageSize: number;
}

/**
 * How the arch's crash code walks System RAM: the iomem resource tree (x86: one range per `System
 * RAM` resource, never merged, so a hot-added DIMM next to boot RAM stays a PT_LOAD of its own) or
 * memblock (arm64, powerpc: adjacent memory of one NUMA node is one region, so such a DIMM merges
 * with its neighbour; facts §13.3, §13.7). Core's machine state applies it when DIMMs come and go.
 */
export type RamWalk = 'iomem' | 'memblock';

export type KexecFilePurgatory = 'verifies' | 'ignores' | 'none';

/**
 * How a live machine of this arch shows itself to `crashplug … --host`: which Node and kernel
 * names mean "this port", and what to assume where /proc hides a value.
 */
export interface HostIdentity {
  /** Node's `process.arch` on this arch ("x64", "arm64", "ppc64", "riscv64", "loong64"). */
  readonly nodeArch: string;
  /** `os.endianness()`, when one Node arch serves two ports (ppc64 "BE", ppc64le "LE"). */
  readonly endianness?: 'BE' | 'LE' | undefined;
  /** `uname -m`. */
  readonly unameMachine: string;
  /** `_text`'s link address without KASLR, assumed when /proc/kallsyms hides it; unknown when absent. */
  readonly kernelTextWithoutKaslr?: bigint | undefined;
  /**
   * `__va(p)` is `p + PAGE_OFFSET`, so /proc/kcore's `p_vaddr − p_paddr` of a RAM PT_LOAD is
   * PAGE_OFFSET itself, KASLR or not (false where the linear map is not a plain offset: arm64).
   */
  readonly kcoreGivesPageOffset: boolean;
}

/**
 * A top-level section of a system description a port reads (an `arm64`, `powerpc` or `fadump`
 * object). Core hands `parse` the raw JSON and a reader with its messages and "did you mean"
 * help, once, when the description is loaded; the port later finds the parsed value in
 * `system.extensions[key]`.
 */
export interface SystemSection {
  /** What the section holds, for messages and `--help`. */
  readonly description: string;
  parse(value: unknown, reader: SectionReader): unknown;
}

/** Core's JSON reader, as a port's section parser sees it: every failure is one coded, located message. */
export interface SectionReader {
  /** The description's name ("machine.json") for messages. */
  readonly origin: string;
  /** Throws E_BAD_SYSTEM: `<origin>: <path>: <what>; <todo>`. */
  bad(path: string, what: string, todo: string): never;
  /** An object whose keys must be among `keys` (a typo gets "did you mean"). */
  object(value: unknown, path: string, keys?: readonly string[]): Record<string, unknown>;
  string(value: unknown, path: string, todo: string): string;
  boolean(value: unknown, path: string): boolean;
  /** A u64 from a "0x…" string (or a safe integer). */
  u64(value: unknown, path: string): bigint;
  /** An inclusive `["start", "end"]` range. */
  range(value: unknown, path: string): Range;
  /** An integer ≥ min. */
  count(value: unknown, path: string, min: number): number;
}

export interface ArchIdentity {
  /** The `arch` of a system description, e.g. "x86_64". */
  readonly id: string;
  /** One line for `crashplug --help` and the README. */
  readonly description: string;
  /** ELF e_machine. */
  readonly machine: number;
  /** e_machine's name, as readelf and `include/uapi/linux/elf-em.h` say it ("EM_X86_64"). */
  readonly machineName: string;
  /** sizeof(note_buf_t): the p_filesz of each CPU PT_NOTE. */
  readonly noteSize: bigint;
  readonly defaults: ArchDefaults;
  /** How a live machine of this arch is recognised and read (`--host`); without it, --host refuses. */
  readonly host?: HostIdentity | undefined;
  /**
   * Top-level sections of a system description this port reads, by key, each parsed once at load
   * into `SystemDescription.extensions`. None by default.
   */
  readonly sections?: Readonly<Record<string, SystemSection>> | undefined;
  /**
   * Kernel releases at which something this port models changes, beyond core's own breakpoints
   * ("6.19", "7.3"): `inspect --against` tries them, and the newest of all is the default.
   */
  readonly releases?: readonly string[] | undefined;
  /** How the port's RAM is walked; the iomem walk by default. */
  readonly ramWalk?: RamWalk | undefined;
  /**
   * What the purgatory of a kexec_file_load image does with the SHA-256 digest the kernel stores
   * in it (facts §2.9): `verifies` it and halts on a mismatch (x86, riscv: verify_sha256_digest),
   * `ignores` it (powerpc: trampoline_64.S only reserves the two symbols), or there is no purgatory
   * at all (`none`: arm64 selects no ARCH_SUPPORTS_KEXEC_PURGATORY). kexec_load images carry
   * kexec-tools' purgatory, which verifies on every arch. `verifies` by default.
   */
  readonly kexecFilePurgatory?: KexecFilePurgatory | undefined;
  /** What the arch's handler prints when an in-place update fails (after "crash hp: "); core's wording by default. */
  readonly updateMessages?: Partial<ElfcorehdrUpdateMessages> | undefined;
  /** `crashplug check`: the arch's own header defects (core/check), run on headers of its e_machine. None by default. */
  readonly headerChecks?: readonly HeaderCheck[] | undefined;
}

/** The crash memory ranges of a machine, and how they came to be. */
export interface CrashMemory {
  /** The ranges that become PT_LOADs, in header order. */
  readonly mem: CrashMem;
  /** RAM as the arch's walk found it, before exclusions. */
  readonly systemRam: readonly NamedRange[];
  /** Holes cut out, in the order the kernel cuts them. */
  readonly excluded: readonly NamedRange[];
  /** Ranges the arch adds that are not System RAM (powerpc RTAS/OPAL, backup region). */
  readonly added: readonly NamedRange[];
}

/** The kexec_buf an arch asks for when it loads the elfcorehdr with kexec_file_load. */
export interface ElfcorehdrSegmentSpec {
  /** kbuf.memsz before kexec_add_buffer rounds it up to a page: header plus hot-plug room. */
  readonly memsz: number;
  /** image->elf_headers_sz. */
  readonly elfHeadersSize: number;
  /** kbuf.buf_align (at least a page). */
  readonly align: number;
  readonly topDown: boolean;
  /** The arch records elfcorehdr_index at load time (x86), so the purgatory digest can skip it. */
  readonly presetIndex: boolean;
  /** A message the kernel prints while sizing (e.g. "number of Phdrs … exceeds max"), if any. */
  readonly warning?: string | undefined;
}

/** A segment an arch loads into a kexec_file crash image besides core's (powerpc's device tree). */
export interface ArchSegment {
  readonly kind: SegmentKind;
  /** The bytes to load; bufsz is their length. */
  readonly buf: Uint8Array;
  /** kbuf.memsz before kexec_add_buffer rounds it up to a page; at least `buf.length`. */
  readonly memsz: number;
  /** kbuf.buf_align. */
  readonly align: number;
  readonly topDown: boolean;
  /** Hot-plug rewrites it in place, so the purgatory digest must leave it out, as it leaves out the elfcorehdr. */
  readonly excludeFromDigest: boolean;
}

export interface HotplugSupportQuery {
  /** kexec_file_load (true) or kexec_load (false). */
  readonly fileMode: boolean;
  /** kexec_load flags as passed. */
  readonly flags: number;
  readonly system: SystemDescription;
}

export interface ArchHooks {
  /**
   * `ARCH_SUPPORTS_CRASH_HOTPLUG`: can crash hot-plug be built for this arch in this release (and
   * with this machine's port options)? Core combines the answer with the release's generic support
   * and `CONFIG_CRASH_HOTPLUG` once, in `crashHotplugBuilt`; no other code asks. "No" by default.
   */
  archSupportsCrashHotplug(system: SystemDescription): boolean;
  /** `__va(pa)`: the p_vaddr of a memory PT_LOAD. */
  va(pa: bigint, system: SystemDescription): bigint;
  /** The kernel-image PT_LOAD, or undefined when the arch passes need_kernel_map = false. */
  kernelMap(system: SystemDescription): KernelMap | undefined;
  /** Memory ranges after the arch's exclusions (the arch half of prepare_elf_headers). */
  crashMemory(system: SystemDescription): CrashMemory;
  /** Byte order of the header's fields (EI_DATA is always LSB in the kernel's builder). */
  fieldByteOrder(system: SystemDescription): ByteOrder;
  /** Arch fix-ups applied to the built header in place (powerpc's backup-region p_offset). */
  fixupElfcorehdr(bytes: Uint8Array, layout: ElfcorehdrLayout, system: SystemDescription): void;
  /** kexec_file: how the elfcorehdr segment is sized and placed (the arch's `kbuf`). */
  elfcorehdrSegment(system: SystemDescription, layout: ElfcorehdrLayout): ElfcorehdrSegmentSpec;
  /** The value of /sys/kernel/crash_elfcorehdr_size (`arch_crash_get_elfcorehdr_size`). */
  sysfsElfcorehdrSize(system: SystemDescription): number;
  /** kexec-tools' own crash memory list for a kexec_load elfcorehdr; undefined when the port does not model it. */
  kexecToolsRanges(system: SystemDescription): KexecToolsRanges | undefined;
  /**
   * `arch_crash_hotplug_support`: may the kernel update this image in place? Consulted at load
   * (only for crash loads, only when the kernel has crash hot-plug at all); "no" is the default.
   */
  supportsHotplug(query: HotplugSupportQuery): boolean;
  /**
   * `arch_crash_handle_hotplug_event`: the arch's part of one hot-plug event, called by core with
   * the lock held, the image checked, the elfcorehdr located and hp_action set. The default does
   * nothing, like the kernel's stub.
   */
  handleHotplugEvent(ctx: HotplugContext): void;
  /** The kexec_load flag `kexec --hotplug` passes on this arch (kexec-tools' get_hotplug_kexec_flag). */
  kexecToolsHotplugFlag(system: SystemDescription): number;
  /** kexec_file: segments the arch loads after core's, in load order (none by default). */
  kexecFileSegments(system: SystemDescription): readonly ArchSegment[];
}

export type HookName = keyof ArchHooks;

/**
 * Hooks a port may declare and core has no default for: when one is absent, core does without it.
 */
export interface OptionalHooks {
  /**
   * The constant `__va(p) − p` for every RAM p of `system`, when the arch's linear map is a plain
   * offset (x86, powerpc: PAGE_OFFSET; riscv: PAGE_OFFSET − phys_ram_base), or undefined when it is
   * not. The header writer then adds it to each range's start instead of calling `va` per PT_LOAD.
   * A port that overrides `va` and cannot promise this (arm64) leaves it out; a port that leaves
   * `va` to core gets core's offset with it. The conformance kit checks the promise (`va-offset`).
   */
  vaOffset(system: SystemDescription): bigint | undefined;
}

/** What a port provides: its identity and the hooks that differ from core's. */
export type ArchPort = ArchIdentity & Partial<ArchHooks> & { readonly vaOffset?: OptionalHooks['vaOffset'] | undefined };

/** A port with every hook resolved and every optional identity field defaulted. */
export type ArchPlugin = Omit<ArchIdentity, 'sections' | 'releases' | 'ramWalk' | 'updateMessages' | 'kexecFilePurgatory' | 'headerChecks'> & {
  readonly kexecFilePurgatory: KexecFilePurgatory;
  readonly headerChecks: readonly HeaderCheck[];
  readonly updateMessages: Partial<ElfcorehdrUpdateMessages>;
  readonly sections: Readonly<Record<string, SystemSection>>;
  readonly releases: readonly string[];
  readonly ramWalk: RamWalk;
  /** The port's `vaOffset` (core's when the port leaves `va` to core); see vaOffsetOf for who may use it. */
  readonly vaOffset?: OptionalHooks['vaOffset'] | undefined;
} & Readonly<ArchHooks>;

/**
 * Whether anything checks the purgatory digest before the capture kernel starts: kexec_file_load
 * (`fileMode`) uses the arch's own purgatory, kexec_load kexec-tools', which always verifies.
 */
export function purgatoryChecksDigest(plugin: Pick<ArchPlugin, 'kexecFilePurgatory'>, fileMode: boolean): boolean {
  return !fileMode || plugin.kexecFilePurgatory === 'verifies';
}

/**
 * Whether the kernel has crash hot-plug for this machine at all: the release has the generic
 * handler (6.6+), `CONFIG_CRASH_HOTPLUG` is on, and the arch selects `ARCH_SUPPORTS_CRASH_HOTPLUG`.
 * The one place these three are combined; ports ask it rather than deciding again.
 */
export function crashHotplugBuilt(system: SystemDescription, port: Pick<ArchHooks, 'archSupportsCrashHotplug'> | Partial<ArchHooks>): boolean {
  if (system.kernel.hotplug === 'none' || !system.config.crashHotplug) return false;
  return port.archSupportsCrashHotplug?.(system) ?? false;
}

/**
 * The memblock-style default: every RAM region one range, room for two splits, `crashkernel`
 * then `crashkernelLow` excluded (what arm64's prepare_elf_headers does). `cutCma`: the release
 * also cuts the `crashkernel=…,cma` ranges, after those two (crash_exclude_core_ranges, 7.3);
 * the caller's `extraSlots` counts their room.
 */
export function genericCrashMemory(system: SystemDescription, extraSlots = 2, cutCma = false): CrashMemory {
  const systemRam = system.memory.systemRam;
  let mem: CrashMem = { maxNrRanges: systemRam.length + extraSlots, ranges: systemRam.map((r) => ({ start: r.start, end: r.end })) };
  const excluded: NamedRange[] = [];
  const algorithm = system.kernel.excludeAlgorithm;
  const holes: [string, Range | undefined][] = [
    ['crashkernel', system.crashkernel],
    ['crashkernelLow', system.crashkernelLow],
  ];
  if (cutCma) (system.crashkernelCma ?? []).forEach((r, i) => holes.push([`crashkernelCma[${i}]`, r]));
  for (const [name, r] of holes) {
    if (r === undefined || r.end === 0n) continue;
    mem = excludeWith(algorithm, mem, r.start, r.end);
    excluded.push({ name, start: r.start, end: r.end });
  }
  return { mem, systemRam, excluded, added: [] };
}

/** What core's `va` adds: the offset that comes with it for a port that leaves `va` to core. */
export const coreVaOffset: OptionalHooks['vaOffset'] = (system) => BigInt.asUintN(64, system.pageOffset);

/**
 * Which `va` each resolved `vaOffset` was declared beside. A plug-in copied with another `va`
 * (`{ ...plugin, va }`, as tests and transforms make them) keeps the old `vaOffset`, which no longer
 * describes its `va`: vaOffsetOf sees the pair broken and answers undefined, so the writer calls `va`.
 */
const declaredWith = new WeakMap<OptionalHooks['vaOffset'], ArchHooks['va']>();

/** Record that `vaOffset` describes `va` (the registry does, for the plug-ins it resolves). */
export function pairVaOffset(vaOffset: OptionalHooks['vaOffset'], va: ArchHooks['va']): void {
  declaredWith.set(vaOffset, va);
}

/**
 * Whether `vaOffset` may be taken as describing `va`: a port's own declaration is, unless it is a
 * resolved plug-in's vaOffset that was paired with another `va` (a plug-in spread into a new port
 * with its `va` replaced).
 */
export function vaOffsetFits(vaOffset: OptionalHooks['vaOffset'], va: ArchHooks['va'] | undefined): boolean {
  const pairedWith = declaredWith.get(vaOffset);
  return pairedWith === undefined || pairedWith === va;
}

/** `__va(p) − p` for `system` when the plug-in promises it for its own `va`, else undefined. */
export function vaOffsetOf(plugin: Pick<ArchPlugin, 'va' | 'vaOffset'>, system: SystemDescription): bigint | undefined {
  const offset = plugin.vaOffset;
  if (offset === undefined || declaredWith.get(offset) !== plugin.va) return undefined;
  const value = offset(system);
  return value === undefined ? undefined : BigInt.asUintN(64, value);
}

export const coreDefaults: { readonly [K in HookName]: ArchHooks[K] } = {
  // asUintN(64, …): the same wrap-around as a u64 add, and V8 compiles it to a machine add.
  archSupportsCrashHotplug: () => false,
  va: (pa, system) => BigInt.asUintN(64, pa + system.pageOffset),
  kernelMap: () => undefined,
  crashMemory: (system) => genericCrashMemory(system),
  fieldByteOrder: () => 'le',
  fixupElfcorehdr: () => {},
  elfcorehdrSegment: (_system, layout) => ({
    memsz: layout.size,
    elfHeadersSize: layout.size,
    align: ELF_CORE_HEADER_ALIGN,
    topDown: false,
    presetIndex: false,
  }),
  sysfsElfcorehdrSize: () => 0,
  kexecToolsRanges: () => undefined,
  supportsHotplug: () => false,
  handleHotplugEvent: () => {},
  kexecToolsHotplugFlag: () => KEXEC_CRASH_HOTPLUG_SUPPORT,
  kexecFileSegments: () => [],
};
