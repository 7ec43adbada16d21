// A real event log, turned into the machine events a replay walks. Two inputs:
//
// - JSON Lines, one event per line: memory-online/-offline {start, size}, dimm-add/-remove
//   {start, size, node}, cpu-online/-offline/-add/-remove {cpu}, each with an optional "at" (ms).
//   A memory event over several blocks is one notifier call per block, as Linux makes it.
// - What `udevadm monitor --kernel` prints: `KERNEL[sec.usec] ACTION DEVPATH (SUBSYSTEM)`
//   (systemd's udevadm-monitor.c prints "%-6s[%sec.%06usec] %-8s %s (%s)"). Memory block N is
//   at N × block size. A run of `add` uevents of contiguous blocks is the kernel creating a DIMM's
//   block devices (add_memory), so it is cut into DIMMs of the DIMM size; a run of `remove`
//   uevents likewise removes DIMMs; `online` and `offline` are one block each. CPU `add`/`remove`
//   change the present set, `online`/`offline` reach the crash notifier. Lines that are not
//   kernel uevents (the monitor's banner, blank lines, UDEV lines, --property lines) are skipped
//   and counted; uevents of other devices are read and ignored.
//
// Events are grouped in bursts (the batches a coalescing strategy folds): a DIMM's arrival with
// the onlines after it; a run of offlines with the DIMM removal that ends it; each CPU event alone.
// Core reads no files: the caller hands over the text and a name for messages.

import { CrashplugError } from '../base/errors.js';
import { hex, parseU64 } from '../base/hex.js';
import type { ArchPlugin } from '../port/plugin.js';
import type { SystemDescription } from '../system/system.js';
import { type MachineEvent, MachineState, type TimedEvent } from './events.js';

export type EventLogFormat = 'jsonl' | 'udev';
export const EVENT_LOG_FORMATS: readonly EventLogFormat[] = ['jsonl', 'udev'];

export interface EventLogOptions {
  /** Auto-detected from the first line that says something when not given. */
  readonly format?: EventLogFormat | undefined;
  /** memory_block_size_bytes(): where udev's memoryN is, and how a memory event splits. */
  readonly blockSize: bigint;
  /** The size of one DIMM, to cut runs of udev add/remove uevents. */
  readonly dimmSize: bigint;
}

export interface EventLog {
  readonly format: EventLogFormat;
  readonly events: readonly TimedEvent[];
  /** Where each event came from, "FILE:LINE" (for a DIMM made of uevents, the line of its last one). */
  readonly sources: readonly string[];
  /** Every event line (JSON Lines) or kernel uevent (udev) read, ignored ones included. */
  readonly eventsRead: number;
  /** Lines that are not events: blank lines, the monitor's banner, UDEV lines, properties. */
  readonly linesSkipped: number;
  /** Kernel uevents of devices other than memory blocks and CPUs, or actions that change nothing here. */
  readonly ueventsIgnored: number;
}

function bad(message: string): CrashplugError {
  return new CrashplugError('E_BAD_EVENTS', message);
}

const UEVENT = /^(KERNEL|UDEV)\s*\[(\d+)\.(\d+)\]\s+(\S+)\s+(\S+)\s+\(([^)]*)\)\s*$/;

function detect(lines: readonly string[], origin: string): EventLogFormat {
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('{')) return 'jsonl';
    if (UEVENT.test(line) || line.startsWith('monitor will print')) return 'udev';
    throw bad(
      `${origin}: the first line, ${JSON.stringify(line.slice(0, 60))}, is neither a JSON event nor udevadm monitor output; ` +
        'give one JSON object per line or the output of `udevadm monitor --kernel`, or name it with --format jsonl|udev',
    );
  }
  throw bad(`${origin}: holds no events; give one JSON object per line or the output of \`udevadm monitor --kernel\``);
}

/** Bursts: a DIMM's arrival and its onlines; offlines and the removal that ends them; each CPU event. */
function batched(events: readonly { event: MachineEvent; atMs: number }[]): TimedEvent[] {
  const out: TimedEvent[] = [];
  let batch = -1;
  let prev: MachineEvent | undefined;
  for (const { event, atMs } of events) {
    const joins =
      prev !== undefined &&
      ((event.kind === 'memory' && event.action === 'online' && (prev.kind === 'dimm-add' || (prev.kind === 'memory' && prev.action === 'online'))) ||
        ((event.kind === 'memory' && event.action === 'offline') || event.kind === 'dimm-remove'
          ? prev.kind === 'memory' && prev.action === 'offline'
          : false));
    if (!joins) batch++;
    out.push({ event, atMs, batch });
    prev = event;
  }
  return out;
}

export function parseEventLog(text: string, origin: string, options: EventLogOptions): EventLog {
  const { blockSize, dimmSize } = options;
  if (blockSize <= 0n || (blockSize & (blockSize - 1n)) !== 0n) throw new CrashplugError('E_BAD_ARGUMENT', `--block ${hex(blockSize)} is not a power of two`);
  if (dimmSize <= 0n || dimmSize % blockSize !== 0n) {
    throw new CrashplugError('E_BAD_ARGUMENT', `--dimm ${hex(dimmSize)} is not a whole number of ${hex(blockSize)}-byte memory blocks`);
  }
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const format = options.format ?? detect(lines, origin);
  return format === 'jsonl' ? parseJsonLines(lines, origin, blockSize) : parseUdev(lines, origin, blockSize, dimmSize);
}

