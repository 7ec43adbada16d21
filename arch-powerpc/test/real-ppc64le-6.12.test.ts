// A real ppc64le capture with hot-plug and hot-unplug: Debian 12 backports' kernel 6.12.95
// (pseries, QEMU 7.2 TCG, POWER9, 2 CPUs, -m 2G,slots=4,maxmem=8G, crashkernel=512M). Debian's
// ppc64el kernels are built without CONFIG_KEXEC_FILE, so the image was loaded with kexec_load
// (kexec-tools 2.0.29 `-p --hotplug`, flags ON_CRASH | 0x8): the load-time header is kexec-tools'
// (crashplug's kexec-tools builder, arch-powerpc/ppc-kexec-tools.ts, reproduces it byte for byte),
// and every memory event after it made the *kernel* rewrite the header in place with its own
// builder (update_crash_elfcorehdr). Five rewrites were captured with QEMU's pmemsave (see the
// fixture's README): a 1 GiB DIMM added and removed, then two 256 MiB DIMMs added and the first
// removed — which splits a merged range and shows remove_mem_range's one-byte-long tail (§13.1).

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { KernelLog, simulateHotplug, type TimedEvent } from '../../core/hotplug/index.js';
import { buildKexecToolsElfcorehdr, KexecState, kexecLoad } from '../../core/kexec/index.js';
import { registryOf } from '../../core/port/index.js';
import { iomemSystemRam, parseIomem, type SystemDescription } from '../../core/system/index.js';
import { powerpcModule } from '../index.js';
import { ppcPlugin } from '../../test/fixtures/powerpc/systems.js';
import { loadSystemFile } from '../../api/system-file.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'real-ppc64le-6.12');
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(join(fixture, name)));
const text = (name: string): string => readFileSync(join(fixture, name), 'utf8');
const consoleLog = text('serial-console.log');

const system = (): SystemDescription => loadSystemFile(join(fixture, 'system.json'), registryOf([powerpcModule]));
const plugin = () => ppcPlugin('ppc64le');

/** /sys/devices/system/memory/block_size_bytes = ibm,lmb-size = 0x10000000 (256 MiB). */
const BLOCK = 0x1000_0000n;
const GiB = 0x4000_0000n;
const MiB256 = 0x1000_0000n;

/** The value the guest script printed after `=== name ===`. */
function printed(name: string): string {
  const m = consoleLog.match(new RegExp(`^=== ${name} ===\\n([^\\n]*)$`, 'm'));
  if (m === null) throw new Error(`serial-console.log has no "=== ${name} ===" section`);
  return m[1]!.trim();
}

interface Phdr {
  type: number;
  offset: bigint;
  paddr: bigint;
  filesz: bigint;
}
function phdrs(bytes: Uint8Array): Phdr[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const phoff = Number(v.getBigUint64(32, true));
  return Array.from({ length: v.getUint16(56, true) }, (_, i) => {
    const o = phoff + 56 * i;
    return { type: v.getUint32(o, true), offset: v.getBigUint64(o + 8, true), paddr: v.getBigUint64(o + 24, true), filesz: v.getBigUint64(o + 32, true) };
  });
}
const loads = (bytes: Uint8Array): [bigint, bigint][] =>
  phdrs(bytes)
    .filter((p) => p.type === 1)
    .map((p) => [p.paddr, p.filesz]);

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `first difference at byte ${i}: real ${a[i]}, crashplug ${b[i]}`;
  return 'identical';
}

let t = 0;
const at = (event: TimedEvent['event'], batch: number): TimedEvent => ({ event, atMs: t++, batch });
/**
 * pseries adds and removes a DIMM one LMB at a time (hotplug-memory.c): dlpar_add_lmb does
 * __add_memory for the LMB and onlines it; dlpar_remove_lmb offlines the LMB (the MEM_OFFLINE
 * notifier: the crash hp event), then __remove_memory and memblock_remove it, before the next LMB,
 * lowest index first ("hot-remove 4 LMB(s) at 80000008"). Each LMB is therefore its own memory
 * device for the kernel: at the offline event of the last LMB the others are already gone.
 */
function addDimm(start: bigint, size: bigint, batch: number): TimedEvent[] {
  const out: TimedEvent[] = [];
  for (let b = start; b < start + size; b += BLOCK) {
    out.push(at({ kind: 'dimm-add', start: b, size: BLOCK, nid: 0 }, batch), at({ kind: 'memory', action: 'online', start: b, size: BLOCK }, batch));
  }
  return out;
}
function removeDimm(start: bigint, size: bigint, batch: number): TimedEvent[] {
  const out: TimedEvent[] = [];
  for (let b = start; b < start + size; b += BLOCK) {
    out.push(at({ kind: 'memory', action: 'offline', start: b, size: BLOCK }, batch), at({ kind: 'dimm-remove', start: b, size: BLOCK }, batch));
  }
  return out;
}

