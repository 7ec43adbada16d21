// The public face of core: everything a port, the CLI or a test may import. Ports import only this.

export * from './build.js';
export * from './container.js';
export * from './elf.js';
export * from './elf-decode.js';
export * from './elf-encode.js';
export * from './elfcorehdr.js';
export * from './errors.js';
export * from './exclude-mem-range.js';
export * from './hex.js';
export * from './kernel-profile.js';
export * from './plugin.js';
export * from './range.js';
export * from './registry.js';
export * from './system.js';
export * from './tokens.js';
