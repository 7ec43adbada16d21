// riscv64 `prepare_elf_headers` (arch/riscv/kernel/machine_kexec_file.c; from 7.3 its hooks of
// crash_prepare_headers()): one range per top-level System RAM resource in walk order
// (walk_system_ram_res, never merged), then `crashk_res` cut out. Until the fix (7.3, 6.12.110)
// nothing else: `crashk_low_res` stays in the dump and the array has one spare slot. With it,
// `crashk_low_res` is cut too, with two spare slots; 7.3 also cuts the CMA ranges, one slot each.

import { type CrashMem, type CrashMemory, CrashplugError, excludeWith, type NamedRange, type SystemDescription } from '../core/port/index.js';
import { riscvProfile } from './riscv-profile.js';

/** nr_ranges = 1 + the System RAM count before 5fc6e7d45373: "for exclusion of crashkernel region". */
export const RISCV_EXTRA_SLOTS = 1;

export function riscvCrashMemory(system: SystemDescription): CrashMemory {
  const profile = riscvProfile(system.kernel);
  if (!profile.kexecFileCrash) {
    throw new CrashplugError(
      'E_UNSUPPORTED',
      `${system.origin}: kernel ${system.kernel.version} cannot load a crash kernel with kexec_file_load on riscv64 ` +
        '(that came with 5.19); use kernel "5.19" or newer',
    );
  }
  const holes: NamedRange[] = [];
  // Without a reservation there is no crash image to load; the header is still shown as built.
  if (system.crashkernel !== undefined) holes.push({ name: 'crashkernel', ...system.crashkernel });
  const low = system.crashkernelLow;
  if (profile.cutsLow && low !== undefined && low.end !== 0n) holes.push({ name: 'crashkernelLow', ...low });
  const cma = profile.cutsCma ? (system.crashkernelCma ?? []) : [];
  cma.forEach((r, i) => holes.push({ name: `crashkernelCma[${i}]`, start: r.start, end: r.end }));
  const systemRam = system.memory.systemRam;
  const extra = (profile.cutsLow ? 2 : RISCV_EXTRA_SLOTS) + cma.length;
  let mem: CrashMem = { maxNrRanges: systemRam.length + extra, ranges: systemRam.map(({ start, end }) => ({ start, end })) };
  for (const hole of holes) mem = excludeWith(system.kernel.excludeAlgorithm, mem, hole.start, hole.end);
  return { mem, systemRam, excluded: holes, added: [] };
}
