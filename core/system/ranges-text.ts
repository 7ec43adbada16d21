// `memory.ranges` read straight from a description's text. A machine of 8192 ranges is 16 384
// "0x…" strings in 8192 little arrays: JSON.parse makes them all, they live until the loader has
// read them, and the young-generation collections that run meanwhile copy them twice (about half
// of a cold load). Here the list is cut out of the text first, JSON.parse reads the rest with a
// marker string where the list was, and the list itself is read from the text into its ranges —
// the strings it slices die at once. Only a list this reader is sure of takes this way: pairs of
// plain "0x…" values (1 to 16 hex digits, start ≤ end) with JSON whitespace between. Anything else,
// and any doubt about where the marker landed, leaves the text to JSON.parse whole.

import type { RamRange } from './system.js';

/** `"ranges": [`, the opening of a list under a "ranges" key (JSON whitespace only: `\s` passes more). */
const RANGES_KEY = /"ranges"[ \t\n\r]*:[ \t\n\r]*\[/g;
/**
 * One plain entry and what follows it: a comma, or the list's closing bracket. Sticky, and tried
 * entry by entry: one pattern over the whole list ran ~20 ms cold on 8192 entries, this ~1 ms.
 */
const PAIR = /[ \t\n\r]*\[[ \t\n\r]*"0x[0-9a-fA-F]{1,16}"[ \t\n\r]*,[ \t\n\r]*"0x[0-9a-fA-F]{1,16}"[ \t\n\r]*\][ \t\n\r]*[,\]]/y;

/**
 * What the list is replaced with in the text JSON.parse reads. A string holding NUL is written
 * `\u0000` in JSON and nowhere else; the cut is made only in a text without that escape, so the
 * parsed value is this string exactly where the list stood and nowhere else.
 */
export const RANGES_MARKER = '\u0000crashplug memory.ranges';
const MARKER_JSON = JSON.stringify(RANGES_MARKER);

/** A description's text with its memory.ranges list cut out, and the list read. */
export interface RangesCut {
  /** The text with the list replaced by the marker (a JSON string). */
  readonly text: string;
  /** The list's System RAM, one range per entry, as readMemory reads a plain list. */
  readonly systemRam: RamRange[];
  /**
   * Each range starts above the end of the one before: no two overlap, which readMemory then
   * need not check again (firstOverlap would walk the list twice to say so).
   */
  readonly ascending: boolean;
}

/**
 * The text with its one `"ranges"` list of plain pairs cut out, or undefined when there is no such
 * list, more than one "ranges" key, or any entry this reader would not read exactly as readMemory does.
 */
export function cutRangesList(text: string): RangesCut | undefined {
  if (text.includes('\\u0000')) return undefined;
  RANGES_KEY.lastIndex = 0;
  // A second "ranges" key: which one is memory.ranges only JSON.parse says.
  if (!RANGES_KEY.test(text)) return undefined;
  const open = RANGES_KEY.lastIndex;
  if (RANGES_KEY.test(text)) return undefined;
  const systemRam: RamRange[] = [];
  let ascending = true;
  let prevEnd = -1n;
  let at = open;
  for (;;) {
    PAIR.lastIndex = at;
    if (!PAIR.test(text)) return undefined;
    // The entry holds four quotes, around its two values.
    const a = text.indexOf('"', at);
    const b = text.indexOf('"', a + 1);
    const c = text.indexOf('"', b + 1);
    const d = text.indexOf('"', c + 1);
    const start = BigInt(text.slice(a + 1, b));
    const end = BigInt(text.slice(c + 1, d));
    // readMemory names such an entry: the whole text goes its way.
    if (start > end) return undefined;
    if (start <= prevEnd) ascending = false;
    prevEnd = end;
    systemRam.push({ name: 'System RAM', start, end });
    at = PAIR.lastIndex;
    if (text.charCodeAt(at - 1) === 0x5d /* ] */) break;
  }
  return { text: `${text.slice(0, open - 1)}${MARKER_JSON}${text.slice(at)}`, systemRam, ascending };
}
