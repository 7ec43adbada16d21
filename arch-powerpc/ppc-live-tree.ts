// The running kernel's device tree as the kdump code reads it (`of_root`): the description's
// `memory.dtb` (or a tree the caller gave the port), else a minimal tree made from the description
// — and either way with a node for every present CPU, because a hot-added CPU is attached to the
// live tree (of_attach_node, as the first child of /cpus) before it comes online. `update_cpus_node`
// copies /cpus from here into the kdump kernel's tree, at load and after ADD_CPU.

import {
  type Fdt,
  fdtAddNode,
  fdtBaseName,
  fdtLookup,
  type FdtNode,
  fdtNumbers,
  fdtProperty,
  type FdtProperty,
  fdtSetProperty,
  fdtString,
  fdtU32,
  readNumber,
  type SystemDescription,
} from '../core/port/index.js';
import { cpuNodes, threadsPerCore } from './ppc-cpus-node.js';
import { deviceTreeOf, type PowerpcOptions } from './ppc-options.js';

const prop = (name: string, value: Uint8Array): FdtProperty => ({ name, value });

/** A CPU node the way pseries firmware writes one for a core of `threads` threads starting at `first`. */
function cpuProperties(first: number, threads: number): FdtProperty[] {
  const servers = Array.from({ length: threads }, (_, i) => first + i);
  return [prop('device_type', fdtString('cpu')), prop('reg', fdtU32(first)), prop('ibm,ppc-interrupt-server#s', fdtU32(...servers))];
}

/**
 * What crashplug assumes when the memory did not come from a device tree: 2-cell addresses, an
 * empty /chosen, one single-threaded `cpu@N` per present CPU and one memory node per RAM range.
 * RTAS, OPAL and PCI nodes are left out: the port reads those from `powerpc.rtas` / `powerpc.opal`.
 */
export function minimalDeviceTree(system: SystemDescription): Fdt {
  const cpus: FdtNode[] = system.cpus.present.map((n) => ({ name: `cpu@${n.toString(16)}`, properties: cpuProperties(n, 1), children: [] }));
  const memory: FdtNode[] = system.memory.systemRam.map((r) => ({
    name: `memory@${r.start.toString(16)}`,
    properties: [prop('device_type', fdtString('memory')), prop('reg', fdtNumbers(2, [r.start, r.end - r.start + 1n]))],
    children: [],
  }));
  const root: FdtNode = {
    name: '',
    properties: [prop('#address-cells', fdtU32(2)), prop('#size-cells', fdtU32(2)), prop('model', fdtString('crashplug minimal tree'))],
    children: [
      { name: 'chosen', properties: [], children: [] },
      { name: 'cpus', properties: [prop('#address-cells', fdtU32(1)), prop('#size-cells', fdtU32(0))], children: cpus },
      ...memory,
    ],
  };
  return { origin: `${system.origin} (minimal device tree)`, bootCpuidPhys: system.cpus.present[0] ?? 0, reservations: [], root };
}

/** The CPU numbers a node stands for: its interrupt servers (one per thread), else its `reg`. */
function threadsOf(node: FdtNode): number[] {
  const servers = fdtProperty(node, 'ibm,ppc-interrupt-server#s') ?? fdtProperty(node, 'reg');
  if (servers === undefined) return [];
  return Array.from({ length: Math.floor(servers.value.length / 4) }, (_, i) => Number(readNumber(servers.value, 4 * i, 1)));
}

/**
 * `tree` with a node for each present CPU it lacks, cloned from its first CPU node (QEMU numbers
 * interrupt servers as CPUs, which is what is assumed here) and attached first in /cpus.
 */
export function withPresentCpus(tree: Fdt, present: readonly number[]): Fdt {
  let out =
    fdtLookup(tree, '/cpus') === undefined
      ? fdtSetProperty(fdtSetProperty(fdtAddNode(tree, '/', 'cpus'), '/cpus', '#size-cells', fdtU32(0)), '/cpus', '#address-cells', fdtU32(1))
      : tree;
  const threads = threadsPerCore(out);
  const template = cpuNodes(out)[0];
  const covered = new Set(cpuNodes(out).flatMap(threadsOf));
  for (const cpu of present) {
    if (covered.has(cpu)) continue;
    const first = cpu - (cpu % threads);
    const own = new Map(cpuProperties(first, threads).map((p) => [p.name, p]));
    const props = template === undefined ? [...own.values()] : template.properties.map((p) => own.get(p.name) ?? p);
    const name = `${template === undefined ? 'cpu' : fdtBaseName(template.name)}@${first.toString(16)}`;
    out = fdtAddNode(out, '/cpus', name);
    // fdtSetProperty puts each new property first: add them last to first to keep the template's order.
    for (const p of [...props].reverse()) out = fdtSetProperty(out, `/cpus/${name}`, p.name, p.value);
    for (let t = first; t < first + threads; t++) covered.add(t);
  }
  return out;
}

/** The live tree `update_cpus_node` copies /cpus from. */
export function liveDeviceTree(system: SystemDescription, options: PowerpcOptions): Fdt {
  return withPresentCpus(deviceTreeOf(system, options) ?? minimalDeviceTree(system), system.cpus.present);
}
