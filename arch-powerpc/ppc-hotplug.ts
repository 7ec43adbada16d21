// powerpc's part of a crash hot-plug event (arch_crash_handle_hotplug_event, facts §6.4): a CPU
// going away changes nothing (the header lists every possible CPU); a CPU arriving rewrites
// `/cpus` of the kdump kernel's device tree; memory events rebuild the elfcorehdr from the ranges
// of the moment, with a block going offline cut out by `remove_mem_range` (≤7.2) or the generic
// guarded exclusion (7.3+).

import {
  type CrashMemory,
  CrashplugError,
  type Fdt,
  type KernelProfile,
  fdtMagicLocator,
  type HotplugContext,
  KEXEC_CRASH_HP_ADD_CPU,
  KEXEC_CRASH_HP_ADD_MEMORY,
  KEXEC_CRASH_HP_REMOVE_CPU,
  KEXEC_CRASH_HP_REMOVE_MEMORY,
  type MemoryNotify,
} from '../core/port/index.js';
import { rewriteCrashFdt } from './ppc-cpus-node.js';
import { frozen, removeMemRange, working } from './ppc-mem-ranges.js';
import { liveDeviceTree } from './ppc-live-tree.js';
import type { PowerpcOptions } from './ppc-options.js';
import { powerpcProfile, type RemoveMemRangeVariant } from './ppc-profile.js';

/** The kernel's wording for a failed update (the port's updateMessages). */
export const PPC_UPDATE_MESSAGES = {
  buildFailed: 'Failed to prepare elf header',
  tooLarge: (elfsz: number, memsz: number) => `Updated crash elfcorehdr elfsz ${elfsz} > memsz ${memsz}`,
} as const;

/**
 * The variant in force. The 6.10–6.18 defect is only ever reproduced on request: before 7.3 the
 * default is the upstream fix, whatever the release shipped (README "remove_mem_range"); from 7.3,
 * where remove_mem_range is gone (202b5de3ec34), it is the generic exclusion, `exact`.
 */
export function removeMemRangeVariant(options: PowerpcOptions, kernel?: KernelProfile): RemoveMemRangeVariant {
  if (options.removeMemRange !== undefined) return options.removeMemRange;
  return kernel !== undefined && powerpcProfile(kernel).removeMemRangeShipped === 'exact' ? 'exact' : 'upstream-fix';
}

/** The crash ranges of `update_crash_elfcorehdr`: as rebuilt, less the block going offline. */
export function memoryAfterEvent(memory: CrashMemory, removed: MemoryNotify | undefined, variant: RemoveMemRangeVariant): CrashMemory {
  if (removed === undefined) return memory;
  const mem = working(memory.mem);
  removeMemRange(mem, removed.start, removed.size, variant);
  return {
    ...memory,
    mem: frozen(mem),
    excluded: [...memory.excluded, { name: 'offlined memory', start: removed.start, end: removed.start + removed.size - 1n }],
  };
}

/**
 * `update_crash_fdt`: find the FDT segment (the first one starting with the FDT magic) and have core
 * rewrite it with /cpus rebuilt from the live tree; core unsets the crash image only for the copy.
 * A rebuild that does not fit the room reserved at load is refused, and the segment stays as it was.
 */
function updateCrashFdt(ctx: HotplugContext, live: Fdt): void {
  const index = ctx.locateSegment(fdtMagicLocator);
  if (index < 0) {
    ctx.log('err', 'Unable to locate FDT segment.');
    return;
  }
  ctx.rewriteSegment(index, (bytes) => {
    const result = rewriteCrashFdt(bytes, live);
    if (result.ok) return result.blob;
    ctx.log('err', result.message);
    return undefined;
  });
}

export function ppcHandleHotplugEvent(ctx: HotplugContext, options: PowerpcOptions): void {
  switch (ctx.action) {
    case KEXEC_CRASH_HP_REMOVE_CPU:
      return;
    case KEXEC_CRASH_HP_ADD_CPU:
      updateCrashFdt(ctx, liveDeviceTree(ctx.system, options));
      return;
    case KEXEC_CRASH_HP_ADD_MEMORY:
    case KEXEC_CRASH_HP_REMOVE_MEMORY: {
      const removed = ctx.action === KEXEC_CRASH_HP_REMOVE_MEMORY ? ctx.memory : undefined;
      if (ctx.action === KEXEC_CRASH_HP_REMOVE_MEMORY && removed === undefined) {
        throw new CrashplugError('E_UNSUPPORTED', 'REMOVE_MEMORY without its memory_notify: powerpc needs the block going offline (6.10+)');
      }
      const variant = removeMemRangeVariant(options, ctx.system.kernel);
      ctx.updateElfcorehdr({ transformMemory: (m) => memoryAfterEvent(m, removed, variant), messages: PPC_UPDATE_MESSAGES });
      return;
    }
    default:
      ctx.log('warn', 'Unknown hotplug action');
  }
}
