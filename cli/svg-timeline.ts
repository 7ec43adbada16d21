// A picture of a hot-plug run in two panels that never share an axis:
// - the modelled timeline: events, header updates, refused updates, dropped events, the windows
//   kdump was unarmed and the stretches the installed header missed an event, on the run's own
//   clock (the producer's event times, udev's reload schedule), with the first moment the header
//   stopped covering the machine marked; `maxMs` fixes the scale so two strategies line up;
// - the host's measurements: how long this Node process kept kdump unarmed for each update, on a
//   fixed log scale (100 ns to 10 s) whatever the run, the JIT warm-up marked and left out of the
//   statistics, refused updates drawn (they copied nothing, so they have no height of their own).

import type { UpdateOutcome } from '../core/hotplug/index.js';
import type { Span, Timeline, TimelineUpdate } from './timeline.js';
import { escapeXml, LanePlacer, msText, nsText, svgOpen, textWidth } from './svg-text.js';

export interface TimelineChart {
  readonly title: string;
  readonly subtitle: string;
  readonly timeline: Timeline;
  /** Fix the time axis to [0, maxMs] (to compare runs); the run's own end when not given. */
  readonly maxMs?: number | undefined;
}

export interface TimelinePicture {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  readonly scaleMs: number;
  /** Modelled time past the fixed scale that is not drawn (0 when it all fits). */
  readonly clippedMs: number;
  readonly counts: {
    readonly events: number;
    readonly installed: number;
    readonly refused: number;
    readonly dropped: number;
    readonly unarmedWindows: number;
    readonly warmup: number;
  };
}

const COLOURS = {
  event: '#78909c',
  installed: '#1e88e5',
  reloaded: '#8e24aa',
  refused: '#fb8c00',
  dropped: '#e53935',
  unarmed: '#c62828',
  stale: '#ffca28',
  warmup: '#bdbdbd',
  unattributed: '#6d4c41',
} as const;

const REFUSED: ReadonlySet<UpdateOutcome> = new Set(['build-failed', 'too-large', 'reload-failed']);
const LEFT = 200;
const PLOT = 1000;
const RIGHT = 70;
const LANE_H = 34;
const BAR_H = 18;
const MEASURED_H = 200;
/** Decades of the measured panel: 100 ns to 10 s, for every run. */
const DECADE_LO = 2;
const DECADE_HI = 10;
const DECADES = ['100 ns', '1 µs', '10 µs', '100 µs', '1 ms', '10 ms', '100 ms', '1 s', '10 s'];

