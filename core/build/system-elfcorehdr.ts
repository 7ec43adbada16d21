// From a machine to its elfcorehdr: the arch's crash memory, the generic layout, the arch's
// fix-ups. This is what kexec_file_load does at load time and what a hot-plug update redoes.

import { buildElfcorehdr, type BuiltElfcorehdr, type ElfcorehdrInput, type KernelMap } from '../elf/elfcorehdr.js';
import type { ArchPlugin, CrashMemory } from '../port/plugin.js';
import { crashNotesAddress, type SystemDescription } from '../system/system.js';

export interface SystemElfcorehdr extends BuiltElfcorehdr {
  readonly crashMemory: CrashMemory;
  readonly kernelMap: KernelMap | undefined;
}

/** The CPUs whose notes the header lists under this kernel: possible (6.6+) or present (≤6.5). */
export function noteCpusOf(system: SystemDescription): readonly number[] {
  return system.kernel.cpuNotes === 'possible' ? system.cpus.possible : system.cpus.present;
}

/**
 * What the header writer is given for `system`: the arch's crash memory (prepare_elf_headers' arch
 * half, done once here) and the generic inputs — so a caller can time or repeat the write alone.
 */
export function systemElfcorehdrInput(
  system: SystemDescription,
  plugin: ArchPlugin,
): { input: ElfcorehdrInput<HeaderContext>; crashMemory: CrashMemory; kernelMap: KernelMap | undefined } {
  const crashMemory = plugin.crashMemory(system);
  const kernelMap = plugin.kernelMap(system);
  const input: ElfcorehdrInput<HeaderContext> = {
    machine: plugin.machine,
    noteCpus: noteCpusOf(system),
    possibleCpuCount: system.cpus.possible.length,
    crashNotes: crashNotesOf,
    noteSize: plugin.noteSize,
    vmcoreinfo: system.vmcoreinfo,
    kernelMap,
    ranges: crashMemory.mem.ranges,
    va: vaOf,
    context: { plugin, system },
    byteOrder: plugin.fieldByteOrder(system),
  };
  return { input, crashMemory, kernelMap };
}

export function buildSystemElfcorehdr(system: SystemDescription, plugin: ArchPlugin, target?: Uint8Array): SystemElfcorehdr {
  const { input, crashMemory, kernelMap } = systemElfcorehdrInput(system, plugin);
  const built = buildElfcorehdr(input, target);
  plugin.fixupElfcorehdr(built.bytes, built.layout, system);
  return { ...built, crashMemory, kernelMap };
}

/** What the writer hands back to the two functions below: the same functions for every build. */
export interface HeaderContext {
  readonly plugin: ArchPlugin;
  readonly system: SystemDescription;
}

/**
 * crashNotesAddress for the writer: for base + n·stride the sum is done in a machine word
 * (asUintN(64, …), the wrap a u64 field has anyway) rather than as three BigInts per CPU.
 */
function crashNotesOf(cpu: number, c: HeaderContext): bigint {
  const notes = c.system.crashNotes;
  return notes.kind === 'stride' ? BigInt.asUintN(64, notes.base + BigInt(cpu) * notes.stride) : crashNotesAddress(notes, cpu);
}

function vaOf(pa: bigint, c: HeaderContext): bigint {
  return c.plugin.va(pa, c.system);
}
