// Real arm64 captures: Linux 6.12.117 (Debian's linux-source-6.12, built with CONFIG_KEXEC_FILE=y
// because Debian's arm64 kernels ship without it) in QEMU virt guests, -cpu max (LPA2: VA_BITS 52),
// 2 CPUs, 2 GiB, crashkernel=256M, KASLR on. `kexec -s -p` made the kernel build the elfcorehdr,
// which arm64 puts top-down, 64 KiB aligned, at the end of the crash region; it was cut out of guest
// memory with QEMU's pmemsave (see the fixture's README for every command). Two machines: one
// memory node, and two adjacent 1 GiB NUMA nodes (facts §13.3: two memblock regions, two PT_LOADs).
// crashplug's arm64 port must reproduce both from system.json byte for byte.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { arm64Module, arm64PageOffset } from '../index.js';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { decodeElfCoreHeader, PT_LOAD } from '../../core/elf/index.js';
import { fdtSystemRam } from '../../core/fdt/index.js';
import { crashSysfs, kexecLoad, KexecState } from '../../core/kexec/index.js';
import { registryOf } from '../../core/port/index.js';
import { iomemSystemRam, parseIomem, type SystemDescription } from '../../core/system/index.js';
import { arm64Plugin } from '../../test/fixtures/arm64/arm64-systems.js';
import { loadSystemFile } from '../../api/system-file.js';
import { EM_AARCH64 } from '../../arch-arm64/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'real-arm64-6.12');

interface Capture {
  readonly dir: string;
  /** Where the kernel put the header: the last 64 KiB of the crash region. */
  readonly at: bigint;
  readonly crash: { start: bigint; end: bigint };
  readonly phnum: number;
  /** The memory PT_LOADs, [paddr, size], as readelf shows them in the README. */
  readonly ram: Array<[bigint, bigint]>;
}

const captures: Capture[] = [
  {
    dir: 'one-node',
    at: 0xbddf0000n,
    crash: { start: 0xade00000n, end: 0xbddfffffn },
    phnum: 6,
    ram: [
      [0x40000000n, 0x6de00000n],
      [0xbde00000n, 0x2200000n],
    ],
  },
  {
    dir: 'numa2',
    at: 0xbedf0000n,
    crash: { start: 0xaee00000n, end: 0xbedfffffn },
    phnum: 7,
    ram: [
      [0x40000000n, 0x40000000n],
      [0x80000000n, 0x2ee00000n],
      [0xbee00000n, 0x1200000n],
    ],
  },
];

const PAGE_OFFSET_52 = 0xfff0000000000000n;
const plugin = arm64Plugin();

