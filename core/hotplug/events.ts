// Hot-plug events and the machine they change. A CPU goes online or offline within the possible
// set; a memory block (128 MiB by default) goes online or offline; a DIMM arrives as new System RAM
// whose blocks then come online one by one — one notifier call per block, as Linux does — and
// leaves again once they are all offline. Only CPU and memory-block events reach the crash
// notifier; a DIMM's arrival or removal changes System RAM without one. How it changes it is the
// arch's RamWalk (ram-walk.ts): a resource of its own, or merged into memblock's region.

import { CrashplugError } from '../base/errors.js';
import { recordRamStep } from '../build/ram-change.js';
import { alignUp, hex } from '../base/hex.js';
import type { RamWalk } from '../port/plugin.js';
import { addDimmRam, holdsAddress, removeDimmRam, withInserted } from '../system/ram-walk.js';
import type { Range } from '../memory/range.js';
import type { IomemResource, MemoryDescription, RamRange, SystemDescription } from '../system/system.js';

/** memory_block_size_bytes() of an x86_64 machine under 64 GiB, and most VMs. */
export const DEFAULT_BLOCK_SIZE = 128n << 20n;

export interface CpuEvent {
  readonly kind: 'cpu';
  readonly action: 'online' | 'offline';
  readonly cpu: number;
}

export interface MemoryEvent {
  readonly kind: 'memory';
  readonly action: 'online' | 'offline';
  readonly start: bigint;
  readonly size: bigint;
}

export interface DimmAddEvent {
  readonly kind: 'dimm-add';
  readonly start: bigint;
  readonly size: bigint;
  /** Its NUMA node (node 0, QEMU's default for a pc-dimm, when not given); memblock merges only within a node. */
  readonly nid?: number | undefined;
}

/** A DIMM leaving, after all its blocks went offline (remove_memory refuses online memory). */
export interface DimmRemoveEvent {
  readonly kind: 'dimm-remove';
  readonly start: bigint;
  readonly size: bigint;
}

/**
 * A CPU becoming present (hot-added: register_cpu, the `add` uevent) or leaving the present set
 * (it must be offline). The crash notifier hears only onlining and offlining (crash/cpuhp).
 */
export interface CpuPresenceEvent {
  readonly kind: 'cpu-present';
  readonly action: 'add' | 'remove';
  readonly cpu: number;
}

export type NotifierEvent = CpuEvent | MemoryEvent;
export type MachineEvent = NotifierEvent | DimmAddEvent | DimmRemoveEvent | CpuPresenceEvent;

/** An event on the timeline: when it happens, and which burst of the producer it belongs to. */
export interface TimedEvent {
  readonly event: MachineEvent;
  /** Simulated milliseconds since the start of the run (only the reload strategy looks at time). */
  readonly atMs: number;
  /** Events of one burst (a DIMM and its blocks, one CPU) share a batch number. */
  readonly batch: number;
}

export function isNotifierEvent(e: MachineEvent): e is NotifierEvent {
  return e.kind === 'cpu' || e.kind === 'memory';
}

function bad(message: string): CrashplugError {
  return new CrashplugError('E_BAD_ARGUMENT', message);
}

function insertSorted(list: readonly number[], n: number): number[] {
  return [...list, n].sort((a, b) => a - b);
}

/** Each range starts above the end of the one before: what the walks keep, checked once at boot. */
function sortedDisjoint(ranges: readonly Range[]): boolean {
  for (let i = 1; i < ranges.length; i++) if (ranges[i]!.start <= ranges[i - 1]!.end) return false;
  return true;
}

/** In sorted, disjoint ranges[0, length): the index of the first range ending at or above `at` (length if none). */
function firstEndingFrom(ranges: readonly Range[], at: bigint, length = ranges.length): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ranges[mid]!.end < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * System RAM as the first `length` entries of `items`. States made one after the other by DIMMs
 * arriving at the top of RAM (or the top one leaving) share one `items`: a state appends in place
 * only when it owns the end of it (`items.length === length`), so what an earlier state sees is
 * never changed, and a DIMM costs O(1) instead of a copy of all RAM.
 */
interface RamLog {
  readonly items: RamRange[];
  readonly length: number;
  /** `items` was made by MachineState (never the array a caller gave), so it may grow in place. */
  readonly owned: boolean;
}

