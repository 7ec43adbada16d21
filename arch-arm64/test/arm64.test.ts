// The arm64 port against the facts: W15 byte for byte, the rules of §5 (memblock ranges with room
// for two splits, crashkernel then crashkernel-low, no low-1 MiB hole, the kernel-image PT_LOAD,
// the linear-map __va, a 64 KiB-aligned top-down segment), and hot-plug: none in mainline, the
// proposed series' behaviour when asked for.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ARM64_CRASH_HOTPLUG_SERIES,
  ARM64_ELFCOREHDR_ALIGN,
  ARM64_KIMAGE_VADDR_48,
  ARM64_NOTE_SIZE,
  ARM64_PAGE_OFFSET_48,
  arm64CrashHotplugModule,
  arm64Module,
  arm64PageOffset,
  Arm64Port,
} from '../index.js';
import { x86Module } from '../../arch-x86/index.js';
import { CrashplugError } from '../../core/base/index.js';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { decodeElfCoreHeader, PT_LOAD, PT_NOTE } from '../../core/elf/index.js';
import { hotplugSupportAtLoad, KEXEC_CRASH_HOTPLUG_SUPPORT, KEXEC_FILE_ON_CRASH, KEXEC_ON_CRASH, KEXEC_UPDATE_ELFCOREHDR } from '../../core/kexec/index.js';
import { registryOf, resolvePlugin } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { arm64Plugin, arm64System, dtbSystem, W15 } from '../../test/fixtures/arm64/arm64-systems.js';
import { qemuDump } from '../../test/fixtures/fdt/fdt-tools.js';
import { EM_AARCH64 } from '../../arch-arm64/index.js';

const plugin = arm64Plugin();
const series = resolvePlugin(Object.assign(new Arm64Port(), { options: ARM64_CRASH_HOTPLUG_SERIES }));

function header(system: SystemDescription) {
  const built = buildSystemElfcorehdr(system, plugin);
  return { built, decoded: decodeElfCoreHeader(built.bytes) };
}

