// The riscv64 plug-in as a ContainerModule: one unconstrained binding of the port.

import { ContainerModule } from 'inversify';
import { type ArchPort, TOKENS } from '../core/port/index.js';
import { Riscv64Port } from './riscv-port.js';

export const riscvModule = new ContainerModule(({ bind }) => {
  bind<ArchPort>(TOKENS.ArchPort).to(Riscv64Port);
});
