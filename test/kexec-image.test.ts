// The loaded kdump image: where each segment lands in the crash reservation and why (kexec_add_buffer
// and kexec-tools' locate_hole), the kimage fields a crash load starts with, what the two loaders put
// in the elfcorehdr segment, and the flags a kernel refuses.

import { describe, expect, it } from 'vitest';
import { CrashplugError } from '../core/base/index.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import {
  KEXEC_ARCH_MASK,
  KEXEC_CRASH_HOTPLUG_SUPPORT,
  KEXEC_CRASH_HP_NONE,
  KEXEC_ON_CRASH,
  KEXEC_UPDATE_ELFCOREHDR,
  kernelLocateMemHole,
  kexecArchFlag,
  kexecToolsLocateHole,
  kexecUnload,
  NO_LIMIT,
  payloadBytes,
  SMALL_PAYLOAD,
} from '../core/kexec/index.js';
import { equalBytes, headerIndex, headerSegment, load, phnumOf, startsWithElfMagic } from './support/hotplug.js';
import { W1, x86System } from './support/systems.js';

const RES = W1.crashkernel;

function expectInsideAndDisjoint(segments: readonly { mem: bigint; memsz: number }[]): void {
  const sorted = [...segments].sort((a, b) => (a.mem < b.mem ? -1 : 1));
  sorted.forEach((s, i) => {
    expect(s.mem % 4096n).toBe(0n);
    expect(s.memsz % 4096).toBe(0);
    expect(s.mem).toBeGreaterThanOrEqual(RES.start);
    expect(s.mem + BigInt(s.memsz) - 1n).toBeLessThanOrEqual(RES.end);
    const next = sorted[i + 1];
    if (next !== undefined) expect(s.mem + BigInt(s.memsz)).toBeLessThanOrEqual(next.mem);
  });
}

