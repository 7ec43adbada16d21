// The bench's floors (bench/run-all.ts "floors") stand for a target only if they time the same work:
// the bare write loop must store the header's very bytes, and the digest floor must hash what the
// load hashes. No timing is asserted here.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { floorWrite, headerBuild } from '../bench/header-build.js';
import { loadDigestFloor } from '../bench/load-digest.js';
import { bigMachine } from '../bench/machines.js';
import { x86Module } from '../arch-x86/index.js';
import { loadSystemFile } from '../api/system-file.js';
import { buildSystemElfcorehdr, systemElfcorehdrInput } from '../core/build/index.js';
import { KexecState } from '../core/kexec/state.js';
import { kexecLoad } from '../core/kexec/loader.js';
import { registryOf } from '../core/port/index.js';
import { x86Plugin } from './support/systems.js';

const work = mkdtempSync(join(tmpdir(), 'crashplug-floors-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('header write floor', () => {
  it('stores the same bytes as the writer, over whatever the buffer held', () => {
    const system = bigMachine(64, 48);
    const plugin = x86Plugin();
    const header = buildSystemElfcorehdr(system, plugin).bytes;
    const { input } = systemElfcorehdrInput(system, plugin, { pack: true });
    const out = new Uint8Array(header.length).fill(0xa5);
    out.fill(0);
    floorWrite(out, header, input);
    expect(Buffer.from(out).equals(Buffer.from(header))).toBe(true);
  });

  it('writes other bytes for another machine, so the equality above is a check', () => {
    const plugin = x86Plugin();
    const header = buildSystemElfcorehdr(bigMachine(64, 48), plugin).bytes;
    const { input } = systemElfcorehdrInput(bigMachine(64, 49), plugin, { pack: true });
    const out = new Uint8Array(Math.max(header.length, 64 + 56 * (64 + 2 + 49)));
    floorWrite(out, header, input);
    expect(Buffer.from(out.subarray(0, header.length)).equals(Buffer.from(header))).toBe(false);
  });

  it('is timed beside the write, the copy and the C anchor', () => {
    const figures = headerBuild(work, 3);
    expect(figures.floorUs).toBeGreaterThan(0);
    expect(figures.writeIntoTargetUs).toBeGreaterThan(0);
    expect(figures.cUs === undefined ? figures.cNote : figures.cUs).toBeTruthy();
  });
});

describe('seed storm digest floor', () => {
  it('hashes as many bytes as the load digest covers: every segment but the purgatory and the elfcorehdr', () => {
    const seed = join(import.meta.dirname, 'fixtures', 'hotplug', 'system.json');
    const registry = registryOf([x86Module]);
    const system = loadSystemFile(seed, registry);
    const image = kexecLoad(new KexecState(system.crashkernel!), system, registry.get('x86_64', 'test'), { mode: 'file' });
    const expected = image.segments.filter((s) => s.kind !== 'purgatory' && s.kind !== 'elfcorehdr').reduce((n, s) => n + s.memsz, 0);
    const floor = loadDigestFloor(seed, 1);
    expect(floor.hashedBytes).toBe(expected);
    // The seed's synthetic kernel and initrd: tens of MiB, the bulk of the storm's load.
    expect(floor.hashedBytes).toBeGreaterThan(32 * 1024 * 1024);
    expect(floor.sha256Ms).toBeGreaterThan(0);
  });
});
