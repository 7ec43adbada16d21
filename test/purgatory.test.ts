// The purgatory's integrity check: the loader hashes every segment but the purgatory and the
// elfcorehdr, the purgatory re-hashes memory at crash time, and an in-place header update must not
// disturb it — unless the header was hashed too, as a kernel without the exclusion (or x86 past
// PN_XNUM) does.

import { describe, expect, it } from 'vitest';
import { callOf, HotplugEngine, MachineState } from '../core/hotplug/index.js';
import { PURGATORY_DIGEST_OFFSET, purgatoryFailure, verifyPurgatory } from '../core/kexec/index.js';
import { headerIndex, headerSegment, load, type Loaded } from './support/hotplug.js';
import { systemRam, W1, x86System } from './support/systems.js';

const DIMM = { kind: 'dimm-add', start: 0x1_0000_0000n, size: 0x800_0000n } as const;
const ONLINE = { kind: 'memory', action: 'online', start: 0x1_0000_0000n, size: 0x800_0000n } as const;

/** Hot-add a 128 MiB DIMM above 4 GiB and let the kernel handle its one block coming online. */
function addDimm(l: Loaded): HotplugEngine {
  const engine = new HotplugEngine(l.kexec, l.plugin);
  const machine = MachineState.boot(l.system).apply(DIMM).apply(ONLINE);
  expect(engine.handle(callOf(ONLINE), machine.system)).toBe('handled');
  return engine;
}

describe('the purgatory digest', () => {
  it('covers every segment but the purgatory and the elfcorehdr, and verifies after load', () => {
    const l = load(x86System());
    const check = verifyPurgatory(l.image, l.kexec.memory);
    expect(check.ok).toBe(true);
    const hashed = check.regions.map((r) => r.start);
    const skipped = l.image.segments.filter((s) => !hashed.includes(s.mem)).map((s) => s.kind);
    expect(skipped.sort()).toEqual(['elfcorehdr', 'purgatory']);
  });

  it('still verifies after an in-place header update (file and load mode)', () => {
    for (const mode of ['file', 'load'] as const) {
      const l = load(x86System(), { mode });
      const before = headerSegment(l);
      const engine = addDimm(l);
      expect(engine.metrics.installs).toBe(1);
      expect(headerSegment(l)).not.toEqual(before);
      expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(true);
    }
  });

  it('fails after the update when the elfcorehdr was hashed too', () => {
    const l = load(x86System(), { digestIncludesElfcorehdr: true });
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(true);
    addDimm(l);
    const check = verifyPurgatory(l.image, l.kexec.memory);
    expect(check.ok).toBe(false);
    expect(purgatoryFailure(check)).toMatch(/sha256 mismatch .* spin forever/);
  });

  it('x86 past PN_XNUM records no index, so the header is hashed and the first update breaks the check (facts §3)', () => {
    const l = load(x86System({ config: { nrCpusDefault: 8192, crashMaxMemoryRanges: 60000 } }));
    expect(l.image.elfcorehdrIndex).toBe(-1);
    expect(l.kexec.log.lines.map((x) => x.text)).toContain('crash: number of Phdrs 68194 exceeds max');
    addDimm(l);
    expect(l.image.elfcorehdrIndex).toBe(headerIndex(l.image)); // found by the ELF scan
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(false);
  });

  it('notices any other byte changing, and reads its digest from memory', () => {
    const l = load(x86System({ ram: systemRam(...W1.ram.map((r) => [r.start, r.end] as const)) }));
    const kernel = l.image.segments.find((s) => s.kind === 'kernel')!;
    const byte = l.kexec.memory.view(kernel.mem + 100n, 1);
    byte[0] = byte[0]! ^ 0xff;
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(false);
    byte[0] = byte[0]! ^ 0xff;
    const purgatory = l.image.segments[l.image.purgatoryIndex]!;
    l.kexec.memory.view(purgatory.mem + BigInt(PURGATORY_DIGEST_OFFSET), 1)[0]! ^= 1;
    expect(verifyPurgatory(l.image, l.kexec.memory).ok).toBe(false);
  });
});
