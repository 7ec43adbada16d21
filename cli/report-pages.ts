// What `elfcorehdr --html` and `simulate --html` put on their page: the summary, the findings, the
// pictures and the program-header table, filled into the shared page builder (html-report.ts).

import { hex } from '../core/base/index.js';
import { decodeElfCoreHeader, PT_LOAD } from '../core/elf/index.js';
import type { SimulationSummary } from '../core/hotplug/index.js';
import { headerSummary } from './describe.js';
import { type Finding, type HtmlReport, phdrReportTable, type ReportTable } from './html-report.js';
import { memoryAccount } from './memory-account.js';
import { guessWhat, rangeText, whatFromRoles } from './phdr-roles.js';
import type { BuiltReportInput } from './report-input.js';
import { sizeShort, msText, nsText } from './svg-text.js';
import type { Timeline } from './timeline.js';

/** What the built header and the builder's account of memory say is wrong or worth knowing. */
export function elfcorehdrFindings(input: BuiltReportInput, assumptions: readonly string[] = []): Finding[] {
  const out: Finding[] = [];
  if (input.builder === 'kernel') {
    const a = memoryAccount(input.crashMemory);
    if (a.unexplained.length > 0)
      out.push({ severity: 'error', text: 'RAM is missing from the header and no exclusion explains it', detail: a.unexplained.map(rangeText).join(', ') });
    if (a.beyondRam.length > 0)
      out.push({ severity: 'error', text: 'PT_LOADs cover bytes that are not System RAM', detail: a.beyondRam.map(rangeText).join(', ') });
    for (const e of a.exclusions) {
      if (e.leftIn.length > 0)
        out.push({ severity: 'warning', text: `the ${e.name} exclusion left RAM inside it in the header`, detail: e.leftIn.map(rangeText).join(', ') });
    }
    if (input.segment.warning !== undefined)
      out.push({ severity: 'warning', text: `the kernel warns while sizing the elfcorehdr segment: "${input.segment.warning}"` });
    const n = input.crashMemory.mem.ranges.length;
    const max = input.crashMemory.mem.maxNrRanges;
    if (n > max * 0.9) out.push({ severity: 'warning', text: `${n} crash memory ranges: close to the ${max} the crash_mem array holds` });
  } else if (input.segment === undefined) {
    out.push({ severity: 'note', text: 'kexec-tools sizes no hot-plug segment for this arch: the header cannot grow in place' });
  }
  for (const a of assumptions) out.push({ severity: 'note', text: `assumed: ${a}` });
  return out;
}

export function elfcorehdrPage(input: BuiltReportInput, svg: string, text: string, assumptions: readonly string[] = []): HtmlReport {
  const { system, header } = input;
  const loads = header.phdrs.filter((p) => p.type === PT_LOAD);
  const ram = system.memory.systemRam;
  const bytes = loads.reduce((s, p) => s + p.memsz, 0n);
  return {
    title: `elfcorehdr: ${system.arch}, kernel ${system.kernel.version}, ${input.builder} builder`,
    subtitle: system.origin,
    summary: [
      ['machine', `${system.origin} (${system.arch})`],
      ['kernel profile', system.kernel.version],
      ['builder', input.builder === 'kernel' ? 'the kernel (kexec_file_load)' : 'kexec-tools (kexec_load)'],
      ['System RAM', `${ram.length} ranges, ${sizeShort(ram.reduce((s, r) => s + r.end - r.start + 1n, 0n))}`],
      [
        'crashkernel',
        system.crashkernel === undefined ? 'none' : `${rangeText(system.crashkernel)}, ${sizeShort(system.crashkernel.end - system.crashkernel.start + 1n)}`,
      ],
      ['program headers', `${header.header.phnum}: ${loads.length} PT_LOAD (${sizeShort(bytes)}), ${header.header.phnum - loads.length} other`],
      ['header', headerSummary(header, input.size, input.sizedPhnum)],
    ],
    findings: elfcorehdrFindings(input, assumptions),
    pictures: [{ caption: 'Memory map: what RAM there is, what is reserved and cut out, and what the PT_LOADs cover (hover a bar for its range)', svg }],
    tables: [phdrReportTable(header, whatFromRoles(input.roles, header), 'Program headers')],
    text,
  };
}

