// Which kernel release and which header builder explain an elfcorehdr captured from a real
// machine: build the header for every modelled release with each builder the port has, compare
// byte for byte, and report consecutive releases giving the same bytes as one range. Every
// release, not only core's breakpoints: a port keeps its own release table (powerpc changes at
// 5.9 and 6.19), and a few dozen builds cost milliseconds. Arch-neutral: the port's hooks do the
// arch work.

import { buildSystemElfcorehdr } from './system-elfcorehdr.js';
import { decodeElfCoreHeader } from '../elf/decode.js';
import { compareHeaderBytes, type FieldDifference, type HeaderBytes } from '../elf/elfcorehdr-fields.js';
import { CrashplugError } from '../base/errors.js';
import { KERNEL_BREAKPOINTS, kernelProfile, newestRelease } from '../system/kernel-profile.js';
import { buildKexecToolsElfcorehdr } from '../kexec/kexec-tools-builder.js';
import type { ArchPlugin } from '../port/plugin.js';
import { HEADER_BUILDERS } from '../system/load.js';
import type { HeaderBuilder, SystemDescription } from '../system/system.js';

/** The last minor release of each major line: 5.19 came before 6.0, 6.19 before 7.0. */
const LAST_MINOR: Readonly<Record<number, number>> = { 5: 19, 6: 19 };

/** Inclusive, as "6.6–6.8". */
export interface KernelRange {
  readonly from: string;
  readonly to: string;
}

export type CandidateOutcome =
  | { readonly kind: 'identical' }
  | { readonly kind: 'differs'; readonly differences: readonly FieldDifference[] }
  | { readonly kind: 'fails'; readonly code: string; readonly message: string };

/** Consecutive releases for which one builder gives the same result. */
export interface CandidateGroup {
  readonly builder: HeaderBuilder;
  readonly kernels: KernelRange;
  /** The releases built inside the range (all of them unless ExplainOptions.releases said otherwise). */
  readonly builtAt: readonly string[];
  readonly outcome: CandidateOutcome;
}

export interface Closest {
  readonly group: CandidateGroup;
  /** The release named in the report: the description's own when the range holds it. */
  readonly kernel: string;
  readonly differences: readonly FieldDifference[];
}

export interface Explanation {
  readonly groups: readonly CandidateGroup[];
  readonly explainedBy: readonly CandidateGroup[];
  /** Set when no candidate reproduces the file. */
  readonly closest?: Closest | undefined;
  /** Builders the port cannot emulate, with the reason. */
  readonly unavailable: readonly { readonly builder: HeaderBuilder; readonly reason: string }[];
  /**
   * The stable release the description names ("6.12.95"), when it names one: its series is built
   * as that release, not as x.y.0, so the explanation and a comparison with it agree.
   */
  readonly stableRelease?: string | undefined;
}

export interface ExplainOptions {
  /** The releases to build, oldest first; every modelled release unless given. */
  readonly releases?: readonly string[] | undefined;
}

type Version = readonly [number, number];

function parse(v: string): Version {
  const p = kernelProfile(v, 'kernel breakpoint');
  return [p.major, p.minor];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1];
}

function text(v: Version): string {
  return `${v[0]}.${v[1]}`;
}

function previous(v: Version): Version {
  if (v[1] > 0) return [v[0], v[1] - 1];
  const last = LAST_MINOR[v[0] - 1];
  if (last === undefined) throw new Error(`no release is known before ${text(v)}`);
  return [v[0] - 1, last];
}

function next(v: Version): Version {
  const last = LAST_MINOR[v[0]];
  if (last !== undefined && v[1] >= last) return [v[0] + 1, 0];
  return [v[0], v[1] + 1];
}

/** Every release from the oldest modelled to the newest, oldest first. */
/** `portReleases`: the releases the port models beyond core's; the list runs to the newest of all. */
export function modelledReleases(portReleases: readonly string[] = []): string[] {
  const newest = parse(newestRelease(portReleases));
  const out: string[] = [];
  for (let v = parse(KERNEL_BREAKPOINTS[0]!); compare(v, newest) <= 0; v = next(v)) out.push(text(v));
  return out;
}

function build(system: SystemDescription, plugin: ArchPlugin, builder: HeaderBuilder, release: string): HeaderBytes {
  // The description's own series is built at the stable sublevel it names (a port's stable-series rules).
  const profile = kernelProfile(release);
  const own = system.kernel;
  const kernel = own.sublevel !== undefined && own.major === profile.major && own.minor === profile.minor ? own : profile;
  const s: SystemDescription = { ...system, kernel, builder };
  const bytes = builder === 'kernel' ? buildSystemElfcorehdr(s, plugin).bytes : buildKexecToolsElfcorehdr(s, plugin).bytes;
  return { bytes, header: decodeElfCoreHeader(bytes, `the ${builder} header for ${release}`) };
}

interface Tried {
  readonly release: string;
  readonly bytes?: Uint8Array;
  readonly outcome: CandidateOutcome;
}