/**
 * `{ ...mem, systemRam, iomem }` with systemRam made from `log` when first read (then kept): the
 * same keys in the same order, without building the array per DIMM.
 */
function memoryWith(mem: MemoryDescription, log: RamLog, iomem: MemoryDescription['iomem']): MemoryDescription {
  const out: Record<string, unknown> = {};
  let ram: RamRange[] | undefined;
  const systemRam = {
    get: (): RamRange[] => {
      ram ??= log.items.length === log.length ? log.items.slice() : log.items.slice(0, log.length);
      return ram;
    },
    enumerable: true,
    configurable: true,
  };
  const keys = Object.keys(mem);
  // Indexed, not for…of: run once per DIMM mostly in the interpreter, for…of makes a result object per key.
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === 'systemRam') Object.defineProperty(out, k, systemRam);
    else out[k] = k === 'iomem' ? iomem : (mem as unknown as Record<string, unknown>)[k];
  }
  if (!keys.includes('systemRam')) Object.defineProperty(out, 'systemRam', systemRam);
  if (!keys.includes('iomem')) out.iomem = iomem;
  return out as unknown as MemoryDescription;
}

/**
 * How many steps the header rebuilder reads back through the record of RAM steps (ramChangeSince's
 * own limit): a step further back than that is never read from the newest state.
 */
const RAM_STEPS_READ = 64;

/** A memory with no record of where it came from: what a cut record points at. */
const UNRECORDED = Object.freeze({ systemRam: [] }) as unknown as MemoryDescription;
const NO_RANGE: RamRange = Object.freeze({ name: 'System RAM', start: 0n, end: 0n });

/**
 * Where this state's memory stands in the record of RAM steps: how many recorded steps lead to it
 * without a break, and the memory where the last multiple of RAM_STEPS_READ was reached. Each step
 * holds the memory before it, so an unbroken record would keep every memory of a run alive (with
 * each one's copy of System RAM once read: O(DIMMs²) bytes past PN_XNUM). Every RAM_STEPS_READ
 * steps the record is cut RAM_STEPS_READ steps back, where no read from the newest state reaches,
 * so at most twice that many memories stay.
 */
interface RamSteps {
  readonly depth: number;
  readonly anchor: MemoryDescription | undefined;
}

const NO_STEPS: RamSteps = { depth: 0, anchor: undefined };

/**
 * The machine between events: its description, which memory blocks are offline, and how the arch
 * walks its RAM. Offline blocks are the few (a DIMM's, until they come online), so each event
 * copies a handful of entries. Whether System RAM is sorted and disjoint is learnt once at boot and
 * carried from state to state, so that a block event finds its range by binary search and a DIMM
 * is placed without reading all RAM: O(log n) an event, and a DIMM at the top of RAM O(1) (one
 * elsewhere copies the list).
 */
export class MachineState {
  #offlineSet: ReadonlySet<bigint> | undefined;

  private constructor(
    readonly system: SystemDescription,
    readonly blockSize: bigint,
    /** Offline block numbers in the order they went offline: a short list, cheaper to copy than a Set. */
    private readonly offline: readonly bigint[],
    readonly ramWalk: RamWalk,
    /** System RAM (system.memory.systemRam) is sorted by start and disjoint. */
    private readonly ramSorted: boolean,
    /** System RAM, without building the array. */
    private readonly ram: RamLog,
    private readonly steps: RamSteps = NO_STEPS,
  ) {}

