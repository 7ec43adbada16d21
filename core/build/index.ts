// build: see the files below; this index is what the rest of crashplug imports from this folder.
export * from './explain-header.js';
export * from './note-table.js';
export * from './system-elfcorehdr.js';
export * from './elfcorehdr-rebuilder.js';
export * from './ram-change.js';
