// The memory section of a system description: exactly one source — a /proc/iomem capture, a
// flattened device tree blob (memblock's regions with their NUMA nodes, and the whole tree kept
// for the port), or a list of ranges used as given — and the file reading the loader shares.

import { isAbsolute, join } from 'node:path';
import { CrashplugError } from '../base/errors.js';
import { readFdtMemory } from '../fdt/memory.js';
import { parseFdt } from '../fdt/read.js';
import { iomemSystemRam, parseIomem } from './iomem.js';
import type { NamedRange } from '../memory/range.js';
import { at, describe, type Reader } from './json-reader.js';
import type { MemoryDescription } from './system.js';

/** The hint of every message about a missing or doubled memory source. */
export const MEMORY_TODO = 'give exactly one of memory.iomem (a /proc/iomem file), memory.dtb (a flattened device tree blob) or memory.ranges (a list of ranges)';

function resolve(baseDir: string, file: string): string {
  return isAbsolute(file) ? file : join(baseDir, file);
}

/**
 * How the loader reads the files a description names. Core reads no file itself: the caller passes
 * this in (crashplug's API and CLI read from disk with a size cap; a test may serve them from memory).
 * Each call throws a CrashplugError naming `what` when the file cannot be read.
 */
export interface SystemFiles {
  readText(path: string, what: string): string;
  readBytes(path: string, what: string): Uint8Array;
}

/** `$.memory` → System RAM as the arch's walk sees it; relative paths resolve against `baseDir`. */
export function readMemory(r: Reader, value: unknown, baseDir: string, files: SystemFiles): MemoryDescription {
  const json = r.object(value, '$.memory', ['iomem', 'dtb', 'ranges']);
  const given = ['iomem', 'dtb', 'ranges'].filter((k) => json[k] !== undefined);
  if (given.length !== 1) {
    r.bad('$.memory', given.length === 0 ? 'no memory source' : `has both "${given[0]}" and "${given[1]}"`, MEMORY_TODO);
  }
  if (json.ranges !== undefined) {
    if (!Array.isArray(json.ranges)) {
      r.bad('$.memory.ranges', `expected an array of ranges, got ${describe(json.ranges)}`, 'write [["0x…", "0x…"], …]');
    }
    const systemRam: NamedRange[] = json.ranges.map((v, i) => ({ name: 'System RAM', ...r.range(v, at('$.memory.ranges', i)) }));
    return { source: 'ranges', origin: `${r.origin}: $.memory.ranges`, systemRam };
  }
  if (json.dtb !== undefined) {
    const path = resolve(baseDir, r.string(json.dtb, '$.memory.dtb', 'give the path of a flattened device tree blob (/sys/firmware/fdt, or QEMU\'s dumpdtb)'));
    // Plain blobs only: QEMU and /sys/firmware/fdt write them so; a gzipped one fails on its magic.
    const fdt = parseFdt(files.readBytes(path, `${r.origin}: $.memory.dtb: cannot read ${path}`), path);
    // memblock's regions, each with its node, so a hot-added DIMM merges only within a node.
    const systemRam = readFdtMemory(fdt, path).regions.map(({ name, start, end, nid }) => ({ name, start, end, nid }));
    return { source: 'dtb', origin: path, systemRam, fdt };
  }
  const path = resolve(baseDir, r.string(json.iomem, '$.memory.iomem', 'give the path of a /proc/iomem capture'));
  const iomem = parseIomem(files.readText(path, `${r.origin}: $.memory.iomem: cannot read ${path}`), path);
  return { source: 'iomem', origin: path, systemRam: iomemSystemRam(iomem), iomem };
}
