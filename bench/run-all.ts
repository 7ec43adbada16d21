// `npm run bench`: every performance figure of issue 13 as a ratio to its anchor measured in the
// same run (medians of ≥ 5), printed as one JSON object on stdout; progress goes to stderr.
//
//   node dist/bench/run-all.js [--quick]    (--quick leaves out the 16 TiB simulate)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headerBuild } from './header-build.js';
import { writeLmbTree } from '../test/support/lmb-tree.js';
import { loadDigestFloor } from './load-digest.js';
import { writeBigMachine } from './machines.js';
import { interleaved, median, round, runOnce, timedRun } from './measure.js';
import { scalingSeries } from './scaling.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'crashplug.js');
const NODE = process.execPath;
const FULL = !process.argv.includes('--quick');
const work = mkdtempSync(join(tmpdir(), 'crashplug-bench-'));
const say = (s: string) => process.stderr.write(`bench: ${s}\n`);
const started = performance.now();

try {
  say('start-up');
  // --version answers from package.json; --help loads the whole CLI (bundle, ports, commands), as
  // every other command does before its own work.
  const startup = interleaved({ bareNode: [NODE, '-e', '0'], version: [NODE, CLI, '--version'], help: [NODE, CLI, '--help'] }, 15);

  say('elfcorehdr end to end');
  const big = writeBigMachine(work, 8192, 8192);
  const small = join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1', 'system.json');
  const e2e = interleaved({ big: [NODE, CLI, 'elfcorehdr', '--system', big], small: [NODE, CLI, 'elfcorehdr', '--system', small] }, 15);

  say('header build');
  const hb = headerBuild(work);

  say('simulate');
  const seed = join(ROOT, 'test', 'fixtures', 'hotplug', 'system.json');
  const simArgs = (to: string, extra: string[] = []) => [
    CLI,
    'simulate',
    '--system',
    seed,
    '--resize',
    `32G:${to}`,
    '--strategy',
    'coalesce',
    '--json',
    // 16 TiB of 1 GiB DIMMs is more than x86's header holds (CRASH_MAX_MEMORY_RANGES): the answer is
    // "bad" (exit 3), which is what is being timed, not a failure of the run.
    '--no-fail',
    ...extra,
  ];
  /** n runs, each under GNU time: replay (the JSON's elapsedMs), wall time and peak RSS of the same runs. */
  const simulate = (to: string, n = 5, extra: string[] = []) => {
    const runs = Array.from({ length: n }, () => {
      const r = timedRun(NODE, simArgs(to, extra));
      const j = JSON.parse(r.stdout) as { events: number; elapsedMs: number };
      return { events: j.events, elapsedMs: j.elapsedMs, wallMs: r.ms, rss: r.maxRssKb };
    });
    const events = runs[0]!.events;
    const replayMs = median(runs.map((r) => r.elapsedMs));
    const rss = runs.map((r) => r.rss).filter((x): x is number => x !== undefined);
    return {
      events,
      runs: n,
      replayMs: round(replayMs),
      usPerEvent: round((replayMs * 1000) / events),
      wallMs: round(median(runs.map((r) => r.wallMs))),
      peakRssKb: rss.length === 0 ? undefined : median(rss),
    };
  };
  const s512 = simulate('512G');
  const s4t = simulate('4T');
  let s16t: ReturnType<typeof simulate> | undefined;
  if (FULL) {
    say('simulate 16T (--quick leaves it out)');
    s16t = simulate('16T', 5);
  }
  const refusal = (() => {
    try {
      runOnce(NODE, [CLI, 'simulate', '--system', seed, '--resize', '32G:64T', '--dimm', '128M', '--strategy', 'coalesce']);
      return 'finished';
    } catch (e) {
      return /E_TOO_LARGE[^\n]*/.exec(String(e))?.[0] ?? String(e);
    }
  })();

  say('65 536-LMB pseries tree against dtc');
  const lmb = writeLmbTree(work, 65_536);
  const dtc = interleaved(
    {
      crashplug: [NODE, CLI, 'elfcorehdr', '--system', lmb.system],
      dtc: ['dtc', '-q', '-I', 'dtb', '-O', 'dts', '-o', '/dev/null', lmb.dtb],
      bareNode: [NODE, '-e', '0'],
    },
    5,
  );

  say('floors: the seed image load digest');
  const digest = loadDigestFloor(seed);

  say('scaling series');
  const scaling = scalingSeries();

  const figures = {
    benchmark: 'crashplug run-all',
    node: process.version,
    rounds:
      'medians of 15 interleaved runs for start-up and elfcorehdr (the figures nearest their targets on a noisy host), 5–7 for the rest; the 16 TiB simulate 5',
    anchors: {
      bareNodeStartMs: round(startup.bareNode!),
      smallRealMachineElfcorehdrMs: round(e2e.small!),
      bufferCopyUs: round(hb.bufferCopyUs, 3),
      cBuildUs: hb.cUs === undefined ? null : round(hb.cUs, 3),
      simulate512G: s512,
      dtcLmb65536Ms: round(dtc.dtc!),
    },
    ratios: {
      versionOverBareNode: round(startup.version! / startup.bareNode!),
      helpOverBareNode: round(startup.help! / startup.bareNode!),
      smallRealElfcorehdrOverBareNode: round(e2e.small! / startup.bareNode!),
      elfcorehdr8192x8192OverSmallReal: round(e2e.big! / e2e.small!),
      headerWriteOverBufferCopy: round(hb.writeIntoTargetUs / hb.bufferCopyUs),
      headerWriteOverC: hb.cUs === undefined ? null : round(hb.writeIntoTargetUs / hb.cUs),
      headerBuildWithCrashMemoryOverBufferCopy: round(hb.buildIntoTargetUs / hb.bufferCopyUs),
      seedStormEndToEndOverStartup: round(s512.wallMs / startup.version!),
      seedStormReplayOver20Ms: round(s512.replayMs / 20),
      simulatePerEvent4TOver512G: round(s4t.usPerEvent / s512.usPerEvent),
      simulatePerEvent16TOver512G: s16t === undefined ? null : round(s16t.usPerEvent / s512.usPerEvent),
      simulatePeakRss4TOver512G: s4t.peakRssKb && s512.peakRssKb ? round(s4t.peakRssKb / s512.peakRssKb) : null,
      simulatePeakRss16TOver512G: s16t?.peakRssKb && s512.peakRssKb ? round(s16t.peakRssKb / s512.peakRssKb) : null,
      lmb65536OverDtc: round(dtc.crashplug! / dtc.dtc!),
    },
    // The least each ratio could be, measured in this run: what no change to crashplug can go under.
    floors: {
      headerWriteFloorOverC: hb.cUs === undefined ? null : round(hb.floorUs / hb.cUs),
      headerWriteOverFloor: round(hb.writeIntoTargetUs / hb.floorUs),
      seedStormFloorOverStartup: round((startup.bareNode! + digest.sha256Ms) / startup.version!),
      lmb65536FloorOverDtc: round(dtc.bareNode! / dtc.dtc!),
      headerWriteFloorUs: round(hb.floorUs, 3),
      seedImageHashedBytes: digest.hashedBytes,
      seedImageSha256Ms: round(digest.sha256Ms),
      note:
        'header write floor: the same phdr stores from the same prepared inputs in a bare loop (checked to write the same bytes); ' +
        'seed storm floor: bare node start + one SHA-256 of the bytes the load digest covers (kexec_file_load hashes them before any event); ' +
        'LMB floor: bare node start (node -e 0), interleaved with dtc',
    },
    figures: {
      elfcorehdr8192x8192Ms: round(e2e.big!),
      versionMs: round(startup.version!),
      helpMs: round(startup.help!),
      headerWriteUs: round(hb.writeIntoTargetUs, 3),
      headerBuildWithCrashMemoryUs: round(hb.buildIntoTargetUs, 3),
      headerWriteNote: hb.note,
      headerBytes: hb.bytes,
      seedStormReplayMs: s512.replayMs,
      seedStormWallMs: s512.wallMs,
      lmb65536ElfcorehdrMs: round(dtc.crashplug!),
      simulate4T: s4t,
      simulate16T: s16t ?? null,
      resize32GTo64TWith128MDimms: refusal,
    },
    scaling,
    notes: [
      ...(hb.cNote === undefined ? [] : [hb.cNote]),
      ...(FULL ? [] : ['16 TiB simulate not run (--quick); its per-event and peak-memory ratios are null']),
      'header write: zeroing + writing from prepared crash memory, as the C anchor does; the build with crash memory is beside it',
      'seed storm end to end: wall time of the CLI run (load of the 52 MiB image, replay, final purgatory check) over --version',
    ],
    benchSeconds: 0,
  };
  figures.benchSeconds = round((performance.now() - started) / 1000, 1);
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
