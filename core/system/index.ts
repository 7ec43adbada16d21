// system: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './cpulist.js';
export * from './iomem.js';
export * from './json-reader.js';
export * from './kernel-profile.js';
export * from './load.js';
export * from './memory.js';
export * from './ram-walk.js';
export * from './ranges-text.js';
export * from './system.js';
