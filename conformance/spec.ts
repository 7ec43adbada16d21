// What a port declares to the conformance kit, and the invariants the kit holds it to. The spec is
// written from the kernel's source, not from the port's code: a port that drifts from what it
// declares (a note size, an exclusion, the PT_LOAD order) fails with the invariant named.

import type { ByteOrder } from '../core/elf/index.js';
import type { TimedEvent } from '../core/hotplug/index.js';
import type { NamedRange, Range } from '../core/memory/index.js';
import type { ArchPlugin } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';

/** Every invariant, in the order the kit checks them. */
export const INVARIANTS = [
  'builds',
  'elf-header',
  'elf-tools',
  'cpu-notes',
  'vmcoreinfo',
  'kernel-map',
  'load-fields',
  'va-offset',
  'load-order',
  'loads-in-ram',
  'loads-disjoint',
  'reservations-excluded',
  'ram-coverage',
  'segment-size',
  'hotplug-capability',
  'hotplug-fresh',
  'reload-fallback',
] as const;

export type Invariant = (typeof INVARIANTS)[number];

/** What each invariant says, and what a port that breaks it should look at first. */
export interface InvariantText {
  readonly says: string;
  readonly todo: string;
  /**
   * The invariant that applies instead on machines where this one cannot (an arch either updates in
   * place or falls back to reload): not exercising this one is fine only if that one was checked.
   */
  readonly otherwise?: Invariant;
}

export const INVARIANT_TEXT: { readonly [K in Invariant]: InvariantText } = {
  builds: {
    says: 'the port builds an elfcorehdr for every machine the spec gives it',
    todo: 'a hook threw on a machine the spec says the port supports; fix the hook or drop the machine',
  },
  'elf-header': {
    says: "the header decodes, and its Ehdr is the kernel's: ELF64, EI_DATA LSB, ET_CORE, the arch's e_machine, phoff 64, a zero-filled buffer sized for every possible CPU",
    todo: "check the port's machine and byte order against the spec",
  },
  'elf-tools': {
    says: 'readelf -h -l -W and eu-readelf -h -l read the header silently (exit 0, nothing on stderr)',
    todo: 'install binutils and elfutils if a tool is missing; otherwise the header is malformed',
  },
  'cpu-notes': {
    says: 'one PT_NOTE per CPU the kernel lists (possible on 6.6+, present before), at its crash_notes, sizeof(note_buf_t) long',
    todo: "check the port's noteSize: 24 + 8 + ALIGN(sizeof(struct elf_prstatus), 4)",
  },
  vmcoreinfo: {
    says: 'the PT_NOTE after the CPU notes is vmcoreinfo, at its address and VMCOREINFO_NOTE_SIZE long',
    todo: 'vmcoreinfo comes from the system description; the port must not move or resize it',
  },
  'kernel-map': {
    says: 'the kernel-image PT_LOAD (_text, __pa_symbol(_text), _end − _text) is present exactly when the arch passes need_kernel_map',
    todo: "check the port's kernelMap hook against the arch's prepare_elf_headers",
  },
  'load-fields': {
    says: 'every memory PT_LOAD is RWX, align 0, filesz = memsz > 0, p_vaddr = __va(p_paddr), p_offset as the arch sets it',
    todo: "check the port's va hook against the arch's __va",
  },
  'va-offset': {
    says: 'where the port declares vaOffset, __va(p) is p + vaOffset for every RAM address (the header writer adds it instead of calling va)',
    todo: "declare vaOffset only if the arch's __va is one offset for all of RAM; otherwise leave it out and va is called per range",
  },
  'load-order': {
    says: 'the memory PT_LOADs are in the order the spec declares',
    todo: 'the arch either sorts its ranges or keeps its walk order; the port must do the same',
  },
  'loads-in-ram': {
    says: 'every memory PT_LOAD lies in System RAM or in a range the arch adds on purpose',
    todo: "check the port's memory walk and what it reports as added",
  },
  'loads-disjoint': {
    says: 'no two memory PT_LOADs overlap',
    todo: 'an added range or a bad split overlaps another range',
  },
  'reservations-excluded': {
    says: 'no memory PT_LOAD overlaps a crash reservation the arch excludes',
    todo: "check the port's crashkernel / crashkernelLow exclusions",
  },
  'ram-coverage': {
    says: 'the memory PT_LOADs cover exactly System RAM minus the exclusions the spec declares, plus what the arch adds',
    todo: "an exclusion is forgotten or extra, or RAM is lost; compare the port with the arch's prepare_elf_headers",
  },
  'segment-size': {
    says: 'the header fits the elfcorehdr segment the port sizes, up to the largest machine the spec claims',
    todo: "check the port's elfcorehdrSegment (memsz, hot-plug room) against the arch's load path",
  },
  'hotplug-capability': {
    says: 'a kexec_file crash image gets hotplug_support exactly when the spec says the arch has crash hot-plug',
    todo: "check the port's archSupportsCrashHotplug against ARCH_SUPPORTS_CRASH_HOTPLUG and its supportsHotplug against arch_crash_hotplug_support",
  },
  'hotplug-fresh': {
    says: 'after hot-plug events the header installed in place is the one a fresh build of the final machine gives, and still conforms',
    todo: "check the port's handleHotplugEvent: it must rebuild from the machine as it now is",
    otherwise: 'reload-fallback',
  },
  'reload-fallback': {
    says: 'where the arch has no crash hot-plug, the kernel leaves the header alone and a udev reload brings it up to date',
    todo: 'a port without crash hot-plug must not update in place (leave supportsHotplug and handleHotplugEvent to core)',
    otherwise: 'hotplug-fresh',
  },
};