// ---- JSON Lines ----

const JSON_EVENTS = ['memory-online', 'memory-offline', 'dimm-add', 'dimm-remove', 'cpu-online', 'cpu-offline', 'cpu-add', 'cpu-remove'] as const;
type JsonEventName = (typeof JSON_EVENTS)[number];
const KEYS: Record<JsonEventName, readonly string[]> = {
  'memory-online': ['start', 'size'],
  'memory-offline': ['start', 'size'],
  'dimm-add': ['start', 'size', 'node'],
  'dimm-remove': ['start', 'size', 'node'],
  'cpu-online': ['cpu'],
  'cpu-offline': ['cpu'],
  'cpu-add': ['cpu'],
  'cpu-remove': ['cpu'],
};
const REQUIRED: Record<JsonEventName, readonly string[]> = { ...KEYS, 'dimm-add': ['start', 'size'], 'dimm-remove': ['start', 'size'] };

function parseJsonLines(lines: readonly string[], origin: string, blockSize: bigint): EventLog {
  const raw: { event: MachineEvent; atMs: number }[] = [];
  const sources: string[] = [];
  let skipped = 0;
  let read = 0;
  let lastAt = 0;
  lines.forEach((text, i) => {
    const where = `${origin}:${i + 1}`;
    if (text.trim() === '') {
      skipped++;
      return;
    }
    const fail = (what: string, todo: string): never => {
      throw bad(`${where}: ${what}; ${todo}`);
    };
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      fail(
        `not JSON (${err instanceof Error ? err.message : String(err)})`,
        'write one JSON object per line, e.g. {"event": "memory-online", "start": "0x880000000", "size": "0x8000000"}',
      );
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail('not a JSON object', 'write one object per line, e.g. {"event": "cpu-online", "cpu": 4}');
    const o = value as Record<string, unknown>;
    read++;
    const name = o.event;
    if (typeof name !== 'string' || !(JSON_EVENTS as readonly string[]).includes(name)) {
      fail(`"event" is ${JSON.stringify(name)}`, `give one of ${JSON_EVENTS.join(', ')}`);
    }
    const ev = name as JsonEventName;
    for (const key of Object.keys(o)) {
      if (key !== 'event' && key !== 'at' && !KEYS[ev].includes(key))
        fail(`a ${ev} event has no "${key}"`, `its keys are event, ${KEYS[ev].join(', ')} and at (ms)`);
    }
    for (const key of REQUIRED[ev])
      if (o[key] === undefined) fail(`a ${ev} event needs "${key}"`, `give it, e.g. ${ev.startsWith('cpu') ? '"cpu": 4' : `"${key}": "0x8000000"`}`);
    const u64 = (key: string): bigint => {
      const v = o[key];
      const parsed = typeof v === 'string' ? parseU64(v) : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : undefined;
      if (parsed === undefined) fail(`"${key}" is ${JSON.stringify(v)}, not a number`, `write it as a hex string ("0x80000000") or a decimal number`);
      return parsed!;
    };
    const small = (key: string): number => {
      const v = u64(key);
      if (v > 0xffff_ffffn) fail(`"${key}" is ${v}, too large`, 'give a CPU or node number');
      return Number(v);
    };
    let atMs = lastAt;
    if (o.at !== undefined) {
      const v = typeof o.at === 'string' ? Number(o.at) : o.at;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        fail(`"at" is ${JSON.stringify(o.at)}`, 'give milliseconds since the start of the log, a number ≥ 0');
      if ((v as number) < lastAt) fail(`"at" ${v} goes back in time (the line before is at ${lastAt})`, 'give the events in the order they happened');
      atMs = v as number;
    }
    lastAt = atMs;
    const push = (event: MachineEvent): void => {
      raw.push({ event, atMs });
      sources.push(where);
    };
    switch (ev) {
      case 'memory-online':
      case 'memory-offline': {
        const start = u64('start');
        const size = u64('size');
        if (size === 0n || start % blockSize !== 0n || size % blockSize !== 0n) {
          fail(
            `[${hex(start)}, +${hex(size)}] is not made of whole ${hex(blockSize)}-byte memory blocks`,
            "give block-aligned memory, or the machine's block size with --block",
          );
        }
        // One notifier call per memory block, lowest first, as memory_block_action makes them.
        const action = ev === 'memory-online' ? 'online' : 'offline';
        for (let b = start; b < start + size; b += blockSize) push({ kind: 'memory', action, start: b, size: blockSize });
        break;
      }
      case 'dimm-add':
        push({ kind: 'dimm-add', start: u64('start'), size: u64('size'), ...(o.node === undefined ? {} : { nid: small('node') }) });
        break;
      case 'dimm-remove':
        push({ kind: 'dimm-remove', start: u64('start'), size: u64('size') });
        break;
      case 'cpu-online':
      case 'cpu-offline':
        push({ kind: 'cpu', action: ev === 'cpu-online' ? 'online' : 'offline', cpu: small('cpu') });
        break;
      case 'cpu-add':
      case 'cpu-remove':
        push({ kind: 'cpu-present', action: ev === 'cpu-add' ? 'add' : 'remove', cpu: small('cpu') });
        break;
    }
  });
  return { format: 'jsonl', events: batched(raw), sources, eventsRead: read, linesSkipped: skipped, ueventsIgnored: 0 };
}

