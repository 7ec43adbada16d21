// The device tree a powerpc kexec_file crash load hands the kdump kernel (file_load_64.c, facts
// §6.4, §6.5): the running kernel's tree with `linux,usable-memory` / `linux,drconf-usable-memory`
// set, `/cpus` rebuilt by update_cpus_node, and free space left for a CPU node of every possible
// core (kdump_extra_fdt_size_ppc64), so ADD_CPU can rebuild /cpus inside the loaded segment later.

import { type ArchSegment, serializeFdt, type SystemDescription } from '../core/port/index.js';
import { possibleCpuNodesRoom, updateCpusNode, withCapacity } from './ppc-cpus-node.js';
import { liveDeviceTree } from './ppc-live-tree.js';
import type { PowerpcOptions } from './ppc-options.js';
import { powerpcProfile } from './ppc-profile.js';
import { usableMemoryRanges, withUsableMemory } from './ppc-usable-memory.js';

/**
 * FDT_EXTRA_SPACE of the generic kexec FDT code (drivers/of/kexec.c): headroom for the /chosen
 * properties it adds (initrd, bootargs, seeds, elfcorehdr, usable-memory-range). crashplug writes
 * none of them, so here all of it stays free, a few hundred bytes more than a kernel leaves.
 */
export const FDT_EXTRA_SPACE = 0x1000;

export interface KdumpFdt {
  /** The blob as loaded: packed, then free space up to its totalsize. */
  readonly blob: Uint8Array;
  /** Bytes in use (the packed tree). */
  readonly used: number;
  /** Free bytes reserved for the CPU nodes of cores not yet present. */
  readonly cpuRoom: number;
}

/**
 * The kdump kernel's tree. Its buffer is the tree plus FDT_EXTRA_SPACE plus the powerpc extra size,
 * and a crash load with crash hot-plug is not packed afterwards, so what was not used stays free
 * for ADD_CPU. Of the extra size only the CPU room is modelled: the usable-memory properties it
 * also estimates are already in the packed tree here.
 */
export function kdumpFdt(system: SystemDescription, options: PowerpcOptions): KdumpFdt {
  const live = liveDeviceTree(system, options);
  const tree = updateCpusNode(withUsableMemory(live, usableMemoryRanges(system, options)), live);
  const packed = serializeFdt(tree);
  const cpuRoom = possibleCpuNodesRoom(live, system.cpus.possible.length);
  return { blob: withCapacity(packed, packed.length + FDT_EXTRA_SPACE + cpuRoom), used: packed.length, cpuRoom };
}

/**
 * The FDT segment of a kexec_file crash image: page-aligned, placed top-down, loaded after the
 * other segments. With crash hot-plug built it is left out of the purgatory digest, as kexec-tools
 * leaves out every FDT segment under --hotplug (facts §8.2): ADD_CPU rewrites it in place, and the
 * digest is never recomputed. (The kernel's kexec_file digest does include it, but powerpc's
 * purgatory never checks the digest, facts §2.9; crashplug's purgatory model does.)
 */
/** `hotplugBuilt`: core's crashHotplugBuilt for this machine. */
export function kdumpFdtSegment(system: SystemDescription, options: PowerpcOptions, hotplugBuilt: boolean): ArchSegment {
  const { blob } = kdumpFdt(system, options);
  return {
    kind: 'fdt',
    buf: blob,
    memsz: blob.length,
    align: system.pageSize,
    topDown: true,
    excludeFromDigest: hotplugBuilt,
  };
}
