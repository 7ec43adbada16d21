// The loaded kdump image (`struct kimage` of a crash load): its segments, the crash hot-plug
// fields the generic handler reads and writes, and the kexec ABI constants around them
// (facts §2.5). The bytes a segment holds live in the simulated crash region, not here.

import type { WriteMark } from '../memory/crash-region.js';

/** kexec_load flags. */
export const KEXEC_ON_CRASH = 0x1;
export const KEXEC_PRESERVE_CONTEXT = 0x2;
/** 6.6: "update the elfcorehdr in place", what kexec-tools --hotplug passes on x86. */
export const KEXEC_UPDATE_ELFCOREHDR = 0x4;
/** 6.10: the generic hot-plug flag, what kexec-tools --hotplug passes on every other arch. */
export const KEXEC_CRASH_HOTPLUG_SUPPORT = 0x8;
/** The arch field of kexec_load flags: e_machine << 16. */
export const KEXEC_ARCH_MASK = 0xffff0000;

/** kexec_file_load flags. */
export const KEXEC_FILE_UNLOAD = 0x1;
export const KEXEC_FILE_ON_CRASH = 0x2;
export const KEXEC_FILE_NO_INITRAMFS = 0x4;

/** Slots in `struct kimage`'s segment array. */
export const KEXEC_SEGMENT_MAX = 16;

/** `hp_action` values (include/linux/crash_core.h). */
export const KEXEC_CRASH_HP_NONE = 0;
export const KEXEC_CRASH_HP_ADD_CPU = 1;
export const KEXEC_CRASH_HP_REMOVE_CPU = 2;
export const KEXEC_CRASH_HP_ADD_MEMORY = 3;
export const KEXEC_CRASH_HP_REMOVE_MEMORY = 4;
/** The `cpu` argument of memory events. */
export const KEXEC_CRASH_HP_INVALID_CPU = 0xffff_ffff;

export type HpAction =
  | typeof KEXEC_CRASH_HP_NONE
  | typeof KEXEC_CRASH_HP_ADD_CPU
  | typeof KEXEC_CRASH_HP_REMOVE_CPU
  | typeof KEXEC_CRASH_HP_ADD_MEMORY
  | typeof KEXEC_CRASH_HP_REMOVE_MEMORY;

export function hpActionName(action: HpAction): string {
  switch (action) {
    case KEXEC_CRASH_HP_NONE:
      return 'NONE';
    case KEXEC_CRASH_HP_ADD_CPU:
      return 'ADD_CPU';
    case KEXEC_CRASH_HP_REMOVE_CPU:
      return 'REMOVE_CPU';
    case KEXEC_CRASH_HP_ADD_MEMORY:
      return 'ADD_MEMORY';
    case KEXEC_CRASH_HP_REMOVE_MEMORY:
      return 'REMOVE_MEMORY';
    default: {
      const never: never = action;
      return String(never);
    }
  }
}

/** What a segment carries; the kernel does not know this, crashplug keeps it for reports and tests. */
export type SegmentKind = 'elfcorehdr' | 'purgatory' | 'boot-params' | 'kernel' | 'initrd' | 'backup' | 'fdt' | 'other';

/** `struct kexec_segment`: `bufsz` bytes of `buf` go to `mem`, zero-filled up to `memsz`. */
export interface KexecSegment {
  readonly kind: SegmentKind;
  /**
   * The source buffer (kbuf for kexec_file_load, the user buffer for kexec_load). A synthetic
   * payload's may hold only its first 64 KiB until something views its tail (memory/lazy-tail.ts
   * deferredBuffer): read its length with lengthOf(), its bytes through materialize() or the
   * crash region.
   */
  readonly buf: Uint8Array;
  readonly bufsz: number;
  /** Physical destination, page-aligned, inside the crash reservation. */
  readonly mem: bigint;
  /** Page-rounded. */
  readonly memsz: number;
}

/**
 * What the loader hashed into the purgatory, kept so that the crash-time check need not hash the
 * same unchanged bytes again (verifyPurgatory): the digest, the regions it covers, and a write mark
 * of each region's memory taken right after the segments were copied in.
 */
export interface LoadDigest {
  readonly digest: Uint8Array;
  readonly regions: readonly { readonly start: bigint; readonly len: number }[];
  readonly marks: readonly WriteMark[];
}

/** `struct kimage` of a crash load, reduced to what crash hot-plug touches. */
export interface KexecImage {
  /** kexec_file_load (true) or kexec_load (false). */
  readonly fileMode: boolean;
  /** The flags the syscall was given. */
  readonly flags: number;
  readonly segments: readonly KexecSegment[];
  /** Index of the purgatory segment, or −1 (kexec_load images know it only by address). */
  readonly purgatoryIndex: number;
  /**
   * `hotplug_support` (6.10+); on 6.6–6.9 the kernel's `update_elfcorehdr`, with file-mode images
   * counted in, since the handler then checked "file_mode || update_elfcorehdr".
   */
  hotplugSupport: boolean;
  /** −1 until the arch presets it at load or the handler finds it. */
  elfcorehdrIndex: number;
  /** Set after the first handled hot-plug event, whatever its outcome. */
  elfcorehdrUpdated: boolean;
  /** The action being handled, KEXEC_CRASH_HP_NONE outside the arch hook. */
  hpAction: HpAction;
  /** Set by the loader once the segments are in memory; an image made by hand has none. */
  loadDigest?: LoadDigest | undefined;
}

export function kexecArchFlag(machine: number): number {
  return (machine << 16) >>> 0;
}
