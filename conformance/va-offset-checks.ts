// The va-offset invariant: a port that declares `vaOffset` promises that `__va(p) = p + offset` for
// every RAM address p of the machine, and the header writer relies on it, adding the offset instead
// of calling `va` per PT_LOAD. The check holds the port's own `va` to that promise on the addresses
// the header is about: each System RAM range's first, middle and last byte, and every crash range's
// start. A port without vaOffset (arm64) promises nothing, and holds.

import { hex } from '../core/base/index.js';
import type { SystemElfcorehdr } from '../core/build/index.js';
import { vaOffsetOf } from '../core/port/index.js';
import type { Findings } from './findings.js';
import type { MachineContext } from './header-checks.js';

export function checkVaOffset(f: Findings, ctx: MachineContext, built: SystemElfcorehdr): void {
  const { plugin, system } = ctx;
  let offset: bigint | undefined;
  try {
    offset = vaOffsetOf(plugin, system);
  } catch (err) {
    f.note('va-offset', ctx.name, [`vaOffset failed: ${err instanceof Error ? err.message : String(err)}`]);
    return;
  }
  if (offset === undefined) {
    f.note('va-offset', ctx.name, []);
    return;
  }
  const samples: bigint[] = [];
  for (const r of system.memory.systemRam) {
    if (r.end < r.start) continue;
    samples.push(r.start, r.start + (r.end - r.start) / 2n, r.end);
  }
  for (const r of built.crashMemory.mem.ranges) samples.push(r.start);
  const problems: string[] = [];
  for (const p of samples) {
    const va = plugin.va(p, system);
    const sum = BigInt.asUintN(64, p + offset);
    if (va !== sum) problems.push(`__va(${hex(p)}) is ${hex(va)}, but vaOffset ${hex(offset)} gives ${hex(sum)}`);
  }
  f.note('va-offset', ctx.name, problems);
}
