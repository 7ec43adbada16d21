// x86_64 facts that changed between kernel releases, kept in one table (facts §4.1, §10).

import type { KernelProfile } from '../core/port/index.js';

export interface X86Profile {
  /** Extra crash_mem slots beyond the System RAM count: +2 until the array-overflow fix, +3 after. */
  readonly extraSlots: number;
}

export function x86Profile(kernel: KernelProfile): X86Profile {
  // "x86/crash: fix potential cmem->ranges array overflow" came with the exclude rewrite.
  return { extraSlots: kernel.excludeAlgorithm === 'current' ? 3 : 2 };
}
