// The powerpc plug-in as one ContainerModule: both byte orders, each an unconstrained binding.

import { ContainerModule } from 'inversify';
import { type ArchPort, TOKENS } from '../core/port/index.js';
import { Ppc64lePort, Ppc64Port } from './ppc-port.js';

export const powerpcModule = new ContainerModule(({ bind }) => {
  bind<ArchPort>(TOKENS.ArchPort).to(Ppc64Port);
  bind<ArchPort>(TOKENS.ArchPort).to(Ppc64lePort);
});
