// `crashplug replay` on a real capture: the ppc64le 6.12.95 pseries guest of
// test/fixtures/real-ppc64le-6.12, whose kernel rewrote its elfcorehdr at five QEMU monitor steps
// (monitor-commands.txt): a 1 GiB DIMM added and removed, two 256 MiB DIMMs added, the first
// removed. events.jsonl is that history as the kernel saw it — pseries adds and removes one LMB
// (256 MiB) at a time (dlpar_add_lmb / dlpar_remove_lmb), so each LMB is its own memory device:
// dimm-add + memory-online per LMB on the way in, memory-offline + dimm-remove per LMB on the way
// out. Replaying it must leave, after each step, the bytes the kernel wrote; the last one carries
// remove_mem_range's one-byte-long tail (facts §13.1), which the replay must call wrong.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSystemFile } from '../api/system-file.js';
import { checkEventLog, headerCoverage, parseEventLog, simulateHotplug } from '../core/hotplug/index.js';
import { registryOf } from '../core/port/index.js';
import { SMALL_PAYLOAD } from '../core/kexec/index.js';
import { powerpcModule } from '../arch-powerpc/index.js';
import { ppcPlugin } from './fixtures/powerpc/systems.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'real-ppc64le-6.12');
const SYSTEM = join(FIXTURE, 'system.json');
const EVENTS = join(FIXTURE, 'events.jsonl');
const LMB = 0x1000_0000n;
const SMALL = ['--kernel-size', '128K', '--initrd-size', '256K'];

/** The monitor steps: the last line of events.jsonl each one ends on, and the header pmemsave read after it. */
const STEPS = [
  { line: 8, file: 'elfcorehdr-1-after-add-1g.bin', what: 'device_add d1 (1 GiB, 4 LMBs)' },
  { line: 16, file: 'elfcorehdr-2-after-remove-1g.bin', what: 'device_del d1' },
  { line: 18, file: 'elfcorehdr-3-after-add-d2-256m.bin', what: 'device_add d2 (256 MiB)' },
  { line: 20, file: 'elfcorehdr-4-after-add-d3-256m.bin', what: 'device_add d3 (256 MiB)' },
  { line: 22, file: 'elfcorehdr-5-after-remove-d2.bin', what: 'device_del d2' },
] as const;

const real = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURE, name)));
const jsonl = readFileSync(EVENTS, 'utf8');
const system = () => loadSystemFile(SYSTEM, registryOf([powerpcModule]));

function firstDifference(want: Uint8Array, got: Uint8Array): string {
  for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) return `first difference at byte ${i}: kernel ${want[i]}, replay ${got[i]}`;
  return got.subarray(want.length).every((b) => b === 0) ? 'identical' : 'bytes past the kernel’s header are not zero';
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-replay-ppc-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function crashplug(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'replay', ...args, ...SMALL], { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the event log is the capture’s history', () => {
  it('22 events: 4 LMBs in, 4 out, 1 in, 1 in, 1 out — the 6 hp_action 3 and 5 hp_action 4 lines of the guest’s dmesg', () => {
    const log = parseEventLog(jsonl, 'events.jsonl', { blockSize: LMB, dimmSize: LMB });
    expect(log.format).toBe('jsonl');
    expect(log.eventsRead).toBe(22);
    expect(log.linesSkipped).toBe(0);
    const notifier = log.events.filter((e) => e.event.kind === 'memory');
    expect(notifier.filter((e) => e.event.kind === 'memory' && e.event.action === 'online')).toHaveLength(6);
    expect(notifier.filter((e) => e.event.kind === 'memory' && e.event.action === 'offline')).toHaveLength(5);
    expect(STEPS.at(-1)!.line).toBe(jsonl.trimEnd().split('\n').length);
  });
});

