// crashplug: the API a program uses to build, inspect and simulate elfcorehdrs. Every name is
// listed by hand; a port's contract is the separate entry `crashplug/port`, the conformance kit
// `crashplug/conformance`.

export { ARCH_MODULES as BUILTIN_PORTS } from './builtin-ports.js';
export { Crashplug, type CrashplugOptions, createCrashplug } from './crashplug.js';
export { HOST_CLOCK } from './host-clock.js';
export { loadPortModule, portsFromEnv } from './load-ports.js';
export { diskFiles, loadSystemFile, type ParseJsonOptions, parseSystemJson } from './system-file.js';

export { arm64CrashHotplugModule, arm64Module } from '../arch-arm64/index.js';
export { powerpcModule, powerpcModuleWith, type PowerpcOptions } from '../arch-powerpc/index.js';
export { riscvModule } from '../arch-riscv/index.js';
export { x86Module } from '../arch-x86/index.js';

export { type Clock, countingClock, CrashplugError, type ErrorCode } from '../core/base/index.js';
export { buildSystemElfcorehdr, type Explanation, explainHeader, modelledReleases, type SystemElfcorehdr } from '../core/build/index.js';
export { decodeElfCoreHeader, type ElfCoreHeader, type ProgramHeader } from '../core/elf/index.js';
export {
  type MachineEvent,
  resizeEvents,
  type SimulationOptions,
  type SimulationResult,
  type SimulationSummary,
  simulateHotplug,
  STRATEGIES,
  type StrategyName,
  type TimedEvent,
} from '../core/hotplug/index.js';
export { buildKexecToolsElfcorehdr, type LoadMode } from '../core/kexec/index.js';
export type { ArchPlugin, PluginRegistry } from '../core/port/index.js';
export type { NamedRange, Range } from '../core/memory/index.js';
export {
  type CpuSets,
  type KernelConfig,
  type KernelProfile,
  kernelProfile,
  newestRelease,
  type RamRange,
  type SystemDescription,
  type SystemFiles,
  type SystemOverrides,
} from '../core/system/index.js';