  /**
   * Record that `memory` is this state's memory with `range` appended at or popped from the top of
   * System RAM (what the header rebuilder reads), cutting the record where no read reaches.
   */
  #recordStep(memory: MemoryDescription, op: 'append' | 'pop', range: RamRange): RamSteps {
    recordRamStep(memory, { parent: this.system.memory, op, range });
    const depth = this.steps.depth + 1;
    if (depth % RAM_STEPS_READ !== 0) return { depth, anchor: this.steps.anchor };
    // The anchor is RAM_STEPS_READ steps back: a read from here or later stops at it or before it.
    const old = this.steps.anchor;
    if (old !== undefined) recordRamStep(old, { parent: UNRECORDED, op: 'append', range: NO_RANGE });
    return { depth, anchor: memory };
  }

  /**
   * At boot every block that holds System RAM is online. `ramWalk` is the port's (`plugin.ramWalk`);
   * the iomem walk by default, which only matters once DIMMs come or go.
   */
  static boot(system: SystemDescription, blockSize = DEFAULT_BLOCK_SIZE, ramWalk: RamWalk = 'iomem'): MachineState {
    if (blockSize <= 0n || (blockSize & (blockSize - 1n)) !== 0n) throw bad(`memory block size ${hex(blockSize)} is not a power of two`);
    const ram = system.memory.systemRam;
    return new MachineState(system, blockSize, [], ramWalk, sortedDisjoint(ram), { items: ram as RamRange[], length: ram.length, owned: false });
  }

  /** The memory blocks (by number) that hold System RAM but are offline, in the order they went. */
  get offlineBlocks(): ReadonlySet<bigint> {
    this.#offlineSet ??= new Set(this.offline);
    return this.#offlineSet;
  }

  isOnline(blockStart: bigint): boolean {
    return this.#holds(blockStart) && !this.offline.includes(blockStart / this.blockSize);
  }

  /** Whether System RAM holds `at`: a binary search when it is sorted and disjoint. */
  #holds(at: bigint): boolean {
    if (!this.ramSorted) return holdsAddress(this.system.memory.systemRam, at);
    const { items, length } = this.ram;
    // The top range first: a resize's blocks are those of the DIMM that just arrived there.
    const top = items[length - 1];
    if (top !== undefined && at >= top.start) return at <= top.end;
    const i = firstEndingFrom(items, at, length);
    return i < length && items[i]!.start <= at;
  }

  /** The end (exclusive) of the highest System RAM range. */
  get ramTop(): bigint {
    const { items, length } = this.ram;
    if (this.ramSorted) return length === 0 ? 0n : items[length - 1]!.end + 1n;
    return this.system.memory.systemRam.reduce((top, r) => (r.end + 1n > top ? r.end + 1n : top), 0n);
  }

  apply(event: MachineEvent): MachineState {
    switch (event.kind) {
      case 'cpu':
        return this.#cpu(event);
      case 'memory':
        return this.#memory(event);
      case 'dimm-add':
        return this.#dimm(event);
      case 'dimm-remove':
        return this.#dimmRemove(event);
      case 'cpu-present':
        return this.#cpuPresent(event);
      default: {
        const never: never = event;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  #cpu(e: CpuEvent): MachineState {
    const cpus = this.system.cpus;
    if (!cpus.possible.includes(e.cpu))
      throw bad(`CPU ${e.cpu} is not possible (possible: ${cpus.possible.join(',')}); hot-plug stays within the possible set`);
    const online = cpus.online.includes(e.cpu);
    if (e.action === 'online') {
      if (online) throw bad(`CPU ${e.cpu} is already online`);
      // Onlining a CPU that is not present hot-adds it first.
      const present = cpus.present.includes(e.cpu) ? cpus.present : insertSorted(cpus.present, e.cpu);
      return this.#withSystem({ ...this.system, cpus: { ...cpus, present, online: insertSorted(cpus.online, e.cpu) } });
    }
    if (!online) throw bad(`CPU ${e.cpu} is not online`);
    if (cpus.online.length === 1) throw bad(`CPU ${e.cpu} is the last online CPU; Linux refuses to offline it`);
    return this.#withSystem({ ...this.system, cpus: { ...cpus, online: cpus.online.filter((c) => c !== e.cpu) } });
  }

  #cpuPresent(e: CpuPresenceEvent): MachineState {
    const cpus = this.system.cpus;
    if (!cpus.possible.includes(e.cpu))
      throw bad(`CPU ${e.cpu} is not possible (possible: ${cpus.possible.join(',')}); hot-plug stays within the possible set`);
    const present = cpus.present.includes(e.cpu);
    if (e.action === 'add') {
      if (present) throw bad(`CPU ${e.cpu} is already present`);
      return this.#withSystem({ ...this.system, cpus: { ...cpus, present: insertSorted(cpus.present, e.cpu) } });
    }
    if (!present) throw bad(`CPU ${e.cpu} is not present`);
    if (cpus.online.includes(e.cpu)) throw bad(`CPU ${e.cpu} is still online; offline it before removing it`);
    return this.#withSystem({ ...this.system, cpus: { ...cpus, present: cpus.present.filter((c) => c !== e.cpu) } });
  }

  /** Throws unless [start, +size) is made of whole memory blocks. */
  #wholeBlocks(start: bigint, size: bigint, what: string): void {
    if (size <= 0n || start % this.blockSize !== 0n || size % this.blockSize !== 0n) {
      throw bad(`${what} [${hex(start)}, +${hex(size)}] is not made of whole ${hex(this.blockSize)}-byte memory blocks`);
    }
  }

  #blocks(start: bigint, size: bigint, what: string): bigint[] {
    this.#wholeBlocks(start, size, what);
    const out: bigint[] = [];
    for (let b = start / this.blockSize; b < (start + size) / this.blockSize; b++) out.push(b);
    return out;
  }

  #memory(e: MemoryEvent): MachineState {
    if (e.size === this.blockSize) return this.#oneBlock(e);
    const blocks = this.#blocks(e.start, e.size, `memory ${e.action}`);
    const next = new Set(this.offline);
    for (const b of blocks) {
      const at = b * this.blockSize;
      if (!this.#holds(at)) throw bad(`memory block at ${hex(at)} holds no System RAM`);
      if (e.action === 'online') {
        if (!next.has(b)) throw bad(`memory block at ${hex(at)} is already online`);
        next.delete(b);
      } else {
        if (next.has(b)) throw bad(`memory block at ${hex(at)} is not online`);
        next.add(b);
      }
    }
    // The System RAM resource stays while its blocks go on- and offline; only their state changes.
    return new MachineState(this.system, this.blockSize, [...next], this.ramWalk, this.ramSorted, this.ram, this.steps);
  }

  /** #memory for one block, the usual event: the same checks and messages, and no Set. */
  #oneBlock(e: MemoryEvent): MachineState {
    const at = e.start;
    if (at % this.blockSize !== 0n) this.#blocks(e.start, e.size, `memory ${e.action}`);
    const b = at / this.blockSize;
    if (!this.#holds(at)) throw bad(`memory block at ${hex(at)} holds no System RAM`);
    const i = this.offline.indexOf(b);
    let next: bigint[];
    if (e.action === 'online') {
      if (i < 0) throw bad(`memory block at ${hex(at)} is already online`);
      // Blocks usually come online in the order they went offline (i = 0): one slice of the exact
      // size, not an empty slice grown by a push per block still offline.
      if (i === 0) next = this.offline.slice(1);
      else {
        next = this.offline.slice(0, i);
        for (let k = i + 1; k < this.offline.length; k++) next.push(this.offline[k]!);
      }
    } else {
      if (i >= 0) throw bad(`memory block at ${hex(at)} is not online`);
      next = this.offline.slice();
      next.push(b);
    }
    return new MachineState(this.system, this.blockSize, next, this.ramWalk, this.ramSorted, this.ram, this.steps);
  }

  #dimm(e: DimmAddEvent): MachineState {
    // Only the check: the block numbers are pushed onto the offline list below, not listed twice.
    this.#wholeBlocks(e.start, e.size, 'DIMM');
    const end = e.start + e.size - 1n;
    const mem = this.system.memory;
    const { items, length } = this.ram;
    // The first range the DIMM overlaps, in RAM order; sorted, disjoint RAM has them side by side.
    let clash: RamRange | undefined;
    let at = -1;
    if (this.ramSorted) {
      at = firstEndingFrom(items, e.start, length);
      if (at < length && items[at]!.start <= end) clash = items[at];
    } else clash = mem.systemRam.find((r) => r.start <= end && e.start <= r.end);
    if (clash !== undefined) throw bad(`DIMM [${hex(e.start)}, ${hex(end)}] overlaps System RAM [${hex(clash.start)}, ${hex(clash.end)}]`);
    const added = { name: 'System RAM', start: e.start, end, ...(e.nid === undefined ? {} : { nid: e.nid }) };
    // /proc/iomem shows a hot-added DIMM as a top-level resource of its own, whatever memblock makes of it.
    const iomem =
      mem.iomem === undefined ? undefined : withInserted(mem.iomem, { name: added.name, start: e.start, end, line: 0, children: [] } satisfies IomemResource);
    // The DIMM's blocks join the offline ones (none of which can be among them: offline blocks hold RAM).
    const offline = this.offline.slice();
    for (let b = e.start / this.blockSize, last = end / this.blockSize; b <= last; b++) offline.push(b);
    let memory: MemoryDescription;
    let log: RamLog;
    let sorted: boolean;
    // A memory made any other way has no record behind it.
    let steps = NO_STEPS;
    if (this.ramSorted && this.ramWalk === 'iomem') {
      // A resource of its own, at its place in address order (what withInserted gives sorted RAM).
      if (at === length) {
        // On top of all RAM: appended in place when this state owns the end of the shared list.
        const next = this.ram.owned && items.length === length ? items : items.slice(0, length);
        next.push(added);
        log = { items: next, length: length + 1, owned: true };
      } else {
        const next = items.slice(0, at);
        next.push(added);
        for (let i = at; i < length; i++) next.push(items[i]!);
        log = { items: next, length: next.length, owned: true };
      }
      memory = memoryWith(mem, log, iomem);
      if (at === length) steps = this.#recordStep(memory, 'append', added);
      sorted = true;
    } else {
      const systemRam = addDimmRam(mem.systemRam, added, this.ramWalk);
      memory = { ...mem, systemRam, iomem };
      log = { items: systemRam, length: systemRam.length, owned: false };
      sorted = sortedDisjoint(systemRam);
    }
    return new MachineState({ ...this.system, memory }, this.blockSize, offline, this.ramWalk, sorted, log, steps);
  }

  #dimmRemove(e: DimmRemoveEvent): MachineState {
    const blocks = this.#blocks(e.start, e.size, 'DIMM');
    const end = e.start + e.size - 1n;
    const online = blocks.find((b) => !this.offlineBlocks.has(b));
    if (online !== undefined)
      throw bad(
        `DIMM [${hex(e.start)}, ${hex(end)}] still has the block at ${hex(online * this.blockSize)} online; offline every block first, as remove_memory requires`,
      );
    const mem = this.system.memory;
    const { items, length } = this.ram;
    const iomem = mem.iomem?.filter((r) => !(r.start === e.start && r.end === end));
    const gone = new Set(blocks);
    const offline = this.offline.filter((b) => !gone.has(b));
    const at = this.ramSorted && this.ramWalk === 'iomem' ? firstEndingFrom(items, e.start, length) : -1;
    let memory: MemoryDescription;
    let log: RamLog;
    let sorted: boolean;
    // A memory made any other way has no record behind it.
    let steps = NO_STEPS;
    if (at >= 0 && at < length && items[at]!.start === e.start && items[at]!.end === end) {
      // The DIMM's own resource, found by binary search; the top one leaves the shared list as it is.
      if (at === length - 1) log = { items, length: at, owned: this.ram.owned };
      else {
        const next = items.slice(0, at);
        for (let i = at + 1; i < length; i++) next.push(items[i]!);
        log = { items: next, length: next.length, owned: true };
      }
      memory = memoryWith(mem, log, iomem);
      if (at === length - 1) steps = this.#recordStep(memory, 'pop', items[at]!);
      sorted = true;
    } else {
      const systemRam = removeDimmRam(mem.systemRam, { start: e.start, end }, this.ramWalk);
      memory = { ...mem, systemRam, iomem };
      log = { items: systemRam, length: systemRam.length, owned: false };
      sorted = sortedDisjoint(systemRam);
    }
    return new MachineState({ ...this.system, memory }, this.blockSize, offline, this.ramWalk, sorted, log, steps);
  }

  #withSystem(system: SystemDescription): MachineState {
    return new MachineState(system, this.blockSize, this.offline, this.ramWalk, this.ramSorted, this.ram, this.steps);
  }
}