describe('kexec_file_load (file mode)', () => {
  const l = load(x86System());

  it('adds the segments in bzImage64 order: elfcorehdr, purgatory, boot parameters, kernel, initrd', () => {
    expect(l.image.segments.map((s) => s.kind)).toEqual(['elfcorehdr', 'purgatory', 'boot-params', 'kernel', 'initrd']);
  });

  it('starts with the crash hot-plug fields of a fresh kimage, the index preset by x86', () => {
    expect(l.image.fileMode).toBe(true);
    expect(l.image.hotplugSupport).toBe(true);
    expect(l.image.elfcorehdrIndex).toBe(0);
    expect(l.image.elfcorehdrUpdated).toBe(false);
    expect(l.image.hpAction).toBe(KEXEC_CRASH_HP_NONE);
    expect(l.kexec.crashImage).toBe(l.image);
  });

  it('puts the header bottom-up at crashk_res.start with hot-plug room: memsz 462848 (W2), bufsz one page (W1)', () => {
    const hdr = l.image.segments[0]!;
    expect(hdr.mem).toBe(RES.start);
    expect(hdr.memsz).toBe(462848);
    expect(hdr.bufsz).toBe(4096);
  });

  it('places the rest top-down, page-rounded, aligned, inside the reservation and apart', () => {
    expectInsideAndDisjoint(l.image.segments);
    const purgatory = l.image.segments[1]!;
    expect(purgatory.mem + BigInt(purgatory.memsz) - 1n).toBe(RES.end);
    const kernel = l.image.segments[3]!;
    expect(kernel.mem % 0x20_0000n).toBe(0n);
  });

  it('started the top-down search one byte low before 6.9, losing a page at the top', () => {
    const old = load(x86System({ kernel: '6.8' }));
    expect(old.image.segments[1]!.mem).toBe(RES.end + 1n - 2n * 4096n);
  });

  it('copies each buffer to its destination and zero-fills up to memsz', () => {
    const mem = headerSegment(l);
    const built = buildSystemElfcorehdr(l.system, l.plugin).bytes;
    expect(equalBytes(mem.subarray(0, built.length), built)).toBe(true);
    expect(mem.subarray(built.length).every((b) => b === 0)).toBe(true);
    const kernel = l.image.segments[3]!;
    expect(equalBytes(l.kexec.memory.view(kernel.mem, kernel.bufsz), kernel.buf.subarray(0, kernel.bufsz))).toBe(true);
  });

  it('holds each synthetic segment once, and a load never shares its bytes with another', () => {
    const a = load(x86System());
    const kernel = a.image.segments.find((s) => s.kind === 'kernel')!;
    const initrd = a.image.segments.find((s) => s.kind === 'initrd')!;
    // The region's memory is the payload buffer itself (given up by the loader), with the synthetic bytes.
    expect(a.kexec.memory.view(kernel.mem, kernel.memsz).buffer).toBe(kernel.buf.buffer);
    expect(equalBytes(a.kexec.memory.view(initrd.mem, initrd.memsz), payloadBytes('initrd', SMALL_PAYLOAD.initrd))).toBe(true);
    // Scribble over the first image's kernel: a second load still gets the real bytes.
    a.kexec.memory.write(kernel.mem, new Uint8Array(kernel.memsz).fill(0xaa));
    const b = load(x86System());
    const again = b.image.segments.find((s) => s.kind === 'kernel')!;
    expect(equalBytes(b.kexec.memory.view(again.mem, again.memsz), payloadBytes('kernel', SMALL_PAYLOAD.kernel))).toBe(true);
    expect(b.kexec.memory.view(again.mem, 2)).toEqual(new Uint8Array([0x4d, 0x5a]));
  });

  it('makes the same synthetic bytes for the same kind and size: a 64 KiB pseudo-random block repeated, its first bytes marked', () => {
    const size = 0x4_0000 + 0x123;
    const k = payloadBytes('initrd', size);
    expect(equalBytes(k, payloadBytes('initrd', size))).toBe(true);
    expect(k !== payloadBytes('initrd', size)).toBe(true);
    expect([...k.subarray(0, 6)]).toEqual([0x30, 0x37, 0x30, 0x37, 0x30, 0x31]);
    // Past the marked start the block repeats, and it is not all one byte.
    expect(equalBytes(k.subarray(0x1_0000 + 64, 0x2_0000), k.subarray(0x3_0000 + 64, 0x4_0000))).toBe(true);
    expect(equalBytes(k.subarray(0x4_0000, size), k.subarray(0, 0x123))).toBe(false);
    expect(equalBytes(k.subarray(0x4_0000 + 8, size), k.subarray(0x1_0000 + 8, 0x1_0000 + 0x123))).toBe(true);
    expect(new Set(k.subarray(0x1_0000, 0x1_0100)).size).toBeGreaterThan(100);
    expect(payloadBytes('kernel', size).length).toBe(size);
  });

  it('gives synthetic segments of the configured sizes, none starting with ELF magic', () => {
    const bySize = Object.fromEntries(l.image.segments.map((s) => [s.kind, s.bufsz]));
    expect(bySize).toMatchObject({ kernel: SMALL_PAYLOAD.kernel, initrd: SMALL_PAYLOAD.initrd, purgatory: SMALL_PAYLOAD.purgatory });
    for (const s of l.image.segments.slice(1)) expect(startsWithElfMagic(l.kexec.memory.view(s.mem, 4))).toBe(false);
  });

  it('leaves kdump unarmed once unloaded', () => {
    const other = load(x86System());
    kexecUnload(other.kexec);
    expect(other.kexec.crashImage).toBeNull();
    expect(other.kexec.armed).toBe(false);
  });
});

