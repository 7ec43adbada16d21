// A picture of physical memory: NUMA nodes, System RAM, crash and CMA reservations, the backup
// region, what the builder cut out and why, and the PT_LOADs the header ended up with, one row each
// on a shared address axis.
//
// Physical layouts span a few KiB to TiB with huge holes, and a machine can have 8192 ranges, so:
// - the axis is compressed: each interval between two kept boundaries gets a width that grows with
//   the logarithm of its size, and intervals no bar covers (holes) are shrunk further;
// - with few boundaries every one is kept and every bar is drawn; with many, only the boundaries of
//   the sparse rows (reservations, exclusions, nodes) and of the largest holes are kept, and each run
//   of a dense row's bars between two kept boundaries is drawn as one striped band that says how
//   many ranges it stands for and how large they are together;
// - every drawn bar carries its size, inside it when it fits, else in a lane under the row with a
//   leader line; lanes are added until no two labels overlap.

import { hex } from '../core/base/index.js';
import { escapeXml, LanePlacer, sizeShort, svgOpen, textWidth } from './svg-text.js';

export type BarKind = 'node' | 'ram' | 'reserved' | 'cma' | 'backup' | 'excluded' | 'added' | 'load' | 'kernel';

export interface MapBar {
  readonly start: bigint;
  /** Inclusive. */
  readonly end: bigint;
  readonly kind: BarKind;
  /** Shown in the bar's tooltip. */
  readonly label: string;
  /** The visible label; its size when not given. */
  readonly text?: string | undefined;
  /** The bytes a band adds up for this bar; end − start + 1 when not given. */
  readonly bytes?: bigint | undefined;
}

export interface MapRow {
  readonly label: string;
  readonly bars: readonly MapBar[];
}

export interface MemoryMap {
  readonly title: string;
  readonly subtitle: string;
  readonly rows: readonly MapRow[];
  /** Lines under the legend (what was cut out and why, in words). */
  readonly notes?: readonly string[] | undefined;
}

/** What was drawn, for the message `--svg` prints and for tests. */
export interface MemoryMapPicture {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  /** Per row: bars given, items drawn, of which bands. */
  readonly rows: readonly { readonly label: string; readonly bars: number; readonly items: number; readonly bands: number }[];
  readonly items: number;
  readonly bands: number;
}

const COLOURS: Readonly<Record<BarKind, string>> = {
  node: '#cfd8dc',
  ram: '#81c784',
  reserved: '#ef9a9a',
  cma: '#f48fb1',
  backup: '#ce93d8',
  excluded: '#ffb74d',
  added: '#80cbc4',
  load: '#90caf9',
  kernel: '#b39ddb',
};

const LEGEND: Readonly<Record<BarKind, string>> = {
  node: 'NUMA node',
  ram: 'System RAM',
  reserved: 'crash reservation',
  cma: 'CMA reservation',
  backup: 'backup region',
  excluded: 'cut out',
  added: 'added by the arch',
  load: 'PT_LOAD',
  kernel: 'kernel text PT_LOAD',
};

const U64_END = (1n << 64n) - 1n;
const LEFT = 160;
const PLOT = 1100;
const RIGHT = 70;
const TOP = 62;
const BAR_H = 22;
const LANE_H = 16;
/** Up to this many boundaries every bar is drawn; past it, dense rows are aggregated. */
const MAX_COLUMNS = 40;
/** A row with more bars than this is dense. */
const DENSE = 8;

/** log2 of a bigint, good to a fraction of a bit: enough to size an interval on the axis. */
function log2(v: bigint): number {
  if (v <= 0n) return 0;
  const bits = v.toString(2).length;
  const top = Number(v >> BigInt(Math.max(0, bits - 53)));
  return Math.log2(top) + Math.max(0, bits - 53);
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The exclusive end of a bar, capped at the top of the address space. */
function endOf(b: { end: bigint }): bigint {
  return b.end >= U64_END ? U64_END : b.end + 1n;
}

function sizeOf(b: MapBar): bigint {
  return b.bytes ?? endOf(b) - b.start;
}

/** Index of the interval [ticks[i], ticks[i+1]) holding pa (clamped to the ends). */
function columnOf(ticks: readonly bigint[], pa: bigint): number {
  let lo = 0;
  let hi = ticks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ticks[mid]! <= pa) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Merged coverage of all bars, sorted: where holes are. */
function union(bars: readonly MapBar[]): { start: bigint; end: bigint }[] {
  const sorted = [...bars].sort((a, b) => cmp(a.start, b.start));
  const out: { start: bigint; end: bigint }[] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    const e = endOf(b);
    if (last !== undefined && b.start <= last.end) {
      if (e > last.end) last.end = e;
    } else out.push({ start: b.start, end: e });
  }
  return out;
}

