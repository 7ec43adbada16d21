// A picture of physical memory: System RAM, crash reservations, what the builder cut out, and the
// PT_LOADs the header ended up with, one row each on a shared address axis. Physical layouts span
// a few KiB to TiB with huge holes, so the axis is compressed: each interval between two
// boundaries gets a width that grows with the logarithm of its size, and holes stay visible but thin.

import { hex } from '../core/base/index.js';

export type BarKind = 'ram' | 'reserved' | 'excluded' | 'load' | 'kernel' | 'added';

export interface MapBar {
  readonly start: bigint;
  /** Inclusive. */
  readonly end: bigint;
  readonly kind: BarKind;
  /** Shown in the bar's tooltip. */
  readonly label: string;
}

export interface MapRow {
  readonly label: string;
  readonly bars: readonly MapBar[];
}

export interface MemoryMap {
  readonly title: string;
  readonly subtitle: string;
  readonly rows: readonly MapRow[];
}

const COLOURS: Readonly<Record<BarKind, string>> = {
  ram: '#4caf50',
  reserved: '#e53935',
  excluded: '#fb8c00',
  load: '#1e88e5',
  kernel: '#8e24aa',
  added: '#00897b',
};

const U64_END = (1n << 64n) - 1n;
const LEFT = 170;
const PLOT = 1000;
const ROW_H = 34;
const TOP = 64;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** log2 of a bigint, good to a fraction of a bit: enough to size an interval on the axis. */
function log2(v: bigint): number {
  if (v <= 0n) return 0;
  const bits = v.toString(2).length;
  const top = Number(v >> BigInt(Math.max(0, bits - 53)));
  return Math.log2(top) + Math.max(0, bits - 53);
}

/** Maps a physical address to an x position, piecewise linear between the boundaries. */
function axis(bars: readonly MapBar[]): { x: (pa: bigint) => number; ticks: readonly bigint[] } {
  const set = new Set<bigint>();
  for (const b of bars) {
    set.add(b.start);
    set.add(b.end >= U64_END ? U64_END : b.end + 1n);
  }
  const ticks = [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const widths = ticks.slice(1).map((t, i) => 1 + log2(t - ticks[i]!));
  const total = widths.reduce((a, b) => a + b, 0) || 1;
  const xs = [0];
  for (const w of widths) xs.push(xs[xs.length - 1]! + (w / total) * PLOT);
  const x = (pa: bigint): number => {
    let lo = 0;
    let hi = ticks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ticks[mid]! <= pa) lo = mid;
      else hi = mid - 1;
    }
    if (lo >= ticks.length - 1) return LEFT + (xs[lo] ?? PLOT);
    const span = Number(ticks[lo + 1]! - ticks[lo]!);
    const frac = span > 0 ? Number(pa - ticks[lo]!) / span : 0;
    return LEFT + xs[lo]! + frac * (xs[lo + 1]! - xs[lo]!);
  };
  return { x, ticks };
}

export function memoryMapSvg(map: MemoryMap): string {
  const all = map.rows.flatMap((r) => r.bars);
  const { x, ticks } = axis(all);
  const height = TOP + map.rows.length * ROW_H + 150;
  const width = LEFT + PLOT + 110;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">${escape(map.title)}</text>`,
    `<text x="10" y="42" fill="#555">${escape(map.subtitle)}</text>`,
  ];
  map.rows.forEach((row, i) => {
    const y = TOP + i * ROW_H;
    out.push(`<text x="10" y="${y + 20}">${escape(row.label)}</text>`);
    out.push(`<line x1="${LEFT}" y1="${y + ROW_H - 4}" x2="${LEFT + PLOT}" y2="${y + ROW_H - 4}" stroke="#ddd"/>`);
    for (const b of row.bars) {
      const x0 = x(b.start);
      const x1 = x(b.end >= U64_END ? U64_END : b.end + 1n);
      const w = Math.max(1.5, x1 - x0);
      out.push(
        `<rect x="${x0.toFixed(1)}" y="${y + 6}" width="${w.toFixed(1)}" height="${ROW_H - 12}" fill="${COLOURS[b.kind]}" fill-opacity="0.85" stroke="#333" stroke-width="0.5">` +
          `<title>${escape(`${b.label} [${hex(b.start)}-${hex(b.end)}]`)}</title></rect>`,
      );
    }
  });
  // Address ticks under the rows, skipping labels that would overlap the previous one.
  const base = TOP + map.rows.length * ROW_H + 4;
  let lastLabel = -Infinity;
  for (const t of ticks) {
    const tx = x(t);
    out.push(`<line x1="${tx.toFixed(1)}" y1="${TOP}" x2="${tx.toFixed(1)}" y2="${base}" stroke="#bbb" stroke-dasharray="2,3"/>`);
    if (tx - lastLabel < 14) continue;
    lastLabel = tx;
    out.push(`<text transform="translate(${(tx + 4).toFixed(1)},${base + 6}) rotate(60)" fill="#333">${hex(t)}</text>`);
  }
  const legendY = height - 16;
  let lx = 10;
  for (const [kind, colour] of Object.entries(COLOURS)) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${colour}"/>`);
    out.push(`<text x="${lx + 16}" y="${legendY}">${kind}</text>`);
    lx += 30 + kind.length * 8;
  }
  out.push(`<text x="${lx + 10}" y="${legendY}" fill="#777">axis compressed: width grows with log2(size); hover a bar for its range</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
