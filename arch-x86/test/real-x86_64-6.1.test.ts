// A real capture: the elfcorehdr Debian 12's kernel 6.1.192 built for a 2-CPU, 4 GiB q35 guest with
// crashkernel=256M (kexec -s -p, cut from guest memory at 0x6f000000; see the fixture's README). Our
// kernel builder with the 6.1 profile must give the same bytes. The capture holds only the first
// e_phoff + e_phnum·56 bytes; the kernel's buffer is zero from there to the end of its page.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { registryOf } from '../../core/port/index.js';
import { type SystemDescription } from '../../core/system/index.js';
import { x86Module } from '../index.js';
import { systemRam, x86Plugin, x86System } from '../../test/support/systems.js';
import { loadSystemFile } from '../../api/system-file.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test', 'fixtures', 'real-x86_64-6.1');
const captured = new Uint8Array(readFileSync(join(fixture, 'elfcorehdr-kernel-kexec_file.bin')));

/** The machine as the fixture's README gives it, written in code (an independent check of the loader). */
const fromReadme: SystemDescription = x86System({
  kernel: '6.1',
  // Top-level "System RAM" lines of proc-iomem.txt, in file order.
  ram: systemRam([0x1000n, 0x9fbffn], [0x100000n, 0x7ffdefffn], [0x100000000n, 0x17fffffffn]),
  crashkernel: { start: 0x6f000000n, end: 0x7effffffn },
  cpus: { possible: [0, 1] },
  crashNotes: { kind: 'stride', base: 0x17bc3a600n, stride: 0x100000n },
  vmcoreinfo: { address: 0x10031a000n, size: 0x1024n },
  kernelImage: { text: 0xffffffffaa600000n, textPhys: 0x12e200000n, size: 0x3430000n },
  pageOffset: 0xffff8ce840000000n,
});

describe('the captured header itself', () => {
  it('is e_phoff + e_phnum × 56 = 64 + 7 × 56 = 456 bytes', () => {
    const v = new DataView(captured.buffer, captured.byteOffset, captured.byteLength);
    expect(v.getBigUint64(32, true)).toBe(64n);
    expect(v.getUint16(56, true)).toBe(7);
    expect(captured.length).toBe(456);
  });
});

describe('the kernel builder (6.1 profile) on the real x86_64 guest', () => {
  const machines: [string, () => SystemDescription][] = [
    ['when the machine is loaded from the fixture’s system.json and /proc/iomem', () => loadSystemFile(join(fixture, 'system.json'), registryOf([x86Module]))],
    ['when the machine is written in code from the fixture’s README', () => fromReadme],
  ];
  for (const [when, machine] of machines) {
    describe(when, () => {
      const built = () => buildSystemElfcorehdr(machine(), x86Plugin());

      it('reproduces the 456 captured bytes byte for byte', () => {
        const bytes = built().bytes;
        const diff = captured.findIndex((b, i) => bytes[i] !== b);
        expect(diff === -1 ? 'identical' : `first difference at byte ${diff}`).toBe('identical');
      });

      it('is one 4096-byte page, zero after byte 456', () => {
        const bytes = built().bytes;
        expect(bytes.length).toBe(4096);
        expect(bytes.subarray(456).every((b) => b === 0)).toBe(true);
      });

      it('cut the crash kernel region 0x6f000000–0x7effffff out of the RAM that holds it', () => {
        const { crashMemory } = built();
        expect(crashMemory.mem.ranges).toEqual([
          { start: 0x100000n, end: 0x6effffffn },
          { start: 0x7f000000n, end: 0x7ffdefffn },
          { start: 0x100000000n, end: 0x17fffffffn },
        ]);
      });
    });
  }

  describe('when the loaded description is compared with the README values', () => {
    it('agrees on every field the header depends on', () => {
      const loaded = loadSystemFile(join(fixture, 'system.json'), registryOf([x86Module]));
      expect(loaded.kernel.version).toBe('6.1');
      expect(loaded.memory.systemRam.map(({ start, end }) => [start, end])).toEqual(fromReadme.memory.systemRam.map(({ start, end }) => [start, end]));
      expect(loaded.crashkernel).toEqual(fromReadme.crashkernel);
      expect(loaded.cpus).toEqual(fromReadme.cpus);
      expect(loaded.crashNotes).toEqual(fromReadme.crashNotes);
      expect(loaded.vmcoreinfo).toEqual(fromReadme.vmcoreinfo);
      expect(loaded.kernelImage).toEqual(fromReadme.kernelImage);
      expect(loaded.pageOffset).toBe(fromReadme.pageOffset);
    });
  });
});