/** A round step for time ticks so that labels stay about 100 px apart. */
function niceStep(maxMs: number): number {
  const raw = maxMs / (PLOT / 110);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** How many of the first updates are JIT warm-up: 1 in 20, between 1 and 10. */
export function warmupCount(n: number): number {
  return n === 0 ? 0 : Math.min(10, Math.max(1, Math.ceil(n / 20)));
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function updateTitle(u: TimelineUpdate): string {
  const r = u.record;
  const when = u.doneMs === undefined ? `at ${msText(u.atMs)}` : `${msText(u.atMs)} to ${msText(u.doneMs)}`;
  return (
    `update ${r.seq}: ${r.action}, ${r.outcome}${r.segment === undefined ? '' : ` (${r.segment})`}, ${r.folded} event(s), ${r.bytes} bytes, ` +
    `${when} (modelled), unarmed ${nsText(Number(r.unarmedNs))} (measured on this host)`
  );
}

export function timelinePicture(chart: TimelineChart): TimelinePicture {
  const t = chart.timeline;
  const scaleMs = Math.max(1, chart.maxMs ?? t.endMs * 1.02);
  const clippedMs = Math.max(0, t.endMs - scaleMs);
  const x = (ms: number): number => LEFT + (Math.min(Math.max(ms, 0), scaleMs) / scaleMs) * PLOT;
  const right = LEFT + PLOT + RIGHT - 4;
  const out: string[] = [];
  const installed = t.updates.filter((u) => u.record.outcome === 'installed' || u.record.outcome === 'reloaded');
  const refused = t.updates.filter((u) => REFUSED.has(u.record.outcome));
  const used = new Set<keyof typeof COLOURS>();

  /** Marks at instants, merged per 2 px so that thousands of events stay thousands of bytes. */
  const instants = (times: readonly number[], y: number, h: number, colour: keyof typeof COLOURS, what: string): void => {
    if (times.length === 0) return;
    used.add(colour);
    const bins = new Map<number, { n: number; from: number; to: number }>();
    for (const ms of times) {
      const b = Math.floor((x(ms) - LEFT) / 2);
      const e = bins.get(b);
      if (e === undefined) bins.set(b, { n: 1, from: ms, to: ms });
      else {
        e.n++;
        e.to = ms;
      }
    }
    // Height grows with how many marks a bin holds, so a dense stretch reads as a rate, not a wall.
    const most = Math.max(...[...bins.values()].map((e) => e.n));
    for (const [b, e] of bins) {
      const range = e.from === e.to ? `at ${msText(e.from)}` : `${msText(e.from)} to ${msText(e.to)}`;
      const bh = most <= 1 ? h : Math.max(4, (h * e.n) / most);
      out.push(
        `<rect x="${(LEFT + b * 2).toFixed(1)}" y="${(y + h - bh).toFixed(1)}" width="2" height="${bh.toFixed(1)}" fill="${COLOURS[colour]}"><title>${e.n} ${what} ${range}</title></rect>`,
      );
    }
  };
  const spans = (list: readonly Span[], y: number, colour: keyof typeof COLOURS, what: string, labelled: boolean): void => {
    const lanes = new LanePlacer(8, 1);
    for (const s of list) {
      used.add(colour);
      const end = s.endMs ?? Math.max(t.endMs, scaleMs);
      const x0 = x(s.startMs);
      const w = Math.max(1.5, x(end) - x0);
      const len = s.endMs === undefined ? `${msText(end - s.startMs)}+, never ended` : msText(end - s.startMs);
      const title = `<title>${escapeXml(`${what} from ${msText(s.startMs)} for ${len}`)}</title>`;
      out.push(`<rect x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLOURS[colour]}" fill-opacity="0.85">${title}</rect>`);
      if (!labelled) continue;
      const text = msText(end - s.startMs) + (s.endMs === undefined ? '+' : '');
      const tw = textWidth(text, 11);
      if (tw + 6 <= w) {
        if (lanes.place(x0, x0 + w) >= 0)
          out.push(`<text x="${(x0 + w / 2).toFixed(1)}" y="${y + 13}" font-size="11" text-anchor="middle" fill="#ffffff">${text}${title}</text>`);
      }
    }
  };

  let y = 70;
  // The first moment the header stopped covering the machine: a line through every lane, labelled above them.
  const firstStaleLabelY = y;
  y += 12;
  const lanesTop = y;
  const lane = (name: string, count: string): number => {
    const top = y;
    out.push(`<text x="10" y="${top + 13}" font-weight="bold">${escapeXml(name)}</text>`);
    out.push(`<text x="10" y="${top + 27}" font-size="11" fill="#607d8b">${escapeXml(count)}</text>`);
    out.push(`<line x1="${LEFT}" y1="${top + LANE_H - 6}" x2="${LEFT + PLOT}" y2="${top + LANE_H - 6}" stroke="#eceff1"/>`);
    y += LANE_H;
    return top + 2;
  };
  instants(t.eventsMs, lane('events', `${t.eventsMs.length} notifier events`), BAR_H, 'event', 'event(s)');
  const updY = lane('header updates', `${installed.length} ${t.strategy === 'reload' ? 'reloads' : 'installed'}`);
  instants(
    installed.map((u) => u.atMs),
    updY,
    BAR_H,
    t.strategy === 'reload' ? 'reloaded' : 'installed',
    t.strategy === 'reload' ? 'reload(s) started' : 'update(s) installed',
  );
  const refY = lane('refused updates', refused.length === 0 ? 'none' : `${refused.length}: ${[...new Set(refused.map((u) => u.record.outcome))].join(', ')}`);
  instants(
    refused.map((u) => u.atMs),
    refY,
    BAR_H,
    'refused',
    'update(s) refused (header kept, kdump armed with the old one)',
  );
  const dropCount = t.droppedMs.length + t.unattributedMs.length;
  const dropY = lane(
    'dropped events',
    dropCount === 0 ? 'none' : `${t.droppedMs.length} lock busy${t.unattributedMs.length ? `, ${t.unattributedMs.length} other` : ''}`,
  );
  instants(t.droppedMs, dropY, BAR_H, 'dropped', 'event(s) dropped: kexec lock busy, no update');
  instants(t.unattributedMs, dropY, BAR_H, 'unattributed', 'handler call(s) without an update (no image, or the hook did nothing)');
  const unarmedTotal = t.unarmed.reduce((s, u) => s + ((u.endMs ?? Math.max(t.endMs, scaleMs)) - u.startMs), 0);
  const unY = lane('kdump unarmed', t.unarmed.length === 0 ? 'no modelled window' : `${msText(unarmedTotal)} in ${t.unarmed.length}`);
  if (t.unarmed.length > 0) spans(t.unarmed, unY, 'unarmed', 'kdump unarmed (kdumpctl reload)', true);
  else if (installed.length > 0) {
    out.push(
      `<text x="${LEFT + 6}" y="${unY + 13}" font-size="11" fill="#607d8b">in-place copies: no modelled duration; measured per update in the panel below</text>`,
    );
  }
  const staleTotal = t.stale.reduce((s, u) => s + ((u.endMs ?? Math.max(t.endMs, scaleMs)) - u.startMs), 0);
  const stY = lane('header stale', t.stale.length === 0 ? 'never' : `${msText(staleTotal)} in ${t.stale.length}`);
  spans(t.stale, stY, 'stale', 'the installed header misses an event', false);
  const lanesBottom = y - 6;
  if (t.firstStaleMs !== undefined && t.firstStaleMs <= scaleMs) {
    const fx = x(t.firstStaleMs);
    out.push(
      `<line x1="${fx.toFixed(1)}" y1="${lanesTop - 4}" x2="${fx.toFixed(1)}" y2="${lanesBottom}" stroke="#d32f2f" stroke-width="1.2" stroke-dasharray="4,3"/>`,
    );
    const text = `header stops covering the machine at ${msText(t.firstStaleMs)}`;
    const tw = textWidth(text, 11);
    const lx = Math.min(Math.max(fx - tw / 2, LEFT), right - tw);
    out.push(`<text x="${lx.toFixed(1)}" y="${firstStaleLabelY + 4}" font-size="11" fill="#d32f2f">${text}</text>`);
  } else {
    out.push(
      `<text x="${LEFT}" y="${firstStaleLabelY + 4}" font-size="11" fill="#2e7d32">${t.firstStaleMs === undefined ? 'the header covered every event as it happened' : `header stops covering the machine at ${msText(t.firstStaleMs)}, past the scale`}</text>`,
    );
  }
  // Time axis.
  out.push(`<line x1="${LEFT}" y1="${lanesBottom}" x2="${LEFT + PLOT}" y2="${lanesBottom}" stroke="#37474f"/>`);
  const step = niceStep(scaleMs);
  for (let ms = 0; ms <= scaleMs + 1e-9; ms += step) {
    const tx = x(ms);
    const label = msText(ms);
    const tw = textWidth(label, 11);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${lanesBottom}" x2="${tx.toFixed(1)}" y2="${lanesBottom + 5}" stroke="#37474f"/>`);
    out.push(
      `<text x="${Math.min(Math.max(tx - tw / 2, LEFT - 10), right - tw).toFixed(1)}" y="${lanesBottom + 18}" font-size="11" fill="#37474f">${label}</text>`,
    );
  }
  y = lanesBottom + 36;
  const scaleNote =
    (chart.maxMs === undefined ? `modelled time, 0 to ${msText(scaleMs)} (the run's own end)` : `modelled time, fixed scale 0 to ${msText(scaleMs)}`) +
    (clippedMs > 0 ? `; the run goes on ${msText(clippedMs)} past it, not drawn` : '');
  out.push(`<text x="${LEFT}" y="${y}" font-size="11" fill="${clippedMs > 0 ? '#d32f2f' : '#607d8b'}">${escapeXml(scaleNote)}</text>`);
  if (clippedMs > 0)
    out.push(`<path d="M ${LEFT + PLOT + 4} ${lanesTop + 10} l 10 6 l -10 6 z" fill="#d32f2f"><title>the run goes on past the scale</title></path>`);

  // Measured panel.
  y += 34;
  out.push(`<text x="10" y="${y}" font-size="14" font-weight="bold">Measured on this host (Node.js), not modelled</text>`);
  y += 18;
  out.push(
    `<text x="10" y="${y}" font-size="11" fill="#607d8b">time this process kept kdump unarmed for each update, log scale fixed at 100 ns to 10 s for every run; x: update number</text>`,
  );
  const ups = t.updates;
  const n = ups.length;
  const warm = warmupCount(n);
  const top = y + 16;
  const base = top + MEASURED_H;
  const yOf = (ns: number): number => base - ((Math.log10(Math.max(ns, 10 ** DECADE_LO)) - DECADE_LO) / (DECADE_HI - DECADE_LO)) * MEASURED_H;
  for (let d = DECADE_LO; d <= DECADE_HI; d++) {
    const gy = yOf(10 ** d);
    out.push(`<line x1="${LEFT}" y1="${gy.toFixed(1)}" x2="${LEFT + PLOT}" y2="${gy.toFixed(1)}" stroke="#eceff1"/>`);
    out.push(`<text x="${LEFT - 6}" y="${(gy + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="#607d8b">${DECADES[d - DECADE_LO]}</text>`);
  }
  const bins = Math.min(n, 500);
  const bw = PLOT / Math.max(1, bins);
  for (let b = 0; b < bins; b++) {
    const from = Math.floor((b * n) / bins);
    const to = Math.floor(((b + 1) * n) / bins);
    const group = ups.slice(from, to);
    const bx = LEFT + b * bw;
    const armed = group.filter((u) => !REFUSED.has(u.record.outcome));
    const refusedHere = group.length - armed.length;
    const isWarm = from < warm;
    const title =
      group.length === 1
        ? updateTitle(group[0]!)
        : `updates ${group[0]!.record.seq}-${group[group.length - 1]!.record.seq}: ${armed.length} copies, longest ${nsText(Math.max(0, ...armed.map((u) => Number(u.record.unarmedNs))))}; ${refusedHere} refused`;
    if (refusedHere > 0) {
      used.add('refused');
      out.push(
        `<rect x="${bx.toFixed(2)}" y="${top}" width="${Math.max(1, bw * 0.9).toFixed(2)}" height="${MEASURED_H}" fill="${COLOURS.refused}" fill-opacity="0.25"><title>${escapeXml(title)}</title></rect>`,
      );
      out.push(`<rect x="${bx.toFixed(2)}" y="${base + 2}" width="${Math.max(1, bw * 0.9).toFixed(2)}" height="6" fill="${COLOURS.refused}"/>`);
    }
    if (armed.length === 0) continue;
    const max = Math.max(...armed.map((u) => Number(u.record.unarmedNs)));
    const h = Math.max(1, base - yOf(max));
    const colour: keyof typeof COLOURS = isWarm ? 'warmup' : t.strategy === 'reload' ? 'reloaded' : 'installed';
    used.add(colour);
    out.push(
      `<rect x="${bx.toFixed(2)}" y="${(base - h).toFixed(1)}" width="${Math.max(0.8, bw * 0.9).toFixed(2)}" height="${h.toFixed(1)}" fill="${COLOURS[colour]}"><title>${escapeXml(
        (isWarm ? 'warm-up, left out of the statistics: ' : '') + title,
      )}</title></rect>`,
    );
  }
  out.push(`<line x1="${LEFT}" y1="${base}" x2="${LEFT + PLOT}" y2="${base}" stroke="#37474f"/>`);
  if (n > 0) {
    out.push(`<text x="${LEFT}" y="${base + 22}" font-size="11" fill="#37474f">update 1</text>`);
    const last = `update ${n}`;
    out.push(`<text x="${(LEFT + PLOT - textWidth(last, 11)).toFixed(1)}" y="${base + 22}" font-size="11" fill="#37474f">${last}</text>`);
  } else {
    out.push(`<text x="${LEFT + 6}" y="${base - 8}" font-size="11" fill="#607d8b">no update was made</text>`);
  }
  const steady = ups
    .slice(warm)
    .filter((u) => !REFUSED.has(u.record.outcome))
    .map((u) => Number(u.record.unarmedNs))
    .sort((a, b) => a - b);
  const warmMax = Math.max(
    0,
    ...ups
      .slice(0, warm)
      .filter((u) => !REFUSED.has(u.record.outcome))
      .map((u) => Number(u.record.unarmedNs)),
  );
  y = base + 42;
  const stats =
    steady.length === 0
      ? `no copy after the warm-up to measure`
      : `after the warm-up (first ${warm}, longest ${nsText(warmMax)}): median ${nsText(quantile(steady, 0.5))}, p95 ${nsText(quantile(steady, 0.95))}, ` +
        `longest ${nsText(steady[steady.length - 1]!)} over ${steady.length} copies`;
  out.push(`<text x="10" y="${y}" font-size="12">${escapeXml(stats)}</text>`);
  if (t.strategy === 'reload') {
    y += 16;
    out.push(
      `<text x="10" y="${y}" font-size="11" fill="#607d8b">a reload here is Node rebuilding the image; the modelled kdumpctl reload above is udev's timeline</text>`,
    );
  }
  // Legend: only what is drawn.
  const names: Record<keyof typeof COLOURS, string> = {
    event: 'event',
    installed: 'update installed',
    reloaded: 'reload',
    refused: 'update refused',
    dropped: 'event dropped (lock busy)',
    unarmed: 'kdump unarmed',
    stale: 'header stale',
    warmup: 'warm-up (JIT)',
    unattributed: 'no update',
  };
  y += 26;
  let lx = 10;
  for (const k of Object.keys(COLOURS) as (keyof typeof COLOURS)[]) {
    if (!used.has(k)) continue;
    const w = 22 + textWidth(names[k]) + 18;
    if (lx + w > LEFT + PLOT + RIGHT - 10) {
      lx = 10;
      y += 20;
    }
    out.push(`<rect x="${lx}" y="${y - 11}" width="14" height="14" fill="${COLOURS[k]}"/>`);
    out.push(`<text x="${lx + 20}" y="${y}">${names[k]}</text>`);
    lx += w;
  }
  const height = y + 16;
  const width = Math.ceil(Math.max(LEFT + PLOT + RIGHT, textWidth(chart.title, 16) + 24, textWidth(chart.subtitle) + 24, textWidth(stats) + 24));
  const svg = [
    svgOpen(width, height),
    `<text x="10" y="22" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
    `<text x="10" y="42" fill="#455a64">${escapeXml(chart.subtitle)}</text>`,
    ...out,
    '</svg>',
  ].join('\n');
  return {
    svg: `${svg}\n`,
    width,
    height,
    scaleMs,
    clippedMs,
    counts: {
      events: t.eventsMs.length,
      installed: installed.length,
      refused: refused.length,
      dropped: t.droppedMs.length,
      unarmedWindows: t.unarmed.length,
      warmup: warm,
    },
  };
}
