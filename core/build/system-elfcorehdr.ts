// From a machine to its elfcorehdr: the arch's crash memory, the generic layout, the arch's
// fix-ups. This is what kexec_file_load does at load time and what a hot-plug update redoes.

import { buildElfcorehdr, type BuiltElfcorehdr, type ElfcorehdrInput, type KernelMap } from '../elf/elfcorehdr.js';
import { packRanges } from '../memory/packed-ranges.js';
import { type ArchPlugin, type CrashMemory, vaOffsetOf } from '../port/plugin.js';
import { crashNotesAddress, type SystemDescription } from '../system/system.js';
import { noteTableOf } from './note-table.js';

export interface SystemElfcorehdr extends BuiltElfcorehdr {
  readonly crashMemory: CrashMemory;
  readonly kernelMap: KernelMap | undefined;
}

/**
 * What the header writer is given for `system`: the arch's crash memory (prepare_elf_headers' arch
 * half, done once here) and the generic inputs — so a caller can time or repeat the write alone.
 * The CPU notes' addresses come from the machine's note table and p_vaddr from the port's vaOffset
 * where it declares one. `pack` also packs the ranges, for a caller that writes the same input
 * again and again (as the C builder has its ranges in arrays): packing a freshly made list costs
 * more than it saves on a single write, so a one-off build leaves them as they are.
 */
export function systemElfcorehdrInput(
  system: SystemDescription,
  plugin: ArchPlugin,
  options: { readonly pack?: boolean } = {},
): { input: ElfcorehdrInput<HeaderContext>; crashMemory: CrashMemory; kernelMap: KernelMap | undefined } {
  const crashMemory = plugin.crashMemory(system);
  const kernelMap = plugin.kernelMap(system);
  const notes = noteTableOf(system);
  const input: ElfcorehdrInput<HeaderContext> = {
    machine: plugin.machine,
    noteCpus: notes.cpus,
    noteAddresses: notes,
    possibleCpuCount: system.cpus.possible.length,
    crashNotes: crashNotesOf,
    noteSize: plugin.noteSize,
    vmcoreinfo: system.vmcoreinfo,
    kernelMap,
    ranges: crashMemory.mem.ranges,
    packedRanges: options.pack === true ? packRanges(crashMemory.mem.ranges) : undefined,
    va: vaOf,
    vaOffset: vaOffsetOf(plugin, system),
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
