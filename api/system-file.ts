// Loading a system description from disk: core parses, this reads. Relative paths inside the
// description (memory.iomem, memory.dtb) resolve against the file's folder. Every file is read
// checked (api/checked-read.ts): a regular file within the cap of its kind.

import { dirname } from 'node:path';
import { CrashplugError } from '../core/base/index.js';
import type { PluginRegistry } from '../core/port/index.js';
import { cutRangesList, parseSystemDescription, RANGES_MARKER, type SystemDescription, type SystemFiles, type SystemOverrides } from '../core/system/index.js';
import { readCheckedFile, readCheckedText } from './checked-read.js';
import { findDuplicateKey } from './json-duplicates.js';

/** The files of a description, read from disk: the iomem text (readText) and the device tree (readBytes). */
export const diskFiles: SystemFiles = {
  readText: (path, what) => readCheckedText(path, 'iomem', what),
  readBytes: (path, what) => readCheckedFile(path, 'dtb', what),
};

export interface ParseJsonOptions {
  /** Names the description in messages. */
  readonly origin: string;
  /** Folder that relative paths inside the description resolve against. */
  readonly baseDir: string;
  readonly registry: PluginRegistry;
  readonly overrides?: SystemOverrides | undefined;
  /** Where the description's files come from; the disk by default. */
  readonly files?: SystemFiles | undefined;
}

/** A parsed JSON value → a complete SystemDescription, reading the files it names from disk. */
export function parseSystemJson(json: unknown, opts: ParseJsonOptions): SystemDescription {
  return parseSystemDescription(json, { ...opts, files: opts.files ?? diskFiles });
}

/** JSON.parse's message with the line and column, where V8 gives a position. */
function jsonSyntaxError(path: string, text: string, err: unknown): CrashplugError {
  const msg = err instanceof Error ? err.message : String(err);
  const lineCol = /\(line (\d+) column (\d+)\)/.exec(msg);
  const pos = /at position (\d+)/.exec(msg);
  let where = '';
  if (lineCol !== null) {
    where = `:${lineCol[1]}:${lineCol[2]}`;
  } else if (pos !== null || /end of JSON input/.test(msg)) {
    const offset = pos === null ? text.length : Number(pos[1]);
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    where = `:${line}:${offset - before.lastIndexOf('\n')}`;
  }
  return new CrashplugError('E_BAD_SYSTEM', `${path}${where}: not valid JSON (${msg}); fix the syntax there`, { cause: err });
}

/** JSON.parse of a description's text, refused as jsonSyntaxError says. */
function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw jsonSyntaxError(path, text, err);
  }
}

/** Refuse a text whose objects repeat a key, naming where. */
function checkDuplicateKeys(path: string, text: string): void {
  const dup = findDuplicateKey(text);
  if (dup !== undefined) {
    throw new CrashplugError(
      'E_BAD_SYSTEM',
      `${path}:${dup.line}:${dup.column}: the key ${JSON.stringify(dup.key)} appears twice in one object (first on line ${dup.firstLine}); JSON keeps only the last, so remove one`,
    );
  }
}

/** Whether `json` is an object whose memory.ranges is the marker cutRangesList left. */
function hasRangesMarker(json: unknown): boolean {
  const memory = typeof json === 'object' && json !== null ? (json as { memory?: unknown }).memory : undefined;
  return typeof memory === 'object' && memory !== null && (memory as { ranges?: unknown }).ranges === RANGES_MARKER;
}

/** Read and parse a system description file; relative paths inside it resolve against its folder. */
export function loadSystemFile(path: string, registry: PluginRegistry, overrides?: SystemOverrides): SystemDescription {
  const text = readCheckedText(path, 'system', `${path}: cannot read the system description`).replace(/^\uFEFF/, '');
  return parseSystemText(text, { origin: path, baseDir: dirname(path), registry, overrides });
}

/**
 * A description's text → a complete SystemDescription, as parseWholeSystemText makes it (the same
 * description, the same errors), with a long memory.ranges list read from the text itself
 * (core/system/ranges-text.ts) rather than through JSON.parse. The text with the list cut out is
 * valid JSON exactly when the whole is, and repeats a key exactly when the whole does; only its
 * line and column numbers differ, so a text that is refused is refused by parseWholeSystemText.
 */
export function parseSystemText(text: string, opts: ParseJsonOptions): SystemDescription {
  const cut = cutRangesList(text);
  if (cut !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(cut.text);
    } catch {
      json = undefined;
    }
    // The marker anywhere but memory.ranges, and the list was not memory's: the whole text is read.
    if (hasRangesMarker(json) && findDuplicateKey(cut.text) === undefined) {
      return parseSystemDescription(json, { ...opts, files: opts.files ?? diskFiles, readRanges: cut });
    }
  }
  return parseWholeSystemText(text, opts);
}

/** A description's text → a complete SystemDescription: JSON.parse of the whole, every key checked once. */
export function parseWholeSystemText(text: string, opts: ParseJsonOptions): SystemDescription {
  const json = parseJson(opts.origin, text);
  checkDuplicateKeys(opts.origin, text);
  return parseSystemDescription(json, { ...opts, files: opts.files ?? diskFiles });
}
