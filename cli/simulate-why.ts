// What `simulate` (and anything that replays events) says besides its counters: why nothing
// happened when nothing did — a kernel without crash hot-plug, an image loaded without it — and,
// when updates were refused, the kernel's own message and the first hot-added DIMM the installed
// header leaves out of the dump. Also what the purgatory really checks on this arch.

import { hex } from '../core/base/index.js';
import { decodeElfCoreHeader, PT_LOAD } from '../core/elf/index.js';
import type { SimulationSummary, TimedEvent } from '../core/hotplug/index.js';
import type { LoadMode } from '../core/kexec/index.js';
import { type ArchPlugin, crashHotplugBuilt, purgatoryChecksDigest } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';

export interface WhyInput {
  readonly system: SystemDescription;
  readonly plugin: ArchPlugin;
  readonly mode: LoadMode;
  readonly summary: SimulationSummary;
  /** The kernel's messages, each with how often it was printed (`KexecLog.summary()`). */
  readonly log: readonly { readonly text: string; readonly count: number }[];
  /** The header in place at the end, if an image is loaded. */
  readonly installedHeader: Uint8Array | undefined;
  readonly events: Iterable<TimedEvent>;
}

/** What the purgatory of this image does with the digest, for the report and for --json. */
export interface PurgatoryReport {
  readonly checksDigest: boolean;
  /** The stored digest still matches the segments at the end. */
  readonly digestMatches: boolean;
  /** Whether the capture kernel would start as far as the digest goes. */
  readonly captureKernelStarts: boolean;
  readonly text: string;
}

export function purgatoryReport(plugin: ArchPlugin, mode: LoadMode, digestMatches: boolean): PurgatoryReport {
  const checksDigest = purgatoryChecksDigest(plugin, mode === 'file');
  let text: string;
  if (checksDigest) {
    text = digestMatches ? 'verifies the digest: yes' : 'verifies the digest: NO (the capture kernel would not start)';
  } else if (plugin.kexecFilePurgatory === 'none') {
    text = `none: kexec_file_load on ${plugin.id} loads no purgatory, so nothing checks the digest`;
  } else {
    text = `does not check the digest on ${plugin.id} (its kexec_file_load purgatory only reserves room for it)`;
  }
  return { checksDigest, digestMatches, captureKernelStarts: !checksDigest || digestMatches, text };
}

/** Why the arch's kernel cannot update the header in place at all, or undefined when it can. */
function noCrashHotplugReason(system: SystemDescription, plugin: ArchPlugin): string | undefined {
  if (crashHotplugBuilt(system, plugin)) return undefined;
  if (system.kernel.hotplug === 'none') return 'crash hot-plug came with 6.6';
  if (!system.config.crashHotplug) return 'it is built without CONFIG_CRASH_HOTPLUG';
  return `the arch does not select ARCH_SUPPORTS_CRASH_HOTPLUG in ${system.kernel.version}`;
}

/** The RAM a header's PT_LOADs cover, merged, sorted by start. */
function coveredRam(header: Uint8Array): { start: bigint; end: bigint }[] {
  const loads = decodeElfCoreHeader(header, 'the installed elfcorehdr')
    .phdrs.filter((p) => p.type === PT_LOAD && p.memsz > 0n)
    .map((p) => ({ start: p.paddr, end: p.paddr + p.memsz - 1n }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: { start: bigint; end: bigint }[] = [];
  for (const r of loads) {
    const last = merged[merged.length - 1];
    if (last !== undefined && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end;
    } else {
      merged.push({ ...r });
    }
  }
  return merged;
}

/** Whether [start, end] lies inside one merged range (binary search). */
function covered(ram: readonly { start: bigint; end: bigint }[], start: bigint, end: bigint): boolean {
  let lo = 0;
  let hi = ram.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ram[mid]!;
    if (start < r.start) hi = mid - 1;
    else if (start > r.end) lo = mid + 1;
    else return end <= r.end;
  }
  return false;
}

/** The hot-added DIMMs still in the machine at the end that the installed header does not cover. */
export function dimmsMissing(header: Uint8Array, events: Iterable<TimedEvent>): { start: bigint; size: bigint }[] {
  const present = new Map<bigint, bigint>();
  for (const { event } of events) {
    if (event.kind === 'dimm-add') present.set(event.start, event.size);
    else if (event.kind === 'dimm-remove') present.delete(event.start);
  }
  const ram = coveredRam(header);
  return [...present].filter(([start, size]) => !covered(ram, start, start + size - 1n)).map(([start, size]) => ({ start, size }));
}

function sizeText(bytes: bigint): string {
  if (bytes % (1n << 30n) === 0n) return `${bytes >> 30n} GiB`;
  if (bytes % (1n << 20n) === 0n) return `${bytes >> 20n} MiB`;
  return `${hex(bytes)} bytes`;
}

/** Lines saying why the counters look as they do; none when the run went as it should. */
export function whyLines(w: WhyInput): string[] {
  const s = w.summary;
  const lines: string[] = [];
  const skipped = s.skipped.noHotplugSupport;
  if (skipped > 0) {
    const reason = noCrashHotplugReason(w.system, w.plugin);
    const left = `the loaded header was left alone for ${skipped === s.events ? `all ${skipped}` : skipped} events`;
    const udev = "udev's reload (98-kexec.rules; --strategy reload) is what refreshes it on such a kernel";
    lines.push(
      reason !== undefined
        ? `kernel ${w.system.kernel.version} has no crash hot-plug for ${w.system.arch} (${reason}): ${left}; ${udev}`
        : `the image was loaded without crash hot-plug support (${w.mode === 'load' ? 'kexec_load without --hotplug' : 'the arch refused it'}): ${left}; ${udev}`,
    );
  }
  if (s.failedUpdates > 0) {
    const messages = w.log.filter((l) => /elfcorehdr|kdump image|crash hp/i.test(l.text));
    const said = messages.length === 0 ? '' : `: ${messages.map((m) => `"${m.text}"${m.count > 1 ? ` (×${m.count})` : ''}`).join(', ')}`;
    lines.push(`${s.failedUpdates} update${s.failedUpdates === 1 ? ' was' : 's were'} refused by the kernel${said}; each left the installed header as it was`);
  }
  if (!s.finalHeaderMatchesFresh && w.installedHeader !== undefined) {
    const missing = dimmsMissing(w.installedHeader, w.events);
    const first = missing[0];
    if (first !== undefined) {
      lines.push(
        `the installed header leaves out ${missing.length === 1 ? 'a hot-added DIMM' : `${missing.length} hot-added DIMMs`}, the first [${hex(first.start)}-${hex(first.start + first.size - 1n)}] ` +
          `(${sizeText(first.size)}): a crash now would not dump ${missing.length === 1 ? 'it' : 'them'}`,
      );
    }
  }
  return lines;
}
