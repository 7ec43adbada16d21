// The userspace baseline crash hot-plug replaced (facts §9): 98-kexec.rules runs
// `systemd-run --no-block kdump-udev-throttler` for every memory online/offline and CPU add/remove
// uevent; the first throttler to take its flock sleeps 1 s, waits up to 3 s for udev to settle,
// lets the lock go and runs `kdumpctl reload` (which waits for a reload already running), while
// the throttlers started in between exit at once. A reload unloads the image and loads a new one:
// every segment rebuilt and re-hashed, kdump unarmed throughout. The kernel's own handler is not
// involved (the matrix cell "a": an old kernel, or an image loaded without hot-plug support).

import type { MachineState, NotifierEvent, TimedEvent } from './events.js';
import type { HotplugMetrics } from './metrics.js';
import { kexecLoad, kexecUnload, type LoadOptions } from '../kexec/loader.js';
import type { KexecState } from '../kexec/state.js';
import type { ArchPlugin } from '../port/plugin.js';
import type { HotplugStrategy } from './strategies.js';

export interface UdevTiming {
  /** udev's time per matching uevent, mostly spawning systemd-run. */
  readonly eventCostMs: number;
  /** The throttler's `sleep 1`. */
  readonly sleepMs: number;
  /** `udevadm settle --timeout 3`. */
  readonly settleTimeoutMs: number;
  /** One `kdumpctl reload` (unload, build, load), in simulated time. */
  readonly reloadMs: number;
}

export const DEFAULT_UDEV_TIMING: UdevTiming = { eventCostMs: 50, sleepMs: 1000, settleTimeoutMs: 3000, reloadMs: 1500 };

/** One `kdumpctl reload` of the schedule. */
export interface ScheduledReload {
  /** When it unloads and reads the machine (simulated ms). */
  readonly startMs: number;
  readonly doneMs: number;
  /** Matching events whose throttler exited because this one held the lock. */
  readonly absorbed: number;
}

export interface UdevSchedule {
  readonly reloads: readonly ScheduledReload[];
  /** Matching uevents (each spawned a throttler). */
  readonly matched: number;
  /** When udev finished the last one. */
  readonly udevDoneMs: number;
}

/** The uevents 98-kexec.rules reacts to: memory online/offline, CPU device add/remove (a hot-add, not an online). */
export function udevRuleMatches(event: NotifierEvent, before: MachineState): boolean {
  if (event.kind === 'memory') return true;
  return event.action === 'online' && !before.system.cpus.present.includes(event.cpu);
}

/** When each reload happens, from the arrival times of the matching events. Pure. */
export function udevReloadSchedule(arrivalsMs: readonly number[], timing: UdevTiming = DEFAULT_UDEV_TIMING): UdevSchedule {
  // udev runs the rule for one event after the other: event i's throttler starts at done[i].
  const done: number[] = [];
  let prev = -Infinity;
  for (const a of arrivalsMs) {
    prev = Math.max(a, prev) + timing.eventCostMs;
    done.push(prev);
  }
  // The queue is busy while some arrived event is not done yet.
  const idleFrom = (t: number): number => {
    let at = t;
    for (let j = 0; j < arrivalsMs.length; j++) if (arrivalsMs[j]! <= at && at < done[j]!) at = done[j]!;
    return at;
  };
  const reloads: { startMs: number; doneMs: number; absorbed: number }[] = [];
  let releaseAt = -Infinity;
  let lastDone = -Infinity;
  for (const t of done) {
    const current = reloads[reloads.length - 1];
    if (current !== undefined && t < releaseAt) {
      current.absorbed++;
      continue;
    }
    const woke = t + timing.sleepMs;
    releaseAt = Math.min(idleFrom(woke), woke + timing.settleTimeoutMs);
    const startMs = Math.max(releaseAt, lastDone);
    lastDone = startMs + timing.reloadMs;
    reloads.push({ startMs, doneMs: lastDone, absorbed: 0 });
  }
  return { reloads, matched: arrivalsMs.length, udevDoneMs: done.length ? done[done.length - 1]! : 0 };
}

export interface ReloadContext {
  readonly kexec: KexecState;
  readonly plugin: ArchPlugin;
  readonly metrics: HotplugMetrics;
  readonly load: LoadOptions;
  readonly schedule: UdevSchedule;
}

export class ReloadStrategy implements HotplugStrategy {
  readonly name = 'reload';
  #next = 0;
  #seq = 0;

  constructor(readonly ctx: ReloadContext) {}

  beforeEvent(event: TimedEvent, machine: MachineState): void {
    this.#runDue(event.atMs, machine);
  }

  onNotifierEvent(): void {
    this.ctx.metrics.events++;
  }

  onBatchEnd(): void {}

  finish(machine: MachineState): void {
    this.#runDue(Infinity, machine);
  }

  /** Every reload that starts before `beforeMs` reads the machine as it is now. */
  #runDue(beforeMs: number, machine: MachineState): void {
    const { reloads } = this.ctx.schedule;
    while (this.#next < reloads.length && reloads[this.#next]!.startMs < beforeMs) {
      this.#reload(reloads[this.#next]!, machine);
      this.#next++;
    }
  }

  #reload(r: ScheduledReload, machine: MachineState): void {
    const { kexec, plugin, metrics, load } = this.ctx;
    metrics.regenerations++;
    metrics.coalesced += r.absorbed;
    const t0 = kexec.clock.nowNs();
    kexecUnload(kexec);
    let bytes = 0;
    let ok = true;
    try {
      const image = kexecLoad(kexec, machine.system, plugin, load);
      bytes = image.segments.reduce((sum, s) => sum + s.memsz, 0);
    } catch (err) {
      ok = false;
      kexec.log.printk('err', `kdumpctl reload: ${err instanceof Error ? err.message : String(err)}`);
    }
    const unarmedNs = kexec.clock.nowNs() - t0;
    metrics.record({ seq: this.#seq++, action: 'reload', folded: 1 + r.absorbed, outcome: ok ? 'reloaded' : 'reload-failed', bytes, unarmedNs });
  }
}