/** What memory the bars cover, leaving out the NUMA nodes: a node spans the holes between its ranges. */
function coverOf(bars: readonly MapBar[]): { start: bigint; end: bigint }[] {
  const real = bars.filter((b) => b.kind !== 'node');
  return union(real.length > 0 ? real : bars);
}

/** The boundaries the axis keeps, and whether dense rows are aggregated between them. */
function keptBoundaries(rows: readonly MapRow[]): { ticks: bigint[]; aggregate: boolean } {
  const all = rows.flatMap((r) => r.bars);
  const set = new Set<bigint>();
  for (const b of all) {
    set.add(b.start);
    set.add(endOf(b));
  }
  if (set.size - 1 <= MAX_COLUMNS) return { ticks: [...set].sort(cmp), aggregate: false };
  const kept = new Set<bigint>();
  const cover = coverOf(all);
  kept.add(cover[0]!.start);
  kept.add(cover[cover.length - 1]!.end);
  for (const r of rows) {
    if (r.bars.length > DENSE) continue;
    for (const b of r.bars) {
      kept.add(b.start);
      kept.add(endOf(b));
    }
  }
  // The holes much larger than the usual gap between ranges (the PCI hole, the gap before
  // hot-plugged memory) split the dense stretches; equal small gaps do not.
  const gaps = cover.slice(1).map((c, i) => ({ start: cover[i]!.end, end: c.start, size: c.start - cover[i]!.end }));
  const sizes = gaps.map((g) => g.size).sort(cmp);
  const median = sizes[sizes.length >> 1] ?? 0n;
  const big = gaps.filter((g) => g.size >= median * 4n && g.size > 0n).sort((a, b) => cmp(b.size, a.size));
  for (const g of big) {
    if (kept.size + 2 > MAX_COLUMNS) break;
    kept.add(g.start);
    kept.add(g.end);
  }
  return { ticks: [...kept].sort(cmp), aggregate: true };
}

interface Axis {
  readonly ticks: readonly bigint[];
  x(pa: bigint): number;
}

function axisOf(ticks: readonly bigint[], cover: readonly { start: bigint; end: bigint }[], bars: readonly MapBar[]): Axis {
  const n = Math.max(1, ticks.length - 1);
  const covered = (a: bigint, b: bigint): boolean => cover.some((c) => c.start < b && a < c.end);
  // A column where many bars start holds a band and its label: it gets more room.
  const starts = new Array<number>(n).fill(0);
  for (const b of bars) if (b.kind !== 'node') starts[Math.min(n - 1, columnOf(ticks, b.start))]!++;
  const weights = ticks.slice(1).map((t, i) => {
    const w = (1 + log2(t - ticks[i]!)) * (1 + Math.log2(1 + starts[i]!) / 3);
    return covered(ticks[i]!, t) ? w : 0.3 * w;
  });
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const minPx = Math.min(8, PLOT / (2 * n));
  const xs = [0];
  for (const w of weights) xs.push(xs[xs.length - 1]! + minPx + (PLOT - minPx * n) * (w / total));
  return {
    ticks,
    x(pa: bigint): number {
      const lo = columnOf(ticks, pa);
      if (lo >= ticks.length - 1) return LEFT + (xs[lo] ?? PLOT);
      const span = Number(ticks[lo + 1]! - ticks[lo]!);
      const frac = span > 0 ? Math.min(1, Math.max(0, Number(pa - ticks[lo]!) / span)) : 0;
      return LEFT + xs[lo]! + frac * (xs[lo + 1]! - xs[lo]!);
    },
  };
}

interface Item {
  readonly start: bigint;
  /** Exclusive. */
  readonly end: bigint;
  readonly kind: BarKind;
  readonly count: number;
  readonly text: string;
  readonly tooltip: string;
}

function single(b: MapBar): Item {
  return {
    start: b.start,
    end: endOf(b),
    kind: b.kind,
    count: 1,
    text: b.text ?? sizeShort(sizeOf(b)),
    tooltip: `${b.label} [${hex(b.start)}-${hex(b.end)}], ${sizeShort(sizeOf(b))}`,
  };
}

