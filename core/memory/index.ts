// memory: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './crash-region.js';
export { deferredBuffer, deferTail, type HashSink, hashBytes, lengthOf, materialize } from './lazy-tail.js';
export * from './exclude-mem-range.js';
export * from './range.js';
export * from './packed-ranges.js';
