// How long one elfcorehdr build takes for the biggest machine the x86 hot-plug segment is sized for:
// MAXSMP (8192 possible CPUs) with 8192 System RAM ranges left after the low-1M / crashkernel
// exclusions, i.e. 16386 program headers. A hot-plug event rebuilds this header, so this is the work
// per event. Timings on shared machines are noisy, so each claim is a ratio of two things measured
// in the same run, interleaved round by round. Prints JSON on stdout; progress on stderr.
//
//   npm run bench                      (builds, then runs dist/bench/elfcorehdr-build.js)
//   node dist/bench/elfcorehdr-build.js --rounds 50 --per-round 10

import { buildSystemElfcorehdr } from '../core/build/index.js';
import { decodeElfCoreHeader, encodeElfCoreHeader } from '../core/elf/index.js';
import type { ArchPlugin } from '../core/port/index.js';
import { cpuIds, x86Plugin, x86RamWithRanges, x86System } from '../test/support/systems.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
}

const ROUNDS = option('rounds', 40);
const PER_ROUND = option('per-round', 10);
const WARMUP = option('warmup', 30);

const plugin = x86Plugin();
const system = x86System({
  cpus: { possible: cpuIds(8192) },
  ram: x86RamWithRanges(8192),
  config: { nrCpusDefault: 8192 },
});

// Prebuilt pieces, so each case times one thing.
const full = buildSystemElfcorehdr(system, plugin);
const model = decodeElfCoreHeader(full.bytes);
const ranges = full.crashMemory.mem.ranges;
/**
 * The same plug-in with its crash memory already worked out: building with it times the layout and
 * the bytes alone, through the very code path (and closures) a full build takes. Feeding the writer
 * a hand-made input instead would change what V8 specialises it for and slow the full build too.
 */
const rangesDone: ArchPlugin = { ...plugin, crashMemory: () => full.crashMemory };
/** A preallocated header buffer, as a hot-plug engine that keeps one could pass as `target`. */
const target = new Uint8Array(full.bytes.length);

let sink = 0; // keeps results alive so nothing is optimised away
const cases = {
  /** buildSystemElfcorehdr: crash memory + layout + bytes, what a hot-plug event costs. */
  fullBuild: () => {
    sink += buildSystemElfcorehdr(system, plugin).bytes.length;
  },
  /** The same build into a reused buffer, zeroed again each time (the kernel's buffer is zeroed too). */
  buildIntoTarget: () => {
    target.fill(0);
    sink += buildSystemElfcorehdr(system, plugin, target).bytes.length;
  },
  /** encodeElfCoreHeader of a prebuilt model: bytes only, from objects. */
  encodeModel: () => {
    sink += encodeElfCoreHeader(model).length;
  },
  /** The arch's crash memory: System RAM copied, low 1M / crashk_res / crashk_low_res cut out. */
  rangeWork: () => {
    sink += plugin.crashMemory(system).mem.ranges.length;
  },
  /** buildSystemElfcorehdr with the ranges already known: the layout and the bytes. */
  byteWriting: () => {
    sink += buildSystemElfcorehdr(system, rangesDone).bytes.length;
  },
} as const;
type CaseName = keyof typeof cases;
const names = Object.keys(cases) as CaseName[];

const started = performance.now();
let lastProgress = started;
function progress(text: string): void {
  const now = performance.now();
  if (now - started > 1000 && now - lastProgress > 500) {
    process.stderr.write(`elfcorehdr-build: ${text} (${((now - started) / 1000).toFixed(1)} s)\n`);
    lastProgress = now;
  }
}

for (let i = 0; i < WARMUP; i++) {
  for (const n of names) cases[n]();
  progress(`warming up ${i + 1}/${WARMUP}`);
}

const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<CaseName, number[]>;
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, and the order rotated per round, so drift and GC hit every case alike.
  for (let k = 0; k < names.length; k++) {
    const n = names[(round + k) % names.length]!;
    const fn = cases[n];
    for (let j = 0; j < PER_ROUND; j++) {
      const t0 = process.hrtime.bigint();
      fn();
      samples[n].push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  }
  progress(`round ${round + 1}/${ROUNDS}`);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const round2 = (x: number) => Math.round(x * 100) / 100;
const stats = Object.fromEntries(
  names.map((n) => {
    const s = [...samples[n]].sort((a, b) => a - b);
    return [n, { medianUs: round2(quantile(s, 0.5)), p95Us: round2(quantile(s, 0.95)), samples: s.length }];
  }),
) as Record<CaseName, { medianUs: number; p95Us: number; samples: number }>;

const ratio = (a: CaseName, b: CaseName) => round2(stats[a].medianUs / stats[b].medianUs);
process.stdout.write(
  `${JSON.stringify(
    {
      benchmark: 'elfcorehdr-build',
      machine: {
        arch: system.arch,
        kernel: system.kernel.version,
        possibleCpus: system.cpus.possible.length,
        systemRamRanges: system.memory.systemRam.length,
        rangesAfterExclusion: ranges.length,
        phnum: full.layout.phnum,
        bytes: full.bytes.length,
      },
      node: process.version,
      rounds: ROUNDS,
      perRound: PER_ROUND,
      stats,
      ratios: {
        /** A whole build against encoding a model that already exists. */
        fullBuildOverEncodeModel: ratio('fullBuild', 'encodeModel'),
        /** The arch's range work against writing the layout's bytes. */
        rangeWorkOverByteWriting: ratio('rangeWork', 'byteWriting'),
        /** What a fresh 900 KB zeroed buffer per build costs, against reusing one. */
        fullBuildOverBuildIntoTarget: ratio('fullBuild', 'buildIntoTarget'),
      },
      sink: sink > 0,
    },
    null,
    2,
  )}\n`,
);
