// The seeds' resize (a 32 GiB guest grown to 512 GiB with 1 GiB DIMMs: 3840 block-online events)
// replayed under each strategy, interleaved round by round so that every claim is a ratio of two
// things measured in the same run: how much longer Linux's one-regeneration-per-event handler takes
// than the coalescing one, and how much longer kdump stays unarmed under the udev reload baseline
// (here with small segments; the CLI's default 52 MiB image makes each reload far dearer).
// Prints JSON on stdout.
//
//   npm run build && node dist/bench/hotplug-resize.js [--rounds 5] [--mode file|load]

import { resizeEvents, simulateHotplug, type SimulationSummary, type StrategyName } from '../core/hotplug/index.js';
import { SMALL_PAYLOAD } from '../core/kexec/index.js';
import { HOST_CLOCK } from '../api/host-clock.js';
import { systemRam, x86Plugin, x86System } from '../test/support/systems.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const ROUNDS = Math.max(1, Number(option('rounds', '5')) | 0);
const MODE = option('mode', 'file') === 'load' ? 'load' : 'file';
const G = 1n << 30n;
const guest = x86System({
  ram: systemRam([0x1000n, 0x9_fbffn], [0x10_0000n, 0xbffd_ffffn], [0x1_0000_0000n, 0x8_3fff_ffffn]),
  cpus: { possible: [0, 1, 2, 3, 4, 5, 6, 7], present: [0, 1, 2, 3] },
});
const events = resizeEvents(guest, { from: 32n * G, to: 512n * G, dimmSize: G });
const plugin = x86Plugin();
const STRATEGIES: readonly StrategyName[] = ['kernel', 'coalesce', 'reload'];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// One warm-up pass of each, then the measured rounds.
for (const strategy of STRATEGIES) simulateHotplug(guest, plugin, events, { strategy, mode: MODE, payload: SMALL_PAYLOAD, clock: HOST_CLOCK });
const runs = new Map<StrategyName, SimulationSummary[]>(STRATEGIES.map((s) => [s, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const strategy of STRATEGIES)
    runs.get(strategy)!.push(simulateHotplug(guest, plugin, events, { strategy, mode: MODE, payload: SMALL_PAYLOAD, clock: HOST_CLOCK }).summary);
}

const per = Object.fromEntries(
  STRATEGIES.map((s) => {
    const rs = runs.get(s)!;
    const last = rs[rs.length - 1]!;
    return [
      s,
      {
        events: last.events,
        regenerations: last.regenerations,
        dropped: last.dropped,
        coalesced: last.coalesced,
        bytesWritten: last.bytesWritten,
        elapsedMsMedian: median(rs.map((x) => x.elapsedMs)),
        unarmedNsTotalMedian: median(rs.map((x) => x.unarmedNs.total)),
        unarmedNsMaxMedian: median(rs.map((x) => x.unarmedNs.max)),
        finalHeaderMatchesFresh: rs.every((x) => x.finalHeaderMatchesFresh),
        purgatoryVerified: rs.every((x) => x.purgatoryVerified),
        ...(last.udev === undefined ? {} : { udevSimulated: last.udev }),
      },
    ];
  }),
);
const kernel = per.kernel!;
const coalesce = per.coalesce!;
const reload = per.reload!;
const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
process.stdout.write(
  `${JSON.stringify(
    {
      scenario: {
        from: '32G',
        to: '512G',
        dimm: '1G',
        block: '128M',
        events: events.filter((e) => e.event.kind === 'memory').length,
        mode: MODE,
        payload: SMALL_PAYLOAD,
      },
      rounds: ROUNDS,
      node: process.version,
      strategies: per,
      ratios: {
        kernelOverCoalesceElapsed: ratio(kernel.elapsedMsMedian, coalesce.elapsedMsMedian),
        kernelOverCoalesceRegenerations: ratio(kernel.regenerations, coalesce.regenerations),
        reloadOverKernelUnarmedTotal: ratio(reload.unarmedNsTotalMedian, kernel.unarmedNsTotalMedian),
        reloadOverCoalesceUnarmedMax: ratio(reload.unarmedNsMaxMedian, coalesce.unarmedNsMaxMedian),
      },
    },
    null,
    2,
  )}\n`,
);
