// x86 `fill_up_crash_elf_data` + `elf_header_exclude_ranges`: one range per top-level System RAM
// resource in walk order (never merged), room for the count plus the splits, then the low 1 MiB,
// `crashk_res` and `crashk_low_res` cut out in that order (facts §4.1).

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

export function x86CrashMemory(system: SystemDescription): CrashMemory {
  const systemRam = system.memory.systemRam;
  if (systemRam.length === 0) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${system.memory.origin}: no System RAM found; the kernel's walk finds nothing and prepare_elf_headers fails with -ENOMEM`,
    );
  }
  const { extraSlots } = x86Profile(system.kernel);
  const ranges = systemRam.map(({ start, end }) => ({ start, end }));
  let mem: CrashMem = { maxNrRanges: systemRam.length + extraSlots, ranges };
  const holes: NamedRange[] = [LOW_1M];
  if (system.crashkernel !== undefined) holes.push({ name: 'crashkernel', ...system.crashkernel });
  if (system.crashkernelLow !== undefined && system.crashkernelLow.end !== 0n) {
    holes.push({ name: 'crashkernelLow', ...system.crashkernelLow });
  }
  if (system.kernel.excludeAlgorithm === 'current') {
    // One array (the fresh copy above), cut where it is: no copy per hole.
    for (const hole of holes) excludeMemRangeInPlace({ maxNrRanges: mem.maxNrRanges, ranges }, hole.start, hole.end);
  } else {
    for (const hole of holes) mem = excludeWith(system.kernel.excludeAlgorithm, mem, hole.start, hole.end);
  }
  return { mem, systemRam, excluded: holes, added: [] };
}
