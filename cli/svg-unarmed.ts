// A picture of a hot-plug run: one bar per update, its height the time kdump was unarmed for it
// (kexec_crash_image NULL) on a log scale, coloured by outcome. The long reload windows and the
// microsecond in-place copies differ by orders of magnitude, which a table hides and a plot shows.

import type { UpdateRecord } from '../core/hotplug/index.js';

export interface UnarmedChart {
  readonly title: string;
  readonly subtitle: string;
  readonly updates: readonly UpdateRecord[];
}

const COLOURS: Readonly<Record<UpdateRecord['outcome'], string>> = {
  installed: '#1e88e5',
  'build-failed': '#e53935',
  'too-large': '#fb8c00',
  reloaded: '#8e24aa',
  'reload-failed': '#6d4c41',
};

const LEFT = 80;
const PLOT_W = 1000;
const PLOT_H = 260;
const TOP = 60;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function nsText(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(ns >= 1e10 ? 0 : 1)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e7 ? 0 : 1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(ns >= 1e4 ? 0 : 1)} µs`;
  return `${ns} ns`;
}

export function unarmedSvg(chart: UnarmedChart): string {
  const values = chart.updates.map((u) => Number(u.unarmedNs));
  const max = Math.max(1000, ...values);
  // Decades from 100 ns to the decade above the longest window.
  const lo = 2;
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const y = (ns: number): number => TOP + PLOT_H - ((Math.log10(Math.max(ns, 10 ** lo)) - lo) / (hi - lo)) * PLOT_H;
  const n = Math.max(1, chart.updates.length);
  const step = PLOT_W / n;
  const width = LEFT + PLOT_W + 30;
  const height = TOP + PLOT_H + 80;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">${escape(chart.title)}</text>`,
    `<text x="10" y="42" fill="#555">${escape(chart.subtitle)}</text>`,
  ];
  for (let d = lo; d <= hi; d++) {
    const gy = y(10 ** d).toFixed(1);
    out.push(`<line x1="${LEFT}" y1="${gy}" x2="${LEFT + PLOT_W}" y2="${gy}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${LEFT - 6}" y="${gy}" text-anchor="end" dominant-baseline="middle" fill="#555">${nsText(10 ** d)}</text>`);
  }
  chart.updates.forEach((u, i) => {
    const top = y(Number(u.unarmedNs));
    const h = Math.max(0.5, TOP + PLOT_H - top);
    out.push(
      `<rect x="${(LEFT + i * step).toFixed(2)}" y="${top.toFixed(1)}" width="${Math.max(0.6, step * 0.9).toFixed(2)}" height="${h.toFixed(1)}" fill="${COLOURS[u.outcome]}">` +
        `<title>update ${u.seq}: ${u.action}, ${u.outcome}, ${u.folded} event(s), ${u.bytes} bytes, unarmed ${nsText(Number(u.unarmedNs))}</title></rect>`,
    );
  });
  out.push(`<line x1="${LEFT}" y1="${TOP + PLOT_H}" x2="${LEFT + PLOT_W}" y2="${TOP + PLOT_H}" stroke="#333"/>`);
  out.push(`<text x="${LEFT}" y="${TOP + PLOT_H + 18}" fill="#333">update 1</text>`);
  out.push(`<text x="${LEFT + PLOT_W}" y="${TOP + PLOT_H + 18}" text-anchor="end" fill="#333">update ${chart.updates.length}</text>`);
  let lx = 10;
  for (const [outcome, colour] of Object.entries(COLOURS)) {
    out.push(`<rect x="${lx}" y="${height - 26}" width="12" height="12" fill="${colour}"/>`);
    out.push(`<text x="${lx + 16}" y="${height - 16}">${outcome}</text>`);
    lx += 36 + outcome.length * 8;
  }
  out.push(`<text x="${lx + 10}" y="${height - 16}" fill="#777">height: time kdump was unarmed for that update (log scale)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