describe('replayed with the kernel strategy, every step ends on the bytes the kernel wrote', () => {
  it('through the core: the installed header after each step’s last event', () => {
    const log = parseEventLog(jsonl, EVENTS, { blockSize: LMB, dimmSize: LMB });
    checkEventLog(system(), ppcPlugin('ppc64le'), log, LMB);
    const atLine = new Map<number, Uint8Array>();
    const outcomes: string[] = [];
    simulateHotplug(system(), ppcPlugin('ppc64le'), log.events, {
      strategy: 'kernel',
      mode: 'file',
      payload: SMALL_PAYLOAD,
      blockSize: LMB,
      onEvent: (step) => {
        outcomes.push(step.outcome);
        atLine.set(Number(log.sources[step.index]!.split(':').at(-1)), step.header!.slice());
      },
    });
    for (const step of STEPS) expect(firstDifference(real(step.file), atLine.get(step.line)!), `${step.what} → ${step.file}`).toBe('identical');
    // dimm-add / dimm-remove reach no notifier; every online and offline installs a new header.
    expect(outcomes.filter((o) => o === 'installed')).toHaveLength(11);
    expect(outcomes.filter((o) => o === 'no-notifier-call')).toHaveLength(11);
  });

  for (const [i, step] of STEPS.entries()) {
    it(`through the command: the log up to line ${step.line} (${step.what}) writes ${step.file} with --out-header`, () => {
      const part = join(work, `step-${i + 1}.jsonl`);
      writeFileSync(part, `${jsonl.split('\n').slice(0, step.line).join('\n')}\n`);
      const out = join(work, `hdr-${i + 1}.bin`);
      const r = crashplug('--system', SYSTEM, '--events', part, '--block', '256M', '--dimm', '256M', '--out-header', out, '--json');
      expect(r.stderr).toBe('');
      const j = JSON.parse(r.stdout);
      expect(j.eventsRead).toBe(step.line);
      expect(j.dropped).toBe(0);
      expect(firstDifference(real(step.file), new Uint8Array(readFileSync(out)))).toBe('identical');
      // Steps 1–4 leave the header a fresh build gives; step 5 leaves the kernel's one-byte tail.
      expect(j.finalHeaderMatchesFresh).toBe(i < 4);
      expect(r.status).toBe(i < 4 ? 0 : 3);
    });
  }

  it('the last step: the text says why the answer is bad — one byte past RAM at 0xa0000000 — and --no-fail exits 0', () => {
    const r = crashplug('--system', SYSTEM, '--events', EVENTS, '--block', '256M', '--dimm', '256M');
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/final header = fresh\s+NO/);
    expect(r.stdout).toContain(
      'Bad: the final header is not what a fresh build of the final machine gives: the header lists 0x1 bytes the machine does not have as RAM, first [0xa0000000, 0xa0000000]',
    );
    const ok = spawnSync(
      process.execPath,
      [BIN, '--no-fail', 'replay', '--system', SYSTEM, '--events', EVENTS, '--block', '256M', '--dimm', '256M', ...SMALL],
      { cwd: work, encoding: 'utf8' },
    );
    expect(ok.status).toBe(0);
  });

  it('--events-out: one line per event, the memory offline of d2 installs the header with the stray byte', () => {
    const out = join(work, 'steps.jsonl');
    const r = crashplug('--system', SYSTEM, '--events', EVENTS, '--block', '256M', '--dimm', '256M', '--events-out', out, '--no-fail');
    expect(r.status).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(22);
    expect(lines[20]).toMatchObject({
      source: `${EVENTS}:21`,
      event: 'memory-offline',
      start: '0x80000000',
      outcome: 'installed',
      regenerations: 1,
      updates: [{ action: 'REMOVE_MEMORY', outcome: 'installed', folded: 1 }],
      header: { missing: [], wrong: [['0xa0000000', '0xa0000000']], wrongBytes: '0x1' },
    });
    // Before: d3 added and online, nothing missing, nothing wrong.
    expect(lines[19]).toMatchObject({ event: 'memory-online', start: '0x90000000', header: { missing: [], wrong: [] } });
    expect(lines[0]).toMatchObject({ event: 'dimm-add', node: 0, outcome: 'no-notifier-call' });
  });
});

describe('coalesce ends every replay on a fresh build of the final machine, removals included', () => {
  it('in both load modes, for every prefix of the log', () => {
    const log = parseEventLog(jsonl, EVENTS, { blockSize: LMB, dimmSize: LMB });
    for (const mode of ['file', 'load'] as const) {
      for (const step of STEPS) {
        const events = log.events.slice(0, step.line);
        const run = simulateHotplug(system(), ppcPlugin('ppc64le'), events, { strategy: 'coalesce', mode, blockSize: LMB, payload: SMALL_PAYLOAD });
        expect(run.summary.finalHeaderMatchesFresh, `${mode}, ${step.what}`).toBe(true);
        expect(headerCoverage(run.installed!, run.machine, ppcPlugin('ppc64le'))).toMatchObject({ missingBytes: 0n, wrongBytes: 0n });
      }
    }
  });
});