describe('kexec_load with kexec-tools (load mode)', () => {
  const l = load(x86System({ cpus: { possible: [0, 1, 2, 3], present: [0, 1] } }), { mode: 'load' });
  const hdr = l.image.segments[headerIndex(l.image)]!;

  it("passes ON_CRASH, x86 kexec-tools' hot-plug flag 0x4 and the arch", () => {
    expect(l.image.flags).toBe((KEXEC_ON_CRASH | KEXEC_UPDATE_ELFCOREHDR | kexecArchFlag(62)) >>> 0);
    expect(l.image.flags & KEXEC_ARCH_MASK).toBe(62 << 16);
  });

  it('sizes the header segment from crash_elfcorehdr_size rounded up to 1 KiB: 462448 → 462848', () => {
    expect(hdr.memsz).toBe(462848);
    expect(hdr.bufsz % 1024).toBe(0);
  });

  it("holds kexec-tools' header: the present CPUs only", () => {
    const bytes = headerSegment(l);
    // 2 present CPUs + vmcoreinfo + kernel text + RAM ranges (backup low range, two around crashk_res)
    expect(phnumOf(bytes)).toBeLessThan(buildSystemElfcorehdr(l.system, l.plugin).layout.phnum);
  });

  it('leaves the index for the handler to find, with segments sorted by address and a backup segment', () => {
    expect(l.image.elfcorehdrIndex).toBe(-1);
    const mems = l.image.segments.map((s) => s.mem);
    expect([...mems].sort((a, b) => (a < b ? -1 : 1))).toEqual(mems);
    expect(l.image.segments.some((s) => s.kind === 'backup')).toBe(true);
    expectInsideAndDisjoint(l.image.segments);
    expect(l.image.hotplugSupport).toBe(true);
  });

  it("without --hotplug: no flag, x86 kexec-tools' 16 KiB minimum segment, no hot-plug support", () => {
    const plain = load(x86System(), { mode: 'load', hotplug: false });
    const h = plain.image.segments[headerIndex(plain.image)]!;
    expect(plain.image.flags & (KEXEC_UPDATE_ELFCOREHDR | KEXEC_CRASH_HOTPLUG_SUPPORT)).toBe(0);
    // max(bufsz, 16 KiB), as the real kexec -d log of the 6.1 guest shows (segment[4].memsz = 0x4000).
    expect(h.memsz).toBe(Math.max(Math.ceil(h.bufsz / 4096) * 4096, 16384));
    expect(plain.image.hotplugSupport).toBe(false);
  });

  it('dies as kexec --hotplug does on a kernel without crash_elfcorehdr_size', () => {
    expect(() => load(x86System({ kernel: '6.1' }), { mode: 'load' })).toThrow(/crash_elfcorehdr_size does not exist, the kernel needs CONFIG_CRASH_HOTPLUG/);
  });
});

describe('flags the kernel rejects', () => {
  it('6.8 does not know 0x8: -EINVAL (W16)', () => {
    const err = (() => {
      try {
        load(x86System({ kernel: '6.8' }), { mode: 'load', flags: KEXEC_ON_CRASH | KEXEC_CRASH_HOTPLUG_SUPPORT });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(CrashplugError.is(err) && err.code).toBe('E_KEXEC_EINVAL');
  });

  it('a foreign arch in the flags is -EINVAL', () => {
    expect(() => load(x86System(), { mode: 'load', flags: KEXEC_ON_CRASH | kexecArchFlag(21) })).toThrow(/arch 21/);
  });

  it('6.10 takes 0x4 on x86 and sets hotplug_support (W16)', () => {
    expect(load(x86System({ kernel: '6.10' }), { mode: 'load', flags: KEXEC_ON_CRASH | KEXEC_UPDATE_ELFCOREHDR }).image.hotplugSupport).toBe(true);
  });
});

describe('hole search', () => {
  const req = { bufsz: 0x1000, memsz: 0x1800, align: 16, min: 0n, max: NO_LIMIT, what: 'test' };

  it('kernel: rounds memsz to a page and steps a page past segments in the way', () => {
    const res = { start: 0x10_0000n, end: 0x1f_ffffn };
    expect(kernelLocateMemHole(res, [], { ...req, topDown: false }, 4096, true)).toEqual({ mem: 0x10_0000n, memsz: 0x2000 });
    expect(kernelLocateMemHole(res, [{ mem: 0x10_0000n, memsz: 0x3000 }], { ...req, topDown: false }, 4096, true).mem).toBe(0x10_3000n);
    expect(kernelLocateMemHole(res, [], { ...req, topDown: true }, 4096, true).mem).toBe(0x1f_e000n);
    expect(() => kernelLocateMemHole(res, [], { ...req, memsz: 0x20_0000, topDown: true }, 4096, true)).toThrow(/no room/);
  });

  it('kexec-tools: first free piece bottom-up, last one top-down', () => {
    const res = { start: 0x10_0000n, end: 0x1f_ffffn };
    const placed = [{ mem: 0x18_0000n, memsz: 0x1000 }];
    expect(kexecToolsLocateHole(res, placed, { ...req, topDown: false }, 4096).mem).toBe(0x10_0000n);
    expect(kexecToolsLocateHole(res, placed, { ...req, topDown: true }, 4096).mem).toBe(0x1f_e000n);
  });
});
