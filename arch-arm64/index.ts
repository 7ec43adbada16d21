// The arm64 port's public face: its ContainerModules, the port classes and the rules they are made of.

export { arm64CrashHotplugModule, arm64Module } from './arm64-module.js';
export { ARM64_EXTRA_SLOTS, ARM64_HOST, ARM64_NOTE_SIZE, Arm64CrashHotplugPort, Arm64Port, EM_AARCH64 } from './arm64-port.js';
export { ARM64_KIMAGE_VADDR_48, ARM64_PAGE_OFFSET_48, arm64KernelMap, arm64PageOffset, arm64Va } from './arm64-address.js';
export { ARM64_CRASH_HOTPLUG_SERIES, ARM64_MAINLINE, ARM64_SECTION, ARM64_SECTION_READER, type Arm64Options, arm64OptionsOf } from './arm64-options.js';
export {
  ARM64_ELFCOREHDR_ALIGN,
  arm64ElfcorehdrSegment,
  arm64HotplugPhdrCount,
  arm64SysfsElfcorehdrSize,
} from './arm64-sizing.js';
export { ARM64_HOTPLUG_MESSAGES, arm64HandleHotplugEvent } from './arm64-hotplug.js';
export { type Arm64Profile, arm64Profile } from './arm64-profile.js';
export { KEXEC_TOOLS_ARM64_MAX_RANGES, KEXEC_TOOLS_ARM64_SEGMENT, arm64KexecToolsRanges } from './arm64-kexec-tools.js';
