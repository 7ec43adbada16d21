// The riscv64 port against the facts in arch-riscv/README.md: the worked example (the QEMU virt
// fixture, program header by program header), the note size, what is and is not excluded, __va
// across the phys_ram_base changes, the segment, and what riscv does not have (crash hot-plug,
// kexec_file crash before 5.19, a kexec-tools model).

import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { RISCV64_NOTE_SIZE, riscvModule } from '../index.js';
import { CrashplugError } from '../../core/base/index.js';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { decodeElfCoreHeader, PT_LOAD } from '../../core/elf/index.js';
import { buildKexecToolsElfcorehdr, KEXEC_FILE_ON_CRASH, kexecLoad, KexecState, SMALL_PAYLOAD } from '../../core/kexec/index.js';
import { registryOf } from '../../core/port/index.js';

import { ARCH_MODULES } from '../../api/builtin-ports.js';
import { RV, riscvPlugin, riscvSystem } from '../../test/fixtures/riscv64/riscv-systems.js';
import { loadSystemFile } from '../../api/system-file.js';
import { EM_RISCV } from '../../arch-riscv/index.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/riscv64/system.json', import.meta.url));
const plugin = riscvPlugin();

function loads(bytes: Uint8Array): [bigint, bigint, bigint, bigint][] {
  return decodeElfCoreHeader(bytes)
    .phdrs.filter((p) => p.type === PT_LOAD)
    .map((p) => [p.paddr, p.vaddr, p.offset, p.filesz]);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return CrashplugError.is(err) ? err.code : 'not a CrashplugError';
  }
  return undefined;
}

