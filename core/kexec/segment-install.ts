// Writing new bytes over a segment of the loaded crash image, the one way every in-place hot-plug
// update does it: `kexec_crash_image` is NULL exactly while the bytes are copied — a panic then
// finds no image rather than half a segment — and that window is timed. The elfcorehdr install
// and an arch's rewrite of another segment (powerpc's device tree after ADD_CPU) both go through here.

import type { KexecImage, KexecSegment } from './image.js';
import type { KexecState } from './state.js';

/** Copy `bytes` to the start of `seg` with the crash image unset meanwhile; how long it was unset, in ns. */
export function installSegmentBytes(kexec: KexecState, seg: KexecSegment, bytes: Uint8Array): bigint {
  const previous = kexec.crashImage;
  kexec.crashImage = null;
  const t0 = kexec.clock.nowNs();
  kexec.memory.write(seg.mem, bytes);
  const t1 = kexec.clock.nowNs();
  kexec.crashImage = previous;
  return t1 - t0;
}

/** An arch's edit of a segment: its new content, or undefined to leave it (having said why). */
export type SegmentEdit = (bytes: Uint8Array) => Uint8Array | undefined;

export type SegmentRewrite =
  | { readonly ok: true; readonly bytes: number; readonly unarmedNs: bigint }
  | { readonly ok: false; readonly reason: 'not-found' | 'declined' | 'too-large'; readonly message: string };

/**
 * Hand the arch a copy of segment `index` (all memsz bytes, as it lies in memory), and install what
 * it returns when that fits the segment. A refusal changes nothing; a too-large result is printed as
 * the elfcorehdr's is.
 */
export function rewriteSegment(kexec: KexecState, image: KexecImage, index: number, edit: SegmentEdit): SegmentRewrite {
  const seg = image.segments[index];
  if (seg === undefined) {
    return { ok: false, reason: 'not-found', message: `no segment ${index} to rewrite; the image has ${image.segments.length}` };
  }
  // The arch edits a copy, so the loaded bytes stay whole until the copy below.
  const next = edit(kexec.memory.view(seg.mem, seg.memsz).slice());
  if (next === undefined) return { ok: false, reason: 'declined', message: `the arch left segment ${index} (${seg.kind}) as it was` };
  if (next.length > seg.memsz) {
    const message = `rewrite of segment ${index} (${seg.kind}): ${next.length} bytes > memsz ${seg.memsz}`;
    kexec.log.printk('err', `crash hp: ${message}`);
    return { ok: false, reason: 'too-large', message };
  }
  return { ok: true, bytes: next.length, unarmedNs: installSegmentBytes(kexec, seg, next) };
}
