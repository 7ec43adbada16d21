// What the generic handler hands an arch's `handleHotplugEvent` (the kernel's
// arch_crash_handle_hotplug_event): the image's hot-plug state, the action with its CPU or
// memory_notify, the machine as it is at notifier time, and the core services an arch needs to
// act — rebuilding and installing the elfcorehdr, finding and rewriting another segment, printing.
// Locking, guards, locating the header, hp_action bookkeeping, the size checks, the unarmed window
// and the metrics all stay in core.

import type { HpAction, KexecSegment } from '../kexec/image.js';
import type { LogLevel } from './kernel-log.js';
import type { CrashMemory } from '../port/plugin.js';
import type { SegmentEdit, SegmentRewrite } from '../kexec/segment-install.js';
import type { SegmentLocator } from '../kexec/segment-locator.js';
import type { SystemDescription } from '../system/system.js';

/** `struct memory_notify` in bytes: PFN_PHYS(start_pfn) and nr_pages × PAGE_SIZE. */
export interface MemoryNotify {
  readonly start: bigint;
  readonly size: bigint;
}

/** The kimage fields the arch may read (the handler owns writing them). */
export interface HotplugImageState {
  readonly fileMode: boolean;
  readonly hotplugSupport: boolean;
  readonly elfcorehdrIndex: number;
  readonly elfcorehdrUpdated: boolean;
  readonly hpAction: HpAction;
  readonly segments: readonly KexecSegment[];
}

export interface ElfcorehdrUpdateMessages {
  /** Printed when the rebuild fails (an exclusion out of slots, the arch's own failure). */
  readonly buildFailed: string;
  /** Printed when the new header does not fit the segment; the old one stays. */
  readonly tooLarge: (elfsz: number, memsz: number) => string;
}

export interface ElfcorehdrUpdateOptions {
  /** Change the crash ranges before the header is laid out (powerpc cuts out a block going offline). */
  readonly transformMemory?: ((memory: CrashMemory) => CrashMemory) | undefined;
  /** The arch's wording; core's defaults are x86's. */
  readonly messages?: Partial<ElfcorehdrUpdateMessages> | undefined;
  /**
   * The arch's crash memory is its System RAM entries in walk order, each less the holes it
   * reports as `excluded`, with nothing added (x86). Core may then turn a DIMM arriving at, or
   * leaving, the top of RAM into one PT_LOAD more or fewer without walking all RAM again; the
   * bytes are the same as a full rebuild's (core/build/elfcorehdr-rebuilder.ts).
   */
  readonly ramLessHoles?: boolean | undefined;
}

export type ElfcorehdrUpdate =
  | {
      readonly ok: true;
      /** Bytes copied over the old header (the page-aligned size of the new one). */
      readonly elfsz: number;
      /** How long kexec_crash_image was NULL for the copy. */
      readonly unarmedNs: bigint;
    }
  | { readonly ok: false; readonly reason: 'build-failed' | 'too-large'; readonly message: string };

export interface HotplugContext {
  readonly image: HotplugImageState;
  /** hp_action of this call (image.hpAction while the hook runs). */
  readonly action: HpAction;
  /** The CPU of a CPU event; KEXEC_CRASH_HP_INVALID_CPU for memory events. */
  readonly cpu: number;
  /** The memory_notify of a memory event; undefined for CPU events and on kernels before 6.10. */
  readonly memory: MemoryNotify | undefined;
  /** The machine when the notifier runs (a block going offline is still in its RAM). */
  readonly system: SystemDescription;
  /** The located elfcorehdr segment. */
  readonly elfcorehdrIndex: number;
  /** How many notifier events this call stands for: 1, or more when a strategy folded them. */
  readonly folded: number;
  /** Rebuild the elfcorehdr from `system` and install it over the old one, or say why not. */
  updateElfcorehdr(options?: ElfcorehdrUpdateOptions): ElfcorehdrUpdate;
  /** Find another segment (powerpc's FDT) the way `locator` does; −1 when absent. */
  locateSegment(locator: SegmentLocator): number;
  /**
   * Give `edit` a copy of segment `index` and install what it returns over the segment, with the
   * crash image unset only during the copy, the size checked against the segment and the update
   * counted in the metrics — the elfcorehdr install's rules, for a segment the arch owns
   * (powerpc's `update_crash_fdt`). `edit` returns undefined to leave the segment as it was.
   */
  rewriteSegment(index: number, edit: SegmentEdit): SegmentRewrite;
  /** printk with the handler's "crash hp: " prefix. */
  log(level: LogLevel, text: string): void;
}
