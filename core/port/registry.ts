// Resolves the bound ports into complete plug-ins: core defaults fill the hooks a port leaves out,
// and whatever a hook throws is wrapped with the port's id and the hook's name. The registry also
// answers the questions that used to be per-arch tables elsewhere: which port is this host, what
// is e_machine N called, which releases does anything model, which description sections exist.

import { CrashplugError } from '../base/errors.js';
import {
  type ArchHooks,
  type ArchPlugin,
  type ArchPort,
  coreDefaults,
  coreVaOffset,
  type HookName,
  type OptionalHooks,
  pairVaOffset,
  type SystemSection,
  vaOffsetFits,
} from './plugin.js';

const HOOKS = Object.keys(coreDefaults) as HookName[];

function wrapHook<H extends (...args: never[]) => unknown>(port: ArchPort, name: string, hook: H): H {
  const wrapped = (...args: unknown[]): unknown => {
    try {
      return (hook as unknown as (...a: unknown[]) => unknown).apply(port, args);
    } catch (err) {
      if (CrashplugError.is(err)) {
        throw new CrashplugError(err.code, `${port.id} ${name}: ${err.message}`, { cause: err });
      }
      // A TypeError in a port is the port's bug, not bad input: an internal fault (exit 1).
      const why = err instanceof Error ? err.message : String(err);
      throw new CrashplugError('E_PORT_FAULT', `the ${port.id} port failed in ${name}: ${why}`, { cause: err });
    }
  };
  return wrapped as unknown as H;
}

/**
 * The plug-in's vaOffset: the port's own, wrapped like a hook; core's when the port leaves `va` to
 * core too; none when the port has its own `va` and says nothing about it (arm64).
 */
function resolveVaOffset(port: ArchPort, va: ArchHooks['va']): OptionalHooks['vaOffset'] | undefined {
  const own = port.vaOffset;
  let vaOffset: OptionalHooks['vaOffset'] | undefined;
  if (own !== undefined) vaOffset = vaOffsetFits(own, port.va) ? wrapHook(port, 'vaOffset', own) : undefined;
  else if (port.va === undefined) vaOffset = coreVaOffset;
  if (vaOffset !== undefined) pairVaOffset(vaOffset, va);
  return vaOffset;
}

export function resolvePlugin(port: ArchPort): ArchPlugin {
  const hooks = {} as Record<HookName, unknown>;
  for (const name of HOOKS) {
    const own = port[name];
    hooks[name] = own === undefined ? coreDefaults[name] : wrapHook(port, name, own as ArchHooks[typeof name]);
  }
  return Object.freeze({
    id: port.id,
    description: port.description,
    machine: port.machine,
    machineName: port.machineName,
    noteSize: port.noteSize,
    defaults: port.defaults,
    host: port.host,
    sections: Object.freeze({ ...(port.sections ?? {}) }),
    releases: Object.freeze([...(port.releases ?? [])]),
    ramWalk: port.ramWalk ?? 'iomem',
    kexecFilePurgatory: port.kexecFilePurgatory ?? 'verifies',
    updateMessages: Object.freeze({ ...(port.updateMessages ?? {}) }),
    headerChecks: Object.freeze([...(port.headerChecks ?? [])]),
    ...(hooks as unknown as ArchHooks),
    vaOffset: resolveVaOffset(port, hooks.va as ArchHooks['va']),
  });
}

export class PluginRegistry {
  readonly #plugins = new Map<string, ArchPlugin>();

  constructor(ports: readonly ArchPort[]) {
    for (const port of ports) {
      if (this.#plugins.has(port.id)) {
        throw new CrashplugError('E_PLUGIN', `two ports claim the arch "${port.id}"; load each port's module once`);
      }
      this.#plugins.set(port.id, resolvePlugin(port));
    }
  }

  /** The ids of every loaded port, sorted. */
  ids(): string[] {
    return [...this.#plugins.keys()].sort();
  }

  /** Every loaded plug-in, by id. */
  all(): ArchPlugin[] {
    return this.ids().map((id) => this.#plugins.get(id)!);
  }

  /** Every top-level description section some loaded port reads, with the ports that read it. */
  sections(): Map<string, { readonly section: SystemSection; readonly ports: string[] }> {
    const out = new Map<string, { section: SystemSection; ports: string[] }>();
    for (const p of this.all()) {
      for (const [key, section] of Object.entries(p.sections)) {
        const seen = out.get(key);
        if (seen === undefined) out.set(key, { section, ports: [p.id] });
        else seen.ports.push(p.id);
      }
    }
    return out;
  }

  /** The section keys of `sections()`, sorted. */
  sectionKeys(): string[] {
    return [...this.sections().keys()].sort();
  }

  /** Releases the loaded ports model beyond core's breakpoints. */
  releases(): string[] {
    return [...new Set(this.all().flatMap((p) => p.releases))];
  }

  /** e_machine's name from the port that writes it, or "machine N" when no loaded port does. */
  machineName(machine: number): string {
    return this.all().find((p) => p.machine === machine)?.machineName ?? `machine ${machine}`;
  }

  /** The port whose host identity matches Node's arch (and byte order), if one is loaded. */
  hostPort(nodeArch: string, endianness: 'BE' | 'LE'): ArchPlugin | undefined {
    const candidates = this.all().filter((p) => p.host?.nodeArch === nodeArch);
    return candidates.find((p) => p.host?.endianness === endianness) ?? candidates.find((p) => p.host?.endianness === undefined);
  }

  has(arch: string): boolean {
    return this.#plugins.has(arch);
  }

  get(arch: string, where = 'arch'): ArchPlugin {
    const p = this.#plugins.get(arch);
    if (p === undefined) {
      const known = this.ids();
      throw new CrashplugError(
        'E_UNKNOWN_ARCH',
        `${where}: no port for "${arch}"; the ports loaded are ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none'}` +
          ' (a port outside crashplug is loaded with --port MODULE or CRASHPLUG_PORTS)',
      );
    }
    return p;
  }
}