/** A failure's message with its own release named generically, so one refusal of many releases is one group. */
function failureText(t: Tried): string | undefined {
  if (t.outcome.kind !== 'fails') return undefined;
  return `${t.outcome.code}: ${t.outcome.message.replaceAll(`kernel ${t.release} `, 'kernel RELEASE ').replaceAll(`"${t.release}"`, '"RELEASE"')}`;
}

function same(a: Tried, b: Tried): boolean {
  if (a.outcome.kind === 'fails' || b.outcome.kind === 'fails') return failureText(a) !== undefined && failureText(a) === failureText(b);
  return sameBytes(a.bytes!, b.bytes!);
}

/** The outcome a group reports: a failure names the group's releases, not its first one. */
function groupOutcome(first: Tried, kernels: KernelRange): CandidateOutcome {
  const o = first.outcome;
  if (o.kind !== 'fails' || kernels.from === kernels.to) return o;
  const range = `${kernels.from}–${kernels.to}`;
  return { ...o, message: o.message.replaceAll(`kernel ${first.release} `, `kernels ${range} `) };
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Build one builder at every release; `unavailable` when the port cannot emulate that builder. */
function tryBuilder(
  file: HeaderBytes,
  system: SystemDescription,
  plugin: ArchPlugin,
  builder: HeaderBuilder,
  releases: readonly string[],
): Tried[] | { unavailable: string } {
  const out: Tried[] = [];
  for (const release of releases) {
    try {
      const built = build(system, plugin, builder, release);
      // Neighbouring releases mostly give the same bytes; compare with the file only when they do not.
      const prev = out.at(-1);
      if (prev?.bytes !== undefined && sameBytes(prev.bytes, built.bytes)) {
        out.push({ release, bytes: built.bytes, outcome: prev.outcome });
        continue;
      }
      const differences = compareHeaderBytes(file, built);
      out.push({ release, bytes: built.bytes, outcome: differences.length === 0 ? { kind: 'identical' } : { kind: 'differs', differences } });
    } catch (err) {
      if (!CrashplugError.is(err)) throw err;
      if (err.code === 'E_UNSUPPORTED' && builder !== 'kernel') return { unavailable: err.message };
      out.push({ release, outcome: { kind: 'fails', code: err.code, message: err.message } });
    }
  }
  return out;
}

function grouped(builder: HeaderBuilder, tried: readonly Tried[], releases: readonly string[]): CandidateGroup[] {
  const groups: CandidateGroup[] = [];
  let start = 0;
  for (let i = 1; i <= tried.length; i++) {
    if (i < tried.length && same(tried[start]!, tried[i]!)) continue;
    const next = releases[i];
    const to = next === undefined ? releases[releases.length - 1]! : text(previous(parse(next)));
    const kernels = { from: tried[start]!.release, to };
    groups.push({
      builder,
      kernels,
      builtAt: tried.slice(start, i).map((t) => t.release),
      outcome: groupOutcome(tried[start]!, kernels),
    });
    start = i;
  }
  return groups;
}

export function rangeHolds(range: KernelRange, release: string): boolean {
  const v = parse(release);
  return compare(parse(range.from), v) <= 0 && compare(v, parse(range.to)) <= 0;
}

/**
 * Fewest differing fields wins; then the one that goes wrong latest in the buffer; then the
 * description's own builder and release, as the likeliest intent.
 */
function closestOf(groups: readonly CandidateGroup[], system: SystemDescription): Closest | undefined {
  let best: Closest | undefined;
  let bestScore: readonly number[] = [];
  for (const group of groups) {
    if (group.outcome.kind !== 'differs') continue;
    const d = group.outcome.differences;
    const own = rangeHolds(group.kernels, system.kernel.version);
    const score = [d.length, -d[0]!.offset, group.builder === system.builder ? 0 : 1, own ? 0 : 1];
    if (best === undefined || lexLess(score, bestScore)) {
      best = { group, kernel: own ? system.kernel.version : group.kernels.from, differences: d };
      bestScore = score;
    }
  }
  return best;
}

function lexLess(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

/** `file` is the captured header; `system` the machine it came from (its own kernel and builder are ignored). */
export function explainHeader(file: HeaderBytes, system: SystemDescription, plugin: ArchPlugin, opts: ExplainOptions = {}): Explanation {
  const releases = opts.releases ?? modelledReleases(plugin.releases);
  const groups: CandidateGroup[] = [];
  const unavailable: { builder: HeaderBuilder; reason: string }[] = [];
  for (const builder of HEADER_BUILDERS) {
    const tried = tryBuilder(file, system, plugin, builder, releases);
    if ('unavailable' in tried) unavailable.push({ builder, reason: tried.unavailable });
    else groups.push(...grouped(builder, tried, releases));
  }
  const explainedBy = groups.filter((g) => g.outcome.kind === 'identical');
  const stableRelease = system.kernel.sublevel === undefined ? undefined : system.kernel.version;
  return { groups, explainedBy, closest: explainedBy.length === 0 ? closestOf(groups, system) : undefined, unavailable, stableRelease };
}
