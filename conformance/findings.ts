// Collects what the checks found: which invariants ran, and one violation per invariant and
// machine (its first few problems, so a badly broken port still gives a readable report).

import { type ConformanceReport, INVARIANTS, type Invariant, type Violation, violation } from './spec.js';

/** Problems listed per violation; the rest are counted. */
const SHOWN = 3;

export class Findings {
  readonly #checked = new Set<Invariant>();
  readonly #violations: Violation[] = [];

  /** `invariant` was checked on `machine`; no problems means it holds there. */
  note(invariant: Invariant, machine: string, problems: readonly string[]): void {
    this.#checked.add(invariant);
    if (problems.length === 0) return;
    const more = problems.length > SHOWN ? `; and ${problems.length - SHOWN} more` : '';
    this.#violations.push(violation(invariant, machine, problems.slice(0, SHOWN).join('; ') + more));
  }

  report(arch: string, machines: readonly string[]): ConformanceReport {
    const violations = [...this.#violations];
    return {
      arch,
      machines,
      checked: INVARIANTS.filter((i) => this.#checked.has(i)),
      violations,
      ok: violations.length === 0,
    };
  }
}
