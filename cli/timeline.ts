// What happened when, in a hot-plug run, on the run's modelled clock: the events as the producer
// timed them (TimedEvent.atMs), each header update placed where its strategy makes it (the kernel
// handles an event when it arrives, coalesce when the burst ends, reload when udev's schedule runs
// kdumpctl), the events dropped on a busy lock, the updates refused, the windows kdump was unarmed,
// and the stretches when the installed header missed an event. The host's own timings (how long this
// process took to copy a header) are kept apart: they are measurements of Node, not of Linux.
//
// Built from what `simulateHotplug` returns and the events it was given, so `simulate` and anything
// that reuses its result (a replay of a recorded log) draw the same picture.

import {
  DEFAULT_UDEV_TIMING,
  foldEvents,
  isNotifierEvent,
  MachineState,
  type NotifierEvent,
  type SimulationResult,
  type StrategyName,
  type TimedEvent,
  type UdevTiming,
  udevReloadSchedule,
  udevRuleMatches,
  type UpdateOutcome,
  type UpdateRecord,
} from '../core/hotplug/index.js';
import type { ArchPlugin } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';

export interface TimelineUpdate {
  /** The update record, as the metrics kept it. */
  readonly record: UpdateRecord;
  /** When it happened on the modelled clock (ms); a reload's start. */
  readonly atMs: number;
  /** A reload's end on the modelled clock; in-place updates have no modelled duration. */
  readonly doneMs?: number | undefined;
}

export interface Span {
  readonly startMs: number;
  /** Undefined: still open when the run ended. */
  readonly endMs: number | undefined;
}

export interface Timeline {
  readonly strategy: StrategyName;
  /** Modelled arrival of every notifier event. */
  readonly eventsMs: readonly number[];
  readonly updates: readonly TimelineUpdate[];
  /** Events dropped on a busy kexec lock (Linux's handler: they are lost). */
  readonly droppedMs: readonly number[];
  /**
   * Handler calls that made no update and that the counts cannot attribute to a busy lock
   * (no image, no hot-plug support, a hook that did nothing).
   */
  readonly unattributedMs: readonly number[];
  /** When kdump was unarmed on the modelled clock (reloads: unload to load). */
  readonly unarmed: readonly Span[];
  /** When the installed header missed at least one event that had already happened. */
  readonly stale: readonly Span[];
  /** The first moment the header stopped covering the machine, if it ever did. */
  readonly firstStaleMs: number | undefined;
  /** The last modelled moment of the run: the last event or the last reload's end. */
  readonly endMs: number;
  /** Busy-lock retries (coalesce keeps the events and tries at the next burst). */
  readonly retries: number;
}

export interface TimelineRun {
  readonly system: SystemDescription;
  readonly plugin: ArchPlugin;
  readonly events: readonly TimedEvent[];
  readonly result: Pick<SimulationResult, 'summary' | 'metrics'>;
  readonly blockSize: bigint;
  readonly udev?: Partial<UdevTiming> | undefined;
}

const ARMING: ReadonlySet<UpdateOutcome> = new Set(['installed', 'reloaded']);

function headerInstalled(r: UpdateRecord): boolean {
  return r.outcome === 'installed' && r.segment === undefined;
}

function bySeq(updates: readonly UpdateRecord[]): Map<number, UpdateRecord[]> {
  const m = new Map<number, UpdateRecord[]>();
  for (const u of updates) {
    const list = m.get(u.seq);
    if (list === undefined) m.set(u.seq, [u]);
    else list.push(u);
  }
  return m;
}

/** Merges [start, cover) spans into the stretches the header was behind. */
function staleSpans(eventsMs: readonly number[], coveredMs: readonly (number | undefined)[]): Span[] {
  const raw = eventsMs
    .map((t, i) => ({ startMs: t, endMs: coveredMs[i] }))
    .filter((s) => s.endMs === undefined || s.endMs > s.startMs)
    .sort((a, b) => a.startMs - b.startMs);
  const out: { startMs: number; endMs: number | undefined }[] = [];
  for (const s of raw) {
    const last = out[out.length - 1];
    if (last !== undefined && (last.endMs === undefined || s.startMs <= last.endMs)) {
      if (last.endMs !== undefined && (s.endMs === undefined || s.endMs > last.endMs)) last.endMs = s.endMs;
    } else out.push({ ...s });
  }
  return out;
}

interface Placed {
  readonly updates: TimelineUpdate[];
  readonly droppedMs: number[];
  readonly unattributedMs: number[];
  /** Per notifier event, when an installed header first reflected it. */
  readonly coveredMs: (number | undefined)[];
  readonly unarmed: Span[];
  readonly retries: number;
}

/** Linux's handler: call i is notifier event i, handled on arrival. */
function placeKernel(notifier: readonly TimedEvent[], run: TimelineRun): Placed {
  const seqs = bySeq(run.result.metrics.updates);
  const s = run.result.summary;
  const missing = notifier.length - notifier.filter((_, i) => seqs.has(i)).length;
  // Only when the busy lock explains every call without a record are those calls drops.
  const allDropped = s.dropped === missing;
  const updates: TimelineUpdate[] = [];
  const droppedMs: number[] = [];
  const unattributedMs: number[] = [];
  notifier.forEach((e, i) => {
    const recs = seqs.get(i);
    if (recs === undefined) (allDropped ? droppedMs : unattributedMs).push(e.atMs);
    else for (const r of recs) updates.push({ record: r, atMs: e.atMs });
  });
  const coveredMs: (number | undefined)[] = new Array(notifier.length).fill(undefined);
  let next: number | undefined;
  for (let i = notifier.length - 1; i >= 0; i--) {
    if ((seqs.get(i) ?? []).some(headerInstalled)) next = notifier[i]!.atMs;
    coveredMs[i] = next;
  }
  return { updates, droppedMs, unattributedMs, coveredMs, unarmed: [], retries: 0 };
}

