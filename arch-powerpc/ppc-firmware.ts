// The firmware regions the kdump code adds to its range lists: RTAS (`/rtas` "linux,rtas-base" and
// "rtas-size", u32 each), OPAL (`/ibm,opal` "opal-base-address" and "opal-runtime-size", u64 each)
// and the TCE tables of PCI nodes (facts §6.2, §6.5). A node that exists with a property missing
// makes the kernel's RTAS/OPAL helpers fail, and with them the whole load: that is kept.

import {
  CrashplugError,
  type Fdt,
  type FdtNode,
  fdtLookup,
  fdtProperty,
  fdtWalk,
  hex,
  propString,
  readNumber,
  type SystemDescription,
} from '../core/port/index.js';
import { deviceTreeOf, type PowerpcOptions } from './ppc-options.js';

/** A region as the kernel passes it to add_mem_range: a base and a size (a size of 0 adds nothing). */
export interface FirmwareRegion {
  readonly name: 'RTAS' | 'OPAL' | 'TCE';
  readonly base: bigint;
  readonly size: bigint;
}

function firmwareError(fdt: Fdt, node: string, prop: string, bytes: number, width: number): CrashplugError {
  return new CrashplugError(
    'E_BAD_FDT',
    `${fdt.origin}: ${node} has no usable "${prop}" (${bytes < 0 ? 'missing' : `${bytes} bytes, needs ${width}`}); ` +
      `the kernel's helper then fails and kexec_file_load -p with it ("Failed to setup crash memory ranges"). ` +
      (prop === 'linux,rtas-base'
        ? 'A tree dumped by firmware or QEMU lacks linux,rtas-base (Linux adds it when it instantiates RTAS): ' +
          'use /sys/firmware/fdt of the running kernel, or give powerpc.rtas in the system description'
        : 'use the tree of the running kernel (/sys/firmware/fdt), or give powerpc.opal'),
  );
}

function readCell(fdt: Fdt, node: FdtNode, path: string, prop: string, width: 4 | 8): bigint {
  const p = fdtProperty(node, prop);
  if (p === undefined || p.value.length < width) throw firmwareError(fdt, path, prop, p === undefined ? -1 : p.value.length, width);
  // of_property_read_u32/u64 read the leading cells and ignore anything after them.
  return readNumber(p.value, 0, width / 4);
}

function fromOptions(name: 'RTAS' | 'OPAL', r: PowerpcOptions['rtas']): FirmwareRegion[] {
  return r === null || r === undefined ? [] : [{ name, base: r.start, size: r.end - r.start + 1n }];
}

/** RTAS, as add_rtas_mem_range sees it. */
export function rtasRegion(system: SystemDescription, options: PowerpcOptions): FirmwareRegion[] {
  if (options.rtas !== undefined) return fromOptions('RTAS', options.rtas);
  const fdt = deviceTreeOf(system, options);
  const ref = fdt === undefined ? undefined : fdtLookup(fdt, '/rtas');
  if (fdt === undefined || ref === undefined) return [];
  const base = readCell(fdt, ref.node, ref.path, 'linux,rtas-base', 4);
  const size = readCell(fdt, ref.node, ref.path, 'rtas-size', 4);
  return [{ name: 'RTAS', base, size }];
}

/** OPAL, as add_opal_mem_range sees it (kept in parity with kexec-tools). */
export function opalRegion(system: SystemDescription, options: PowerpcOptions): FirmwareRegion[] {
  if (options.opal !== undefined) return fromOptions('OPAL', options.opal);
  const fdt = deviceTreeOf(system, options);
  const ref = fdt === undefined ? undefined : fdtLookup(fdt, '/ibm,opal');
  if (fdt === undefined || ref === undefined) return [];
  const base = readCell(fdt, ref.node, ref.path, 'opal-base-address', 8);
  const size = readCell(fdt, ref.node, ref.path, 'opal-runtime-size', 8);
  return [{ name: 'OPAL', base, size }];
}

/** TCE tables of `pci` nodes; a node without both properties is skipped, as the kernel skips it. */
export function tceRegions(system: SystemDescription, options: PowerpcOptions): FirmwareRegion[] {
  const fdt = deviceTreeOf(system, options);
  if (fdt === undefined) return [];
  const out: FirmwareRegion[] = [];
  for (const ref of fdtWalk(fdt)) {
    const type = fdtProperty(ref.node, 'device_type');
    if (type === undefined || propString(fdt.origin, type) !== 'pci') continue;
    const base = fdtProperty(ref.node, 'linux,tce-base');
    const size = fdtProperty(ref.node, 'linux,tce-size');
    if (base === undefined || size === undefined || base.value.length < 8 || size.value.length < 4) continue;
    out.push({ name: 'TCE', base: readNumber(base.value, 0, 2), size: readNumber(size.value, 0, 1) });
  }
  return out;
}

export function regionText(r: FirmwareRegion): string {
  return `${r.name} [${hex(r.base)}, size ${hex(r.size)}]`;
}
