// Renders an Explanation (core/explain-header.ts) for `inspect --against`: one row per range of
// releases that gives the same result with one builder, then the verdict — which (kernel range,
// builder) pairs reproduce the file byte for byte, or the closest one and the first field it gets
// wrong.

import type { FieldDifference } from '../core/elf/index.js';
import type { CandidateGroup, Explanation, KernelRange } from '../core/build/index.js';
import { formatColumns, type Json } from './report-text.js';

export function kernelRangeText(r: KernelRange): string {
  return r.from === r.to ? r.from : `${r.from}–${r.to}`;
}

function firstText(d: FieldDifference, candidate: string): string {
  return `${d.field}: file ${d.a}, ${candidate} ${d.b}`;
}

function countText(n: number): string {
  return `${n} field${n === 1 ? ' differs' : 's differ'}`;
}

function resultText(g: CandidateGroup): string {
  const o = g.outcome;
  switch (o.kind) {
    case 'identical':
      return 'identical';
    case 'differs':
      return `${countText(o.differences.length)}; first ${firstText(o.differences[0]!, 'candidate')}`;
    case 'fails':
      return `cannot be built: ${o.code}: ${o.message}`;
    default: {
      const never: never = o;
      throw new Error(`unknown outcome ${String(never)}`);
    }
  }
}

function pairText(g: CandidateGroup): string {
  const r = kernelRangeText(g.kernels);
  return `${g.builder} builder, kernel${r.includes('–') ? 's' : ''} ${r}`;
}

/** The one line that answers the question: "explained by: …". */
export function explanationVerdict(e: Explanation): string {
  if (e.explainedBy.length > 0) return `explained by: ${e.explainedBy.map(pairText).join('; ')}`;
  const c = e.closest;
  if (c === undefined) return 'explained by: no candidate (none could be built)';
  const first = c.differences[0]!;
  return (
    `explained by: no candidate; closest: ${pairText(c.group)} (${countText(c.differences.length)}); first field it gets wrong: ` +
    firstText(first, `best candidate (${c.group.builder}, ${c.kernel})`)
  );
}

export function explanationLines(e: Explanation): string[] {
  const rows = e.groups.map((g) => [g.builder, kernelRangeText(g.kernels), resultText(g)]);
  // Two spaces between columns: the "KERNEL RANGE" heading has one inside it.
  const table = [['BUILDER', 'KERNEL RANGE', 'RESULT'], ...rows].map(([a, b, c]) => [`${a} `, `${b} `, c!]);
  const lines = ['Which kernel and builder explain the file (crashplug built it for every modelled release with each builder):', ...formatColumns(table)];
  for (const u of e.unavailable) lines.push(`  ${u.builder}: not a candidate (${u.reason})`);
  if (e.stableRelease !== undefined) {
    const series = e.stableRelease.split('.').slice(0, 2).join('.');
    lines.push(`  (${series} was built as ${e.stableRelease}, the stable release the description names)`);
  }
  for (const g of e.explainedBy) {
    // Worth saying: a range this wide means nothing in this machine shows the behaviours that changed.
    if (g.builtAt.length > 1) {
      lines.push(`  (${g.builder}: the ${g.builtAt.length} releases ${kernelRangeText(g.kernels)} all give these bytes, so this file cannot tell them apart)`);
    }
  }
  lines.push(explanationVerdict(e));
  return lines;
}

function differenceJson(d: FieldDifference): Json {
  return { field: d.field, offset: d.offset, file: d.a, candidate: d.b };
}

function groupJson(g: CandidateGroup): Json {
  const o = g.outcome;
  return {
    builder: g.builder,
    kernels: { from: g.kernels.from, to: g.kernels.to },
    kernelRange: kernelRangeText(g.kernels),
    builtAt: [...g.builtAt],
    result: o.kind,
    ...(o.kind === 'differs' ? { differingFields: o.differences.length, firstDifference: differenceJson(o.differences[0]!) } : {}),
    ...(o.kind === 'fails' ? { error: { code: o.code, message: o.message } } : {}),
  };
}

export function explanationJson(e: Explanation): Json {
  const c = e.closest;
  return {
    candidates: e.groups.map(groupJson),
    explainedBy: e.explainedBy.map((g) => ({
      builder: g.builder,
      kernels: { from: g.kernels.from, to: g.kernels.to },
      kernelRange: kernelRangeText(g.kernels),
    })),
    closest:
      c === undefined
        ? null
        : {
            builder: c.group.builder,
            kernel: c.kernel,
            kernels: { from: c.group.kernels.from, to: c.group.kernels.to },
            differingFields: c.differences.length,
            firstDifference: differenceJson(c.differences[0]!),
            differences: c.differences.map(differenceJson),
          },
    unavailable: e.unavailable.map((u) => ({ builder: u.builder, reason: u.reason })),
    stableRelease: e.stableRelease ?? null,
    verdict: explanationVerdict(e),
  };
}