/** How the memory PT_LOADs are ordered. */
export type LoadOrder =
  /** Strictly ascending by address (memblock, powerpc's sort_memory_ranges). */
  | 'sorted'
  /** The order of the System RAM entries they come from (walk_system_ram_res over /proc/iomem). */
  | 'walk-order'
  /** Ascending, then ranges appended unsorted at the end (powerpc's remove_mem_range tails). */
  | 'sorted-except-appended-tail'
  /** A rule of the port's own: a message when `loads` break it. */
  | ((loads: readonly Range[], system: SystemDescription) => string | undefined);

/** A crash reservation the arch does not exclude, and why the spec accepts that. */
export interface KeptReservation {
  readonly name: 'crashkernel' | 'crashkernelLow';
  readonly why: string;
}

/** A hot-plug run to replay on each machine; `events` is undefined where it does not apply. */
export interface HotplugScenario {
  readonly name: string;
  readonly events: (system: SystemDescription) => readonly TimedEvent[] | undefined;
}

/** Machines, as a list or made from the resolved plug-in (for its defaults). */
export type Machines = readonly SystemDescription[] | ((plugin: ArchPlugin) => readonly SystemDescription[]);

export interface ConformanceSpec {
  /** The arch id the module binds (a module may bind several; the kit checks one). */
  readonly arch: string;
  /** ELF e_machine (EM_*). */
  readonly machine: number;
  /** sizeof(note_buf_t), from the arch's struct elf_prstatus. */
  readonly noteSize: bigint;
  readonly machines: Machines;
  /** need_kernel_map, for every machine or per machine. */
  readonly kernelMap: boolean | ((system: SystemDescription) => boolean);
  readonly loadOrder: LoadOrder;
  /** What the arch cuts out of RAM, in the kernel's order. Default: crashkernel, then crashkernelLow. */
  readonly exclusions?: ((system: SystemDescription) => readonly NamedRange[]) | undefined;
  /** Crash reservations the arch leaves in the dump (riscv's crashk_low_res). */
  readonly keptReservations?: readonly KeptReservation[] | undefined;
  /** Non-RAM ranges the arch adds (powerpc RTAS/OPAL/backup). Default: what the port reports as added. */
  readonly additions?: ((system: SystemDescription, plugin: ArchPlugin) => readonly NamedRange[]) | undefined;
  /** The arch's `__va`. Default: pa + PAGE_OFFSET. */
  readonly va?: ((pa: bigint, system: SystemDescription) => bigint) | undefined;
  /** p_offset of the memory PT_LOAD at `paddr`. Default: paddr. */
  readonly loadOffset?: ((paddr: bigint, system: SystemDescription) => bigint) | undefined;
  /** Order of the header's fields. Default 'le'. */
  readonly byteOrder?: ByteOrder | ((system: SystemDescription) => ByteOrder) | undefined;
  /** The largest machine the port claims: its header must still build and fit the segment. */
  readonly largestMachine?: SystemDescription | ((plugin: ArchPlugin) => SystemDescription) | undefined;
  /** Whether a kexec_file crash image of this machine gets hotplug_support. Default: never. */
  readonly supportsHotplug?: ((system: SystemDescription) => boolean) | undefined;
  /**
   * The capture path verifies the purgatory's SHA-256 over the segments (x86, riscv), so an in-place
   * update must leave the digest intact. Default true; false where nothing checks it (arm64 has no
   * purgatory; powerpc's does not verify, facts §2.9).
   */
  readonly purgatoryChecksDigest?: boolean | undefined;
  /** Runs to replay on every machine with a crash reservation. Default: STOCK_SCENARIOS. */
  readonly hotplugScenarios?: readonly HotplugScenario[] | undefined;
  /** Run readelf and eu-readelf on every header (default true). */
  readonly elfTools?: boolean | undefined;
}

export interface Violation {
  readonly invariant: Invariant;
  /** The machine's origin. */
  readonly machine: string;
  readonly detail: string;
  /** One line naming the invariant, the machine, what was wrong and what to look at. */
  readonly message: string;
}

export interface ConformanceReport {
  readonly arch: string;
  readonly machines: readonly string[];
  /** Invariants that were checked on at least one machine. */
  readonly checked: readonly Invariant[];
  readonly violations: readonly Violation[];
  readonly ok: boolean;
}

export function violation(invariant: Invariant, machine: string, detail: string): Violation {
  const text = INVARIANT_TEXT[invariant];
  return { invariant, machine, detail, message: `${invariant}: ${machine}: ${detail} — ${text.says}; ${text.todo}` };
}
