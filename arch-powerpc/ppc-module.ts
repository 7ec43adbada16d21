// The powerpc plug-in as one ContainerModule: both byte orders, each an unconstrained binding, the
// options they are made with, and the `fadump` command it adds to the CLI. `powerpcModuleWith` makes the same module with other options
// (a device tree held as a model, a remove_mem_range variant) for a program that drives crashplug.

import { ContainerModule } from 'inversify';
import { type ArchPort, type PortCommand, TOKENS } from '../core/port/index.js';
import { FADUMP_COMMAND } from './fadump-command.js';
import type { PowerpcOptions } from './ppc-options.js';
import { POWERPC_OPTIONS, Ppc64lePort, Ppc64Port } from './ppc-port.js';

export function powerpcModuleWith(options: PowerpcOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<PowerpcOptions>(POWERPC_OPTIONS).toConstantValue(Object.freeze({ ...options }));
    bind<ArchPort>(TOKENS.ArchPort).to(Ppc64Port);
    bind<ArchPort>(TOKENS.ArchPort).to(Ppc64lePort);
    bind<PortCommand>(TOKENS.PortCommand).toConstantValue(FADUMP_COMMAND);
  });
}

export const powerpcModule = powerpcModuleWith({});