/** When a resize's events happen; the defaults make the seeds' resize take minutes under udev, as reported. */
export interface ResizeTiming {
  /** Between one DIMM's arrival and the next. */
  readonly dimmGapMs: number;
  /** Between two block onlines of one DIMM. */
  readonly blockGapMs: number;
}

export const DEFAULT_RESIZE_TIMING: ResizeTiming = { dimmGapMs: 50, blockGapMs: 2 };

export interface ResizePlan {
  readonly from: bigint;
  readonly to: bigint;
  readonly dimmSize: bigint;
  readonly blockSize?: bigint | undefined;
  readonly timing?: Partial<ResizeTiming> | undefined;
}

function totalRam(system: SystemDescription): bigint {
  return system.memory.systemRam.reduce((sum, r) => sum + (r.end - r.start + 1n), 0n);
}

/**
 * A timeline to walk: an array of events, or one that makes each event when asked for it (a
 * resize's events are arithmetic in the DIMM and the block, so a run need not hold them all).
 * Arrays fit as they are.
 */
export interface EventSequence extends Iterable<TimedEvent> {
  readonly length: number;
  /** Event `index` (0 ≤ index < length), or undefined outside. */
  at(index: number): TimedEvent | undefined;
}

/** A resize's events, made one by one from the plan: what resizeEvents lists, without holding them. */
class ResizeTimeline implements EventSequence {
  readonly length: number;
  /** Events per DIMM: its blocks, and its arrival or removal. */
  readonly #perDimm: number;