/** What a hot-plug run did wrong or risked. */
export function simulateFindings(s: SimulationSummary, t: Timeline): Finding[] {
  const out: Finding[] = [];
  if (!s.finalHeaderMatchesFresh)
    out.push({
      severity: 'error',
      text: 'the header left installed is not what a fresh build of the final machine gives: a crash now would dump the wrong memory',
    });
  if (!s.purgatoryVerified) out.push({ severity: 'error', text: 'the purgatory would not verify the loaded image (or none is loaded): kdump would not start' });
  if (s.dropped > 0) out.push({ severity: 'warning', text: `${s.dropped} event(s) dropped on a busy kexec lock; the header missed them until a later update` });
  if (s.failedUpdates > 0) out.push({ severity: 'warning', text: `${s.failedUpdates} update(s) refused or failed; kdump kept the header it had` });
  if (t.firstStaleMs !== undefined) {
    const open = t.stale.some((x) => x.endMs === undefined);
    out.push({
      severity: open ? 'error' : 'note',
      text: `the header first stopped covering the machine at ${msText(t.firstStaleMs)} (modelled time)${open ? ' and never caught up' : ''}`,
    });
  }
  if (s.udev !== undefined)
    out.push({
      severity: 'note',
      text: `udev reloads kept kdump unarmed ${msText(s.udev.simulatedUnarmedMs)} of ${msText(s.udev.lastReloadDoneMs)} (modelled)`,
    });
  return out;
}

export interface SimulatePageInput {
  readonly title: string;
  readonly subtitle: string;
  readonly summary: SimulationSummary;
  readonly timeline: Timeline;
  readonly svg: string;
  readonly text: string;
  /** The header installed at the end, when one is. */
  readonly installedHeader: Uint8Array | undefined;
}

export function simulatePage(p: SimulatePageInput): HtmlReport {
  const s = p.summary;
  const tables: ReportTable[] = [];
  if (p.installedHeader !== undefined) {
    try {
      const header = decodeElfCoreHeader(p.installedHeader, 'installed elfcorehdr');
      tables.push(phdrReportTable(header, guessWhat(header), 'Program headers of the elfcorehdr installed at the end (roles guessed from the contents)'));
    } catch (err) {
      tables.push({ caption: `the installed header does not decode: ${err instanceof Error ? err.message : String(err)}`, columns: [], rows: [] });
    }
  }
  return {
    title: p.title,
    subtitle: p.subtitle,
    summary: [
      ['strategy', `${s.strategy}, ${s.mode === 'file' ? 'kexec_file_load' : 'kexec_load (kexec-tools)'}`],
      ['events', `${s.events} received, ${s.dropped} dropped, ${s.coalesced} coalesced`],
      ['header updates', `${s.regenerations} regenerations, ${s.installs} installed, ${s.failedUpdates} refused or failed`],
      ['bytes written', `${s.bytesWritten} (${sizeShort(BigInt(s.bytesWritten))})`],
      ['kdump unarmed (measured)', `${nsText(s.unarmedNs.total)} in ${s.unarmedNs.count} windows, longest ${nsText(s.unarmedNs.max)}`],
      ...(s.udev === undefined
        ? []
        : [
            [
              'kdump unarmed (modelled udev)',
              `${msText(s.udev.simulatedUnarmedMs)} in ${s.udev.reloads} reloads, settled at ${msText(s.udev.lastReloadDoneMs)}`,
            ] as const,
          ]),
      ['modelled run', `0 to ${msText(p.timeline.endMs)}`],
      ['final header = fresh', s.finalHeaderMatchesFresh ? 'yes' : 'NO'],
      ['purgatory verifies', s.purgatoryVerified ? 'yes' : 'NO'],
      ['elapsed on this host', `${s.elapsedMs.toFixed(1)} ms`],
      ...(p.installedHeader === undefined
        ? []
        : [['installed header', `${p.installedHeader.length} bytes at the end of the run (${hex(p.installedHeader.length)})`] as const]),
    ],
    findings: simulateFindings(s, p.timeline),
    pictures: [{ caption: 'The run on its modelled clock, and what this host measured (hover a mark for details)', svg: p.svg }],
    tables,
    text: p.text,
  };
}
