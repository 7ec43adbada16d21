// The elfcorehdr pipeline (crash memory, header, report) for n CPUs and n ranges, n = 512 … 32766,
// in one process: the time per size and the power law fitted to it (exponent 1 is linear).

import { buildHeader } from '../cli/commands/build-header.js';
import { builtReportLines } from '../cli/describe.js';
import { registryOf } from '../core/port/index.js';
import { x86Module } from '../arch-x86/index.js';
import { bigMachine } from './machines.js';
import { fitPowerLaw, median, round } from './measure.js';

export const SCALING_SIZES = [512, 1024, 2048, 4096, 8192, 16384, 32766] as const;

export function scalingSeries(runs = 5): { sizes: number[]; medianMs: number[]; exponent: number; slopeUsPerItem: number } {
  const registry = registryOf([x86Module]);
  const medianMs: number[] = [];
  // Two untimed passes over every size first: otherwise the smallest sizes pay for compiling the
  // pipeline and the fit reads that fixed cost as a sub-linear exponent.
  for (let pass = 0; pass < 2; pass++) for (const n of SCALING_SIZES) builtReportLines(buildHeader(bigMachine(n, n), registry));
  for (const n of SCALING_SIZES) {
    const system = bigMachine(n, n);
    const t: number[] = [];
    for (let r = 0; r < runs + 1; r++) {
      const t0 = performance.now();
      const built = buildHeader(system, registry);
      const text = builtReportLines(built).join('\n');
      if (text.length === 0) throw new Error('empty report');
      if (r > 0) t.push(performance.now() - t0);
    }
    medianMs.push(median(t));
  }
  const sizes = [...SCALING_SIZES];
  const fit = fitPowerLaw(sizes, medianMs);
  return { sizes, medianMs: medianMs.map((m) => round(m, 3)), exponent: round(fit.exponent, 3), slopeUsPerItem: round(fit.slope * 1000, 3) };
}
