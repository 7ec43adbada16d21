// crashplug/port: the contract a port is written against, and the core pieces a port may use.
// Every name is listed by hand: a port sees this curated set, not core's internals, and a name
// leaves it only with a major version.
export { CrashplugError, type ErrorCode } from '../base/errors.js';
export { type CheckContext, type Finding, type HeaderCheck, type Severity } from '../check/types.js';
export { loadRange } from '../check/generic.js';
export { alignUp, hex, parseU64 } from '../base/hex.js';
export {
  type ByteOrder,
  coreElfHeader,
  EHDR_SIZE,
  ELF_CORE_HEADER_ALIGN,
  ELFDATA2LSB,
  ELFDATA2MSB,
  PF_RWX,
  PHDR_SIZE,
  PN_XNUM,
  type ProgramHeader,
  PT_LOAD,
  PT_NOTE,
  PT_NULL,
} from '../elf/elf.js';
export { type ElfcorehdrLayout, type KernelMap } from '../elf/elfcorehdr.js';
export { encodeElfCoreHeader } from '../elf/encode.js';
export { DRCONF_NODE_PATH, lmbIsAssigned, readDrconfMemory } from '../fdt/drconf.js';
export { fdtAddNode, fdtDeleteNode, fdtSetProperty } from '../fdt/edit.js';
export { type Fdt, fdtBaseName, fdtError, fdtLookup, type FdtNode, fdtProperty, type FdtProperty, fdtRootChildren, fdtWalk } from '../fdt/fdt.js';
export { parseFdt } from '../fdt/read.js';
export { fdtNumbers, fdtString, fdtU32, latin1Bytes, propString, readNumber, regCellsOf } from '../fdt/value.js';
export { serializeFdt } from '../fdt/write.js';
export { type ElfcorehdrUpdateMessages, type ElfcorehdrUpdateOptions, type HotplugContext, type MemoryNotify } from '../hotplug/context.js';
export {
  KEXEC_CRASH_HOTPLUG_SUPPORT,
  KEXEC_CRASH_HP_ADD_CPU,
  KEXEC_CRASH_HP_ADD_MEMORY,
  KEXEC_CRASH_HP_REMOVE_CPU,
  KEXEC_CRASH_HP_REMOVE_MEMORY,
  KEXEC_UPDATE_ELFCOREHDR,
} from '../kexec/image.js';
export { type KexecToolsBackup, type KexecToolsRange, type KexecToolsRanges, type KexecToolsRangeType } from '../kexec/kexec-tools-hooks.js';
export { type KexecToolsSegmentRule } from '../kexec/kexec-tools-segment.js';
export { fdtMagicLocator } from '../kexec/segment-locator.js';
export { excludeMemRange, excludeMemRangeInPlace, excludeWith } from '../memory/exclude-mem-range.js';
export { type CrashMem, type NamedRange, type Range } from '../memory/range.js';
export { iomemKernelSections, iomemWalk } from '../system/iomem.js';
export { type KernelProfile } from '../system/kernel-profile.js';
export { type IomemResource, type SystemDescription } from '../system/system.js';
export type { PortCommand, PortCommandIo, PortOption, PortSubcommand } from './command.js';
export { buildContainer, registryOf } from './container.js';
export {
  type ArchDefaults,
  type ArchHooks,
  type ArchIdentity,
  type ArchPlugin,
  type ArchPort,
  type ArchSegment,
  coreDefaults,
  type CrashMemory,
  crashHotplugBuilt,
  type ElfcorehdrSegmentSpec,
  genericCrashMemory,
  type HookName,
  type HostIdentity,
  type HotplugSupportQuery,
  type KexecFilePurgatory,
  type OptionalHooks,
  purgatoryChecksDigest,
  type RamWalk,
  type SectionReader,
  type SystemSection,
  vaOffsetOf,
} from './plugin.js';
export { PluginRegistry, resolvePlugin } from './registry.js';
export { TOKENS } from './tokens.js';