function thrown(f: () => unknown): CrashplugError {
  try {
    f();
  } catch (err) {
    if (CrashplugError.is(err)) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('arm64 port', () => {
  describe('W15: VA_BITS 48, PHYS_OFFSET 0x40000000, two memblock regions, crashk_res [0x60000000–0x6fffffff]', () => {
    const system = arm64System();
    const { built, decoded } = header(system);
    const loads = decoded.phdrs.filter((p) => p.type === PT_LOAD);

    it('keeps the two regions as given and cuts the crash kernel out of the first', () => {
      expect(built.crashMemory.mem.ranges).toEqual([
        { start: 0x4000_0000n, end: 0x5fff_ffffn },
        { start: 0x7000_0000n, end: 0x7fff_ffffn },
        { start: 0x8000_0000n, end: 0xbfff_ffffn },
      ]);
    });

    it('maps them at (p − PHYS_OFFSET) | PAGE_OFFSET', () => {
      expect(loads.slice(1).map((p) => p.vaddr)).toEqual([0xffff_0000_0000_0000n, 0xffff_0000_3000_0000n, 0xffff_0000_4000_0000n]);
      expect(loads.slice(1).map((p) => [p.offset, p.paddr, p.filesz, p.memsz, p.flags, p.align])).toEqual([
        [0x4000_0000n, 0x4000_0000n, 0x2000_0000n, 0x2000_0000n, 7, 0n],
        [0x7000_0000n, 0x7000_0000n, 0x1000_0000n, 0x1000_0000n, 7, 0n],
        [0x8000_0000n, 0x8000_0000n, 0x4000_0000n, 0x4000_0000n, 7, 0n],
      ]);
    });

    it('has the kernel-image PT_LOAD first: vaddr _text, paddr _text − kimage_voffset', () => {
      expect(loads[0]).toMatchObject({
        vaddr: ARM64_KIMAGE_VADDR_48,
        paddr: W15.kernelImage.textPhys,
        offset: W15.kernelImage.textPhys,
        filesz: W15.kernelImage.size,
        flags: 7,
      });
    });

    it('has e_phnum = ncpus + 1 + 1 + 3, EM_AARCH64 and 424-byte CPU notes', () => {
      expect(decoded.header.phnum).toBe(4 + 1 + 1 + 3);
      expect(decoded.header.machine).toBe(EM_AARCH64);
      const notes = decoded.phdrs.filter((p) => p.type === PT_NOTE);
      expect(notes.slice(0, 4).every((n) => n.filesz === ARM64_NOTE_SIZE)).toBe(true);
      expect(notes[4]).toMatchObject({ paddr: 0x4900_0000n, filesz: 0x1024n });
      expect(built.bytes.length).toBe(4096);
    });

    it('reads the same from the QEMU dump of that machine (virt-w15: two 1 GiB NUMA nodes)', () => {
      const fromDtb = dtbSystem(qemuDump('virt-w15.dtb.gz'), 'virt-w15', {
        crashkernel: W15.crashkernel,
        crashkernelLow: undefined,
        kernelImage: W15.kernelImage,
      });
      expect(fromDtb.memory.systemRam).toEqual(W15.ram);
      expect(fromDtb.cpus.possible).toHaveLength(4);
      const a = buildSystemElfcorehdr(fromDtb, plugin);
      const b = buildSystemElfcorehdr({ ...fromDtb, memory: system.memory, crashNotes: system.crashNotes, vmcoreinfo: system.vmcoreinfo }, plugin);
      expect(a.crashMemory.mem).toEqual(b.crashMemory.mem);
      expect(decodeElfCoreHeader(a.bytes).phdrs.filter((p) => p.type === PT_LOAD)).toEqual(loads);
    });
  });

  describe('crash memory (facts §5.1)', () => {
    it('sizes the array for the regions plus 2', () => {
      expect(plugin.crashMemory(arm64System()).mem.maxNrRanges).toBe(2 + 2);
    });

    it('cuts crashkernel, then crashkernelLow; both may split a region', () => {
      const system = arm64System({
        ram: [{ name: 'System RAM', start: 0x4000_0000n, end: 0x1_3fff_ffffn }],
        crashkernel: { start: 0x1_0000_0000n, end: 0x1_0fff_ffffn },
        crashkernelLow: { start: 0x5000_0000n, end: 0x53ff_ffffn },
      });
      const m = plugin.crashMemory(system);
      expect(m.excluded.map((e) => e.name)).toEqual(['crashkernel', 'crashkernelLow']);
      expect(m.mem).toEqual({
        maxNrRanges: 3,
        ranges: [
          { start: 0x4000_0000n, end: 0x4fff_ffffn },
          { start: 0x5400_0000n, end: 0xffff_ffffn },
          { start: 0x1_1000_0000n, end: 0x1_3fff_ffffn },
        ],
      });
    });

    it('skips a crashkernelLow whose end is 0, as the kernel tests crashk_low_res.end', () => {
      const m = plugin.crashMemory(arm64System({ crashkernelLow: { start: 0n, end: 0n } }));
      expect(m.excluded.map((e) => e.name)).toEqual(['crashkernel']);
    });

    it('has no low-1 MiB exclusion: RAM from address 0 keeps its first megabyte', () => {
      const system = arm64System({
        ram: [{ name: 'System RAM', start: 0n, end: 0x3fff_ffffn }],
        physOffset: 0n,
        crashkernel: { start: 0x2000_0000n, end: 0x2fff_ffffn },
      });
      expect(plugin.crashMemory(system).mem.ranges[0]).toEqual({ start: 0n, end: 0x1fff_ffffn });
    });
  });

  describe('addresses (facts §5.3)', () => {
    it('derives PAGE_OFFSET from VA_BITS', () => {
      expect([arm64PageOffset(39), arm64PageOffset(48), arm64PageOffset(52)]).toEqual([0xffff_ff80_0000_0000n, 0xffff_0000_0000_0000n, 0xfff0_0000_0000_0000n]);
      expect(plugin.defaults.pageOffset).toBe(ARM64_PAGE_OFFSET_48);
    });

    it('wraps below PHYS_OFFSET in 64-bit arithmetic, as C does', () => {
      const system = arm64System({ physOffset: 0x8000_0000n });
      expect(plugin.va(0x4000_0000n, system)).toBe(0xffff_ffff_c000_0000n);
      expect(plugin.va(0x8000_0000n, system)).toBe(ARM64_PAGE_OFFSET_48);
    });

    it('needs kernelImage, saying which symbols to give', () => {
      const err = thrown(() => buildSystemElfcorehdr(arm64System({ kernelImage: undefined }), plugin));
      expect(err.code).toBe('E_BAD_SYSTEM');
      expect(err.message).toMatch(/kernelImage is required on arm64.*kimage_voffset/);
    });
  });

  describe('the elfcorehdr segment (facts §5.2)', () => {
    it('mainline: exactly the header, 64 KiB aligned, top down, no recorded index', () => {
      const { built } = header(arm64System());
      expect(plugin.elfcorehdrSegment(arm64System(), built.layout)).toEqual({
        memsz: 4096,
        elfHeadersSize: 4096,
        align: ARM64_ELFCOREHDR_ALIGN,
        topDown: true,
        presetIndex: false,
      });
    });

    it('with the series: room for 2 + possible CPUs + CRASH_MAX_MEMORY_RANGES program headers', () => {
      const system = arm64System();
      const layout = buildSystemElfcorehdr(system, series).layout;
      expect(series.elfcorehdrSegment(system, layout)).toMatchObject({ memsz: 64 + (2 + 4 + 8192) * 56, align: 0x1_0000, topDown: true });
      const noMemHp = arm64System({ config: { memoryHotplug: false } });
      expect(series.elfcorehdrSegment(noMemHp, layout).memsz).toBe(64 + (2 + 4 + 3) * 56);
    });

    it("with the series: falls back to the plain header past PN_XNUM, with the kernel's warning", () => {
      const system = arm64System({ config: { crashMaxMemoryRanges: 65535 } });
      const layout = buildSystemElfcorehdr(system, series).layout;
      expect(series.elfcorehdrSegment(system, layout)).toMatchObject({ memsz: layout.size, warning: 'number of Phdrs 65541 exceeds max' });
    });
  });

  describe('crash hot-plug', () => {
    it('mainline: not supported, whatever the load (the engine falls back to the udev reload)', () => {
      const system = arm64System();
      for (const [fileMode, flags] of [
        [true, KEXEC_FILE_ON_CRASH],
        [false, KEXEC_ON_CRASH | KEXEC_CRASH_HOTPLUG_SUPPORT],
        [false, KEXEC_ON_CRASH | KEXEC_UPDATE_ELFCOREHDR],
      ] as const) {
        expect(hotplugSupportAtLoad(system, plugin, fileMode, flags)).toBe(false);
      }
      expect(plugin.sysfsElfcorehdrSize(system)).toBe(0);
    });

    it("with the series: kexec_file images, and kexec_load with 0x8 but not x86's 0x4", () => {
      const system = arm64System();
      expect(hotplugSupportAtLoad(system, series, true, KEXEC_FILE_ON_CRASH)).toBe(true);
      expect(hotplugSupportAtLoad(system, series, false, KEXEC_ON_CRASH | KEXEC_CRASH_HOTPLUG_SUPPORT)).toBe(true);
      expect(hotplugSupportAtLoad(system, series, false, KEXEC_ON_CRASH | KEXEC_UPDATE_ELFCOREHDR)).toBe(false);
      expect(series.sysfsElfcorehdrSize(system)).toBe(64 + (2 + 4 + 8192) * 56);
    });

    it('with the series: nothing on kernels before 6.10 or without CONFIG_CRASH_HOTPLUG', () => {
      for (const system of [arm64System({ kernel: '6.6' }), arm64System({ config: { crashHotplug: false } })]) {
        expect(hotplugSupportAtLoad(system, series, true, KEXEC_FILE_ON_CRASH)).toBe(false);
        expect(series.sysfsElfcorehdrSize(system)).toBe(0);
      }
    });

    it('the system description\'s "arm64" object overrides the port\'s default either way', () => {
      const on = arm64System({ arm64: { crashHotplug: true } });
      const off = arm64System({ arm64: { crashHotplug: false } });
      expect(hotplugSupportAtLoad(on, plugin, true, KEXEC_FILE_ON_CRASH)).toBe(true);
      expect(hotplugSupportAtLoad(off, series, true, KEXEC_FILE_ON_CRASH)).toBe(false);
    });

    it('refuses a malformed "arm64" object, naming the field', () => {
      // The section is parsed once, when the description is loaded, with core's reader.
      expect(thrown(() => arm64System({ arm64: { crashHotplug: 'yes' } })).message).toMatch(/\$\.arm64\.crashHotplug: expected true or false/);
      expect(thrown(() => arm64System({ arm64: { hotplug: true } })).message).toMatch(
        /\$\.arm64\.hotplug: unknown key "hotplug"; the known keys are "crashHotplug"/,
      );
    });
  });

  describe('as a plug-in', () => {
    it('loads next to x86_64 and is chosen by arch', () => {
      const registry = registryOf([x86Module, arm64Module]);
      expect(registry.ids()).toEqual(['arm64', 'x86_64']);
      expect(registry.get('arm64').machine).toBe(EM_AARCH64);
    });

    it('the series module binds the series port', () => {
      const p = registryOf([arm64CrashHotplugModule]).get('arm64');
      expect(hotplugSupportAtLoad(arm64System(), p, true, KEXEC_FILE_ON_CRASH)).toBe(true);
    });

    it('refuses both arm64 modules at once', () => {
      expect(thrown(() => registryOf([arm64Module, arm64CrashHotplugModule])).message).toMatch(/two ports claim the arch "arm64"/);
    });
  });
});

describe('arm64 headers read by readelf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crashplug-arm64-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists an AArch64 core file with the W15 program headers', () => {
    const file = join(dir, 'w15.elfcorehdr');
    writeFileSync(file, buildSystemElfcorehdr(arm64System(), plugin).bytes);
    const r = spawnSync('readelf', ['-h', '-l', '-W', file], { encoding: 'utf8' });
    if (r.error) throw new Error(`readelf could not run (${r.error.message}); install binutils`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Type:\s+CORE/);
    expect(r.stdout).toMatch(/Machine:\s+AArch64/);
    const loads = r.stdout.split('\n').filter((l) => /^\s+LOAD/.test(l));
    expect(loads).toHaveLength(4);
    expect(loads[1]).toMatch(/^\s+LOAD\s+0x40000000 0xffff000000000000 0x0000000040000000 0x20000000 0x20000000 RWE 0$/);
  });
});
