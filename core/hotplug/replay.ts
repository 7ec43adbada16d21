// A whole hot-plug run: load a kdump image, walk a timeline of machine events through one
// strategy, and say how it went — events, regenerations, drops, folds, how long kdump was unarmed,
// whether the header left installed is the one a fresh build of the final machine gives, and
// whether the purgatory would still let the capture kernel start.

import type { Clock } from '../base/clock.js';
import { buildSystemElfcorehdr } from '../build/system-elfcorehdr.js';
import { CrashplugError } from '../base/errors.js';
import { hex } from '../base/hex.js';
import { type RamCoverage, headerRamCoverage } from './coverage.js';
import type { Range } from '../memory/range.js';
import { type HotplugFaults, HotplugEngine } from './engine.js';
import { DEFAULT_BLOCK_SIZE, type EventSequence, isNotifierEvent, MachineState, type TimedEvent } from './events.js';
import type { HotplugMetrics, MetricsSummary, UpdateRecord } from './metrics.js';
import { CoalesceStrategy, type HotplugStrategy, KernelStrategy, type StrategyName } from './strategies.js';
import { KernelLog, type LogLine } from './kernel-log.js';
import { kexecLoad, type LoadMode } from '../kexec/loader.js';
import type { Contention } from '../kexec/lock.js';
import type { PayloadSizes } from '../kexec/payload.js';
import { KexecState } from '../kexec/state.js';
import { buildKexecToolsElfcorehdr } from '../kexec/kexec-tools-builder.js';
import type { ArchPlugin } from '../port/plugin.js';
import { verifyPurgatory } from '../kexec/purgatory.js';
import { elfcorehdrLocator } from '../kexec/segment-locator.js';
import type { SystemDescription } from '../system/system.js';
import { DEFAULT_UDEV_TIMING, ReloadStrategy, udevReloadSchedule, udevRuleMatches, type UdevTiming } from './udev-reload.js';

export interface SimulationOptions {
  readonly strategy: StrategyName;
  readonly mode: LoadMode;
  readonly payload?: PayloadSizes | undefined;
  readonly contention?: Contention | undefined;
  readonly faults?: HotplugFaults | undefined;
  readonly blockSize?: bigint | undefined;
  readonly udev?: Partial<UdevTiming> | undefined;
  /** Check the purgatory after every in-place install (costs a full re-hash each time). */
  readonly verifyEachUpdate?: boolean | undefined;
  /**
   * Keep every update's record in the result's `metrics.updates` (the default; always with
   * `onEvent`). Without, a run keeps counts only: its memory does not grow with its updates.
   */
  readonly keepUpdates?: boolean | undefined;
  /** Called now and then with events done so far. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  readonly log?: KernelLog | undefined;
  /** Times the run and every unarmed window; without one, core counts ticks instead of reading time. */
  readonly clock?: Clock | undefined;
  /**
   * Called after each event is handled — for the last event of a burst, after the burst's queued
   * events were handled too — with what the handler did. Only when given does the run keep track.
   */
  readonly onEvent?: ((step: EventStep) => void) | undefined;
  /**
   * Called when the machine refuses an event (memory that holds no RAM, a DIMM removed with blocks
   * still online, …) with its error, index and event; the run stops there. Whatever the callback
   * throws is thrown instead of the machine's error, so a caller can name what asked for the event
   * without walking the timeline first.
   */
  readonly onRefusedEvent?: ((refusal: CrashplugError, index: number, event: TimedEvent) => void) | undefined;
}

/** `machine.apply(e.event)`, handing a refusal to `onRefused` before it ends the run. */
function applyEvent(machine: MachineState, e: TimedEvent, index: number, onRefused: SimulationOptions['onRefusedEvent']): MachineState {
  if (onRefused === undefined) return machine.apply(e.event);
  try {
    return machine.apply(e.event);
  } catch (err) {
    if (CrashplugError.is(err)) onRefused(err, index, e);
    throw err;
  }
}

/**
 * What became of one event, most telling first: an update refused (with the kernel's message), an
 * arch hook that failed, a header installed, a reload, an event dropped on a busy lock, queued
 * for the end of its burst (coalesce), a handler call that changed nothing, a guard that stopped
 * the handler, udev still waiting, or an event that reaches no notifier (a DIMM arriving).
 */
export type EventOutcome =
  | 'refused'
  | 'hook-failed'
  | 'installed'
  | 'reloaded'
  | 'dropped'
  | 'coalesced'
  | 'no-op'
  | 'not-loaded'
  | 'no-hotplug-support'
  | 'not-located'
  | 'waiting'
  | 'no-notifier-call';

export interface EventStep {
  readonly index: number;
  readonly event: TimedEvent;
  /** The machine after the event. */
  readonly machine: MachineState;
  readonly outcome: EventOutcome;
  /** Updates made at this step (several when a burst was flushed). */
  readonly updates: readonly UpdateRecord[];
  /** Header regenerations at this step. */
  readonly regenerations: number;
  /** What the kernel printed at this step (as far as the log keeps it). */
  readonly messages: readonly LogLine[];
  /** The elfcorehdr segment as it is now (a view, valid during the call), if an image is loaded. */
  readonly header: Uint8Array | undefined;
}

