import { describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr, decodeElfCoreHeader, kernelProfile, registryOf, type SystemDescription } from '../core/index.js';
import { x86Module } from '../arch-x86/index.js';

describe('smoke', () => {
  it('builds W1', () => {
    const reg = registryOf([x86Module]);
    const x86 = reg.get('x86_64');
    const system: SystemDescription = {
      arch: 'x86_64', origin: 'test',
      memory: { source: 'ranges', origin: 'test', systemRam: [
        { name: 'System RAM', start: 0x1000n, end: 0x9fbffn }, { name: 'System RAM', start: 0x100000n, end: 0xbfffffffn }] },
      cpus: { possible: [0, 1, 2, 3], present: [0, 1, 2, 3], online: [0, 1, 2, 3] },
      crashNotes: { kind: 'stride', base: 0x1000000n, stride: 0x1000n },
      vmcoreinfo: { address: 0x2000000n, size: 0x1024n },
      crashkernel: { start: 0x2000000n, end: 0x11ffffffn },
      kernelImage: { text: 0xffffffff81000000n, textPhys: 0x1000000n, size: 0x2000000n },
      pageOffset: 0xffff888000000000n, physOffset: 0x1000n, pageSize: 4096,
      kernel: kernelProfile('6.18'), builder: 'kernel',
      config: { nrCpusDefault: 64, crashMaxMemoryRanges: 8192, memoryHotplug: true, crashHotplug: true },
    };
    const b = buildSystemElfcorehdr(system, x86);
    expect(b.bytes.length).toBe(4096);
    const d = decodeElfCoreHeader(b.bytes);
    expect(d.header.phnum).toBe(8);
    expect(d.phdrs[7]!.vaddr).toBe(0xffff888012000000n);
  });
});
