// Runs the catalogue over one header: core's checks, then those of every loaded port that writes
// the header's e_machine. A port's finding replaces core's generic one of a code it supersedes for
// the same program header (it says the same thing more precisely, with the commit).

import type { DecodedElfCoreHeader } from '../elf/decode.js';
import { type ProgramHeader, PT_LOAD, PT_NOTE } from '../elf/elf.js';
import type { PluginRegistry } from '../port/registry.js';
import { CORE_CHECKS } from './generic.js';
import type { CheckContext, CheckMachine, Finding, HeaderCheck, HeaderKind, PhdrNotes } from './types.js';

/** Page sizes Linux kernels build with (4, 16 and 64 KiB); a port's default is added to them. */
const PAGE_SIZES = [4096, 16384, 65536];

/**
 * A /proc/vmcore (or a saved vmcore) has one merged PT_NOTE whose p_paddr is 0 and whose p_offset
 * is a file offset; an elfcorehdr's PT_NOTEs all name a physical address (never 0).
 */
export function headerKind(phdrs: readonly ProgramHeader[]): HeaderKind {
  const notes = phdrs.filter((p) => p.type === PT_NOTE);
  return notes.length > 0 && notes.every((p) => p.paddr === 0n && p.vaddr === 0n) ? 'vmcore' : 'elfcorehdr';
}

/**
 * The kernel-text PT_LOAD: the first PT_LOAD, when its p_vaddr − p_paddr differs from the offset
 * the other PT_LOADs (the linear map) share. Both builders put it first; an arch without one has
 * all PT_LOADs on the linear map.
 */
export function kernelMapIndex(phdrs: readonly ProgramHeader[]): number | undefined {
  const loadIdx: number[] = [];
  phdrs.forEach((p, i) => {
    if (p.type === PT_LOAD) loadIdx.push(i);
  });
  if (loadIdx.length < 2) return undefined;
  const offset = (i: number): bigint => BigInt.asUintN(64, phdrs[i]!.vaddr - phdrs[i]!.paddr);
  const counts = new Map<bigint, number>();
  for (const i of loadIdx.slice(1)) counts.set(offset(i), (counts.get(offset(i)) ?? 0) + 1);
  let linear: bigint | undefined;
  let best = 0;
  for (const [o, n] of counts) {
    if (n > best) {
      best = n;
      linear = o;
    }
  }
  const first = loadIdx[0]!;
  return offset(first) === linear ? undefined : first;
}

export interface CheckRequest {
  readonly header: DecodedElfCoreHeader;
  /** Guessed from the PT_NOTEs when not given. */
  readonly kind?: HeaderKind | undefined;
  readonly notes?: readonly PhdrNotes[] | undefined;
  readonly machine?: CheckMachine | undefined;
  readonly fileSize?: number | undefined;
}

export interface CheckResult {
  readonly kind: HeaderKind;
  readonly kernelMap: number | undefined;
  readonly findings: readonly Finding[];
  readonly errors: number;
  readonly warnings: number;
}

/** The checks the ports writing `machine` (an e_machine) add, each once. */
export function portChecksFor(registry: PluginRegistry, machine: number): HeaderCheck[] {
  const seen = new Set<HeaderCheck>();
  for (const p of registry.all()) if (p.machine === machine) for (const c of p.headerChecks) seen.add(c);
  return [...seen];
}

export function checkHeader(req: CheckRequest, registry: PluginRegistry): CheckResult {
  const { header } = req;
  const ports = registry.all().filter((p) => p.machine === header.header.machine);
  const ctx: CheckContext = {
    header,
    kind: req.kind ?? headerKind(header.phdrs),
    kernelMap: kernelMapIndex(header.phdrs),
    noteSizes: [...new Set(ports.map((p) => p.noteSize))],
    pageSizes: [...new Set([...PAGE_SIZES, ...ports.map((p) => p.defaults.pageSize)])],
    fileSize: req.fileSize,
    notes: req.notes,
    machine: req.machine,
  };
  const core = CORE_CHECKS.flatMap((c) => c.run(ctx));
  const portFindings: Finding[] = [];
  // code@phdr → the port findings that supersede core's findings of that code there.
  const superseding = new Map<string, Finding[]>();
  for (const check of portChecksFor(registry, header.header.machine)) {
    const found = check.run(ctx);
    portFindings.push(...found);
    for (const f of found) {
      for (const code of check.supersedes ?? []) {
        const key = `${code}@${f.phdr}`;
        superseding.set(key, [...(superseding.get(key) ?? []), f]);
      }
    }
  }
  // A port finding with a range replaces only core findings about bytes inside that range.
  const replaced = (f: Finding): boolean =>
    (superseding.get(`${f.code}@${f.phdr}`) ?? []).some(
      (p) => p.range === undefined || f.range === undefined || (f.range.start >= p.range.start && f.range.end <= p.range.end),
    );
  const findings = [...core.filter((f) => !replaced(f)), ...portFindings].sort((a, b) => (a.phdr ?? -1) - (b.phdr ?? -1));
  return {
    kind: ctx.kind,
    kernelMap: ctx.kernelMap,
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}
