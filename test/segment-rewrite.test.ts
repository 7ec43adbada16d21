// The hot-plug context's rewriteSegment: an arch rewrites a segment other than the elfcorehdr
// (powerpc's FDT after ADD_CPU) under the elfcorehdr install's rules — it edits a copy, the crash
// image is unset only while the bytes are copied, content larger than the segment is refused and
// leaves it byte for byte, and every attempt is counted in the metrics with the segment's kind.

import { describe, expect, it } from 'vitest';
import { callOf, type HotplugContext, HotplugEngine, type HotplugImageState, type NotifierEvent } from '../core/hotplug/index.js';
import type { SegmentEdit, SegmentRewrite } from '../core/kexec/index.js';
import type { ArchPlugin } from '../core/port/index.js';
import { load, type Loaded } from './support/hotplug.js';
import { x86Plugin, x86System } from './support/systems.js';

const ON: NotifierEvent = { kind: 'cpu', action: 'online', cpu: 3 };
const system = x86System({ cpus: { possible: [0, 1, 2, 3], present: [0, 1, 2], online: [0, 1, 2] } });

const bootParams = (image: HotplugImageState): number => image.segments.findIndex((s) => s.kind === 'boot-params');

/** x86 whose hook rewrites the boot-params segment with `edit` (`index` picks another one). */
function rewriting(edit: SegmentEdit, index?: (image: HotplugImageState) => number): { plugin: ArchPlugin; results: SegmentRewrite[] } {
  const results: SegmentRewrite[] = [];
  const plugin: ArchPlugin = {
    ...x86Plugin(),
    handleHotplugEvent: (ctx: HotplugContext) => {
      results.push(ctx.rewriteSegment((index ?? bootParams)(ctx.image), edit));
    },
  };
  return { plugin, results };
}

function segmentBytes(l: Loaded, index: number): Uint8Array {
  const seg = l.image.segments[index]!;
  return l.kexec.memory.view(seg.mem, seg.memsz).slice();
}

describe('rewriteSegment', () => {
  it('installs the edit with the crash image unset exactly during the copy, and counts it', () => {
    const { plugin, results } = rewriting((bytes) => {
      bytes.fill(0xab, 0, 16);
      return bytes;
    });
    const l = load(system, {}, undefined, plugin);
    const during: unknown[] = [];
    l.kexec.memory.observeWrites(() => during.push(l.kexec.crashImage));
    const engine = new HotplugEngine(l.kexec, plugin);
    expect(engine.handle(callOf(ON), system)).toBe('handled');
    expect(during).toEqual([null]);
    expect(l.kexec.crashImage).toBe(l.image);
    expect([...segmentBytes(l, bootParams(l.image)).subarray(0, 16)]).toEqual(Array(16).fill(0xab));
    const seg = l.image.segments[bootParams(l.image)]!;
    expect(results).toEqual([{ ok: true, bytes: seg.memsz, unarmedNs: expect.any(BigInt) }]);
    expect(engine.metrics.updates).toEqual([
      { seq: 0, action: 'ADD_CPU', folded: 1, outcome: 'installed', bytes: seg.memsz, unarmedNs: expect.any(BigInt), segment: 'boot-params' },
    ]);
    expect(engine.metrics.regenerations).toBe(0);
  });

  it('hands the arch a copy: changing it without returning it changes nothing', () => {
    const { plugin, results } = rewriting((bytes) => {
      bytes.fill(0xcd);
      return undefined;
    });
    const l = load(system, {}, undefined, plugin);
    const before = segmentBytes(l, bootParams(l.image));
    const engine = new HotplugEngine(l.kexec, plugin);
    engine.handle(callOf(ON), system);
    expect(Buffer.from(segmentBytes(l, bootParams(l.image))).equals(Buffer.from(before))).toBe(true);
    expect(results[0]).toMatchObject({ ok: false, reason: 'declined' });
    expect(engine.metrics.updates.at(-1)).toMatchObject({ outcome: 'build-failed', bytes: 0, segment: 'boot-params' });
  });

  it('refuses content larger than the segment, prints why, and leaves the segment as it was', () => {
    const { plugin, results } = rewriting((bytes) => new Uint8Array(bytes.length + 1));
    const l = load(system, {}, undefined, plugin);
    const before = segmentBytes(l, bootParams(l.image));
    const engine = new HotplugEngine(l.kexec, plugin);
    engine.handle(callOf(ON), system);
    expect(results[0]).toMatchObject({ ok: false, reason: 'too-large' });
    expect(l.kexec.log.lines.map((x) => x.text).some((t) => /^crash hp: rewrite of segment \d+ \(boot-params\): \d+ bytes > memsz \d+$/.test(t))).toBe(true);
    expect(Buffer.from(segmentBytes(l, bootParams(l.image))).equals(Buffer.from(before))).toBe(true);
    expect(engine.metrics.updates.at(-1)).toMatchObject({ outcome: 'too-large', segment: 'boot-params' });
  });

  it('says so for a segment that does not exist, and counts nothing', () => {
    const { plugin, results } = rewriting(
      (bytes) => bytes,
      (image) => image.segments.length,
    );
    const l = load(system, {}, undefined, plugin);
    const engine = new HotplugEngine(l.kexec, plugin);
    engine.handle(callOf(ON), system);
    expect(results[0]).toMatchObject({ ok: false, reason: 'not-found' });
    expect(engine.metrics.updates).toEqual([]);
    expect(engine.metrics.noops).toBe(1);
  });
});
