// The loongarch64 plug-in as a ContainerModule: one unconstrained binding of the port.

import { ContainerModule } from 'inversify';
import { type ArchPort, TOKENS } from './crashplug.js';
import { Loongarch64Port } from './loongarch-port.js';

export const loongarchModule = new ContainerModule(({ bind }) => {
  bind<ArchPort>(TOKENS.ArchPort).to(Loongarch64Port);
});