describe('riscv64 port', () => {
  describe('the worked example: QEMU virt, 4 GiB, 4 CPUs, kernel 6.12 (system.json)', () => {
    const system = loadSystemFile(FIXTURE, registryOf(ARCH_MODULES));
    const built = buildSystemElfcorehdr(system, plugin);
    const h = decodeElfCoreHeader(built.bytes);

    it('reads crashkernel and crashkernel-low from the two Crash kernel lines of /proc/iomem', () => {
      expect(system.crashkernel).toEqual({ start: 0x1_5fe0_0000n, end: 0x1_7fdf_ffffn });
      expect(system.crashkernelLow).toEqual({ start: 0xf800_0000n, end: 0xffff_ffffn });
    });

    it('is an EM_RISCV core header of 8 program headers in one page', () => {
      expect(h.header.machine).toBe(EM_RISCV);
      expect(h.header.machine).toBe(243);
      expect(h.header.phnum).toBe(8);
      expect(built.bytes.length).toBe(4096);
    });

    it('lists the 4 CPU notes (408 bytes each) and vmcoreinfo', () => {
      const notes = h.phdrs.slice(0, 5).map((p) => [p.paddr, p.filesz]);
      expect(notes).toEqual([
        [0x1_7fe1_a200n, 408n],
        [0x1_7fe2_a200n, 408n],
        [0x1_7fe3_a200n, 408n],
        [0x1_7fe4_a200n, 408n],
        [0x8153_c000n, 0x1024n],
      ]);
    });

    it('maps the kernel image, then RAM minus crashkernel only — crashkernel-low stays in the dump', () => {
      expect(loads(built.bytes)).toEqual([
        [0x8020_2000n, 0xffff_ffff_8000_2000n, 0x8020_2000n, 0x160_9c00n],
        // phys_ram_base = 0x80040000 rounded down to PMD_SIZE = 0x80000000.
        [0x8004_0000n, 0xff60_0000_0004_0000n, 0x8004_0000n, 0xdfdc_0000n],
        [0x1_7fe0_0000n, 0xff60_0000_ffe0_0000n, 0x1_7fe0_0000n, 0x20_0000n],
      ]);
    });
  });

  it('has sizeof(note_buf_t) 408: 24 + 8 + (112 + 32 × 8 + 4, padded to 8)', () => {
    const prstatus = Math.ceil((112 + 32 * 8 + 4) / 8) * 8;
    expect(prstatus).toBe(376);
    expect(RISCV64_NOTE_SIZE).toBe(BigInt(24 + 8 + prstatus));
    expect(plugin.noteSize).toBe(408n);
  });

  it('keeps room for exactly one split (nr_ranges = System RAM count + 1)', () => {
    const m = plugin.crashMemory(riscvSystem());
    expect(m.mem.maxNrRanges).toBe(2);
    expect(m.excluded.map((r) => r.name)).toEqual(['crashkernel']);
    expect(m.added).toEqual([]);
  });

  it('never merges adjacent System RAM resources (walk_system_ram_res)', () => {
    const ram = [
      { name: 'System RAM', start: 0x8000_0000n, end: 0xbfff_ffffn },
      { name: 'System RAM', start: 0xc000_0000n, end: 0xffff_ffffn },
    ];
    const m = plugin.crashMemory(riscvSystem({ ram, crashkernel: { start: 0xf000_0000n, end: 0xffff_ffffn } }));
    expect(m.mem.ranges).toEqual([
      { start: 0x8000_0000n, end: 0xbfff_ffffn },
      { start: 0xc000_0000n, end: 0xefff_ffffn },
    ]);
  });

  describe('__va', () => {
    // RAM starts 256 KiB above 2 GiB, behind OpenSBI's no-map region.
    const at = (kernel: string) => plugin.va(0x8004_0000n, riscvSystem({ kernel }));
    it('rounds phys_ram_base down to PMD_SIZE from 6.5 on', () => {
      expect(at('6.5')).toBe(RV.pageOffset + 0x4_0000n);
      expect(at('6.18')).toBe(RV.pageOffset + 0x4_0000n);
    });
    it('takes physOffset as it is before (6.4; the kernel load address before 6.4)', () => {
      expect(at('6.4')).toBe(RV.pageOffset);
      expect(plugin.va(0x8040_0000n, riscvSystem({ kernel: '6.1', physOffset: 0x8020_0000n }))).toBe(RV.pageOffset + 0x20_0000n);
    });
    it('defaults to the Sv39 PAGE_OFFSET', () => {
      expect(plugin.defaults.pageOffset).toBe(0xffff_ffd8_0000_0000n);
    });
  });

  it('asks for the header alone, page aligned, top down, with no index recorded', () => {
    const built = buildSystemElfcorehdr(riscvSystem(), plugin);
    expect(plugin.elfcorehdrSegment(riscvSystem(), built.layout)).toEqual({
      memsz: 4096,
      elfHeadersSize: 4096,
      align: 4096,
      topDown: true,
      presetIndex: false,
    });
    expect(plugin.sysfsElfcorehdrSize(riscvSystem())).toBe(0);
  });

  it('has no crash hot-plug: a kexec_file crash image never gets hotplug_support', () => {
    for (const kernel of ['6.6', '6.10', '6.18']) {
      const system = riscvSystem({ kernel });
      expect(plugin.supportsHotplug({ fileMode: true, flags: KEXEC_FILE_ON_CRASH, system })).toBe(false);
      const image = kexecLoad(new KexecState(system.crashkernel!), system, plugin, { mode: 'file', payload: SMALL_PAYLOAD });
      expect(image.hotplugSupport).toBe(false);
    }
  });

  it('refuses what riscv does not have, with the code that says so', () => {
    expect(codeOf(() => buildSystemElfcorehdr(riscvSystem({ kernel: '5.18' }), plugin))).toBe('E_UNSUPPORTED');
    expect(codeOf(() => buildKexecToolsElfcorehdr(riscvSystem(), plugin))).toBe('E_UNSUPPORTED');
    expect(codeOf(() => buildSystemElfcorehdr(riscvSystem({ kernelImage: undefined }), plugin))).toBe('E_BAD_SYSTEM');
  });

  it('is found through the registry the CLI builds, by its arch id', () => {
    expect(registryOf(ARCH_MODULES).ids()).toContain('riscv64');
    expect(registryOf([riscvModule]).get('riscv64').machine).toBe(EM_RISCV);
  });
});
