// memory: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './crash-region.js';
export { deferTail, type HashSink, hashBytes, materialize } from './lazy-tail.js';
export * from './exclude-mem-range.js';
export * from './range.js';
export * from './packed-ranges.js';