  constructor(
    readonly grow: boolean,
    /** The first DIMM's start (grow) or the top of RAM the DIMMs come off (shrink). */
    readonly base: bigint,
    readonly dimmSize: bigint,
    readonly blockSize: bigint,
    readonly blocksPerDimm: number,
    dimms: number,
    readonly timing: ResizeTiming,
  ) {
    this.#perDimm = blocksPerDimm + 1;
    this.length = dimms * this.#perDimm;
  }

  at(index: number): TimedEvent | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    const k = Math.floor(index / this.#perDimm);
    return this.event(k, index - k * this.#perDimm);
  }

  /** Event j of DIMM k (0 ≤ j ≤ blocksPerDimm): the one definition both at() and the iterator use. */
  event(k: number, j: number): TimedEvent {
    const { blockSize, dimmSize, blocksPerDimm, timing } = this;
    const t = k * timing.dimmGapMs;
    if (this.grow) {
      const start = this.base + BigInt(k) * dimmSize;
      // The DIMM arrives, then each of its blocks comes online.
      if (j === 0) return { event: { kind: 'dimm-add', start, size: dimmSize }, atMs: t, batch: k };
      return {
        event: { kind: 'memory', action: 'online', start: start + BigInt(j - 1) * blockSize, size: blockSize },
        atMs: t + j * timing.blockGapMs,
        batch: k,
      };
    }
    const start = this.base - BigInt(k + 1) * dimmSize;
    // Each block goes offline, lowest first, then the DIMM leaves.
    if (j < blocksPerDimm) {
      return {
        event: { kind: 'memory', action: 'offline', start: start + BigInt(j) * blockSize, size: blockSize },
        atMs: t + j * timing.blockGapMs,
        batch: k,
      };
    }
    return { event: { kind: 'dimm-remove', start, size: dimmSize }, atMs: t + blocksPerDimm * timing.blockGapMs, batch: k };
  }

  [Symbol.iterator](): Iterator<TimedEvent> {
    return new ResizeIterator(this, this.#perDimm);
  }
}

/**
 * A resize's events in order, as a plain iterator: it counts DIMM and event within it instead of
 * dividing an index, and it is no generator, whose resumption the hot loop of a run would pay for
 * at every event.
 */
class ResizeIterator implements Iterator<TimedEvent> {
  #k = 0;
  #j = 0;
  #left: number;
  /** The current DIMM's start, and the start of its next block (see #event). */
  #dimmStart = 0n;
  #blockStart = 0n;

  constructor(
    readonly timeline: ResizeTimeline,
    readonly perDimm: number,
  ) {
    this.#left = timeline.length;
  }

  next(): IteratorResult<TimedEvent> {
    if (this.#left === 0) return { done: true, value: undefined };
    this.#left--;
    const value = this.#event(this.#k, this.#j);
    if (++this.#j === this.perDimm) {
      this.#j = 0;
      this.#k++;
    }
    return { done: false, value };
  }

  /**
   * timeline.event(k, j) for the events in order, with the addresses carried from one event to the
   * next: the DIMM's start once per DIMM and each block's start one sum from the last, instead of
   * the products and sums (each a fresh BigInt) event() makes from k and j every time.
   */
  #event(k: number, j: number): TimedEvent {
    const { grow, blockSize, dimmSize, blocksPerDimm, timing } = this.timeline;
    if (j === 0) {
      this.#dimmStart = grow ? this.timeline.base + BigInt(k) * dimmSize : this.timeline.base - BigInt(k + 1) * dimmSize;
      this.#blockStart = this.#dimmStart;
    }
    const start = this.#dimmStart;
    const t = k * timing.dimmGapMs;
    if (grow) {
      if (j === 0) return { event: { kind: 'dimm-add', start, size: dimmSize }, atMs: t, batch: k };
      const at = this.#blockStart;
      this.#blockStart = at + blockSize;
      return { event: { kind: 'memory', action: 'online', start: at, size: blockSize }, atMs: t + j * timing.blockGapMs, batch: k };
    }
    if (j < blocksPerDimm) {
      const at = this.#blockStart;
      this.#blockStart = at + blockSize;
      return { event: { kind: 'memory', action: 'offline', start: at, size: blockSize }, atMs: t + j * timing.blockGapMs, batch: k };
    }
    return { event: { kind: 'dimm-remove', start, size: dimmSize }, atMs: t + blocksPerDimm * timing.blockGapMs, batch: k };
  }

  [Symbol.iterator](): Iterator<TimedEvent> {
    return this;
  }
}

/**
 * Resize a machine from `from` to `to` bytes with DIMMs of `dimmSize`; each DIMM is one batch.
 * Growing places DIMMs contiguously from the first DIMM-aligned address at or above the end of
 * the highest RAM range: each arrives, then one online event per memory block. Shrinking takes
 * DIMMs off the top of RAM, highest first: each block goes offline (lowest first, as userspace
 * offlines a DIMM's blocks), then the DIMM is removed — remove_memory refuses online memory.
 * Only memory the arch can remove goes: on an iomem walk a DIMM must be a System RAM resource of
 * its own, which the machine checks when the events are applied.
 */
export function resizeEvents(system: SystemDescription, plan: ResizePlan): TimedEvent[] {
  return Array.from(resizeTimeline(system, plan));
}

/**
 * resizeEvents' events, each made when it is read: the same checks and the same events, in memory
 * that does not grow with their number (a 16 TiB resize has 147 168 of them).
 */
export function resizeTimeline(system: SystemDescription, plan: ResizePlan): EventSequence {
  const blockSize = plan.blockSize ?? DEFAULT_BLOCK_SIZE;
  const { from, to, dimmSize } = plan;
  const timing = { ...DEFAULT_RESIZE_TIMING, ...plan.timing };
  if (blockSize <= 0n || (blockSize & (blockSize - 1n)) !== 0n) throw bad(`--block ${hex(blockSize)} is not a power of two`);
  if (dimmSize <= 0n) throw bad(`--dimm must be a positive size, not ${dimmSize}`);
  if (dimmSize % blockSize !== 0n) throw bad(`--dimm ${hex(dimmSize)} is not a whole number of ${hex(blockSize)}-byte memory blocks`);
  if (to === from) throw bad(`--resize ${hex(from)}:${hex(to)} changes nothing; give FROM:TO with TO above FROM to grow, below it to shrink`);
  const change = to > from ? to - from : from - to;
  if (change % dimmSize !== 0n) throw bad(`--resize ${to > from ? 'adds' : 'removes'} ${hex(change)} bytes, not a whole number of ${hex(dimmSize)}-byte DIMMs`);
  const ram = totalRam(system);
  const slack = from > ram ? from - ram : ram - from;
  if (slack >= dimmSize) {
    throw bad(`--resize FROM is ${hex(from)} but ${system.origin} has ${hex(ram)} bytes of System RAM; give its size as FROM`);
  }
  if (to < from && to <= 0n) throw bad(`--resize ${hex(from)}:${hex(to)} would remove every byte of RAM; leave the machine some`);
  const top = MachineState.boot(system, blockSize).ramTop;
  const dimms = Number(change / dimmSize);
  const blocksPerDimm = Number(dimmSize / blockSize);
  if (to < from) {
    if (change > top) throw bad(`--resize removes ${hex(change)} bytes but RAM ends at ${hex(top)}`);
    return new ResizeTimeline(false, top, dimmSize, blockSize, blocksPerDimm, dimms, timing);
  }
  return new ResizeTimeline(true, alignUp(top, dimmSize), dimmSize, blockSize, blocksPerDimm, dimms, timing);
}