// ---- udevadm monitor --kernel ----

interface Run {
  readonly action: 'add' | 'remove';
  readonly first: bigint;
  last: bigint;
  readonly firstLine: number;
  lastLine: number;
}

function parseUdev(lines: readonly string[], origin: string, blockSize: bigint, dimmSize: bigint): EventLog {
  const raw: { event: MachineEvent; atMs: number }[] = [];
  const sources: string[] = [];
  const blocksPerDimm = dimmSize / blockSize;
  let skipped = 0;
  let read = 0;
  let ignored = 0;
  let t0: number | undefined;
  let atMs = 0;
  let run: Run | undefined;
  let line = 0;

  const push = (event: MachineEvent): void => {
    raw.push({ event, atMs });
    sources.push(`${origin}:${line}`);
  };
  const emitRun = (r: Run): void => {
    const start = r.first * blockSize;
    push(r.action === 'add' ? { kind: 'dimm-add', start, size: dimmSize } : { kind: 'dimm-remove', start, size: dimmSize });
  };
  /** A run that ends before it makes a whole DIMM cannot be placed. */
  const endRun = (): void => {
    if (run === undefined) return;
    const n = run.last - run.first + 1n;
    throw bad(
      `${origin}:${run.firstLine}-${run.lastLine}: ${n} ${run.action} uevent(s) for memory blocks ${run.first}–${run.last} make ${hex(n * blockSize)} bytes, ` +
        `not a whole ${hex(dimmSize)}-byte DIMM; give the size of one DIMM with --dimm (where each memory block comes and goes alone, as on pseries, --dimm equal to --block)`,
    );
  };

  for (const text of lines) {
    line++;
    const m = UEVENT.exec(text.trim());
    if (m === null || m[1] !== 'KERNEL') {
      skipped++;
      continue;
    }
    read++;
    // Whole microseconds, so that times stay exact: "%06" digits after the point.
    const micros = Number(m[2]) * 1e6 + Number(`${m[3]}000000`.slice(0, 6));
    t0 ??= micros;
    const at = (micros - t0) / 1e3;
    if (at < atMs) throw bad(`${origin}:${line}: the uevent at ${m[2]}.${m[3]} is earlier than the one before; give the log in the order udevadm printed it`);
    atMs = at;
    const action = m[4]!;
    const devpath = m[5]!;
    const subsystem = m[6]!;
    const mem = subsystem === 'memory' ? /^\/devices\/system\/memory\/memory(\d+)$/.exec(devpath) : null;
    const cpu = subsystem === 'cpu' ? /^\/devices\/system\/cpu\/cpu(\d+)$/.exec(devpath) : null;
    if (mem !== null && (action === 'add' || action === 'remove')) {
      const block = BigInt(mem[1]!);
      if (run !== undefined && (run.action !== action || block !== run.last + 1n)) endRun();
      if (run === undefined) run = { action, first: block, last: block, firstLine: line, lastLine: line };
      else {
        run.last = block;
        run.lastLine = line;
      }
      if (run.last - run.first + 1n === blocksPerDimm) {
        emitRun(run);
        run = undefined;
      }
      continue;
    }
    if (mem !== null && (action === 'online' || action === 'offline')) {
      endRun();
      const start = BigInt(mem[1]!) * blockSize;
      push({ kind: 'memory', action, start, size: blockSize });
      continue;
    }
    if (cpu !== null && ['add', 'remove', 'online', 'offline'].includes(action)) {
      endRun();
      const n = Number(cpu[1]!);
      if (action === 'online' || action === 'offline') push({ kind: 'cpu', action, cpu: n });
      else push({ kind: 'cpu-present', action: action as 'add' | 'remove', cpu: n });
      continue;
    }
    ignored++;
  }
  endRun();
  return { format: 'udev', events: batched(raw), sources, eventsRead: read, linesSkipped: skipped, ueventsIgnored: ignored };
}

/**
 * Walk the events over the boot machine before replaying them, so an event the machine cannot take
 * (a block onlined twice, a DIMM over RAM, a CPU that is not possible) is refused with its line,
 * before anything runs.
 */
export function checkEventLog(system: SystemDescription, plugin: ArchPlugin, log: EventLog, blockSize: bigint): void {
  let machine = MachineState.boot(system, blockSize, plugin.ramWalk);
  log.events.forEach((e, i) => {
    try {
      machine = machine.apply(e.event);
    } catch (err) {
      if (!CrashplugError.is(err)) throw err;
      throw new CrashplugError('E_BAD_EVENTS', `${log.sources[i]}: ${err.message}; fix the log, or the machine it starts from (--system)`, { cause: err });
    }
  });
}
