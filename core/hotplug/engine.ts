// The generic crash hot-plug handler (`crash_handle_hotplug_event`, facts §2.7), step by step:
// serialise, try the kexec lock (a busy lock drops the event with the kernel's message), check
// that a crash image is loaded and may be updated, locate its elfcorehdr, set hp_action, call the
// arch's hook, then reset hp_action and mark the image updated — even when the hook failed.
// Strategies decide which calls to make; this file is the one place that makes them.

import { ElfcorehdrInstaller, type InstallFaults } from '../kexec/elfcorehdr-install.js';
import type { ElfcorehdrUpdateOptions, HotplugContext, MemoryNotify } from './context.js';
import type { NotifierEvent } from './events.js';
import { HotplugMetrics, type UpdateRecord } from './metrics.js';
import {
  type HpAction,
  hpActionName,
  KEXEC_CRASH_HP_ADD_CPU,
  KEXEC_CRASH_HP_ADD_MEMORY,
  KEXEC_CRASH_HP_INVALID_CPU,
  KEXEC_CRASH_HP_NONE,
  KEXEC_CRASH_HP_REMOVE_CPU,
  KEXEC_CRASH_HP_REMOVE_MEMORY,
  type KexecImage,
} from '../kexec/image.js';
import type { KexecState } from '../kexec/state.js';
import type { ArchPlugin } from '../port/plugin.js';
import { rewriteSegment } from '../kexec/segment-install.js';
import { elfcorehdrLocator, type SegmentLocator } from '../kexec/segment-locator.js';
import type { SystemDescription } from '../system/system.js';

/** One handler call: what the notifier passes, and how many events it stands for. */
export interface HotplugCall {
  readonly action: HpAction;
  readonly cpu: number;
  readonly memory?: MemoryNotify | undefined;
  readonly folded: number;
}

export function callOf(event: NotifierEvent): HotplugCall {
  if (event.kind === 'cpu') {
    return { action: event.action === 'online' ? KEXEC_CRASH_HP_ADD_CPU : KEXEC_CRASH_HP_REMOVE_CPU, cpu: event.cpu, folded: 1 };
  }
  return {
    action: event.action === 'online' ? KEXEC_CRASH_HP_ADD_MEMORY : KEXEC_CRASH_HP_REMOVE_MEMORY,
    cpu: KEXEC_CRASH_HP_INVALID_CPU,
    memory: { start: event.start, size: event.size },
    folded: 1,
  };
}

/** Faults a test injects, chosen per handler call (its sequence number). */
export interface HotplugFaults {
  readonly buildThrows?: ((seq: number) => boolean) | undefined;
  readonly memszLimit?: ((seq: number) => number | undefined) | undefined;
  /** The elfcorehdr cannot be found: no recorded index and no ELF segment. */
  readonly locatorMisses?: ((seq: number) => boolean) | undefined;
}

export interface HotplugEngineOptions {
  readonly faults?: HotplugFaults | undefined;
  /** Keep every update's record in `metrics.updates` (the default); false keeps only the counts. */
  readonly keepUpdates?: boolean | undefined;
  /** How an unrecorded elfcorehdr is found; the kernel's ELF scan by default. */
  readonly locator?: SegmentLocator | undefined;
  /** Called after every successful in-place install (tests verify the purgatory there). */
  readonly afterInstall?: ((seq: number) => void) | undefined;
}

/** What became of a call; `busy` only when the caller asked to keep, not drop, on a busy lock. */
export type HandleOutcome = 'dropped' | 'busy' | 'not-loaded' | 'no-hotplug-support' | 'not-located' | 'handled';

/** What to do when kexec_trylock fails: drop as Linux does, hand back, or (the race is over) it cannot fail. */
export type OnBusy = 'drop' | 'keep' | 'uncontended';

export class HotplugEngine {
  readonly metrics: HotplugMetrics;
  #seq = 0;
  #installer: ElfcorehdrInstaller | undefined;

  constructor(
    readonly kexec: KexecState,
    readonly plugin: ArchPlugin,
    readonly options: HotplugEngineOptions = {},
  ) {
    this.metrics = new HotplugMetrics(options.keepUpdates ?? true);
  }

