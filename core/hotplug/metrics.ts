// What a hot-plug run did, for reports and benchmarks: events in and what became of them, headers
// rebuilt and installed, bytes copied into the reservation, and how long kdump was unarmed.

import type { SegmentKind } from '../kexec/image.js';

export type UpdateOutcome = 'installed' | 'build-failed' | 'too-large' | 'reloaded' | 'reload-failed';

/** One attempt to change the loaded image: an in-place header update or a whole reload. */
export interface UpdateRecord {
  /** Index of the handler call (or reload) in the run. */
  readonly seq: number;
  /** hp_action name, or "reload". */
  readonly action: string;
  /** Notifier events this update stands for. */
  readonly folded: number;
  readonly outcome: UpdateOutcome;
  /** Bytes written over the old header (or, for a reload, over the whole image). */
  readonly bytes: number;
  /** How long kexec_crash_image was NULL for it. */
  readonly unarmedNs: bigint;
  /** The segment an arch rewrote when it was not the elfcorehdr (powerpc's FDT); absent for headers and reloads. */
  readonly segment?: SegmentKind | undefined;
}

export interface MetricsSummary {
  readonly events: number;
  readonly dropped: number;
  readonly coalesced: number;
  readonly regenerations: number;
  readonly installs: number;
  readonly failedUpdates: number;
  readonly noops: number;
  /** Events whose arch hook threw (the kernel logs it and carries on; the image counts as updated). */
  readonly hookFailures: number;
  readonly skipped: { readonly notLoaded: number; readonly noHotplugSupport: number; readonly notLocated: number };
  readonly bytesWritten: number;
  readonly unarmedNs: { readonly total: number; readonly max: number; readonly count: number };
}

export class HotplugMetrics {
  events = 0;
  dropped = 0;
  coalesced = 0;
  regenerations = 0;
  installs = 0;
  failedUpdates = 0;
  noops = 0;
  hookFailures = 0;
  notLoaded = 0;
  noHotplugSupport = 0;
  notLocated = 0;
  bytesWritten = 0;
  unarmedTotalNs = 0n;
  unarmedMaxNs = 0n;
  /** Every update recorded, in order; empty when the metrics were made not to keep them. */
  readonly updates: UpdateRecord[] = [];
  /** Updates recorded so far (kept or not). */
  recorded = 0;
  /** Bytes of the last elfcorehdr installed in place (an update of no other segment), if any. */
  lastHeaderBytes: number | undefined;

  constructor(
    /** Keep each update's record in `updates`; without it a long run keeps only the counts. */
    readonly keepUpdates = true,
  ) {}

  record(update: UpdateRecord): void {
    this.recorded++;
    if (this.keepUpdates) this.updates.push(update);
    if (update.outcome === 'installed' && update.segment === undefined) this.lastHeaderBytes = update.bytes;
    if (update.outcome === 'installed' || update.outcome === 'reloaded') {
      this.installs++;
      this.bytesWritten += update.bytes;
      this.unarmedTotalNs += update.unarmedNs;
      if (update.unarmedNs > this.unarmedMaxNs) this.unarmedMaxNs = update.unarmedNs;
    } else {
      this.failedUpdates++;
    }
  }

  summary(): MetricsSummary {
    // Counted as they are recorded (installs), not by a pass over every update: a run that asks for
    // a summary per event stays linear.
    const unarmedCount = this.installs;
    return {
      events: this.events,
      dropped: this.dropped,
      coalesced: this.coalesced,
      regenerations: this.regenerations,
      installs: this.installs,
      failedUpdates: this.failedUpdates,
      noops: this.noops,
      hookFailures: this.hookFailures,
      skipped: { notLoaded: this.notLoaded, noHotplugSupport: this.noHotplugSupport, notLocated: this.notLocated },
      bytesWritten: this.bytesWritten,
      unarmedNs: { total: Number(this.unarmedTotalNs), max: Number(this.unarmedMaxNs), count: unarmedCount },
    };
  }
}
