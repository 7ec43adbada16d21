// The crash-time purgatory check reuses the load-time digest only when memory provably holds the
// bytes that were hashed (core/kexec/purgatory.ts): these tests hold it to that — a spy on the
// region's hashing shows when it was skipped, and every answer equals the straightforward re-hash.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it, vi } from 'vitest';
import { callOf, HotplugEngine, MachineState } from '../core/hotplug/index.js';
import { kexecLoad, PURGATORY_DIGEST_OFFSET, PURGATORY_SHA_REGIONS_OFFSET, SMALL_PAYLOAD, verifyPurgatory } from '../core/kexec/index.js';
import { load, type Loaded } from './support/hotplug.js';
import { x86System } from './support/systems.js';

const DIMM = { kind: 'dimm-add', start: 0x1_0000_0000n, size: 0x800_0000n } as const;
const ONLINE = { kind: 'memory', action: 'online', start: 0x1_0000_0000n, size: 0x800_0000n } as const;

function addDimm(l: Loaded): void {
  const engine = new HotplugEngine(l.kexec, l.plugin);
  const machine = MachineState.boot(l.system).apply(DIMM).apply(ONLINE);
  expect(engine.handle(callOf(ONLINE), machine.system)).toBe('handled');
}

/** verifyPurgatory, counting how often it hashed memory. */
function checkCountingHashes(l: Loaded) {
  const spy = vi.spyOn(l.kexec.memory, 'hashInto');
  try {
    const check = verifyPurgatory(l.image, l.kexec.memory);
    return { check, hashed: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
}

const segmentOf = (l: Loaded, kind: string) => l.image.segments.find((s) => s.kind === kind)!;

describe('the load-time digest at crash time', () => {
  it('is recorded at load, over the regions the purgatory names', () => {
    for (const mode of ['file', 'load'] as const) {
      const l = load(x86System(), { mode });
      const d = l.image.loadDigest!;
      expect(d).toBeDefined();
      expect(d.marks).toHaveLength(d.regions.length);
      expect(verifyPurgatory(l.image, l.kexec.memory, { rehash: true }).regions).toEqual(d.regions);
    }
  });

  it('is reused, without hashing memory, for an untouched image and after in-place header updates', () => {
    for (const mode of ['file', 'load'] as const) {
      const l = load(x86System(), { mode });
      let r = checkCountingHashes(l);
      expect(r).toMatchObject({ hashed: 0, check: { ok: true, reusedLoadDigest: true } });
      addDimm(l);
      r = checkCountingHashes(l);
      expect(r).toMatchObject({ hashed: 0, check: { ok: true, reusedLoadDigest: true } });
      expect(r.check.actual).toBe(verifyPurgatory(l.image, l.kexec.memory, { rehash: true }).actual);
    }
  });

  it('is not trusted once a hashed segment was written, even back to the same bytes', () => {
    const l = load(x86System());
    const kernel = segmentOf(l, 'kernel');
    const before = l.kexec.memory.read(kernel.mem + 100n, 1);
    l.kexec.memory.write(kernel.mem + 100n, Uint8Array.of(before[0]! ^ 0xff));
    let r = checkCountingHashes(l);
    expect(r.check.ok).toBe(false);
    expect(r.check.reusedLoadDigest).toBe(false);
    expect(r.hashed).toBeGreaterThan(0);
    l.kexec.memory.write(kernel.mem + 100n, before);
    r = checkCountingHashes(l);
    expect(r).toMatchObject({ check: { ok: true, reusedLoadDigest: false } });
  });

  it('is not trusted once a live view of a hashed segment was handed out', () => {
    const l = load(x86System());
    const initrd = segmentOf(l, 'initrd');
    const view = l.kexec.memory.view(initrd.mem + BigInt(initrd.memsz - 1), 1);
    expect(checkCountingHashes(l).check).toMatchObject({ ok: true, reusedLoadDigest: false });
    view[0] = view[0]! ^ 1; // written after the view was taken: still seen
    expect(checkCountingHashes(l).check).toMatchObject({ ok: false, reusedLoadDigest: false });
  });

  it('compares with the digest in memory, and re-hashes when the regions in memory differ', () => {
    const l = load(x86System());
    const purgatory = l.image.segments[l.image.purgatoryIndex]!;
    l.kexec.memory.view(purgatory.mem + BigInt(PURGATORY_DIGEST_OFFSET), 1)[0]! ^= 1;
    // The purgatory itself is not hashed: the digest may be reused, but it no longer matches.
    expect(checkCountingHashes(l).check).toMatchObject({ ok: false, reusedLoadDigest: true });
    const m = load(x86System());
    const p = m.image.segments[m.image.purgatoryIndex]!;
    // Drop the last region from the table: the purgatory hashes less than the loader did.
    const n = m.image.loadDigest!.regions.length;
    m.kexec.memory.write(p.mem + BigInt(PURGATORY_SHA_REGIONS_OFFSET + 16 * (n - 1)), new Uint8Array(16));
    const r = checkCountingHashes(m);
    expect(r.check).toMatchObject({ ok: false, reusedLoadDigest: false });
    expect(r.check.regions).toHaveLength(n - 1);
  });

  it('is hashed again when the elfcorehdr is in the digest and an update wrote it', () => {
    const l = load(x86System(), { digestIncludesElfcorehdr: true });
    expect(checkCountingHashes(l).check).toMatchObject({ ok: true, reusedLoadDigest: true });
    addDimm(l);
    expect(checkCountingHashes(l).check).toMatchObject({ ok: false, reusedLoadDigest: false });
  });

  it('of an image unloaded and loaded again no longer stands for memory', () => {
    const l = load(x86System());
    const again = kexecLoad(l.kexec, l.system, l.plugin, { mode: 'file', payload: SMALL_PAYLOAD });
    expect(verifyPurgatory(l.image, l.kexec.memory).reusedLoadDigest).toBe(false);
    expect(verifyPurgatory(again, l.kexec.memory)).toMatchObject({ ok: true, reusedLoadDigest: true });
  });

  // Whatever is written where, the answer is the straightforward re-hash's.
  itProp.prop(
    [
      fc.constantFrom('file' as const, 'load' as const),
      fc.boolean(),
      fc.array(
        fc.record({
          kind: fc.constantFrom('kernel', 'initrd', 'boot-params', 'purgatory', 'elfcorehdr'),
          at: fc.nat(),
          how: fc.constantFrom('write-same', 'write-flip', 'view-only', 'view-flip', 'read'),
        }),
        { maxLength: 4 },
      ),
      fc.boolean(),
    ],
    { numRuns: 60, seed: 637529193 },
  )('equals the re-hash after any writes', (mode, includeHeader, edits, update) => {
    const l = load(x86System(), { mode, digestIncludesElfcorehdr: includeHeader });
    if (update) addDimm(l);
    for (const e of edits) {
      const s = segmentOf(l, e.kind);
      const pa = s.mem + BigInt(e.at % s.memsz);
      const old = l.kexec.memory.read(pa, 1)[0]!;
      if (e.how === 'write-same') l.kexec.memory.write(pa, Uint8Array.of(old));
      else if (e.how === 'write-flip') l.kexec.memory.write(pa, Uint8Array.of(old ^ 0x5a));
      else if (e.how === 'view-only') l.kexec.memory.view(pa, 1);
      else if (e.how === 'view-flip') l.kexec.memory.view(pa, 1)[0] = old ^ 0x01;
      else l.kexec.memory.read(pa, 1);
    }
    // A flipped byte in the purgatory's own region table can name memory no segment holds: then
    // both checks must refuse the same way.
    const outcome = (rehash: boolean): { answer: object; reused: boolean } => {
      try {
        const c = verifyPurgatory(l.image, l.kexec.memory, { rehash });
        return { answer: { ok: c.ok, expected: c.expected, actual: c.actual, regions: c.regions }, reused: c.reusedLoadDigest };
      } catch (err) {
        return { answer: { error: (err as { code?: string }).code ?? String(err) }, reused: false };
      }
    };
    const fast = outcome(false);
    const slow = outcome(true);
    expect(slow.reused).toBe(false);
    expect(fast.answer).toEqual(slow.answer);
  });
});
