export { riscvModule } from './riscv-module.js';
export { EM_RISCV, RISCV64_HOST, RISCV64_NOTE_SIZE, Riscv64Port } from './riscv-port.js';
export {
  RISCV_KERNEL_LINK_ADDR,
  RISCV_PAGE_OFFSET_SV39,
  RISCV_PAGE_OFFSET_SV48,
  RISCV_PAGE_OFFSET_SV57,
  RISCV_PMD_SIZE,
  riscvKernelMap,
  riscvPhysRamBase,
  riscvVa,
  riscvVaOffset,
} from './riscv-address.js';
export { RISCV_EXTRA_SLOTS, riscvCrashMemory } from './riscv-crash-memory.js';
export { riscvElfcorehdrSegment } from './riscv-sizing.js';
export { RISCV_STABLE_6_12_LOW_FIX, type RiscvProfile, riscvProfile } from './riscv-profile.js';
