// The one place this package reaches into crashplug: the port contract (`crashplug/port`), and
// nothing else. The tests take the API (`crashplug`) and the kit (`crashplug/conformance`) directly.

export {
  type ArchPort,
  type CrashMemory,
  CrashplugError,
  type ElfcorehdrLayout,
  type ElfcorehdrSegmentSpec,
  genericCrashMemory,
  hex,
  type HostIdentity,
  type KernelMap,
  type KernelProfile,
  type SystemDescription,
  TOKENS,
} from 'crashplug/port';
