// What userspace reads about crash hot-plug (facts §2.8): /sys/devices/system/{cpu,memory}/crash_hotplug
// — "1" when the kernel will update the loaded image itself, which is what udev's rule tests to skip
// its reload — and /sys/kernel/crash_elfcorehdr_size, the segment size kexec-tools --hotplug reserves.
// Files a kernel without CONFIG_CRASH_HOTPLUG lacks read as undefined.

import { kernelHasCrashHotplug } from './loader.js';
import type { KexecState } from './state.js';
import type { ArchPlugin } from '../port/plugin.js';
import type { SystemDescription } from '../system/system.js';

export const CPU_CRASH_HOTPLUG = '/sys/devices/system/cpu/crash_hotplug';
export const MEMORY_CRASH_HOTPLUG = '/sys/devices/system/memory/crash_hotplug';
export const CRASH_ELFCOREHDR_SIZE = '/sys/kernel/crash_elfcorehdr_size';

/**
 * crash_check_hotplug_support(): 0 when the kexec lock is busy (with the handler's message), else
 * the loaded image's hot-plug support, 0 with nothing loaded.
 */
export function crashCheckHotplugSupport(kexec: KexecState, system: SystemDescription): number {
  const profile = system.kernel.crashHotplug;
  if (kexec.kexecInProgress || kexec.lock.held) {
    if (!(profile.quietWhileKexecInProgress && kexec.kexecInProgress)) kexec.log.printk('info', `crash hp: ${profile.trylockFailedMessage}`);
    return 0;
  }
  const image = kexec.crashImage;
  return image !== null && image.hotplugSupport ? 1 : 0;
}

/** The three files as `cat` shows them, keyed by path; absent files are left out. */
export function crashSysfs(kexec: KexecState, system: SystemDescription, plugin: ArchPlugin): Record<string, string> {
  if (!kernelHasCrashHotplug(system, plugin)) return {};
  const hp = `${crashCheckHotplugSupport(kexec, system)}\n`;
  return {
    [CPU_CRASH_HOTPLUG]: hp,
    [MEMORY_CRASH_HOTPLUG]: hp,
    [CRASH_ELFCOREHDR_SIZE]: `${plugin.sysfsElfcorehdrSize(system)}\n`,
  };
}
