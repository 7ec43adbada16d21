// kexec: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './elfcorehdr-install.js';
export * from './image.js';
export * from './kexec-tools-builder.js';
export * from './kexec-tools-hooks.js';
export * from './kexec-tools-segment.js';
export * from './loader.js';
export * from './lock.js';
export * from './payload.js';
export * from './placement.js';
export * from './purgatory.js';
export * from './segment-install.js';
export * from './segment-locator.js';
export * from './state.js';
export * from './sysfs-view.js';
