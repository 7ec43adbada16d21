// fdt: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './drconf.js';
export * from './edit.js';
export * from './fdt.js';
export * from './memory.js';
export * from './numa.js';
export * from './read.js';
export * from './value.js';
export * from './write.js';
