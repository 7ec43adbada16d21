// Resolves the bound ports into complete plug-ins: core defaults fill the hooks a port leaves out,
// and whatever a hook throws is wrapped with the port's id and the hook's name.

import { CrashplugError } from '../base/errors.js';
import { type ArchHooks, type ArchPlugin, type ArchPort, coreDefaults, type HookName } from './plugin.js';

const HOOKS = Object.keys(coreDefaults) as HookName[];

function wrapHook<K extends HookName>(port: ArchPort, name: K, hook: ArchHooks[K]): ArchHooks[K] {
  const wrapped = (...args: unknown[]): unknown => {
    try {
      return (hook as (...a: unknown[]) => unknown).apply(port, args);
    } catch (err) {
      if (CrashplugError.is(err)) {
        throw new CrashplugError(err.code, `${port.id} ${name}: ${err.message}`, { cause: err });
      }
      const why = err instanceof Error ? err.message : String(err);
      throw new CrashplugError('E_PLUGIN', `the ${port.id} port failed in ${name}: ${why}`, { cause: err });
    }
  };
  return wrapped as ArchHooks[K];
}

export function resolvePlugin(port: ArchPort): ArchPlugin {
  const hooks = {} as Record<HookName, unknown>;
  for (const name of HOOKS) {
    const own = port[name];
    hooks[name] = own === undefined ? coreDefaults[name] : wrapHook(port, name, own as ArchHooks[typeof name]);
  }
  return {
    id: port.id,
    description: port.description,
    machine: port.machine,
    noteSize: port.noteSize,
    defaults: port.defaults,
    extensionKeys: [...(port.extensionKeys ?? [])],
    ramWalk: port.ramWalk ?? 'iomem',
    ...(hooks as unknown as ArchHooks),
  };
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

  /** Every top-level description section some loaded port reads (`ArchIdentity.extensionKeys`), sorted. */
  extensionKeys(): string[] {
    return [...new Set([...this.#plugins.values()].flatMap((p) => p.extensionKeys))].sort();
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
        `${where}: no port for "${arch}"; the ports loaded are ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'none'}`,
      );
    }
    return p;
  }
}
