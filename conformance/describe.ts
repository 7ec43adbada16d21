// The kit as vitest cases: one `it` per invariant, failing with every violation of it (invariant,
// machine, detail). The port is checked once, on the first case, and the report shared. An
// invariant no machine exercised fails — a gap in the spec — unless it has an alternative that was
// checked instead (an arch without crash hot-plug is held to the reload fallback).

import type { ContainerModule } from 'inversify';
import { CrashplugError } from '../core/base/index.js';
import { runConformance } from './run.js';
import { type ConformanceReport, type ConformanceSpec, INVARIANT_TEXT, INVARIANTS } from './spec.js';

export interface DescribeOptions {
  /** Per case; the first one runs the whole kit (default 300 s). */
  readonly timeout?: number;
}

// vitest is an optional peer of the package: `crashplug/conformance` loads without it (runConformance
// needs none), and only describeConformance asks for it.
const vitest = await import('vitest').catch(() => undefined);

export function describeConformance(name: string, module: ContainerModule, spec: ConformanceSpec, options: DescribeOptions = {}): void {
  if (vitest === undefined) {
    throw new CrashplugError(
      'E_UNSUPPORTED',
      'describeConformance runs the kit as vitest cases, and vitest is not installed; npm install -D vitest, or call runConformance',
    );
  }
  const { describe, it } = vitest;
  const timeout = options.timeout ?? 300_000;
  describe(name, () => {
    let report: ConformanceReport | undefined;
    const get = (): ConformanceReport => (report ??= runConformance(module, spec));
    for (const invariant of INVARIANTS) {
      it(
        `${invariant}: ${INVARIANT_TEXT[invariant].says}`,
        () => {
          const r = get();
          const found = r.violations.filter((v) => v.invariant === invariant);
          if (found.length > 0) throw new Error(`${found.length} violation(s) of ${invariant}:\n${found.map((v) => `  ${v.message}`).join('\n')}`);
          if (r.checked.includes(invariant)) return;
          const otherwise = INVARIANT_TEXT[invariant].otherwise;
          if (otherwise === undefined || !r.checked.includes(otherwise)) {
            throw new Error(`no machine of the ${spec.arch} spec exercises ${invariant}; add a machine that does`);
          }
        },
        timeout,
      );
    }
  });
}
