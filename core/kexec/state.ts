// The kernel-side globals around a crash image: the `kexec_crash_image` pointer (what a panic
// would use), the kexec lock, `kexec_in_progress`, the crash reservation's memory and the log.

import { type Clock, countingClock } from '../base/clock.js';
import { CrashRegion } from '../memory/crash-region.js';
import { KernelLog } from '../hotplug/kernel-log.js';
import type { KexecImage } from './image.js';
import { type Contention, KexecLock } from './lock.js';
import type { Range } from '../memory/range.js';

export interface KexecStateOptions {
  readonly contention?: Contention | undefined;
  readonly log?: KernelLog | undefined;
  /** What unarmed windows are timed with; a counting clock (no real time) when not given. */
  readonly clock?: Clock | undefined;
}

export class KexecState {
  /** `kexec_crash_image`: null while nothing is loaded, and during an in-place header copy. */
  crashImage: KexecImage | null = null;
  /** The image the reservation holds, whether or not the pointer is set (the updater's own handle). */
  loaded: KexecImage | undefined;
  /** A kexec reboot is under way: it holds the kexec lock for good. */
  kexecInProgress = false;
  readonly memory: CrashRegion;
  readonly lock: KexecLock;
  readonly log: KernelLog;
  readonly clock: Clock;

  constructor(reservation: Range, options: KexecStateOptions = {}) {
    this.memory = new CrashRegion(reservation);
    this.lock = new KexecLock(options.contention);
    this.log = options.log ?? new KernelLog();
    this.clock = options.clock ?? countingClock();
  }

  /** Is kdump armed: would a panic now find a crash image? */
  get armed(): boolean {
    return this.crashImage !== null;
  }
}
