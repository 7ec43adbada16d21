// runConformance: resolve a port's ContainerModule the way the CLI does (through core's registry),
// build the header of every machine the spec gives, and check every invariant that must hold on
// any architecture. Returns the findings as data; describe.ts turns them into vitest cases.

import type { ContainerModule } from 'inversify';
import { alignUp, hex } from '../core/base/index.js';
import { buildSystemElfcorehdr, type SystemElfcorehdr } from '../core/build/index.js';
import { EHDR_SIZE, PHDR_SIZE } from '../core/elf/index.js';
import { type ArchPlugin, registryOf } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';
import { ElfTools } from './elf-tools.js';
import { Findings } from './findings.js';
import { checkHeader, expectedByteOrder, type MachineContext } from './header-checks.js';
import { checkHotplug } from './hotplug-checks.js';
import type { ConformanceReport, ConformanceSpec } from './spec.js';
import { checkVaOffset } from './va-offset-checks.js';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Machine names are their origins, made unique so that every finding points at one machine. */
function named(machines: readonly SystemDescription[]): { name: string; system: SystemDescription }[] {
  const seen = new Map<string, number>();
  return machines.map((system) => {
    const n = (seen.get(system.origin) ?? 0) + 1;
    seen.set(system.origin, n);
    return { name: n === 1 ? system.origin : `${system.origin} #${n}`, system };
  });
}

function segmentProblems(ctx: MachineContext, built: SystemElfcorehdr): string[] {
  let spec;
  try {
    spec = ctx.plugin.elfcorehdrSegment(ctx.system, built.layout);
  } catch (err) {
    return [`elfcorehdrSegment failed: ${message(err)}`];
  }
  const out: string[] = [];
  const segment = Number(alignUp(BigInt(spec.memsz), BigInt(ctx.system.pageSize)));
  if (built.layout.size > segment) {
    out.push(`the header needs ${built.layout.size} bytes but the segment holds ${segment} (memsz ${spec.memsz} rounded to a page)`);
  }
  // The capture kernel reads elf_headers_sz bytes: every program header must lie inside them.
  const used = EHDR_SIZE + built.layout.phnum * PHDR_SIZE;
  if (spec.elfHeadersSize < used) out.push(`elf_headers_sz ${spec.elfHeadersSize} is smaller than the ${used} bytes of headers written`);
  if (spec.warning !== undefined) out.push(`sizing warns "${spec.warning}"`);
  if (spec.align % 4096 !== 0) out.push(`buf_align ${hex(spec.align)} is not a whole number of pages`);
  return out;
}

interface Options {
  readonly hotplug: boolean;
}

function checkMachine(f: Findings, ctx: MachineContext, tools: ElfTools | undefined, options: Options): void {
  let built: SystemElfcorehdr;
  try {
    built = buildSystemElfcorehdr(ctx.system, ctx.plugin);
    f.note('builds', ctx.name, []);
  } catch (err) {
    f.note('builds', ctx.name, [message(err)]);
    return;
  }
  const h = checkHeader(f, ctx, built.bytes);
  if (h !== undefined && tools !== undefined) {
    f.note('elf-tools', ctx.name, tools.problems(built.bytes, expectedByteOrder(ctx.spec, ctx.system), h.phdrs.length));
  }
  checkVaOffset(f, ctx, built);
  f.note('segment-size', ctx.name, segmentProblems(ctx, built));
  if (options.hotplug) checkHotplug(f, ctx);
}

/** Check `module`'s port for `spec.arch` against every invariant, on every machine of the spec. */
export function runConformance(module: ContainerModule, spec: ConformanceSpec): ConformanceReport {
  const f = new Findings();
  let plugin: ArchPlugin;
  try {
    plugin = registryOf([module]).get(spec.arch);
  } catch (err) {
    f.note('builds', `the ${spec.arch} module`, [`the registry cannot resolve the port: ${message(err)}`]);
    return f.report(spec.arch, []);
  }
  const machines = named(typeof spec.machines === 'function' ? spec.machines(plugin) : spec.machines);
  if (machines.length === 0) f.note('builds', `the ${spec.arch} spec`, ['the spec gives no machines, so nothing was checked']);
  const tools = spec.elfTools === false ? undefined : new ElfTools();
  try {
    for (const { name, system } of machines) checkMachine(f, { name, system, plugin, spec }, tools, { hotplug: true });
    if (spec.largestMachine !== undefined) {
      const system = typeof spec.largestMachine === 'function' ? spec.largestMachine(plugin) : spec.largestMachine;
      checkMachine(f, { name: `${system.origin} (the largest machine claimed)`, system, plugin, spec }, tools, { hotplug: false });
    }
  } finally {
    tools?.dispose();
  }
  return f.report(
    spec.arch,
    machines.map((m) => m.name),
  );
}

/** The report as text: one line per violation, or a line saying all held. */
export function formatReport(report: ConformanceReport): string {
  if (report.ok) return `${report.arch}: ${report.checked.length} invariants hold on ${report.machines.length} machines`;
  return [`${report.arch}: ${report.violations.length} violation(s)`, ...report.violations.map((v) => `  ${v.message}`)].join('\n');
}
