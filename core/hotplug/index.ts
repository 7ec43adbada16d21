// hotplug: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './context.js';
export * from './coverage.js';
export * from './engine.js';
export * from './event-log.js';
export * from './events.js';
export * from './header-coverage.js';
export * from './kernel-log.js';
export * from './metrics.js';
export * from './replay.js';
export * from './strategies.js';
export * from './udev-reload.js';
