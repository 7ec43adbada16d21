// x86's part of a crash hot-plug event (arch/x86/kernel/crash.c, facts §4.4): the header already
// lists every possible CPU, so CPU events change nothing — except on a kexec_load image the kernel
// has not rewritten yet, whose kexec-tools header lists only the present CPUs (W7). Anything else
// rebuilds the header from the machine as it is now and installs it over the old one.

import {
  type ElfcorehdrUpdateMessages,
  type HotplugContext,
  KEXEC_CRASH_HP_ADD_CPU,
  KEXEC_CRASH_HP_REMOVE_CPU,
  KEXEC_UPDATE_ELFCOREHDR,
} from '../core/port/index.js';

/** What arch_crash_handle_hotplug_event prints when an update fails; the header is left alone on either. */
export const X86_UPDATE_MESSAGES: ElfcorehdrUpdateMessages = {
  buildFailed: 'unable to create new elfcorehdr',
  tooLarge: (elfsz, memsz) => `update elfcorehdr elfsz ${elfsz} > memsz ${memsz}`,
};

export function x86HandleHotplugEvent(ctx: HotplugContext): void {
  const cpuEvent = ctx.action === KEXEC_CRASH_HP_ADD_CPU || ctx.action === KEXEC_CRASH_HP_REMOVE_CPU;
  if (cpuEvent && (ctx.image.fileMode || ctx.image.elfcorehdrUpdated)) return;
  // Failures print X86_UPDATE_MESSAGES (the port's updateMessages).
  // A successful install ends with pr_debug("updated elfcorehdr\n") (seen on 6.12 with dynamic debug).
  // x86's crash memory is each System RAM resource less the holes (x86-crash-memory.ts), which
  // lets core add or drop a DIMM's PT_LOAD at the top of RAM without walking all of it again.
  if (ctx.updateElfcorehdr({ ramLessHoles: true }).ok) ctx.log('debug', 'updated elfcorehdr');
}

/**
 * kexec-tools passes KEXEC_UPDATE_ELFCOREHDR on x86: 6.6–6.9 reject the newer 0x8 with -EINVAL,
 * and x86 accepts 0x4 on every release since.
 */
export function x86KexecToolsHotplugFlag(): number {
  return KEXEC_UPDATE_ELFCOREHDR;
}