/**
 * Coalesce: the queue is folded and handled when a burst ends; a busy lock leaves the rest of the
 * queue for the next burst. Replays that walk with the records: a call without one was busy.
 */
function placeCoalesce(all: readonly TimedEvent[], notifier: readonly TimedEvent[], run: TimelineRun): Placed {
  const seqs = bySeq(run.result.metrics.updates);
  const updates: TimelineUpdate[] = [];
  const coveredMs: (number | undefined)[] = new Array(notifier.length).fill(undefined);
  const index = new Map<TimedEvent, number>(notifier.map((e, i) => [e, i]));
  let queue: { event: NotifierEvent; i: number }[] = [];
  let seq = 0;
  let retries = 0;
  /** Events before this index are already in an installed header. */
  let covered = 0;
  const flush = (atMs: number, canBeBusy: boolean): void => {
    if (queue.length === 0) return;
    const calls = foldEvents(queue.map((q) => q.event));
    let consumed = 0;
    for (const call of calls) {
      const recs = seqs.get(seq++);
      if (recs === undefined && canBeBusy) {
        retries++;
        break;
      }
      for (const r of recs ?? []) updates.push({ record: r, atMs });
      if ((recs ?? []).some(headerInstalled)) {
        // A regeneration reads the whole machine: everything queued up to here is in it, and so is
        // every earlier event still waiting for a header.
        const upTo = queue[consumed + call.folded - 1]!.i;
        for (; covered <= upTo; covered++) coveredMs[covered] ??= atMs;
      }
      consumed += call.folded;
    }
    queue = queue.slice(consumed);
  };
  let batch: number | undefined;
  let lastMs = 0;
  for (const e of all) {
    if (batch !== undefined && e.batch !== batch) flush(lastMs, true);
    batch = e.batch;
    lastMs = e.atMs;
    const i = index.get(e);
    if (i !== undefined) queue.push({ event: e.event as NotifierEvent, i });
  }
  flush(lastMs, true);
  flush(lastMs, false);
  return { updates, droppedMs: [], unattributedMs: [], coveredMs, unarmed: [], retries };
}

/** udev's notifier arrivals, as the reload strategy schedules them. */
function udevArrivals(run: TimelineRun): number[] {
  let m = MachineState.boot(run.system, run.blockSize, run.plugin.ramWalk);
  const out: number[] = [];
  for (const e of run.events) {
    if (isNotifierEvent(e.event) && udevRuleMatches(e.event, m)) out.push(e.atMs);
    m = m.apply(e.event);
  }
  return out;
}

/** The udev baseline: each reload unloads at its start and, if the load works, is armed at its end. */
function placeReload(notifier: readonly TimedEvent[], run: TimelineRun): Placed {
  const schedule = udevReloadSchedule(udevArrivals(run), { ...DEFAULT_UDEV_TIMING, ...run.udev });
  const recs = run.result.metrics.updates.filter((u) => u.action === 'reload');
  const updates: TimelineUpdate[] = [];
  const unarmed: Span[] = [];
  let openFrom: number | undefined;
  const coveredMs: (number | undefined)[] = new Array(notifier.length).fill(undefined);
  recs.forEach((r, k) => {
    const s = schedule.reloads[k];
    if (s === undefined) return;
    updates.push({ record: r, atMs: s.startMs, doneMs: s.doneMs });
    openFrom ??= s.startMs;
    if (!ARMING.has(r.outcome)) return;
    unarmed.push({ startMs: openFrom, endMs: s.doneMs });
    openFrom = undefined;
    // The reload read the machine when it started: every event before that is in the new header.
    notifier.forEach((e, i) => {
      if (e.atMs < s.startMs && coveredMs[i] === undefined) coveredMs[i] = s.doneMs;
    });
  });
  if (openFrom !== undefined) unarmed.push({ startMs: openFrom, endMs: undefined });
  return { updates, droppedMs: [], unattributedMs: [], coveredMs, unarmed, retries: 0 };
}

export function timelineOf(run: TimelineRun): Timeline {
  const strategy = run.result.summary.strategy;
  const notifier = run.events.filter((e) => isNotifierEvent(e.event));
  const placed =
    strategy === 'reload' ? placeReload(notifier, run) : strategy === 'coalesce' ? placeCoalesce(run.events, notifier, run) : placeKernel(notifier, run);
  const eventsMs = notifier.map((e) => e.atMs);
  const stale = staleSpans(eventsMs, placed.coveredMs);
  const lastEvent = run.events.length > 0 ? run.events[run.events.length - 1]!.atMs : 0;
  const lastDone = placed.updates.reduce((m, u) => Math.max(m, u.doneMs ?? u.atMs), 0);
  return {
    strategy,
    eventsMs,
    updates: placed.updates,
    droppedMs: placed.droppedMs,
    unattributedMs: placed.unattributedMs,
    unarmed: placed.unarmed,
    stale,
    firstStaleMs: stale[0]?.startMs,
    endMs: Math.max(lastEvent, lastDone),
    retries: placed.retries,
  };
}
