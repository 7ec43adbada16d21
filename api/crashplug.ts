// One crashplug: the container with the ports it was given (the built-in ones unless told
// otherwise), their registry, and the commands they add. The container lives as long as the
// instance, and everything arch-specific reaches the rest of crashplug through it.

import 'reflect-metadata';
import type { Container, ContainerModule } from 'inversify';
import { buildSystemElfcorehdr, explainHeader, type Explanation, type SystemElfcorehdr } from '../core/build/index.js';
import { decodeElfCoreHeader } from '../core/elf/index.js';
import { type SimulationOptions, type SimulationResult, simulateHotplug, type TimedEvent } from '../core/hotplug/index.js';
import { type ArchPlugin, buildContainer, type PluginRegistry, type PortCommand, TOKENS } from '../core/port/index.js';
import type { SystemDescription, SystemOverrides } from '../core/system/index.js';
import { ARCH_MODULES } from './builtin-ports.js';
import { checkPort } from './port-validation.js';
import { loadSystemFile, type ParseJsonOptions, parseSystemJson } from './system-file.js';

export interface CrashplugOptions {
  /** Port modules to load besides (or instead of) the built-in ones. */
  readonly ports?: readonly ContainerModule[] | undefined;
  /** Load the ports crashplug ships (x86_64, arm64, ppc64, ppc64le, riscv64); default true. */
  readonly builtins?: boolean | undefined;
}

export class Crashplug {
  readonly container: Container;
  readonly registry: PluginRegistry;
  /** Commands the loaded ports add to the CLI (powerpc's `fadump`). */
  readonly commands: readonly PortCommand[];

  constructor(options: CrashplugOptions = {}) {
    const modules = [...(options.builtins === false ? [] : ARCH_MODULES), ...(options.ports ?? [])];
    this.container = buildContainer(modules);
    for (const port of this.container.isBound(TOKENS.ArchPort) ? this.container.getAll(TOKENS.ArchPort) : []) checkPort(port, 'a loaded port');
    this.registry = this.container.get<PluginRegistry>(TOKENS.PluginRegistry);
    this.commands = this.container.isBound(TOKENS.PortCommand) ? this.container.getAll<PortCommand>(TOKENS.PortCommand) : [];
  }

  /** The plug-in for a description's arch. */
  plugin(system: SystemDescription): ArchPlugin {
    return this.registry.get(system.arch, `${system.origin}: arch`);
  }

  /** A system description file; relative paths inside it resolve against its folder. */
  loadSystem(path: string, overrides?: SystemOverrides): SystemDescription {
    return loadSystemFile(path, this.registry, overrides);
  }

  /** A system description already parsed from JSON. */
  parseSystem(json: unknown, options: Omit<ParseJsonOptions, 'registry'>): SystemDescription {
    return parseSystemJson(json, { ...options, registry: this.registry });
  }

  /** The elfcorehdr the machine's kernel builds at kexec_file_load, with how it came to be. */
  build(system: SystemDescription): SystemElfcorehdr {
    return buildSystemElfcorehdr(system, this.plugin(system));
  }

  /** Which builder and kernel releases explain a captured header for this machine, field by field. */
  explain(bytes: Uint8Array, system: SystemDescription): Explanation {
    return explainHeader({ bytes, header: decodeElfCoreHeader(bytes, 'the header') }, system, this.plugin(system));
  }

  /** Replay hot-plug events against a loaded kdump image of the machine. */
  simulate(system: SystemDescription, events: readonly TimedEvent[], options: SimulationOptions): SimulationResult {
    return simulateHotplug(system, this.plugin(system), events, options);
  }
}

export function createCrashplug(options?: CrashplugOptions): Crashplug {
  return new Crashplug(options);
}