/** The monitor steps, in order, with the header pmemsave read after each (elfcorehdr-N-after-….bin). */
const STEPS = [
  { file: 'elfcorehdr-1-after-add-1g.bin', events: () => addDimm(0x8000_0000n, GiB, 1), adds: 4, removes: 0 },
  { file: 'elfcorehdr-2-after-remove-1g.bin', events: () => removeDimm(0x8000_0000n, GiB, 2), adds: 0, removes: 4 },
  { file: 'elfcorehdr-3-after-add-d2-256m.bin', events: () => addDimm(0x8000_0000n, MiB256, 3), adds: 1, removes: 0 },
  { file: 'elfcorehdr-4-after-add-d3-256m.bin', events: () => addDimm(0x9000_0000n, MiB256, 4), adds: 1, removes: 0 },
  { file: 'elfcorehdr-5-after-remove-d2.bin', events: () => removeDimm(0x8000_0000n, MiB256, 5), adds: 0, removes: 1 },
] as const;

function eventsUpTo(step: number): TimedEvent[] {
  t = 0;
  return STEPS.slice(0, step + 1).flatMap((s) => s.events());
}

describe('the capture itself', () => {
  it('the guest ran 6.12.95 ppc64le without kexec_file_load, and loaded with kexec_load --hotplug', () => {
    expect(printed('uname')).toContain('6.12.95+deb12-powerpc64le');
    expect(consoleLog).toContain('syscall kexec_file_load not available.');
    expect(consoleLog).toContain('kexec_load: entry = 0x22921600 flags = 0x150009');
    expect(printed('memory-crash_hotplug')).toBe('1');
    expect(printed('block-size')).toBe('10000000');
  });

  it('kernel log: one hp_action per LMB (6 × ADD_MEMORY 3, 5 × REMOVE_MEMORY 4)', () => {
    const n = (a: number) => consoleLog.split('\n').filter((l) => new RegExp(`\\] crash hp: hp_action ${a}$`).test(l)).length;
    // The log holds the dmesg of every step; count the last dump only (it has them all).
    const last = consoleLog.slice(consoleLog.lastIndexOf('=== dmesg-5 ==='));
    const m = (a: number) => last.split('\n').filter((l) => l.endsWith(`] crash hp: hp_action ${a}`)).length;
    expect(n(3)).toBeGreaterThan(0);
    expect(m(3)).toBe(STEPS.reduce((s, x) => s + x.adds, 0));
    expect(m(4)).toBe(STEPS.reduce((s, x) => s + x.removes, 0));
  });

  it('kexec-tools’ load-time header rounds RTAS to a page and appends it last; the kernel’s sorts it, exact', () => {
    expect(loads(read('elfcorehdr-kexec-tools-load.bin'))).toEqual([
      [0x0n, 0x10000n],
      [0x10000n, 0x1fff0000n],
      [0x40000000n, 0x40000000n],
      [0x2ffff000n, 0x1000n],
    ]);
    expect(loads(read('elfcorehdr-2-after-remove-1g.bin'))).toEqual([
      [0x0n, 0x10000n],
      [0x10000n, 0x1fff0000n],
      [0x2ffff000n, 0x83cn],
      [0x40000000n, 0x40000000n],
    ]);
  });

  it('the last header has the one-byte-long tail of remove_mem_range (§13.1), and backup p_offset = backup_start (§13.2)', () => {
    const h = read('elfcorehdr-5-after-remove-d2.bin');
    expect(loads(h).at(-1)).toEqual([0x90000000n, 0x10000001n]);
    for (const f of STEPS.map((s) => s.file)) expect(phdrs(read(f)).find((p) => p.type === 1 && p.paddr === 0n)?.offset).toBe(0x228a0000n);
  });
});

describe('the kernel’s own header for the boot machine: crashplug’s kernel builder on system.json', () => {
  it('matches, byte for byte, what the kernel wrote once the 1 GiB DIMM was gone again', () => {
    const real = read('elfcorehdr-2-after-remove-1g.bin');
    const built = buildSystemElfcorehdr(system(), plugin()).bytes;
    expect(firstDifference(real, built.subarray(0, real.length))).toBe('identical');
    expect(built.subarray(real.length).every((b) => b === 0)).toBe(true);
  });

  it('describes the machine the guest printed', () => {
    const s = system();
    expect(s.cpus.possible).toEqual([0, 1]);
    expect(BigInt(`0x${printed('cpu0-crash_notes')}`)).toBe(0x7f74a000n);
    expect(BigInt(`0x${printed('cpu1-crash_notes')}`)).toBe(0x7f771000n);
    expect(printed('vmcoreinfo')).toBe('0x0000000004d02000 1024');
    expect(s.crashkernel).toEqual({ start: 0x20000000n, end: 0x3fffffffn });
    expect(iomemSystemRam(parseIomem(text('proc-iomem.txt'), 'iomem')).map((r) => [r.start, r.end])).toEqual([[0n, 0x7fffffffn]]);
    // kexec_load sizing: 64 + (possible 2 + 1 + CRASH_MAX_MEMORY_RANGES 8192) × 56.
    expect(Number(printed('crash_elfcorehdr_size'))).toBe(64 + (2 + 1 + 8192) * 56);
  });
});

