// Every architecture port the crashplug command loads. A new port is one import and one entry
// here; nothing else in the CLI names an architecture.

import type { ContainerModule } from 'inversify';
import { arm64Module } from '../arch-arm64/index.js';
import { powerpcModule } from '../arch-powerpc/index.js';
import { riscvModule } from '../arch-riscv/index.js';
import { x86Module } from '../arch-x86/index.js';

export const ARCH_MODULES: readonly ContainerModule[] = [x86Module, arm64Module, powerpcModule, riscvModule];
