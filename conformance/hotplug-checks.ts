// Hot-plug as the kernel runs it, through core's replay: whether a kexec_file crash image gets
// hotplug_support; where it does, that every scenario ends with the header a fresh build of the
// final machine gives (and that header conforms); where it does not, that the kernel leaves the
// header alone and udev's reload is what brings it up to date.

import { CrashplugError } from '../core/base/index.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { simulateHotplug, type TimedEvent } from '../core/hotplug/index.js';
import { kexecLoad, KexecState, SMALL_PAYLOAD } from '../core/kexec/index.js';
import type { SystemDescription } from '../core/system/index.js';
import type { Findings } from './findings.js';
import { checkHeader, type MachineContext } from './header-checks.js';
import { STOCK_SCENARIOS } from './scenarios.js';

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte ${i}`;
  return a.length === b.length ? 'identical' : `lengths ${a.length} and ${b.length}`;
}

/** Whether the port gives a kexec_file crash image of this machine hot-plug support, as loaded. */
function loadedSupport(ctx: MachineContext, crashkernel: NonNullable<SystemDescription['crashkernel']>): boolean {
  const kexec = new KexecState(crashkernel);
  return kexecLoad(kexec, ctx.system, ctx.plugin, { mode: 'file', payload: SMALL_PAYLOAD }).hotplugSupport;
}

export function checkHotplug(f: Findings, ctx: MachineContext): void {
  const crashkernel = ctx.system.crashkernel;
  if (crashkernel === undefined) return;
  let supported: boolean;
  try {
    supported = loadedSupport(ctx, crashkernel);
  } catch (err) {
    f.note('hotplug-capability', ctx.name, [`a kexec_file crash load failed: ${message(err)}`]);
    return;
  }
  const declared = ctx.spec.supportsHotplug?.(ctx.system) ?? false;
  f.note(
    'hotplug-capability',
    ctx.name,
    supported === declared
      ? []
      : [`the loaded image has hotplug_support = ${supported ? 1 : 0}, the spec says ${declared ? 1 : 0} for kernel ${ctx.system.kernel.version}`],
  );
  for (const scenario of ctx.spec.hotplugScenarios ?? STOCK_SCENARIOS) {
    let events: readonly TimedEvent[] | undefined;
    try {
      events = scenario.events(ctx.system);
    } catch (err) {
      if (!CrashplugError.is(err)) throw err;
      continue; // the machine cannot have this run (a DIMM would not fit, …)
    }
    if (events === undefined) continue;
    if (supported) inPlace(f, ctx, scenario.name, events);
    else reloadFallback(f, ctx, scenario.name, events);
  }
}

function inPlace(f: Findings, ctx: MachineContext, scenario: string, events: readonly TimedEvent[]): void {
  const where = `${ctx.name}, ${scenario}`;
  try {
    const run = simulateHotplug(ctx.system, ctx.plugin, events, { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD });
    const problems: string[] = [];
    const failed = run.metrics.updates.filter((u) => u.outcome !== 'installed');
    if (failed.length > 0) problems.push(`${failed.length} in-place update(s) failed (${failed[0]!.outcome})`);
    if (run.installed === undefined) problems.push('no elfcorehdr is left in the image');
    else if (!run.summary.finalHeaderMatchesFresh)
      problems.push(`the installed header is not a fresh build of the final machine (${firstDifference(run.installed, run.fresh)})`);
    if ((ctx.spec.purgatoryChecksDigest ?? true) && !run.summary.purgatoryVerified) {
      problems.push('the purgatory digest no longer matches the image: the capture kernel would not start');
    }
    f.note('hotplug-fresh', where, problems);
    // The installed header must still be a conforming header, for the machine as it now is.
    if (run.installed !== undefined) checkHeader(f, { ...ctx, name: `${where}: installed header`, system: run.machine.system }, run.installed);
  } catch (err) {
    f.note('hotplug-fresh', where, [`the replay failed: ${message(err)}`]);
  }
}

function reloadFallback(f: Findings, ctx: MachineContext, scenario: string, events: readonly TimedEvent[]): void {
  const where = `${ctx.name}, ${scenario}`;
  const problems: string[] = [];
  try {
    const loaded = buildSystemElfcorehdr(ctx.system, ctx.plugin).bytes;
    const kernel = simulateHotplug(ctx.system, ctx.plugin, events, { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD });
    const written = kernel.metrics.updates.filter((u) => u.outcome === 'installed').length;
    if (written > 0) problems.push(`the kernel rewrote the header ${written} time(s) in an image without hotplug_support`);
    const now = kernel.installedHeader;
    if (now === undefined || !Buffer.from(now).equals(Buffer.from(loaded))) {
      problems.push(`the header in the image is no longer the one loaded (${now === undefined ? 'gone' : firstDifference(now, loaded)})`);
    }
    const reload = simulateHotplug(ctx.system, ctx.plugin, events, { strategy: 'reload', mode: 'file', payload: SMALL_PAYLOAD });
    if (!reload.summary.finalHeaderMatchesFresh) {
      problems.push(`after udev's reloads (${reload.summary.udev?.reloads ?? 0}) the header is not a fresh build of the final machine`);
    }
  } catch (err) {
    problems.push(`the replay failed: ${message(err)}`);
  }
  f.note('reload-fallback', where, problems);
}