function band(group: readonly MapBar[], row: string): Item {
  const first = group[0]!;
  const last = group[group.length - 1]!;
  const end = group.reduce((e, b) => (endOf(b) > e ? endOf(b) : e), 0n);
  const bytes = group.reduce((s, b) => s + sizeOf(b), 0n);
  return {
    start: first.start,
    end,
    kind: first.kind,
    count: group.length,
    text: `${group.length} ranges, ${sizeShort(bytes)}`,
    tooltip:
      `${group.length} ${row} ranges drawn as one band [${hex(first.start)}-${hex(end - 1n)}], ${sizeShort(bytes)} in all; ` +
      `first ${first.label} [${hex(first.start)}-${hex(first.end)}], last ${last.label} [${hex(last.start)}-${hex(last.end)}]`,
  };
}

function itemsOf(row: MapRow, ticks: readonly bigint[], aggregate: boolean): Item[] {
  const bars = [...row.bars].sort((a, b) => cmp(a.start, b.start));
  if (!aggregate || bars.length <= DENSE) return bars.map(single);
  const out: Item[] = [];
  let group: MapBar[] = [];
  let key = -1;
  const flush = (): void => {
    if (group.length === 1) out.push(single(group[0]!));
    else if (group.length > 1) out.push(band(group, row.label));
    group = [];
  };
  for (const b of bars) {
    const k = columnOf(ticks, b.start);
    if (group.length > 0 && (k !== key || b.kind !== group[0]!.kind)) flush();
    key = k;
    group.push(b);
  }
  flush();
  return out;
}

