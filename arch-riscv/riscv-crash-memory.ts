// riscv64 `prepare_elf_headers` (arch/riscv/kernel/machine_kexec_file.c): one range per top-level
// System RAM resource in walk order (walk_system_ram_res, never merged), room for the count plus
// one split, then `crashk_res` cut out — and nothing else. `crashk_low_res` is not excluded
// (OBSERVED through at least 6.18; a fix is on the list), so a crashkernel=…,low reservation is
// dumped like RAM.

import { type CrashMem, type CrashMemory, CrashplugError, excludeWith, type NamedRange, type SystemDescription } from '../core/port/index.js';
import { riscvProfile } from './riscv-profile.js';

/** nr_ranges = 1 + the System RAM count: "for exclusion of crashkernel region". */
export const RISCV_EXTRA_SLOTS = 1;

export function riscvCrashMemory(system: SystemDescription): CrashMemory {
  if (!riscvProfile(system.kernel).kexecFileCrash) {
    throw new CrashplugError(
      'E_UNSUPPORTED',
      `${system.origin}: kernel ${system.kernel.version} cannot load a crash kernel with kexec_file_load on riscv64 ` +
        '(that came with 5.19); use kernel "5.19" or newer',
    );
  }
  const systemRam = system.memory.systemRam;
  let mem: CrashMem = { maxNrRanges: systemRam.length + RISCV_EXTRA_SLOTS, ranges: systemRam.map(({ start, end }) => ({ start, end })) };
  const excluded: NamedRange[] = [];
  // Without a reservation there is no crash image to load; the header is still shown as built.
  const crashkernel = system.crashkernel;
  if (crashkernel !== undefined) {
    mem = excludeWith(system.kernel.excludeAlgorithm, mem, crashkernel.start, crashkernel.end);
    excluded.push({ name: 'crashkernel', ...crashkernel });
  }
  return { mem, systemRam, excluded, added: [] };
}
