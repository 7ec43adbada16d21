// The seed storm's floor: before its first event, a run must load the kdump image, and
// kexec_file_load hashes every segment but the purgatory (and, from 6.6, the elfcorehdr) into the
// purgatory's SHA-256 digest. This loads the seed machine's image in-process, takes the regions the
// digest covers and times one SHA-256 of that many bytes with Node's own hash; the storm end to end
// can be no faster than a bare Node start plus this.

import { createHash } from 'node:crypto';
import { x86Module } from '../arch-x86/index.js';
import { loadSystemFile } from '../api/system-file.js';
import { KexecState } from '../core/kexec/state.js';
import { kexecLoad } from '../core/kexec/loader.js';
import { registryOf } from '../core/port/index.js';
import { median } from './measure.js';

export interface LoadDigestFloor {
  /** Bytes the load-time digest covers (every hashed region's memsz). */
  readonly hashedBytes: number;
  /** One SHA-256 of hashedBytes bytes, median of `rounds`. */
  readonly sha256Ms: number;
}

export function loadDigestFloor(seedSystemFile: string, rounds = 7): LoadDigestFloor {
  const registry = registryOf([x86Module]);
  const system = loadSystemFile(seedSystemFile, registry);
  if (system.crashkernel === undefined) throw new Error(`load-digest: ${seedSystemFile} has no crashkernel reservation`);
  const kexec = new KexecState(system.crashkernel);
  const image = kexecLoad(kexec, system, registry.get(system.arch, 'load-digest'), { mode: 'file' });
  const regions = image.loadDigest?.regions;
  if (regions === undefined || regions.length === 0) throw new Error('load-digest: the load made no digest');
  const hashedBytes = regions.reduce((sum, r) => sum + r.len, 0);
  // Any bytes will do: SHA-256 takes the same time whatever they are.
  const bytes = Buffer.alloc(hashedBytes, 0x5a);
  const times: number[] = [];
  let sink = 0;
  for (let i = 0; i < rounds + 1; i++) {
    const t0 = performance.now();
    sink += createHash('sha256').update(bytes).digest()[0]!;
    if (i > 0) times.push(performance.now() - t0);
  }
  if (sink < 0) throw new Error('unreachable');
  return { hashedBytes, sha256Ms: median(times) };
}
