// base: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './errors.js';
export * from './hex.js';
export * from './clock.js';
