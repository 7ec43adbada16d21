// The x86_64 plug-in as a ContainerModule: one unconstrained binding of the port.

import { ContainerModule } from 'inversify';
import { type ArchPort, TOKENS } from '../core/port/index.js';
import { X86Port } from './x86-port.js';

export const x86Module = new ContainerModule(({ bind }) => {
  bind<ArchPort>(TOKENS.ArchPort).to(X86Port);
});
