// The arm64 plug-in as ContainerModules: one unconstrained binding of the port. Load one of them:
// mainline arm64, or arm64 with the proposed crash hot-plug series as the default.

import { ContainerModule } from 'inversify';
import { type ArchPort, TOKENS } from '../core/port/index.js';
import { Arm64CrashHotplugPort, Arm64Port } from './arm64-port.js';

export const arm64Module = new ContainerModule(({ bind }) => {
  bind<ArchPort>(TOKENS.ArchPort).to(Arm64Port);
});

export const arm64CrashHotplugModule = new ContainerModule(({ bind }) => {
  bind<ArchPort>(TOKENS.ArchPort).to(Arm64CrashHotplugPort);
});