export interface SimulationSummary extends MetricsSummary {
  readonly strategy: StrategyName;
  readonly mode: LoadMode;
  readonly elapsedMs: number;
  readonly finalHeaderMatchesFresh: boolean;
  readonly purgatoryVerified: boolean;
  /** In-place installs after which the purgatory check failed (only counted with verifyEachUpdate). */
  readonly purgatoryFailures: number;
  /**
   * Memory the installed header lists that the final machine no longer has, as ["0x…", "0x…"]
   * inclusive ranges (headerRamCoverage): x86 keeps a removed DIMM until the next memory event.
   */
  readonly staleRam: readonly (readonly [string, string])[];
  /** Memory a fresh header of the final machine lists that the installed one leaves out. */
  readonly missingRam: readonly (readonly [string, string])[];
  /** The reload strategy's simulated timeline. */
  readonly udev?: { readonly matched: number; readonly reloads: number; readonly lastReloadDoneMs: number; readonly simulatedUnarmedMs: number } | undefined;
}

export interface SimulationResult {
  readonly summary: SimulationSummary;
  readonly kexec: KexecState;
  readonly machine: MachineState;
  readonly metrics: HotplugMetrics;
  /** The elfcorehdr left in the image at the end (as many bytes as `fresh`), if one is loaded. */
  readonly installed: Uint8Array | undefined;
  /** What a fresh build of the final machine gives, by whoever owns the header under this strategy. */
  readonly fresh: Uint8Array;
  /** The header in place at the end, as long as it was written: the last in-place update, else the load. */
  readonly installedHeader: Uint8Array | undefined;
  /** How the installed header covers the final machine; undefined when no header is loaded. */
  readonly coverage: RamCoverage | undefined;
}

function hexPairs(ranges: readonly Range[]): (readonly [string, string])[] {
  return ranges.map((r) => [hex(r.start), hex(r.end)] as const);
}

/** Notifier events that reach the udev rule, with the machine state each arrived on. */
function udevArrivals(
  system: SystemDescription,
  plugin: ArchPlugin,
  blockSize: bigint,
  events: Iterable<TimedEvent>,
  onRefused: SimulationOptions['onRefusedEvent'],
): number[] {
  let m = MachineState.boot(system, blockSize, plugin.ramWalk);
  const out: number[] = [];
  let i = 0;
  for (const e of events) {
    // A CPU's add or remove uevent (a log's cpu-add / cpu-remove) is what the rule's CPU line matches.
    if (isNotifierEvent(e.event) ? udevRuleMatches(e.event, m) : e.event.kind === 'cpu-present') out.push(e.atMs);
    m = applyEvent(m, e, i++, onRefused);
  }
  return out;
}

/** The header the final machine should carry: the kernel's, unless userspace rebuilds it each time. */
function freshHeader(system: SystemDescription, plugin: ArchPlugin, strategy: StrategyName, mode: LoadMode): Uint8Array {
  if (strategy === 'reload' && mode === 'load') return buildKexecToolsElfcorehdr(system, plugin).bytes;
  return buildSystemElfcorehdr(system, plugin).bytes;
}

/** The loaded image's elfcorehdr segment, whole (a view into the reservation), or undefined. */
export function elfcorehdrView(kexec: KexecState): Uint8Array | undefined {
  const image = kexec.loaded;
  if (image === undefined) return undefined;
  const index = elfcorehdrLocator.locate(image, kexec.memory);
  const seg = index >= 0 ? image.segments[index] : undefined;
  return seg === undefined ? undefined : kexec.memory.view(seg.mem, seg.memsz);
}

