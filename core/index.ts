// Everything core has, by subsystem. The package's public entries are narrower: `crashplug`
// (api/index.ts) and `crashplug/port` (core/port/index.ts); this barrel is for crashplug's own
// command, tests and benchmarks.

export * from './base/index.js';
export * from './build/index.js';
export * from './check/index.js';
export * from './elf/index.js';
export * from './fdt/index.js';
export * from './hotplug/index.js';
export * from './kexec/index.js';
export * from './memory/index.js';
export * from './port/index.js';
export * from './system/index.js';
