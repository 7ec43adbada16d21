export { powerpcModule, powerpcModuleWith } from './ppc-module.js';
export {
  backupStartOf,
  EM_PPC64,
  POWERPC_OPTIONS,
  PPC64_NOTE_SIZE,
  PPC64_PAGE_OFFSET,
  PPC64_PAGE_SIZE,
  PPC_HOTPLUG_FLAG,
  Ppc64lePort,
  Ppc64Port,
  PowerpcPort,
} from './ppc-port.js';
export * from './ppc-profile.js';
export * from './ppc-options.js';
export * from './ppc-mem-ranges.js';
export * from './ppc-firmware.js';
export { BACKUP_REGION, BACKUP_SRC_END, BACKUP_SRC_SIZE, BACKUP_SRC_START, ppcCrashMemory } from './ppc-crash-memory.js';
export { ppcElfcorehdrSegment, ppcExtraElfcorehdrSize, ppcSysfsElfcorehdrSize, syncBackupRegionPhdr } from './ppc-sizing.js';
export * from './ppc-usable-memory.js';
export * from './ppc-cpus-node.js';
export { memoryAfterEvent, PPC_UPDATE_MESSAGES, ppcHandleHotplugEvent, removeMemRangeVariant } from './ppc-hotplug.js';
export * from './ppc-live-tree.js';
export * from './ppc-kdump-fdt.js';
export * from './ppc-kexec-tools.js';
export * from './fadump-config.js';
export * from './fadump-header.js';
export * from './fadump-elfcorehdr.js';
export * from './fadump.js';
export { FADUMP_COMMAND } from './fadump-command.js';
