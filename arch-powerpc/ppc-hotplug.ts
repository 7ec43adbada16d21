// powerpc's part of a crash hot-plug event (arch_crash_handle_hotplug_event, facts §6.4): a CPU
// going away changes nothing (the header lists every possible CPU); a CPU arriving rewrites
// `/cpus` of the kdump kernel's device tree; memory events rebuild the elfcorehdr from the ranges
// of the moment, with a block going offline cut out by `remove_mem_range`.

import {
  type CrashMemory,
  CrashplugError,
  type Fdt,
  fdtMagicLocator,
  type HotplugContext,
  KEXEC_CRASH_HP_ADD_CPU,
  KEXEC_CRASH_HP_ADD_MEMORY,
  KEXEC_CRASH_HP_REMOVE_CPU,
  KEXEC_CRASH_HP_REMOVE_MEMORY,
  type MemoryNotify,
} from '../core/index.js';
import { rewriteCrashFdt } from './ppc-cpus-node.js';
import { frozen, removeMemRange, working } from './ppc-mem-ranges.js';
import { deviceTreeOf, type PowerpcOptions } from './ppc-options.js';
import type { RemoveMemRangeVariant } from './ppc-profile.js';

/** The kernel's wording for a failed update, which replaces core's (x86's). */
export const PPC_UPDATE_MESSAGES = {
  buildFailed: 'Failed to prepare elf header',
  tooLarge: (elfsz: number, memsz: number) => `Updated crash elfcorehdr elfsz ${elfsz} > memsz ${memsz}`,
} as const;

/**
 * The variant in force. The 6.10–6.18 defect is only ever reproduced on request: the default is the
 * upstream fix, whatever the modelled release shipped (README "remove_mem_range").
 */
export function removeMemRangeVariant(options: PowerpcOptions): RemoveMemRangeVariant {
  return options.removeMemRange ?? 'upstream-fix';
}

/** The crash ranges of `update_crash_elfcorehdr`: as rebuilt, less the block going offline. */
export function memoryAfterEvent(memory: CrashMemory, removed: MemoryNotify | undefined, variant: RemoveMemRangeVariant): CrashMemory {
  if (removed === undefined) return memory;
  const mem = working(memory.mem);
  removeMemRange(mem, removed.start, removed.size, variant);
  return { ...memory, mem: frozen(mem), excluded: [...memory.excluded, { name: 'offlined memory', start: removed.start, end: removed.start + removed.size - 1n }] };
}

/**
 * A core service the FDT update needs and the hot-plug context does not offer yet: copy a located
 * segment's bytes out, let the arch edit them, and write them back with the crash image invalid
 * only during the copy (README "What core should add").
 */
export interface SegmentRewriter {
  rewriteSegment?(index: number, edit: (bytes: Uint8Array) => Uint8Array | undefined): boolean;
}

function updateCrashFdt(ctx: HotplugContext, live: Fdt | undefined): void {
  const index = ctx.locateSegment(fdtMagicLocator);
  if (index < 0) {
    ctx.log('err', 'Unable to locate FDT segment.');
    return;
  }
  const rewrite = (ctx as HotplugContext & SegmentRewriter).rewriteSegment;
  if (live === undefined || rewrite === undefined) {
    ctx.log('err', `Failed to update crash FDT (${live === undefined ? 'no live device tree in the system description' : 'core cannot rewrite segments yet'})`);
    return;
  }
  rewrite.call(ctx, index, (bytes) => {
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
      updateCrashFdt(ctx, deviceTreeOf(ctx.system, options));
      return;
    case KEXEC_CRASH_HP_ADD_MEMORY:
    case KEXEC_CRASH_HP_REMOVE_MEMORY: {
      const removed = ctx.action === KEXEC_CRASH_HP_REMOVE_MEMORY ? ctx.memory : undefined;
      if (ctx.action === KEXEC_CRASH_HP_REMOVE_MEMORY && removed === undefined) {
        throw new CrashplugError('E_UNSUPPORTED', 'REMOVE_MEMORY without its memory_notify: powerpc needs the block going offline (6.10+)');
      }
      const variant = removeMemRangeVariant(options);
      ctx.updateElfcorehdr({ transformMemory: (m) => memoryAfterEvent(m, removed, variant), messages: PPC_UPDATE_MESSAGES });
      return;
    }
    default:
      ctx.log('warn', 'Unknown hotplug action');
  }
}