export function simulateHotplug(system: SystemDescription, plugin: ArchPlugin, events: EventSequence, options: SimulationOptions): SimulationResult {
  if (system.crashkernel === undefined) {
    throw new CrashplugError('E_BAD_SYSTEM', `${system.origin}: no crashkernel reservation, so there is no kdump image to keep up to date; give crashkernel`);
  }
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  const kexec = new KexecState(system.crashkernel, { contention: options.contention, log: options.log ?? new KernelLog(), clock: options.clock });
  // The udev baseline loads the way legacy kdumpctl does: kexec-tools without --hotplug.
  const load = { mode: options.mode, payload: options.payload, hotplug: options.strategy !== 'reload' };
  kexecLoad(kexec, system, plugin, load);
  let purgatoryFailures = 0;
  const engine = new HotplugEngine(kexec, plugin, {
    faults: options.faults,
    keepUpdates: options.keepUpdates !== false || options.onEvent !== undefined,
    afterInstall: options.verifyEachUpdate
      ? () => {
          if (kexec.loaded === undefined || !verifyPurgatory(kexec.loaded, kexec.memory).ok) purgatoryFailures++;
        }
      : undefined,
  });
  const timing = { ...DEFAULT_UDEV_TIMING, ...options.udev };
  const schedule =
    options.strategy === 'reload' ? udevReloadSchedule(udevArrivals(system, plugin, blockSize, events, options.onRefusedEvent), timing) : undefined;
  const strategy: HotplugStrategy =
    schedule !== undefined
      ? new ReloadStrategy({ kexec, plugin, metrics: engine.metrics, load, schedule })
      : options.strategy === 'coalesce'
        ? new CoalesceStrategy(engine)
        : new KernelStrategy(engine);

  let machine = MachineState.boot(system, blockSize, plugin.ramWalk);
  const t0 = kexec.clock.nowNs();
  const every = Math.max(1, Math.floor(events.length / 100));
  const m = engine.metrics;
  const onEvent = options.onEvent;
  // One event ahead, to see where a burst ends: the events are read once, in order (a resize makes
  // each as it is read).
  const it = events[Symbol.iterator]();
  let ahead = it.next();
  for (let i = 0; !ahead.done; i++) {
    const e = ahead.value;
    ahead = it.next();
    const before = onEvent === undefined ? undefined : { ...m.summary(), updates: m.updates.length, printed: kexec.log.printed };
    strategy.beforeEvent(e, machine);
    machine = applyEvent(machine, e, i, options.onRefusedEvent);
    if (isNotifierEvent(e.event)) strategy.onNotifierEvent(e.event, machine);
    // A burst ends with its last event: the strategy settles it before the next one arrives.
    if (ahead.done === true || ahead.value.batch !== e.batch) strategy.onBatchEnd(machine);
    if (onEvent !== undefined && before !== undefined) {
      const updates = m.updates.slice(before.updates);
      const after = m.summary();
      const outcome: EventOutcome = updates.some((u) => u.outcome !== 'installed' && u.outcome !== 'reloaded')
        ? 'refused'
        : after.hookFailures > before.hookFailures
          ? 'hook-failed'
          : updates.some((u) => u.outcome === 'installed')
            ? 'installed'
            : updates.some((u) => u.outcome === 'reloaded')
              ? 'reloaded'
              : after.dropped > before.dropped
                ? 'dropped'
                : after.skipped.notLoaded > before.skipped.notLoaded
                  ? 'not-loaded'
                  : after.skipped.noHotplugSupport > before.skipped.noHotplugSupport
                    ? 'no-hotplug-support'
                    : after.skipped.notLocated > before.skipped.notLocated
                      ? 'not-located'
                      : after.noops > before.noops
                        ? 'no-op'
                        : !isNotifierEvent(e.event)
                          ? 'no-notifier-call'
                          : options.strategy === 'reload'
                            ? 'waiting'
                            : 'coalesced';
      onEvent({
        index: i,
        event: e,
        machine,
        outcome,
        updates,
        regenerations: after.regenerations - before.regenerations,
        messages: kexec.log.last(kexec.log.printed - before.printed),
        header: elfcorehdrView(kexec),
      });
    }
    if (options.onProgress !== undefined && (i + 1) % every === 0) options.onProgress(i + 1, events.length);
  }
  strategy.finish(machine);
  const elapsedMs = Number(kexec.clock.nowNs() - t0) / 1e6;
  options.onProgress?.(events.length, events.length);

  const fresh = freshHeader(machine.system, plugin, options.strategy, options.mode);
  const image = kexec.loaded;
  const index = image === undefined ? -1 : elfcorehdrLocator.locate(image, kexec.memory);
  const seg = index >= 0 ? image?.segments[index] : undefined;
  let installed: Uint8Array | undefined;
  let installedHeader: Uint8Array | undefined;
  if (seg !== undefined) {
    if (seg.memsz >= fresh.length) installed = kexec.memory.view(seg.mem, fresh.length).slice();
    // A reload replaces the image, so only in-place strategies can have written past the load.
    const last = options.strategy === 'reload' ? undefined : engine.metrics.lastHeaderBytes;
    installedHeader = kexec.memory.view(seg.mem, last ?? seg.bufsz).slice();
  }
  const coverage = installedHeader === undefined ? undefined : headerRamCoverage(installedHeader, machine.system, plugin);
  const matches = installed !== undefined && Buffer.from(installed).equals(Buffer.from(fresh));
  const verified = image !== undefined && kexec.crashImage !== null && verifyPurgatory(image, kexec.memory).ok;
  const metrics = engine.metrics.summary();
  const udev =
    schedule === undefined
      ? undefined
      : {
          matched: schedule.matched,
          reloads: schedule.reloads.length,
          lastReloadDoneMs: schedule.reloads.length ? schedule.reloads[schedule.reloads.length - 1]!.doneMs : 0,
          simulatedUnarmedMs: schedule.reloads.reduce((sum, r) => sum + (r.doneMs - r.startMs), 0),
        };
  return {
    summary: {
      strategy: options.strategy,
      mode: options.mode,
      ...metrics,
      elapsedMs,
      finalHeaderMatchesFresh: matches,
      purgatoryVerified: verified,
      purgatoryFailures,
      staleRam: hexPairs(coverage?.staleRam ?? []),
      missingRam: hexPairs(coverage?.missingRam ?? []),
      udev,
    },
    kexec,
    machine,
    metrics: engine.metrics,
    installed,
    fresh,
    installedHeader,
    coverage,
  };
}
