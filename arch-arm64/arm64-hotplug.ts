// arm64's part of a crash hot-plug event in the proposed series (facts §5.2): the header lists
// every possible CPU, so CPU events change nothing once the kernel owns the header; memory events
// rebuild it from memblock, cutting out a block that is going offline but still in memblock.

import {
  type CrashMemory,
  CrashplugError,
  type ElfcorehdrUpdateOptions,
  excludeWith,
  type HotplugContext,
  KEXEC_CRASH_HP_ADD_CPU,
  KEXEC_CRASH_HP_REMOVE_CPU,
  KEXEC_CRASH_HP_REMOVE_MEMORY,
} from '../core/port/index.js';

/** The series' messages (prefix "crash hp: " comes from core). */
export const ARM64_HOTPLUG_MESSAGES = {
  buildFailed: 'Failed to create new elfcorehdr',
  /** The series sizes and checks the segment as x86 does, with x86's words. */
  tooLarge: (elfsz: number, memsz: number) => `update elfcorehdr elfsz ${elfsz} > memsz ${memsz}`,
  removeFailed: 'Failed to remove hot-unplugged memory from crash memory ranges.',
} as const;

export function arm64HandleHotplugEvent(ctx: HotplugContext, crashMemory: (ctx: HotplugContext) => CrashMemory): void {
  const cpuEvent = ctx.action === KEXEC_CRASH_HP_ADD_CPU || ctx.action === KEXEC_CRASH_HP_REMOVE_CPU;
  // A kexec_load header the kernel has not rewritten yet came from kexec-tools, which lists only
  // present CPUs: its first event of any kind rebuilds it.
  if (cpuEvent && (ctx.image.fileMode || ctx.image.elfcorehdrUpdated)) return;
  const options: ElfcorehdrUpdateOptions = { messages: { buildFailed: ARM64_HOTPLUG_MESSAGES.buildFailed } };
  const going = ctx.memory;
  if (ctx.action === KEXEC_CRASH_HP_REMOVE_MEMORY && going !== undefined) {
    const start = going.start;
    const end = going.start + going.size - 1n;
    const cut = (m: CrashMemory): CrashMemory => ({
      ...m,
      mem: excludeWith(ctx.system.kernel.excludeAlgorithm, m.mem, start, end),
      excluded: [...m.excluded, { name: 'memory going offline', start, end }],
    });
    // The series reports a failed cut with its own message and keeps the old header.
    try {
      cut(crashMemory(ctx));
    } catch (err) {
      if (!CrashplugError.is(err)) throw err;
      ctx.log('err', ARM64_HOTPLUG_MESSAGES.removeFailed);
      return;
    }
    ctx.updateElfcorehdr({ ...options, transformMemory: cut });
    return;
  }
  ctx.updateElfcorehdr(options);
}
