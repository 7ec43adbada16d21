// How riscv64 sizes and places the elfcorehdr segment (load_extra_segments): exactly the header —
// riscv has no crash hot-plug, so no room is reserved for growth — page aligned, top down, above
// the kernel. No index is recorded: nothing ever looks for the header again.

import { ELF_CORE_HEADER_ALIGN, type ElfcorehdrLayout, type ElfcorehdrSegmentSpec, type SystemDescription } from '../core/port/index.js';

export function riscvElfcorehdrSegment(_system: SystemDescription, layout: ElfcorehdrLayout): ElfcorehdrSegmentSpec {
  return {
    memsz: layout.size,
    elfHeadersSize: layout.size,
    align: ELF_CORE_HEADER_ALIGN,
    topDown: true,
    presetIndex: false,
  };
}
