// JSON.parse keeps the last of two equal keys in one object and says nothing, so a description
// that names `memory` twice silently loses the first. This scanner walks the raw text once (no
// recursion, so any nesting depth is fine) and finds the first key an object repeats. It runs on
// text JSON.parse has accepted, so it can skip everything that is not a string or a bracket.

export interface DuplicateKey {
  readonly key: string;
  /** 1-based line and column of the repeated key's opening quote. */
  readonly line: number;
  readonly column: number;
  /** Line of the first occurrence. */
  readonly firstLine: number;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * An array that holds no array or object: scalars and strings (escapes included). Each alternative
 * starts with a different character, so it matches or fails in one pass over the array.
 */
const FLAT_ARRAY = /\[(?:[^[\]{}"]|"(?:[^"\\]|\\.)*")*\]/y;

/** Where the array opening at `at` closes, when it holds no array or object; else −1. */
function flatArrayEnd(text: string, at: number): number {
  FLAT_ARRAY.lastIndex = at;
  try {
    return FLAT_ARRAY.test(text) ? FLAT_ARRAY.lastIndex - 1 : -1;
  } catch {
    // A regular expression may run out of backtracking stack on a huge array: walk it instead.
    return -1;
  }
}

/** The first repeated key in any object of `text` (valid JSON), or undefined. */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  /** One frame per open object or array: an object's keys with where each was, or null for an array. */
  const frames: (Map<string, number> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // The closing quote is the next one not escaped: found with indexOf (native), not char by
      // char, since strings are most of a description's text.
      const start = i;
      for (;;) {
        i = text.indexOf('"', i + 1);
        if (i < 0) {
          i = text.length;
          break;
        }
        let backslashes = 0;
        while (text.charCodeAt(i - 1 - backslashes) === 0x5c /* \ */) backslashes++;
        if (backslashes % 2 === 0) break;
      }
      const frame = frames[frames.length - 1];
      if (expectKey && frame !== undefined && frame !== null) {
        const raw = text.slice(start, i + 1);
        const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        const first = frame.get(key);
        if (first !== undefined) {
          const at = lineColumn(text, start);
          return { key, line: at.line, column: at.column, firstLine: lineColumn(text, first).line };
        }
        frame.set(key, start);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */) {
      frames.push(new Map());
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      // An array of scalars (a range's two bounds, a list of CPUs) holds no key: skipped whole.
      const end = flatArrayEnd(text, i);
      if (end < 0) frames.push(null);
      else i = end;
      expectKey = false;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      const frame = frames[frames.length - 1];
      expectKey = frame !== undefined && frame !== null;
    }
  }
  return undefined;
}
