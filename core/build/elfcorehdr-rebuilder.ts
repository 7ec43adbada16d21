// Rebuilding one image's elfcorehdr again and again (a hot-plug run): the kernel rewrites the whole
// header each time, and this writes exactly the same bytes, but gets there from the previous build
// when it can. Between two memory events the header usually differs only in a few RAM PT_LOADs (a
// DIMM's range added or cut), so instead of writing every program header again — quadratic over a
// resize that adds thousands of DIMMs — it keeps the previous build's inputs and bytes, finds the
// ranges both share at the front and at the back, moves the back ones to their new place, writes
// the few in between, zeroes what the header no longer uses and rewrites the ELF header (e_phnum).
// Anything else (another machine, other CPUs' notes, a port that fixes the header up afterwards)
// is a full build, as buildSystemElfcorehdr does it. test/elfcorehdr-rebuilder.test.ts checks
// both against the full build over random sequences of changes.

import { EHDR_SIZE, ELFDATA2LSB, coreElfHeader, PHDR_SIZE } from '../elf/elf.js';
import { buildElfcorehdr, type ElfcorehdrInput, type ElfcorehdrLayout, type KernelMap, layoutFor, layoutOf } from '../elf/elfcorehdr.js';
import { writeElfHeader } from '../elf/encode.js';
import type { Range } from '../memory/range.js';
import { type ArchPlugin, type CrashMemory, coreDefaults, vaOffsetOf } from '../port/plugin.js';
import type { SystemDescription } from '../system/system.js';
import { noteTableOf } from './note-table.js';
import { ramChangeSince } from './ram-change.js';
import { type HeaderContext, systemElfcorehdrInput, type SystemElfcorehdr } from './system-elfcorehdr.js';

/** What the previous build was made from, as far as the bytes depend on it. */
interface Previous {
  readonly system: SystemDescription;
  readonly base: ArchPlugin;
  /** Its inputs; `ranges` only when it was built from the whole list (not from a RAM change). */
  readonly input: Omit<ElfcorehdrInput<HeaderContext>, 'ranges'>;
  readonly ranges: readonly Range[] | undefined;
  readonly layout: ElfcorehdrLayout;
  /** Its crash ranges, as the port's own crash memory (no transform) made them: how many, and the holes cut. */
  readonly crash: { readonly count: number; readonly excluded: readonly Range[] } | undefined;
}

/** How the caller's port makes its crash memory, when that lets a RAM change be applied without it. */
export interface RebuildHints {
  /**
   * The port's crash memory is its System RAM entries in walk order, each less the `excluded`
   * holes (the kernel's current exclusion), with nothing added: x86's prepare_elf_headers. A range
   * added at the top of RAM that no hole touches is then one more PT_LOAD at the end, and a range
   * taken from the top one fewer.
   */
  readonly ramLessHoles?: boolean | undefined;
}

/** How the last build was made: the counters tests and benchmarks read. */
export interface RebuildStats {
  /** Built whole by the header writer. */
  full: number;
  /** Patched where the ranges differ from the previous build's, found by comparing both lists. */
  patched: number;
  /** Patched from MachineState's record of RAM changing at its top, without the crash memory. */
  fromRam: number;
}

function sameRange(a: Range, b: Range): boolean {
  return a === b || (a.start === b.start && a.end === b.end);
}