export function memoryMapPicture(map: MemoryMap): MemoryMapPicture {
  const rows = map.rows.map((r) => ({ ...r, bars: r.bars.filter((b) => b.end >= b.start) }));
  const all = rows.flatMap((r) => r.bars);
  const { ticks, aggregate } = all.length === 0 ? { ticks: [0n, 1n], aggregate: false } : keptBoundaries(rows);
  const axis = axisOf(ticks, coverOf(all), all);
  const right = LEFT + PLOT + RIGHT - 4;
  const body: string[] = [];
  const stats: { label: string; bars: number; items: number; bands: number }[] = [];
  const kinds = new Set<BarKind>();
  let anyBand = false;
  let y = TOP;
  for (const row of rows) {
    const items = itemsOf(row, ticks, aggregate);
    const bands = items.filter((i) => i.count > 1).length;
    stats.push({ label: row.label, bars: row.bars.length, items: items.length, bands });
    const lanes = new LanePlacer(8);
    const labels: string[] = [];
    const rects: string[] = [];
    for (const it of items) {
      kinds.add(it.kind);
      const x0 = axis.x(it.start);
      const w = Math.max(2, axis.x(it.end) - x0);
      const cx = x0 + w / 2;
      const title = `<title>${escapeXml(it.tooltip)}</title>`;
      rects.push(
        `<rect x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLOURS[it.kind]}" stroke="#37474f" stroke-width="0.6">${title}</rect>`,
      );
      if (it.count > 1) {
        anyBand = true;
        rects.push(`<rect x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="url(#band)" pointer-events="none"/>`);
      }
      const tw = textWidth(it.text);
      if (tw + 8 <= w) {
        labels.push(`<text x="${cx.toFixed(1)}" y="${y + 15}" text-anchor="middle">${escapeXml(it.text)}${title}</text>`);
        continue;
      }
      const lx = Math.min(Math.max(cx - tw / 2, LEFT), right - tw);
      const lane = lanes.place(lx, lx + tw);
      const ly = y + BAR_H + 4 + lane * LANE_H;
      const tx = Math.min(Math.max(cx, lx + 2), lx + tw - 2);
      labels.push(`<line x1="${cx.toFixed(1)}" y1="${y + BAR_H}" x2="${tx.toFixed(1)}" y2="${ly + 1}" stroke="#90a4ae" stroke-width="0.8"/>`);
      labels.push(`<text x="${lx.toFixed(1)}" y="${ly + 12}" fill="#263238">${escapeXml(it.text)}${title}</text>`);
    }
    const rowH = BAR_H + (lanes.lanes > 0 ? 6 + lanes.lanes * LANE_H : 0) + 14;
    body.push(`<text x="10" y="${y + 15}" font-weight="bold">${escapeXml(row.label)}</text>`);
    const countText =
      items.length === row.bars.length ? `${row.bars.length} range${row.bars.length === 1 ? '' : 's'}` : `${row.bars.length} in ${items.length} bars`;
    if (row.bars.length > 0 && textWidth(countText, 11) < LEFT - 16) body.push(`<text x="10" y="${y + 30}" font-size="11" fill="#607d8b">${countText}</text>`);
    if (row.bars.length === 0) body.push(`<text x="${LEFT + 4}" y="${y + 15}" fill="#90a4ae">none</text>`);
    body.push(`<line x1="${LEFT}" y1="${y + rowH - 7}" x2="${LEFT + PLOT}" y2="${y + rowH - 7}" stroke="#eceff1"/>`);
    body.push(...rects, ...labels);
    y += Math.max(rowH, 38);
  }
  // Address ticks: a dashed line at every kept boundary, its address where it fits (three lanes).
  const axisTop = y;
  const ticksOut: string[] = [];
  const tickLanes = new LanePlacer(10, 3);
  for (const t of ticks) {
    const tx = axis.x(t);
    const label = hex(t);
    const tw = textWidth(label, 11);
    const lx = Math.min(Math.max(tx - tw / 2, 4), right - tw);
    const lane = tickLanes.place(lx, lx + tw);
    ticksOut.push(
      `<line x1="${tx.toFixed(1)}" y1="${TOP - 4}" x2="${tx.toFixed(1)}" y2="${axisTop + (lane < 0 ? 2 : 4 + lane * 14)}" stroke="#b0bec5" stroke-dasharray="2,3"/>`,
    );
    if (lane >= 0) ticksOut.push(`<text x="${lx.toFixed(1)}" y="${axisTop + 14 + lane * 14}" font-size="11" fill="#455a64">${label}</text>`);
  }
  y = axisTop + 14 + Math.max(1, tickLanes.lanes) * 14 + 16;
  // Legend: only what is drawn, wrapped to the width.
  const legend: string[] = [];
  const entries: [string, string][] = (Object.keys(COLOURS) as BarKind[]).filter((k) => kinds.has(k)).map((k) => [COLOURS[k], LEGEND[k]]);
  if (anyBand) entries.push(['band', 'band: many ranges drawn as one']);
  let lx = 10;
  for (const [colour, text] of entries) {
    const w = 22 + textWidth(text) + 18;
    if (lx + w > LEFT + PLOT + RIGHT - 10) {
      lx = 10;
      y += 20;
    }
    const fill = colour === 'band' ? `${COLOURS.ram}" /><rect x="${lx}" y="${y - 11}" width="14" height="14" fill="url(#band)` : colour;
    legend.push(`<rect x="${lx}" y="${y - 11}" width="14" height="14" fill="${fill}" stroke="#37474f" stroke-width="0.6"/>`);
    legend.push(`<text x="${lx + 20}" y="${y}">${escapeXml(text)}</text>`);
    lx += w;
  }
  const notes = [
    ...(map.notes ?? []),
    aggregate
      ? `axis: ${ticks.length} of the boundaries kept, width ~ log2(interval), holes shrunk; dense rows drawn as bands between them; hover for ranges`
      : 'axis: compressed, width ~ log2(interval), holes shrunk; hover a bar for its range',
  ];
  for (const n of notes) {
    y += 18;
    legend.push(`<text x="10" y="${y}" fill="#607d8b">${escapeXml(n)}</text>`);
  }
  const height = y + 14;
  const width = Math.ceil(Math.max(LEFT + PLOT + RIGHT, textWidth(map.title, 16) + 24, textWidth(map.subtitle) + 24, ...notes.map((n) => textWidth(n) + 24)));
  const svg = [
    svgOpen(width, height),
    '<defs><pattern id="band" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="2.5" height="6" fill="#ffffff" fill-opacity="0.55"/></pattern></defs>',
    `<text x="10" y="22" font-size="16" font-weight="bold">${escapeXml(map.title)}</text>`,
    `<text x="10" y="42" fill="#455a64">${escapeXml(map.subtitle)}</text>`,
    ...ticksOut,
    ...body,
    ...legend,
    '</svg>',
  ].join('\n');
  return {
    svg: `${svg}\n`,
    width,
    height,
    rows: stats,
    items: stats.reduce((s, r) => s + r.items, 0),
    bands: stats.reduce((s, r) => s + r.bands, 0),
  };
}

export function memoryMapSvg(map: MemoryMap): string {
  return memoryMapPicture(map).svg;
}
