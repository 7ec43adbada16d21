// elf: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './decode.js';
export * from './elf.js';
export * from './elfcorehdr-fields.js';
export * from './elfcorehdr.js';
export * from './encode.js';
export * from './notes.js';
export * from './stream.js';
