// From a machine to its elfcorehdr: the arch's crash memory, the generic layout, the arch's
// fix-ups. This is what kexec_file_load does at load time and what a hot-plug update redoes.

import { buildElfcorehdr, type BuiltElfcorehdr, type KernelMap } from '../elf/elfcorehdr.js';
import type { ArchPlugin, CrashMemory } from '../port/plugin.js';
import { type CrashNotes, crashNotesAddress, type SystemDescription } from '../system/system.js';

export interface SystemElfcorehdr extends BuiltElfcorehdr {
  readonly crashMemory: CrashMemory;
  readonly kernelMap: KernelMap | undefined;
}

/** The CPUs whose notes the header lists under this kernel: possible (6.6+) or present (≤6.5). */
export function noteCpusOf(system: SystemDescription): readonly number[] {
  return system.kernel.cpuNotes === 'possible' ? system.cpus.possible : system.cpus.present;
}

export function buildSystemElfcorehdr(system: SystemDescription, plugin: ArchPlugin, target?: Uint8Array): SystemElfcorehdr {
  const crashMemory = plugin.crashMemory(system);
  const kernelMap = plugin.kernelMap(system);
  const notes = system.crashNotes;
  const built = buildElfcorehdr(
    {
      machine: plugin.machine,
      noteCpus: noteCpusOf(system),
      possibleCpuCount: system.cpus.possible.length,
      crashNotes: crashNotesOf(notes),
      noteSize: plugin.noteSize,
      vmcoreinfo: system.vmcoreinfo,
      kernelMap,
      ranges: crashMemory.mem.ranges,
      va: (pa) => plugin.va(pa, system),
      byteOrder: plugin.fieldByteOrder(system),
    },
    target,
  );
  plugin.fixupElfcorehdr(built.bytes, built.layout, system);
  return { ...built, crashMemory, kernelMap };
}

/**
 * crashNotesAddress as a closure the header writer can inline: for base + n·stride the sum is done in
 * a machine word (asUintN(64, …), the wrap a u64 field has anyway) rather than as three BigInts per CPU.
 */
function crashNotesOf(notes: CrashNotes): (cpu: number) => bigint {
  if (notes.kind !== 'stride') return (cpu) => crashNotesAddress(notes, cpu);
  const { base, stride } = notes;
  return (cpu) => BigInt.asUintN(64, base + BigInt(cpu) * stride);
}