function files(c: Capture) {
  const dir = join(root, c.dir);
  const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
  const text = (name: string): string => readFileSync(join(dir, name), 'utf8');
  const log = text('serial-console.log');
  return {
    dir,
    read,
    text,
    header: read('elfcorehdr-kernel-kexec_file.bin'),
    /** Guest memory from the header to the end of the crash region (64 KiB). */
    tail: new Uint8Array(gunzipSync(read('crash-region-tail.bin.gz'))),
    vmcoreinfo: Buffer.from(read('vmcoreinfo-note.bin')).toString('latin1'),
    log,
    system: (name = 'system.json'): SystemDescription => loadSystemFile(join(dir, name), registryOf([arm64Module])),
    /** The value the guest script printed after `=== name ===` (first line, or all lines to the next section). */
    printed(name: string, all = false): string {
      const m = log.match(new RegExp(`^=== ${name} ===\\n([\\s\\S]*?)^=== `, 'm'));
      if (m === null) throw new Error(`${c.dir}/serial-console.log has no "=== ${name} ===" section`);
      return all ? m[1]! : m[1]!.split('\n')[0]!.trim();
    },
  };
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte ${i}: real ${a[i]}, crashplug ${b[i]}`;
  return 'identical';
}

/** The vmcoreinfo note's `NUMBER(name)=value`. */
function vmcoreNumber(note: string, name: string): bigint {
  const m = note.match(new RegExp(`NUMBER\\(${name}\\)=(0x[0-9a-f]+|\\d+)`));
  if (m === null) throw new Error(`vmcoreinfo has no NUMBER(${name})`);
  return BigInt(m[1]!);
}

/** The PT_LOADs of /proc/kcore's first page, which the guest printed with `od -A x -t x8`. */
function kcoreLoads(dump: string): Array<{ vaddr: bigint; paddr: bigint; size: bigint }> {
  const words = dump
    .trim()
    .split('\n')
    .flatMap((line) => line.trim().split(/\s+/).slice(1))
    .map((w) => BigInt(`0x${w}`));
  const bytes = new Uint8Array(words.length * 8);
  const v = new DataView(bytes.buffer);
  words.forEach((w, i) => v.setBigUint64(i * 8, w, true));
  const phoff = Number(v.getBigUint64(32, true));
  const phnum = v.getUint16(56, true);
  const out = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * 56;
    if (v.getUint32(p, true) !== PT_LOAD) continue;
    out.push({ vaddr: v.getBigUint64(p + 16, true), paddr: v.getBigUint64(p + 24, true), size: v.getBigUint64(p + 40, true) });
  }
  return out;
}

describe.each(captures)('real arm64 6.12 guest: $dir', (c) => {
  const f = files(c);

  describe('the capture itself', () => {
    it(`is cut at e_phoff + e_phnum × 56 = 64 + ${c.phnum} × 56, an AArch64 core header`, () => {
      const d = decodeElfCoreHeader(f.header);
      expect(d.header.phnum).toBe(c.phnum);
      expect(d.header.machine).toBe(EM_AARCH64);
      expect(f.header.length).toBe(64 + c.phnum * 56);
    });

    it('sat at the last 64 KiB of the crash region, zero after it to the region’s end', () => {
      expect(c.at % 0x10000n).toBe(0n);
      expect(c.at + 0x10000n - 1n).toBe(c.crash.end);
      expect(f.tail.length).toBe(0x10000);
      expect(f.tail.subarray(0, f.header.length)).toEqual(f.header);
      expect(f.tail.subarray(f.header.length).every((b) => b === 0)).toBe(true);
      expect(f.log).toMatch(new RegExp(`crashkernel reserved: 0x0*${c.crash.start.toString(16)} - 0x0*${(c.crash.end + 1n).toString(16)} \\(256 MB\\)`));
    });

    it('the kernel loaded it with kexec_file_load and has no crash hot-plug files (no ARCH_SUPPORTS_CRASH_HOTPLUG)', () => {
      expect(f.printed('kexec-load')).toBe('kexec rc=0');
      expect(f.printed('kexec-loaded')).toBe('1');
      expect(f.printed('crash_elfcorehdr_size')).toMatch(/No such file or directory/);
      expect(f.printed('memory-crash_hotplug')).toMatch(/No such file or directory/);
    });
  });

  describe('system.json describes what the guest printed', () => {
    const s = f.system();

    it('CPUs, crash_notes (424 bytes each), vmcoreinfo', () => {
      expect(f.printed('cpu-possible')).toBe('0-1');
      expect(s.cpus.possible).toEqual([0, 1]);
      const notes = [0, 1].map((n) => BigInt(`0x${f.printed(`cpu${n}-crash_notes`)}`));
      expect(f.printed('cpu0-crash_notes', true).split('\n')[1]).toBe('424');
      const d = decodeElfCoreHeader(f.header);
      expect(d.phdrs.slice(0, 2).map((p) => p.paddr)).toEqual(notes);
      const [address, size] = f.printed('vmcoreinfo').split(' ');
      expect(s.vmcoreinfo).toEqual({ address: BigInt(address!), size: BigInt(`0x${size}`) });
    });

    it('memory: the System RAM lines of /proc/iomem are the memblock regions (debugfs) and the device tree’s', () => {
      const ram = iomemSystemRam(parseIomem(f.text('proc-iomem.txt'), c.dir)).map(({ start, end }) => [start, end]);
      const memblock = [...f.printed('memblock-memory', true).matchAll(/0x([0-9a-f]+)\.\.0x([0-9a-f]+)/g)].map((m) => [
        BigInt(`0x${m[1]}`),
        BigInt(`0x${m[2]}`),
      ]);
      expect(ram).toEqual(memblock);
      expect(fdtSystemRam(f.read('virt.dtb'), c.dir).map(({ start, end }) => [start, end])).toEqual(ram);
      expect(s.crashkernel).toEqual(c.crash);
    });

    it('addresses: VA_BITS 52 (LPA2), PHYS_OFFSET and kimage_voffset from vmcoreinfo, _text/_end from kallsyms', () => {
      expect(vmcoreNumber(f.vmcoreinfo, 'VA_BITS')).toBe(52n);
      expect(s.pageOffset).toBe(arm64PageOffset(52));
      expect(s.pageOffset).toBe(PAGE_OFFSET_52);
      expect(s.physOffset).toBe(vmcoreNumber(f.vmcoreinfo, 'PHYS_OFFSET'));
      const sym = (name: string): bigint => BigInt(`0x${f.log.match(new RegExp(`^([0-9a-f]{16}) \\w ${name}$`, 'm'))![1]}`);
      expect(s.kernelImage).toEqual({
        text: sym('_text'),
        textPhys: sym('_text') - vmcoreNumber(f.vmcoreinfo, 'kimage_voffset'),
        size: sym('_end') - sym('_text'),
      });
      // /proc/kcore agrees: its text PT_LOAD is (_text, __pa_symbol(_text)), and every RAM PT_LOAD has
      // vaddr − paddr = PAGE_OFFSET − PHYS_OFFSET.
      const kcore = kcoreLoads(f.printed('kcore-head', true));
      expect(kcore[0]).toMatchObject({ vaddr: s.kernelImage!.text, paddr: s.kernelImage!.textPhys });
      const ramLoads = kcore.filter((l) => l.paddr !== 0xffffffffffffffffn && l.vaddr >= PAGE_OFFSET_52 && l.vaddr < 0xfff8000000000000n);
      expect(ramLoads.length).toBeGreaterThan(0);
      for (const l of ramLoads) expect(l.vaddr - l.paddr).toBe(s.pageOffset - s.physOffset);
    });
  });

  describe('crashplug’s arm64 port (kernel builder, 6.12 profile) on system.json', () => {
    const built = buildSystemElfcorehdr(f.system(), plugin);

    it(`reproduces the ${64 + c.phnum * 56} captured bytes byte for byte`, () => {
      expect(firstDifference(f.header, built.bytes.subarray(0, f.header.length))).toBe('identical');
    });

    it('in one 4096-byte buffer, zero after the program headers', () => {
      expect(built.bytes.length).toBe(4096);
      expect(built.bytes.subarray(f.header.length).every((b) => b === 0)).toBe(true);
    });

    it('with the memory PT_LOADs the capture has (one per memblock region, the crash region cut out)', () => {
      const loads = decodeElfCoreHeader(built.bytes)
        .phdrs.filter((p) => p.type === PT_LOAD)
        .slice(1);
      expect(loads.map((p) => [p.paddr, p.filesz])).toEqual(c.ram);
    });

    it('kexec_file_load places the segment where the kernel did: top-down, 64 KiB aligned, memsz 4096', () => {
      const s = f.system();
      const kexec = new KexecState(s.crashkernel!);
      const image = kexecLoad(kexec, s, plugin, { mode: 'file' });
      // Without crash hot-plug the kernel records no elfcorehdr_index (crashplug keeps it -1).
      expect(image.elfcorehdrIndex).toBe(-1);
      const seg = image.segments.find((x) => x.kind === 'elfcorehdr')!;
      expect(seg.mem).toBe(c.at);
      expect(seg.memsz).toBe(0x1000);
      expect(kexec.memory.view(seg.mem, seg.memsz)).toEqual(f.tail.subarray(0, 0x1000));
      // The guest had no crash_elfcorehdr_size and no crash_hotplug files: crashplug shows none either.
      expect(crashSysfs(kexec, s, plugin)).toEqual({});
    });
  });
});

describe('real arm64 6.12 guest: numa2 from its device tree', () => {
  it('system-dtb.json (memory from QEMU’s dumpdtb) builds the same bytes: adjacent nodes stay apart', () => {
    const f = files(captures[1]!);
    const s = f.system('system-dtb.json');
    expect(s.memory.systemRam.map(({ start, end }) => [start, end])).toEqual([
      [0x40000000n, 0x7fffffffn],
      [0x80000000n, 0xbfffffffn],
    ]);
    const built = buildSystemElfcorehdr(s, plugin);
    expect(firstDifference(f.header, built.bytes.subarray(0, f.header.length))).toBe('identical');
  });
});