function sameKernelMap(a: KernelMap | undefined, b: KernelMap | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.vaddr === b.vaddr && a.paddr === b.paddr && a.size === b.size;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether every program header but the RAM ones is what the previous build wrote, and the RAM
 * ones depend on their range alone. The system may differ only in its memory and CPUs: everything
 * else (kernel, crash notes, vmcoreinfo, PAGE_OFFSET and PHYS_OFFSET, which `va` reads) must be
 * the very same value, as a hot-plug run's machine states share it. The CPUs that get notes must
 * be the same list, and the port must leave the header as the writer made it.
 */
function samePrelude(prev: Previous, system: SystemDescription, base: ArchPlugin, input: Omit<ElfcorehdrInput<HeaderContext>, 'ranges'>): boolean {
  if (prev.base !== base || base.fixupElfcorehdr !== coreDefaults.fixupElfcorehdr) return false;
  const a = prev.system as unknown as Record<string, unknown>;
  const b = system as unknown as Record<string, unknown>;
  if (a !== b) {
    // Own keys counted and compared with for…in rather than two Object.keys arrays per update:
    // descriptions are plain objects, whose prototype adds no enumerable key.
    let count = 0;
    for (const k in b) {
      if (!Object.hasOwn(b, k)) continue;
      count++;
      if (k !== 'memory' && k !== 'cpus' && a[k] !== b[k]) return false;
    }
    for (const k in a) if (Object.hasOwn(a, k)) count--;
    if (count !== 0) return false;
  }
  const p = prev.input;
  return (
    p.machine === input.machine &&
    p.possibleCpuCount === input.possibleCpuCount &&
    p.noteSize === input.noteSize &&
    (p.byteOrder ?? 'le') === (input.byteOrder ?? 'le') &&
    sameKernelMap(p.kernelMap, input.kernelMap) &&
    sameNumbers(p.noteCpus, input.noteCpus)
  );
}

/**
 * Whether `crash` is exactly System RAM in its order, each entry less the holes it lists as excluded,
 * nothing added: what the ramLessHoles hint promises, checked against the port's own answer (a port
 * may take x86's hot-plug hook and still make its crash memory another way). O(RAM + holes).
 */
function isRamLessHoles(ram: readonly Range[], crash: CrashMemory): boolean {
  if (crash.added.length !== 0) return false;
  const holes = [...crash.excluded].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const ranges = crash.mem.ranges;
  let k = 0;
  const next = (start: bigint, end: bigint): boolean => {
    const r = ranges[k++];
    return r !== undefined && r.start === start && r.end === end;
  };
  for (const r of ram) {
    let start = r.start;
    for (const h of holes) {
      if (h.end < start || h.start > r.end) continue;
      if (h.start > start && !next(start, h.start - 1n)) return false;
      if (h.end >= r.end) {
        start = r.end + 1n;
        break;
      }
      start = h.end + 1n;
    }
    if (start <= r.end && !next(start, r.end)) return false;
  }
  return k === ranges.length;
}

/** A header patched from a RAM change: its crash memory is made (from all of RAM) only when asked for. */
class RebuiltFromRam implements SystemElfcorehdr {
  #crashMemory: CrashMemory | undefined;

  constructor(
    readonly bytes: Uint8Array,
    readonly layout: ElfcorehdrLayout,
    readonly kernelMap: KernelMap | undefined,
    private readonly system: SystemDescription,
    private readonly plugin: ArchPlugin,
  ) {}

  get crashMemory(): CrashMemory {
    this.#crashMemory ??= this.plugin.crashMemory(this.system);
    return this.#crashMemory;
  }
}

export class ElfcorehdrRebuilder {
  /** The last build, zero past its size; grows (never shrinks) as headers get larger. */
  #bytes = new Uint8Array(0);
  /** Bytes of #bytes that may be non-zero. */
  #dirty = 0;
  #prev: Previous | undefined;
  /** Where #writeRanges has the writer lay out the few PT_LOADs it needs; zero between uses. */
  #part = new Uint8Array(0);
  readonly stats: RebuildStats = { full: 0, patched: 0, fromRam: 0 };

  /**
   * The elfcorehdr of `system` as buildSystemElfcorehdr builds it (`plugin` may be `base` with its
   * crash memory transformed). `bytes` is a view of exactly `layout.size` bytes, valid until the
   * next call. Throws what the full build throws, and then starts afresh.
   */
  build(system: SystemDescription, plugin: ArchPlugin, base: ArchPlugin = plugin, hints: RebuildHints = {}): SystemElfcorehdr {
    const prev = this.#prev;
    this.#prev = undefined;
    if (prev !== undefined && hints.ramLessHoles === true && plugin === base) {
      const fast = this.#fromRamChange(prev, system, base);
      if (fast !== undefined) return fast;
    }
    const { input, crashMemory, kernelMap } = systemElfcorehdrInput(system, plugin);
    const layout = layoutOf(input);
    let bytes: Uint8Array;
    if (prev?.ranges !== undefined && layout.phnum <= 0xffff && samePrelude(prev, system, base, input)) {
      this.#reserve(layout.size);
      this.#dirty = Math.max(this.#dirty, layout.size);
      this.#patch(prev.ranges, input, layout);
      bytes = this.#bytes.subarray(0, layout.size);
      this.stats.patched++;
    } else {
      if (layout.phnum <= 0xffff) this.#reserve(layout.size);
      this.#bytes.fill(0, 0, this.#dirty);
      this.#dirty = layout.phnum <= 0xffff ? layout.size : 0;
      // Too many program headers: the writer says so (before it writes anything).
      const built = buildElfcorehdr(input, layout.phnum <= 0xffff ? this.#bytes : undefined);
      plugin.fixupElfcorehdr(built.bytes, built.layout, system);
      bytes = this.#bytes.subarray(0, layout.size);
      this.stats.full++;
    }
    // The RAM record may stand in for the crash memory later only if this one is what the hint says.
    const own = hints.ramLessHoles === true && plugin === base && isRamLessHoles(system.memory.systemRam, crashMemory);
    this.#prev = { system, base, input, ranges: input.ranges, layout, crash: own ? { count: input.ranges.length, excluded: crashMemory.excluded } : undefined };
    return { bytes, layout, crashMemory, kernelMap };
  }

  /**
   * The fast way, when System RAM changed only at its top since the previous build (MachineState's
   * record says how) and the port's crash memory is RAM less holes: the PT_LOADs of ranges taken
   * off go, those of ranges added are written after the rest. Undefined when that does not apply.
   */
  #fromRamChange(prev: Previous, system: SystemDescription, base: ArchPlugin): SystemElfcorehdr | undefined {
    const crash = prev.crash;
    if (crash === undefined || system.kernel.excludeAlgorithm !== 'current') return undefined;
    const change = ramChangeSince(prev.system.memory, system.memory);
    if (change === undefined || change.popped.length > crash.count) return undefined;
    const untouched = (r: Range): boolean => crash.excluded.every((h) => h.end < r.start || r.end < h.start);
    if (!change.popped.every(untouched) || !change.appended.every(untouched)) return undefined;
    const kernelMap = base.kernelMap(system);
    // The writer's crashNotes and va stay the same two functions; the context they read is new.
    const notes = noteTableOf(system);
    const input: ElfcorehdrInput<HeaderContext> = {
      ...prev.input,
      noteCpus: notes.cpus,
      noteAddresses: notes,
      possibleCpuCount: system.cpus.possible.length,
      kernelMap,
      context: { plugin: base, system },
      byteOrder: base.fieldByteOrder(system),
      ranges: change.appended,
      // The previous build's packing is of its own list; these few ranges are read as they are.
      packedRanges: undefined,
      vaOffset: vaOffsetOf(base, system),
    };
    if (!samePrelude(prev, system, base, input)) return undefined;
    const kept = crash.count - change.popped.length;
    const count = kept + change.appended.length;
    const layout = layoutFor(input, count);
    if (layout.phnum > 0xffff) return undefined;
    this.#reserve(layout.size);
    this.#dirty = Math.max(this.#dirty, layout.size);
    const firstRam = layout.phnum - count;
    const at = (i: number): number => EHDR_SIZE + (firstRam + i) * PHDR_SIZE;
    if (count < crash.count) this.#bytes.fill(0, at(count), at(crash.count));
    this.#writeRanges(input, change.appended, at(kept));
    this.#writeEhdr(input, layout);
    this.stats.fromRam++;
    this.#prev = { system, base, input, ranges: undefined, layout, crash: { count, excluded: crash.excluded } };
    return new RebuiltFromRam(this.#bytes.subarray(0, layout.size), layout, kernelMap, system, base);
  }

  /** The PT_LOADs of `ranges` at byte `offset`, written by the header writer itself: a small header of just them. */
  #writeRanges(input: ElfcorehdrInput<HeaderContext>, ranges: readonly Range[], offset: number): void {
    if (ranges.length === 0) return;
    const part = { ...input, noteCpus: [], noteAddresses: undefined, possibleCpuCount: 0, kernelMap: undefined, ranges, packedRanges: undefined };
    const size = layoutOf(part).size;
    // One zeroed scratch, kept: a fresh buffer per update would be a small allocation outside the heap each time.
    if (this.#part.length < size) this.#part = new Uint8Array(size);
    const from = EHDR_SIZE + PHDR_SIZE; // after the vmcoreinfo note
    const end = from + ranges.length * PHDR_SIZE;
    try {
      this.#bytes.set(buildElfcorehdr(part, this.#part).bytes.subarray(from, end), offset);
    } finally {
      this.#part.fill(0, 0, end);
    }
  }

  #writeEhdr(input: ElfcorehdrInput<HeaderContext>, layout: ElfcorehdrLayout): void {
    const view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset, EHDR_SIZE);
    writeElfHeader(view, coreElfHeader(input.machine, layout.phnum, ELFDATA2LSB), input.byteOrder ?? 'le');
  }

  /** Forget the previous build: the next one is full. */
  reset(): void {
    this.#prev = undefined;
  }

  /** Room for `size` bytes, keeping what is there; doubles so that a growing run copies O(size) in all. */
  #reserve(size: number): void {
    if (size <= this.#bytes.length) return;
    const next = new Uint8Array(Math.max(size, this.#bytes.length * 2));
    next.set(this.#bytes.subarray(0, this.#dirty));
    this.#bytes = next;
  }

  #patch(before: readonly Range[], input: ElfcorehdrInput<HeaderContext>, layout: ElfcorehdrLayout): void {
    const after = input.ranges;
    const n0 = before.length;
    const n1 = after.length;
    const shortest = Math.min(n0, n1);
    let head = 0;
    while (head < shortest && sameRange(before[head]!, after[head]!)) head++;
    let tail = 0;
    while (tail < shortest - head && sameRange(before[n0 - 1 - tail]!, after[n1 - 1 - tail]!)) tail++;
    const firstRam = layout.phnum - n1;
    const at = (i: number): number => EHDR_SIZE + (firstRam + i) * PHDR_SIZE;
    const bytes = this.#bytes;
    // The shared ranges at the back move to their new place (copyWithin handles the overlap).
    if (n0 !== n1 && tail > 0) bytes.copyWithin(at(n1 - tail), at(n0 - tail), at(n0));
    // What the old header had past the new one's end is zero in a full build.
    if (n1 < n0) bytes.fill(0, at(n1), at(n0));
    // The ranges in between.
    if (n1 - tail > head) this.#writeRanges(input, after.slice(head, n1 - tail), at(head));
    this.#writeEhdr(input, layout);
  }
}
