// check: the catalogue of defects `crashplug check` reports (docs/check.md), as pure functions.
export * from './generic.js';
export * from './ranges.js';
export * from './run.js';
export * from './types.js';
