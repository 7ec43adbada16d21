// `npm run bench`: every performance figure of issue 13 as a ratio to its anchor measured in the
// same run (medians of ≥ 5), printed as one JSON object on stdout; progress goes to stderr.
//
//   node dist/bench/run-all.js [--full]     (--full adds the 16 TiB simulate: about 2 minutes alone)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headerBuild } from './header-build.js';
import { writeBigMachine } from './machines.js';
import { interleaved, median, peakRssKb, round, runOnce } from './measure.js';
import { scalingSeries } from './scaling.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'crashplug.js');
const NODE = process.execPath;
const FULL = process.argv.includes('--full');
const work = mkdtempSync(join(tmpdir(), 'crashplug-bench-'));
const say = (s: string) => process.stderr.write(`bench: ${s}\n`);
const started = performance.now();

try {
  say('start-up');
  const startup = interleaved({ bareNode: [NODE, '-e', '0'], version: [NODE, CLI, '--version'] }, 7);

  say('elfcorehdr end to end');
  const big = writeBigMachine(work, 8192, 8192);
  const small = join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1', 'system.json');
  const e2e = interleaved({ big: [NODE, CLI, 'elfcorehdr', '--system', big], small: [NODE, CLI, 'elfcorehdr', '--system', small] }, 7);

  say('header build');
  const hb = headerBuild(work);

  say('simulate');
  const seed = join(ROOT, 'test', 'fixtures', 'hotplug', 'system.json');
  const simulate = (to: string) => {
    const runs = Array.from({ length: 5 }, () => {
      const r = runOnce(NODE, [CLI, 'simulate', '--system', seed, '--resize', `32G:${to}`, '--strategy', 'coalesce', '--json']);
      const j = JSON.parse(r.stdout) as { events: number; elapsedMs: number };
      return { events: j.events, elapsedMs: j.elapsedMs, wallMs: r.ms };
    });
    const rss = peakRssKb(NODE, [CLI, 'simulate', '--system', seed, '--resize', `32G:${to}`, '--strategy', 'coalesce', '--json']);
    const events = runs[0]!.events;
    const replayMs = median(runs.map((r) => r.elapsedMs));
    return { events, replayMs: round(replayMs), usPerEvent: round((replayMs * 1000) / events), wallMs: round(median(runs.map((r) => r.wallMs))), peakRssKb: rss };
  };
  const s512 = simulate('512G');
  const s4t = simulate('4T');
  let s16t: ReturnType<typeof simulate> | undefined;
  if (FULL) {
    say('simulate 16T (--full)');
    const r = runOnce(NODE, [CLI, 'simulate', '--system', seed, '--resize', '32G:16T', '--strategy', 'coalesce', '--json', '--budget', '0']);
    const j = JSON.parse(r.stdout) as { events: number; elapsedMs: number };
    s16t = { events: j.events, replayMs: round(j.elapsedMs), usPerEvent: round((j.elapsedMs * 1000) / j.events), wallMs: round(r.ms), peakRssKb: undefined };
  }
  const refusal = (() => {
    try {
      runOnce(NODE, [CLI, 'simulate', '--system', seed, '--resize', '32G:64T', '--dimm', '128M', '--strategy', 'coalesce']);
      return 'finished';
    } catch (e) {
      return /E_TOO_LARGE[^\n]*/.exec(String(e))?.[0] ?? String(e);
    }
  })();

  say('scaling series');
  const scaling = scalingSeries();

  const figures = {
    benchmark: 'crashplug run-all',
    node: process.version,
    rounds: 'medians of 5–7 runs, interleaved',
    anchors: {
      bareNodeStartMs: round(startup.bareNode!),
      smallRealMachineElfcorehdrMs: round(e2e.small!),
      bufferCopyUs: round(hb.bufferCopyUs, 3),
      cBuildUs: hb.cUs === undefined ? null : round(hb.cUs, 3),
      simulate512G: s512,
      dtc: null,
    },
    ratios: {
      versionOverBareNode: round(startup.version! / startup.bareNode!),
      elfcorehdr8192x8192OverSmallReal: round(e2e.big! / e2e.small!),
      headerBuildOverBufferCopy: round(hb.buildIntoTargetUs / hb.bufferCopyUs),
      headerBuildOverC: hb.cUs === undefined ? null : round(hb.buildIntoTargetUs / hb.cUs),
      simulatePerEvent4TOver512G: round(s4t.usPerEvent / s512.usPerEvent),
      simulatePerEvent16TOver512G: s16t === undefined ? null : round(s16t.usPerEvent / s512.usPerEvent),
      simulatePeakRss4TOver512G: s4t.peakRssKb && s512.peakRssKb ? round(s4t.peakRssKb / s512.peakRssKb) : null,
      lmb65536OverDtc: null,
    },
    figures: {
      elfcorehdr8192x8192Ms: round(e2e.big!),
      versionMs: round(startup.version!),
      headerBuildUs: round(hb.buildIntoTargetUs, 3),
      headerBytes: hb.bytes,
      seedStormReplayMs: s512.replayMs,
      simulate4T: s4t,
      simulate16T: s16t ?? null,
      resize32GTo64TWith128MDimms: refusal,
    },
    scaling,
    notes: [
      ...(hb.cNote === undefined ? [] : [hb.cNote]),
      ...(FULL ? [] : ['16 TiB simulate not run (about 100 s alone; --full runs it); its per-event and peak-memory ratios are null']),
      '65 536-LMB device tree against dtc: not measured by this bench yet (null)',
    ],
    benchSeconds: 0,
  };
  figures.benchSeconds = round((performance.now() - started) / 1000, 1);
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
