export { x86Module } from './x86-module.js';
export { EM_X86_64, X86_64_HOST, X86_64_NOTE_SIZE, X86Port } from './x86-port.js';
export { LOW_1M, x86CrashMemory, x86ExtraSlots } from './x86-crash-memory.js';
export { x86ElfcorehdrSegment, x86HotplugPhdrCount, x86SysfsElfcorehdrSize } from './x86-sizing.js';
export { type X86Profile, x86Profile } from './x86-profile.js';
export { KEXEC_TOOLS_X86_MAX_RANGES, x86KexecToolsRanges } from './x86-kexec-tools.js';