  #installerFor(image: KexecImage, index: number): ElfcorehdrInstaller {
    const i = this.#installer;
    if (i !== undefined && i.image === image && i.index === index) return i;
    this.#installer = new ElfcorehdrInstaller(this.kexec, this.plugin, image, index);
    return this.#installer;
  }

  /** crash_handle_hotplug_event for one call, with the machine as it is when the notifier runs. */
  handle(call: HotplugCall, system: SystemDescription, onBusy: OnBusy = 'drop'): HandleOutcome {
    const kexec = this.kexec;
    const profile = system.kernel.crashHotplug;
    const seq = this.#seq++;
    // __crash_hotplug_lock: calls arrive one at a time here, so it is always free; it matters for
    // what it excludes (two handlers, or a handler and the sysfs check), which cannot interleave.
    const locked = kexec.kexecInProgress ? false : onBusy === 'uncontended' ? kexec.lock.trylockUncontended() : kexec.lock.trylock();
    if (!locked) {
      if (onBusy === 'keep') return 'busy';
      if (!(profile.quietWhileKexecInProgress && kexec.kexecInProgress)) kexec.log.printk('info', `crash hp: ${profile.trylockFailedMessage}`);
      this.metrics.dropped += call.folded;
      return 'dropped';
    }
    try {
      const image = kexec.crashImage;
      if (image === null) {
        this.metrics.notLoaded++;
        return 'not-loaded';
      }
      if (!image.hotplugSupport) {
        this.metrics.noHotplugSupport++;
        return 'no-hotplug-support';
      }
      const isCpu = call.action === KEXEC_CRASH_HP_ADD_CPU || call.action === KEXEC_CRASH_HP_REMOVE_CPU;
      kexec.log.printk('debug', isCpu ? `crash hp: hp_action ${call.action}, cpu ${call.cpu}` : `crash hp: hp_action ${call.action}`);
      const index = this.#locate(image, seq);
      if (index < 0) {
        kexec.log.printk('err', 'crash hp: unable to locate elfcorehdr segment');
        this.metrics.notLocated++;
        return 'not-located';
      }
      image.hpAction = call.action;
      try {
        const before = this.metrics.recorded;
        this.plugin.handleHotplugEvent(this.#context(image, index, call, system, seq));
        if (this.metrics.recorded === before) this.metrics.noops++;
      } catch (err) {
        // The registry has already named the port and hook; the kernel just goes on, and so do we,
        // but the failure is counted so a summary cannot look clean.
        this.metrics.hookFailures++;
        kexec.log.printk('err', `crash hp: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        // Errors in the hook are no reason to roll back: the image counts as updated either way.
        image.hpAction = KEXEC_CRASH_HP_NONE;
        image.elfcorehdrUpdated = true;
      }
      return 'handled';
    } finally {
      kexec.lock.unlock();
    }
  }

  #locate(image: KexecImage, seq: number): number {
    if (this.options.faults?.locatorMisses?.(seq) === true) return -1;
    if (image.elfcorehdrIndex >= 0) return image.elfcorehdrIndex;
    const found = (this.options.locator ?? elfcorehdrLocator).locate(image, this.kexec.memory);
    if (found >= 0) image.elfcorehdrIndex = found;
    return found;
  }

  #context(image: KexecImage, index: number, call: HotplugCall, system: SystemDescription, seq: number): HotplugContext {
    const kexec = this.kexec;
    const faults = this.options.faults;
    const metrics = this.metrics;
    const installer = this.#installerFor(image, index);
    const record = (r: Pick<UpdateRecord, 'outcome'> & Partial<Pick<UpdateRecord, 'bytes' | 'unarmedNs' | 'segment'>>): void => {
      const { outcome, bytes = 0, unarmedNs = 0n, segment } = r;
      metrics.record({ seq, action: hpActionName(call.action), folded: call.folded, outcome, bytes, unarmedNs, ...(segment === undefined ? {} : { segment }) });
      if (outcome === 'installed') this.options.afterInstall?.(seq);
    };
    return {
      image,
      action: call.action,
      cpu: call.cpu,
      memory: system.kernel.crashHotplug.hookGetsMemoryNotify ? call.memory : undefined,
      system,
      elfcorehdrIndex: index,
      folded: call.folded,
      updateElfcorehdr: (options?: ElfcorehdrUpdateOptions) => {
        metrics.regenerations++;
        const injected: InstallFaults = { buildThrows: faults?.buildThrows?.(seq), memszLimit: faults?.memszLimit?.(seq) };
        const result = installer.update(system, options, injected);
        record(result.ok ? { outcome: 'installed', bytes: result.elfsz, unarmedNs: result.unarmedNs } : { outcome: result.reason });
        return result;
      },
      locateSegment: (locator) => locator.locate(image, kexec.memory),
      rewriteSegment: (target, edit) => {
        const result = rewriteSegment(kexec, image, target, edit);
        const segment = image.segments[target]?.kind ?? 'other';
        if (result.ok) record({ outcome: 'installed', bytes: result.bytes, unarmedNs: result.unarmedNs, segment });
        // A segment that does not exist was never touched: nothing to count.
        else if (result.reason !== 'not-found') record({ outcome: result.reason === 'declined' ? 'build-failed' : 'too-large', segment });
        return result;
      },
      log: (level, text) => kexec.log.printk(level, `crash hp: ${text}`),
    };
  }
}
