// What the pictures share: escaping, an estimate of how wide a monospace label is (so labels can be
// placed without a browser), short sizes and durations, and a greedy placer that puts labels in
// lanes so that no two overlap.

/** Escapes text for an SVG or HTML text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The pictures use a monospace font; DejaVu Sans Mono and Liberation Mono advance 0.6 em per
 * character. 0.64 em leaves room for a font that runs a little wider.
 */
export const CHAR_EM = 0.64;

export function textWidth(text: string, fontSize = 12): number {
  return [...text].length * fontSize * CHAR_EM;
}

/** "635 KiB", "1.5 GiB", "12 TiB": three significant figures at most. */
export function sizeShort(bytes: bigint): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  let v = Number(bytes);
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || Number.isInteger(v) || v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${Number(v.toFixed(digits))} ${units[u]}`;
}

/** A duration in nanoseconds: "640 ns", "58 µs", "1.5 s". */
export function nsText(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(ns >= 1e10 ? 0 : 1)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(ns >= 1e7 ? 0 : 1)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(ns >= 1e4 ? 0 : 1)} µs`;
  return `${Math.round(ns)} ns`;
}

/** A modelled time in milliseconds: "0", "850 ms", "73.5 s". */
export function msText(ms: number): string {
  if (ms === 0) return '0';
  if (Math.abs(ms) >= 1000) return `${Number((ms / 1000).toFixed(Math.abs(ms) >= 100_000 ? 0 : 1))} s`;
  if (Math.abs(ms) >= 1) return `${Number(ms.toFixed(Math.abs(ms) >= 100 ? 0 : 1))} ms`;
  return nsText(ms * 1e6);
}

/**
 * Places horizontal labels in lanes: each label goes into the first lane where it overlaps no
 * label already there (with `gap` pixels between). Lanes are unlimited unless `maxLanes` is given,
 * in which case a label that fits nowhere is refused (-1).
 */
export class LanePlacer {
  readonly #lanes: { x0: number; x1: number }[][] = [];
  constructor(
    readonly gap = 6,
    readonly maxLanes = Infinity,
  ) {}

  get lanes(): number {
    return this.#lanes.length;
  }

  fits(lane: number, x0: number, x1: number): boolean {
    return (this.#lanes[lane] ?? []).every((p) => x1 + this.gap <= p.x0 || p.x1 + this.gap <= x0);
  }

  place(x0: number, x1: number): number {
    for (let lane = 0; lane < this.maxLanes; lane++) {
      if (lane >= this.#lanes.length) this.#lanes.push([]);
      if (this.fits(lane, x0, x1)) {
        this.#lanes[lane]!.push({ x0, x1 });
        return lane;
      }
    }
    return -1;
  }
}

/** The opening of a picture: white background, monospace text. */
export function svgOpen(width: number, height: number, extra = ''): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="DejaVu Sans Mono, Liberation Mono, monospace" font-size="12"${extra}>\n<rect width="${width}" height="${height}" fill="#ffffff"/>`
  );
}
