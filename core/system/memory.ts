// The memory section of a system description: exactly one source — a /proc/iomem capture, a
// flattened device tree blob (memblock's regions with their NUMA nodes, and the whole tree kept
// for the port), or a list of ranges used as given — and the file reading the loader shares.

import { isAbsolute, join } from 'node:path';
import { CrashplugError } from '../base/errors.js';
import { readFdtMemory } from '../fdt/memory.js';
import { parseFdt } from '../fdt/read.js';
import { iomemSystemRam, parseIomem } from './iomem.js';
import { at, describe, type Reader } from './json-reader.js';
import { RANGES_MARKER, type RangesCut } from './ranges-text.js';
import type { MemoryDescription, RamRange } from './system.js';

/** The hint of every message about a missing or doubled memory source. */
export const MEMORY_TODO =
  'give exactly one of memory.iomem (a /proc/iomem file), memory.dtb (a flattened device tree blob) or memory.ranges (a list of ranges)';

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

/**
 * The first two of `ranges` that overlap, by index, or undefined. Sorted once (n log n), so each
 * range need only be compared with the furthest-reaching one before it.
 */
export function firstOverlap(ranges: readonly { readonly start: bigint; readonly end: bigint }[]): [number, number] | undefined {
  // Listed in order already, as descriptions and /proc/iomem almost always are: the sort would
  // give the identity order, so one pass over the list as it is says the same.
  let sorted = true;
  for (let i = 1; i < ranges.length && sorted; i++) sorted = ranges[i - 1]!.start <= ranges[i]!.start;
  const order = sorted
    ? undefined
    : ranges
        .map((_, i) => i)
        .sort((a, b) => {
          const x = ranges[a]!.start;
          const y = ranges[b]!.start;
          return x < y ? -1 : x > y ? 1 : a - b;
        });
  let reach = -1;
  for (let k = 0; k < ranges.length; k++) {
    const i = order === undefined ? k : order[k]!;
    if (reach >= 0 && ranges[i]!.start <= ranges[reach]!.end) return reach < i ? [reach, i] : [i, reach];
    if (reach < 0 || ranges[i]!.end > ranges[reach]!.end) reach = i;
  }
  return undefined;
}

/** The ranges of a `memory.ranges` list, each entry checked. */
function rangesOf(r: Reader, list: unknown[]): RamRange[] {
  const systemRam: RamRange[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const { start, end } = r.rangeAt(list[i], '$.memory.ranges', i);
    systemRam[i] = { name: 'System RAM', start, end };
  }
  return systemRam;
}

function hexOf(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** `$.memory` → System RAM as the arch's walk sees it; relative paths resolve against `baseDir`. */
export function readMemory(
  r: Reader,
  value: unknown,
  baseDir: string,
  files: SystemFiles,
  readRanges?: Pick<RangesCut, 'systemRam' | 'ascending'>,
): MemoryDescription {
  const json = r.object(value, '$.memory', ['iomem', 'dtb', 'ranges']);
  const given = ['iomem', 'dtb', 'ranges'].filter((k) => json[k] !== undefined);
  if (given.length !== 1) {
    r.bad('$.memory', given.length === 0 ? 'no memory source' : `has both "${given[0]}" and "${given[1]}"`, MEMORY_TODO);
  }
  if (json.ranges !== undefined) {
    // The loader read the list from the text already (core/system/ranges-text.ts) where JSON.parse saw the marker.
    const list: unknown = json.ranges;
    const read = readRanges !== undefined && list === RANGES_MARKER;
    if (!read && !Array.isArray(list)) {
      r.bad('$.memory.ranges', `expected an array of ranges, got ${describe(list)}`, 'write [["0x…", "0x…"], …]');
    }
    const systemRam = read ? readRanges.systemRam : rangesOf(r, list as unknown[]);
    // Overlapping RAM would become overlapping PT_LOADs: the capture kernel would dump those bytes twice.
    // A list read from the text in ascending order was seen not to overlap as it was read.
    const clash = read && readRanges.ascending ? undefined : firstOverlap(systemRam);
    if (clash !== undefined) {
      const [a, b] = clash.map((i) => systemRam[i]!);
      r.bad(
        at('$.memory.ranges', clash[1]),
        `[${hexOf(b!.start)}, ${hexOf(b!.end)}] overlaps $.memory.ranges[${clash[0]}] [${hexOf(a!.start)}, ${hexOf(a!.end)}], which would give overlapping PT_LOADs`,
        'list each byte of RAM once (ends are inclusive: a range ending at 0xfff and the next starting at 0x1000 touch, they do not overlap)',
      );
    }
    return { source: 'ranges', origin: `${r.origin}: $.memory.ranges`, systemRam };
  }
  if (json.dtb !== undefined) {
    const path = resolve(baseDir, r.string(json.dtb, '$.memory.dtb', "give the path of a flattened device tree blob (/sys/firmware/fdt, or QEMU's dumpdtb)"));
    // Plain blobs only: QEMU and /sys/firmware/fdt write them so; a gzipped one fails on its magic.
    const fdt = parseFdt(files.readBytes(path, `${r.origin}: $.memory.dtb: cannot read ${path}`), path);
    // memblock's regions, each with its node, so a hot-added DIMM merges only within a node.
    const systemRam = readFdtMemory(fdt, path).regions.map(({ name, start, end, nid }) => ({ name, start, end, nid }));
    return { source: 'dtb', origin: path, systemRam, fdt };
  }
  const path = resolve(baseDir, r.string(json.iomem, '$.memory.iomem', 'give the path of a /proc/iomem capture'));
  const iomem = parseIomem(files.readText(path, `${r.origin}: $.memory.iomem: cannot read ${path}`), path);
  // The kernel never registers overlapping top-level resources, so overlapping System RAM lines mean
  // an edited or spliced file: its PT_LOADs would overlap.
  const ramLines = iomem.filter((t) => t.name === 'System RAM');
  const clash = firstOverlap(ramLines);
  if (clash !== undefined) {
    const [a, b] = clash.map((i) => ramLines[i]!);
    throw new CrashplugError(
      'E_BAD_IOMEM',
      `${path}:${b!.line}: System RAM ${b!.start.toString(16)}-${b!.end.toString(16)} overlaps the System RAM of line ${a!.line} (${a!.start.toString(16)}-${a!.end.toString(16)}), ` +
        'which would give overlapping PT_LOADs; the kernel never lists overlapping top-level resources: use the file as /proc/iomem printed it',
    );
  }
  return { source: 'iomem', origin: path, systemRam: iomemSystemRam(iomem), iomem };
}