// What the kernel writes at a memory event does not depend on how the image was loaded:
// update_crash_elfcorehdr rebuilds the whole header from memblock (get_crash_memory_ranges,
// remove_mem_range, crash_prepare_elf64_headers) and, on this kernel, sets the backup PT_LOAD's
// p_offset to backup_start in both modes. So the replay below loads in file mode, and the one after
// it loads as the guest did (kexec_load, kexec-tools' header) and checks the first rewrite. Each
// step's header has the same length as the load-time one or more, so every captured byte was
// written by the kernel.
describe('the hot-plug replayed through the engine (kernel strategy)', () => {
  STEPS.forEach((step, i) => {
    it(`step ${i + 1}: leaves installed ${step.file}, byte for byte`, () => {
      const real = read(step.file);
      const run = simulateHotplug(system(), plugin(), eventsUpTo(i), { strategy: 'kernel', mode: 'file', blockSize: BLOCK, log: new KernelLog(1000, true) });
      const installed = run.installedHeader!;
      expect(firstDifference(real, installed.subarray(0, real.length))).toBe('identical');
      expect(installed.subarray(real.length).every((b) => b === 0)).toBe(true);
      expect(run.summary.dropped).toBe(0);
    });
  });
});

describe('kexec-tools’ own header (kexec -p --hotplug, kexec_load) and the kernel’s first rewrite of it', () => {
  const CAPTURE = 'elfcorehdr-kexec-tools-load.bin';

  it('buildKexecToolsElfcorehdr on system.json is the captured header, byte for byte, zero up to its 1 KiB buffer', () => {
    const real = read(CAPTURE);
    const built = buildKexecToolsElfcorehdr(system(), plugin());
    expect(built.size).toBe(0x400); // segment[2].bufsz in the kexec -d output
    expect(firstDifference(real, built.bytes.subarray(0, real.length))).toBe('identical');
    expect(built.bytes.subarray(real.length).every((b) => b === 0)).toBe(true);
  });

  it('the engine’s load mode: flags 0x150009, the header in its segment at load, memsz from crash_elfcorehdr_size', () => {
    // Debian's kernel has 4 KiB pages (system.json leaves the port's 64 KiB default); add_buffer
    // rounds the --hotplug memsz round_up(458984, 1 KiB) = 0x70400 to a page: 0x71000, as printed.
    const s = { ...system(), pageSize: 4096 };
    const kexec = new KexecState(s.crashkernel!, {});
    const image = kexecLoad(kexec, s, plugin(), { mode: 'load' });
    expect(image.flags).toBe(0x150009);
    expect(image.hotplugSupport).toBe(true);
    const hdr = image.segments.find((x) => x.kind === 'elfcorehdr')!;
    expect([hdr.bufsz, hdr.memsz]).toEqual([0x400, 0x71000]);
    const backup = image.segments.find((x) => x.kind === 'backup')!;
    expect([backup.mem, backup.memsz]).toEqual([0x228a0000n, 0x10000]); // "backup_start is 228a0000"
    const real = read(CAPTURE);
    const inMemory = kexec.memory.view(hdr.mem, hdr.bufsz);
    expect(firstDifference(real, inMemory.subarray(0, real.length))).toBe('identical');
    expect(inMemory.subarray(real.length).every((b) => b === 0)).toBe(true);
  });

  it('replayed in load mode: the header at load is kexec-tools’, and the first memory event makes the kernel rewrite it (step 1)', () => {
    const atLoad = simulateHotplug(system(), plugin(), [], { strategy: 'kernel', mode: 'load', blockSize: BLOCK, log: new KernelLog(1000, true) });
    const real0 = read(CAPTURE);
    expect(firstDifference(real0, atLoad.installedHeader!.subarray(0, real0.length))).toBe('identical');

    const run = simulateHotplug(system(), plugin(), eventsUpTo(0), { strategy: 'kernel', mode: 'load', blockSize: BLOCK, log: new KernelLog(1000, true) });
    const real1 = read(STEPS[0].file);
    const installed = run.installedHeader!;
    expect(firstDifference(real1, installed.subarray(0, real1.length))).toBe('identical');
    expect(installed.subarray(real1.length).every((b) => b === 0)).toBe(true);
    expect(run.summary).toMatchObject({ dropped: 0, installs: 4, purgatoryVerified: true });
  });
});
