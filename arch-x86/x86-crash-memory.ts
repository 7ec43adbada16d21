// x86 `fill_up_crash_elf_data` + `elf_header_exclude_ranges` (≤7.2), and from 7.3 the same through
// `crash_prepare_headers()`: one range per top-level System RAM resource in walk order (never
// merged), room for the count plus the splits, then the holes cut out (facts §4.1). Up to 7.2 the
// low 1 MiB goes first, then `crashk_res`, `crashk_low_res` and (6.17+) the CMA ranges; from 7.3
// the low 1 MiB goes last.

import {
  type CrashMem,
  type CrashMemory,
  CrashplugError,
  excludeMemRangeInPlace,
  excludeWith,
  type NamedRange,
  type SystemDescription,
} from '../core/port/index.js';
import { x86Profile } from './x86-profile.js';

/** "low 1M is always reserved": [0, SZ_1M − 1]. */
export const LOW_1M: NamedRange = { name: 'low 1M', start: 0n, end: 0xf_ffffn };

/** The CMA ranges this release cuts out, named for reports. */
function cmaHoles(system: SystemDescription): NamedRange[] {
  if (!x86Profile(system.kernel).cutsCma) return [];
  return (system.crashkernelCma ?? []).map((r, i) => ({ name: `crashkernelCma[${i}]`, start: r.start, end: r.end }));
}

/** max_nr_ranges: the System RAM count, 2 or 3 spare slots, and one per CMA range from 6.17. */
export function x86ExtraSlots(system: SystemDescription): number {
  return x86Profile(system.kernel).extraSlots + cmaHoles(system).length;
}

export function x86CrashMemory(system: SystemDescription): CrashMemory {
  const systemRam = system.memory.systemRam;
  if (systemRam.length === 0) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.memory.origin}: no System RAM found; the kernel's walk finds nothing and prepare_elf_headers fails with -ENOMEM`,
    );
  }
  const profile = x86Profile(system.kernel);
  // The kernel's array is its own copy of System RAM; plain { start, end } entries, copied by index
  // (no callback and destructuring per range: this runs cold once per build).
  const copy: { start: bigint; end: bigint }[] = new Array(systemRam.length);
  for (let i = 0; i < systemRam.length; i++) {
    const r = systemRam[i]!;
    copy[i] = { start: r.start, end: r.end };
  }
  let mem: CrashMem = { maxNrRanges: systemRam.length + x86ExtraSlots(system), ranges: copy };
  const reservations: NamedRange[] = [];
  if (system.crashkernel !== undefined) reservations.push({ name: 'crashkernel', ...system.crashkernel });
  if (system.crashkernelLow !== undefined && system.crashkernelLow.end !== 0n) {
    reservations.push({ name: 'crashkernelLow', ...system.crashkernelLow });
  }
  reservations.push(...cmaHoles(system));
  const holes = profile.lowMiB === 'first' ? [LOW_1M, ...reservations] : [...reservations, LOW_1M];
  if (system.kernel.excludeAlgorithm === 'current') {
    // One array (the fresh copy above), cut where it is: no copy per hole.
    const ranges = mem.ranges as { start: bigint; end: bigint }[];
    for (const hole of holes) excludeMemRangeInPlace({ maxNrRanges: mem.maxNrRanges, ranges }, hole.start, hole.end);
  } else {
    for (const hole of holes) mem = excludeWith(system.kernel.excludeAlgorithm, mem, hole.start, hole.end);
  }
  return { mem, systemRam, excluded: holes, added: [] };
}
