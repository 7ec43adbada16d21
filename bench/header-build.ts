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
import { buildElfcorehdr, type ElfcorehdrInput } from '../core/elf/index.js';
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
  /**
   * Zeroing + only the phdr stores, from the same prepared inputs, in one bare loop per kind (no
   * layout, no checks, no fix-up; the Ehdr copied in): the least V8 takes to store these words.
   */
  readonly floorUs: number;
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
  const floor: number[] = [];
  const floorTarget = new Uint8Array(bytes.length);
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
    t0 = process.hrtime.bigint();
    floorTarget.fill(0);
    floorWrite(floorTarget, bytes, input);
    const f = Number(process.hrtime.bigint() - t0) / 1000;
    if (i >= 30) {
      write.push(w);
      copy.push(c);
      floor.push(f);
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
  // The floor stands for the write only if it stores the very same bytes.
  if (!Buffer.from(floorTarget).equals(source)) throw new Error('header-build: the floor loop does not write the header');
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
  return {
    bytes: bytes.length,
    writeIntoTargetUs: median(write),
    buildIntoTargetUs: median(build),
    bufferCopyUs: median(copy),
    floorUs: median(floor),
    cUs,
    cNote,
    note: NOTE,
  };
}

const NOTE_WORD = 4n; // PT_NOTE, p_flags 0
const LOAD_WORD = 1n | (7n << 32n); // PT_LOAD, PF_R | PF_W | PF_X

/**
 * The floor: the phdr words of `input` (x86: note table, packed ranges, vaOffset, little-endian)
 * stored into the zeroed `out` with nothing else, the Ehdr copied from `header`. What the C anchor's
 * loops do, in the fewest JavaScript operations; headerBuild checks it writes the same bytes.
 */
export function floorWrite<C>(out: Uint8Array, header: Uint8Array, input: ElfcorehdrInput<C>): void {
  const addresses = input.noteAddresses?.addresses;
  const bounds = input.packedRanges?.bounds;
  const offset = input.vaOffset;
  const km = input.kernelMap;
  if (addresses === undefined || bounds === undefined || offset === undefined || km === undefined)
    throw new Error('header-build: the floor needs the prepared x86 inputs (note table, packed ranges, vaOffset, kernel map)');
  out.set(header.subarray(0, 64));
  const u64 = new BigUint64Array(out.buffer, out.byteOffset, out.byteLength >>> 3);
  const size = input.noteSize;
  let q = 8;
  for (let i = 0; i < addresses.length; i++) {
    const a = addresses[i]!;
    u64[q] = NOTE_WORD;
    u64[q + 1] = a;
    u64[q + 3] = a;
    u64[q + 4] = size;
    u64[q + 5] = size;
    q += 7;
  }
  const v = input.vmcoreinfo;
  u64[q] = NOTE_WORD;
  u64[q + 1] = v.address;
  u64[q + 3] = v.address;
  u64[q + 4] = v.size;
  u64[q + 5] = v.size;
  q += 7;
  u64[q] = LOAD_WORD;
  u64[q + 1] = km.paddr;
  u64[q + 2] = km.vaddr;
  u64[q + 3] = km.paddr;
  u64[q + 4] = km.size;
  u64[q + 5] = km.size;
  q += 7;
  for (let j = 0; j < bounds.length; j += 2) {
    const s = bounds[j]!;
    const z = BigInt.asUintN(64, bounds[j + 1]! - s + 1n);
    u64[q] = LOAD_WORD;
    u64[q + 1] = s;
    u64[q + 2] = BigInt.asUintN(64, s + offset);
    u64[q + 3] = s;
    u64[q + 4] = z;
    u64[q + 5] = z;
    q += 7;
  }
}
