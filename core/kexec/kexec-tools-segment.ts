// How big the elfcorehdr segment is that kexec-tools hands to kexec_load (each arch's
// load_crashdump_segments, facts §8.2). The rule is arch data the port reports with its
// kexec-tools ranges; the arithmetic — and what --hotplug needs from the kernel — is the same on
// every arch, so it lives here.

import { alignUpNumber } from '../base/hex.js';
import type { KexecToolsRanges } from './kexec-tools-hooks.js';

/** kexec-tools rounds a --hotplug segment to this (the granularity of its memmap= options). */
export const KEXEC_TOOLS_HOTPLUG_ROUND = 1024;

export interface KexecToolsSegmentRule {
  /** Where kexec-tools decides it, for the report ("kexec/arch/i386/crashdump-x86.c"). */
  readonly source: string;
  /** Without --hotplug memsz = max(bufsz, minMemsz): 16 KiB on x86, 0 (just bufsz) on ppc64. */
  readonly minMemsz: number;
  /**
   * With --hotplug memsz = round_up(/sys/kernel/crash_elfcorehdr_size, 1 KiB): `always` on x86,
   * `when-larger` on ppc64 (only when that exceeds bufsz), `never` where the arch's
   * load_crashdump_segments ignores it (arm64: memsz = bufsz; --hotplug still needs the sysfs file).
   */
  readonly hotplug: 'always' | 'when-larger' | 'never';
}

export type KexecToolsHotplugSegment =
  | { readonly kind: 'sized'; readonly sysfsSize: number; readonly memsz: number; readonly pageRounded: number }
  /** kexec --hotplug dies: the kernel has no /sys/kernel/crash_elfcorehdr_size, or it reads 0. */
  | { readonly kind: 'refused'; readonly sysfsSize: number };

export interface KexecToolsSegmentSize {
  readonly rule: KexecToolsSegmentRule;
  readonly bufsz: number;
  /** What kexec-tools asks add_buffer for, before it rounds to a page. */
  readonly memsz: number;
  /** add_buffer rounds memsz up to a page before it looks for a hole. */
  readonly pageRounded: number;
  readonly hotplug: KexecToolsHotplugSegment;
}

/**
 * The rule a port reported with its kexec-tools ranges, if it did. Read structurally so a port can
 * give it before `KexecToolsRanges` declares the field.
 */
export function kexecToolsSegmentRuleOf(kt: KexecToolsRanges): KexecToolsSegmentRule | undefined {
  return (kt as KexecToolsRanges & { readonly segment?: KexecToolsSegmentRule }).segment;
}

/** `sysfsSize` is what the kernel would show in /sys/kernel/crash_elfcorehdr_size (0: absent). */
export function kexecToolsSegmentSize(rule: KexecToolsSegmentRule, bufsz: number, sysfsSize: number, pageSize: number): KexecToolsSegmentSize {
  const memsz = Math.max(bufsz, rule.minMemsz);
  let hotplug: KexecToolsHotplugSegment;
  if (sysfsSize === 0) {
    hotplug = { kind: 'refused', sysfsSize };
  } else {
    const rounded = alignUpNumber(sysfsSize, KEXEC_TOOLS_HOTPLUG_ROUND);
    const hpMemsz = rule.hotplug === 'never' ? memsz : rule.hotplug === 'always' || sysfsSize > bufsz ? rounded : bufsz;
    hotplug = { kind: 'sized', sysfsSize, memsz: hpMemsz, pageRounded: alignUpNumber(hpMemsz, pageSize) };
  }
  return { rule, bufsz, memsz, pageRounded: alignUpNumber(memsz, pageSize), hotplug };
}
