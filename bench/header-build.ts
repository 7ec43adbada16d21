// The header build of the 8192-CPU, 8192-range machine into a reused, zeroed buffer, against a plain
// Buffer.copy of the same bytes and against the C program in bench/c building the same header. The
// C program starts from ranges already made, so the like-for-like figure is the write alone (zeroing
// plus crash_prepare_elf64_headers from the prepared crash memory and inputs); the whole build, with
// the arch's crash-memory step (walk copy and exclusions) each time, is reported beside it.
// "Prepared" is what the C program has before its timed loop: the ranges in a u64 array (here
// packed once), the CPUs' note addresses (the machine's note table) and __va as PAGE_OFFSET + pa
// (the port's vaOffset). Neither side caches any byte of the header itself.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildSystemElfcorehdr, systemElfcorehdrInput } from '../core/build/index.js';
import { buildElfcorehdr } from '../core/elf/index.js';
import { x86Plugin } from '../test/support/systems.js';
import { bigMachine } from './machines.js';
import { median } from './measure.js';

export interface HeaderBuildFigures {
  readonly bytes: number;
  /** Zeroing + writing the header from prepared inputs: what the C anchor times. */
  readonly writeIntoTargetUs: number;
  /** Zeroing + the whole buildSystemElfcorehdr, the arch's crash memory included. */
  readonly buildIntoTargetUs: number;
  readonly bufferCopyUs: number;
  readonly cUs?: number | undefined;
  readonly cNote?: string | undefined;
  /** What writeIntoTargetUs times, in words. */
  readonly note: string;
}

const NOTE =
  'write = zero the buffer + the Ehdr and every phdr from prepared inputs (packed ranges, note table, vaOffset) + the port fix-up; ' +
  'build = buildSystemElfcorehdr: the crash memory each time, ranges read unpacked';

export function headerBuild(workDir: string, rounds = 200): HeaderBuildFigures {
  const system = bigMachine(8192, 8192);
  const plugin = x86Plugin();
  const bytes = buildSystemElfcorehdr(system, plugin).bytes;
  const target = new Uint8Array(bytes.length);
  const copyTarget = Buffer.alloc(bytes.length);
  const source = Buffer.from(bytes);
  const { input } = systemElfcorehdrInput(system, plugin, { pack: true });
  const writeTarget = new Uint8Array(bytes.length);
  const build: number[] = [];
  const write: number[] = [];
  const copy: number[] = [];
  let sink = 0;
  // The write and the copy alternate in a loop of their own: the whole build allocates the
  // machine's crash memory each time, and a collection it brings on would land in whichever timing
  // comes next (the C anchor runs in a process of its own, with nothing of the sort).
  for (let i = 0; i < rounds + 30; i++) {
    let t0 = process.hrtime.bigint();
    writeTarget.fill(0);
    const built = buildElfcorehdr(input, writeTarget);
    plugin.fixupElfcorehdr(built.bytes, built.layout, system);
    const w = Number(process.hrtime.bigint() - t0) / 1000;
    t0 = process.hrtime.bigint();
    sink += source.copy(copyTarget);
    const c = Number(process.hrtime.bigint() - t0) / 1000;
    if (i >= 30) {
      write.push(w);
      copy.push(c);
    }
  }
  for (let i = 0; i < rounds + 30; i++) {
    const t0 = process.hrtime.bigint();
    target.fill(0);
    sink += buildSystemElfcorehdr(system, plugin, target).bytes.length;
    const b = Number(process.hrtime.bigint() - t0) / 1000;
    if (i >= 30) build.push(b);
  }
  if (!Buffer.from(target).equals(source) || !Buffer.from(writeTarget).equals(source) || sink === 0)
    throw new Error('header-build: the reused buffer does not hold the header');
  let cUs: number | undefined;
  let cNote: string | undefined;
  const src = join(import.meta.dirname, '..', '..', 'bench', 'c', 'elfcorehdr.c');
  const exe = join(workDir, 'elfcorehdr-c');
  if (spawnSync('cc', ['--version']).status !== 0) cNote = 'no system cc: C anchor skipped';
  else if (!existsSync(src)) cNote = `C source ${src} not found: C anchor skipped`;
  else {
    execFileSync('cc', ['-O2', '-o', exe, src]);
    const runs = Array.from({ length: 5 }, () => JSON.parse(execFileSync(exe, [String(rounds)], { encoding: 'utf8' })) as { medianNs: number });
    cUs = median(runs.map((r) => r.medianNs)) / 1000;
  }
  return { bytes: bytes.length, writeIntoTargetUs: median(write), buildIntoTargetUs: median(build), bufferCopyUs: median(copy), cUs, cNote, note: NOTE };
}
