// `crashplug simulate` as a user runs it (node bin/crashplug.js on the built dist/): the JSON a script
// reads, the header it writes, and bad input — exit 2 with one `crashplug: E_…` line.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
/** A 32 GiB x86_64 guest on 6.18 with a 256 MiB crashkernel below 4 GiB. */
const SYSTEM = join(ROOT, 'test', 'fixtures', 'hotplug', 'system.json');
const SMALL = ['--kernel-size', '128K', '--initrd-size', '256K'];

let work: string;

function crashplug(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'simulate', ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-simulate-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('crashplug simulate', () => {
  it('--json reports the counts, the unarmed time and the two checks', () => {
    const r = crashplug('--system', SYSTEM, '--resize', '32G:64G', '--strategy', 'coalesce', '--json', ...SMALL);
    expect(r.stderr).toBe(''); // not a terminal: no progress bar
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ events: 256, regenerations: 32, dropped: 0, coalesced: 224, finalHeaderMatchesFresh: true, purgatoryVerified: true });
    expect(j.unarmedNs.total).toBeGreaterThan(0);
    expect(j.unarmedNs.max).toBeLessThanOrEqual(j.unarmedNs.total);
    expect(typeof j.elapsedMs).toBe('number');
  });

  it('kernel strategy with --mode load and --out-header writes the header installed at the end', () => {
    const out = join(work, 'final.bin');
    const r = crashplug('--system', SYSTEM, '--resize', '32G:36G', '--mode', 'load', '--out-header', out, '--json', ...SMALL);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ strategy: 'kernel', mode: 'load', events: 32, regenerations: 32, finalHeaderMatchesFresh: true });
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(j.outHeader.bytes);
    expect([...bytes.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    // 8 possible CPUs + vmcoreinfo + kernel text + 2 boot ranges around crashk_res + 1 low range gone + 4 DIMMs
    expect(bytes.readUInt16LE(56)).toBe(8 + 1 + 1 + 3 + 4);
  });

  it('prints a text summary by default', () => {
    const r = crashplug('--system', SYSTEM, '--resize', '32G:34G', '--strategy', 'reload', ...SMALL);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/strategy reload/);
    expect(r.stdout).toMatch(/final header = fresh\s+yes/);
    expect(r.stdout).toMatch(/udev \(simulated\)/);
  });

  for (const [what, args, code] of [
    ['a shrinking resize', ['--resize', '8G:4G'], 'E_BAD_ARGUMENT'],
    ['a zero DIMM', ['--resize', '32G:64G', '--dimm', '0'], 'E_BAD_ARGUMENT'],
    ['an unknown strategy', ['--resize', '32G:64G', '--strategy', 'fastest'], 'E_BAD_ARGUMENT'],
    ['a FROM that is not the machine', ['--resize', '4G:8G'], 'E_BAD_ARGUMENT'],
    ['a resize that is not FROM:TO', ['--resize', '64G'], 'E_BAD_ARGUMENT'],
    ['a missing system file', ['--resize', '32G:64G', '--system', 'nope.json'], 'E_'],
  ] as const) {
    it(`refuses ${what}: exit 2, one line`, () => {
      const r = crashplug('--system', SYSTEM, ...args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^crashplug: ${code}`));
    });
  }
});

/**
 * The 32 GiB guest with two 1 GiB DIMMs hot-added above its RAM, each a System RAM resource of its
 * own (as x86 walks them): 34 GiB, of which the DIMMs can go again.
 */
function grownSystem(): string {
  const json = JSON.parse(readFileSync(SYSTEM, 'utf8'));
  json.memory.ranges.push(['0x840000000', '0x87fffffff'], ['0x880000000', '0x8bfffffff']);
  const file = join(work, 'grown.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}

describe('crashplug simulate shrinking, and --add / --remove', () => {
  it('--resize 34G:32G: each DIMM’s 8 blocks go offline, then the DIMM; coalesce ends on a fresh header (exit 0)', () => {
    const out = join(work, 'shrunk.bin');
    const r = crashplug('--system', grownSystem(), '--resize', '34G:32G', '--strategy', 'coalesce', '--json', '--out-header', out, ...SMALL);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      resize: { dimms: 2 },
      events: 16,
      regenerations: 2,
      coalesced: 14,
      finalHeaderMatchesFresh: true,
      problems: [],
      finalHeader: { missing: [], wrong: [] },
    });
    // 8 possible CPUs + vmcoreinfo + kernel text + the boot ranges of the 32 GiB machine (3): no DIMM left.
    expect(readFileSync(out).readUInt16LE(56)).toBe(8 + 1 + 1 + 3);
  });

  it('--remove 2G is the same shrink, relative to the machine’s RAM', () => {
    const a = JSON.parse(crashplug('--system', grownSystem(), '--remove', '2G', '--strategy', 'coalesce', '--json', ...SMALL).stdout);
    // The guest's RAM is a little under 34 GiB (the holes below 4 GiB): FROM is exactly what it has.
    expect(BigInt(a.resize.from) - BigInt(a.resize.to)).toBe(2n << 30n);
    expect(a).toMatchObject({ resize: { dimms: 2 }, events: 16, finalHeaderMatchesFresh: true });
  });

  it('--add 4G is --resize 32G:36G', () => {
    const r = crashplug('--system', SYSTEM, '--add', '4G', '--json', ...SMALL);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(BigInt(j.resize.to) - BigInt(j.resize.from)).toBe(4n << 30n);
    expect(j).toMatchObject({ resize: { dimms: 4 }, events: 32, finalHeaderMatchesFresh: true });
  });

  it('kernel strategy: x86’s handler runs while the DIMM is still RAM and its removal calls none, so the header keeps it — exit 3, and the text says why', () => {
    const r = crashplug('--system', grownSystem(), '--remove', '1G', ...SMALL);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/ → 0x[0-9a-f]+ bytes removing 1 DIMMs of 1 GiB/);
    expect(r.stdout).toMatch(/final header = fresh\s+NO/);
    expect(r.stdout).toContain(
      'Bad: the final header is not what a fresh build of the final machine gives: the header lists 0x40000000 bytes the machine does not have as RAM, first [0x880000000, 0x8bfffffff]',
    );
    const json = JSON.parse(crashplug('--system', grownSystem(), '--remove', '1G', '--json', ...SMALL).stdout);
    expect(json.problems).toHaveLength(1);
    expect(json.finalHeader.wrong).toEqual([['0x880000000', '0x8bfffffff']]);
  });

  it('a lock held by a racing load drops events under the kernel strategy: exit 3 naming the drops and the first DIMM missing from the dump', () => {
    const r = crashplug('--system', SYSTEM, '--resize', '32G:34G', '--contention', '0.9', '--seed', '3', ...SMALL);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(
      /Bad: the final header is not what a fresh build of the final machine gives: \d+ event\(s\) were dropped while the kexec lock was busy \("crash hp: kexec_trylock\(\) failed, kdump image may be inaccurate"\)/,
    );
    expect(r.stdout).toMatch(
      /the dump would miss 0x[0-9a-f]+ bytes of RAM, first \[0x8[48][0-9a-f]+, 0x8[4-9a-b][0-9a-f]+\], in the DIMM \[0x8[48]0000000, 0x8[7b]fffffff\] \(1 GiB\) added by resize event \d+/,
    );
  });

  for (const [what, args, message] of [
    [
      'boot memory on x86 (not a DIMM of its own)',
      ['--system', SYSTEM, '--remove', '1G'],
      /^crashplug: E_BAD_ARGUMENT: --remove 1G: DIMM \[0x800000000, 0x83fffffff\] is not a System RAM resource of its own/,
    ],
    [
      '--add with --resize',
      ['--system', SYSTEM, '--add', '1G', '--resize', '32G:33G'],
      /^crashplug: E_BAD_ARGUMENT: give exactly one of --resize FROM:TO, --add SIZE and --remove SIZE \(2 were given\)/,
    ],
    ['no resize at all', ['--system', SYSTEM], /^crashplug: E_BAD_ARGUMENT: give exactly one of .* \(none was given\)/],
    ['removing all RAM', ['--system', SYSTEM, '--remove', '32G'], /^crashplug: E_BAD_ARGUMENT: --remove 32G is all of /],
    ['a resize to the same size', ['--system', SYSTEM, '--resize', '32G:32G'], /^crashplug: E_BAD_ARGUMENT: --resize 0x800000000:0x800000000 changes nothing/],
  ] as const) {
    it(`refuses ${what}: exit 2, one line`, () => {
      const r = crashplug(...args, ...SMALL);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }
});

describe('crashplug simulate: a refused event is found by the run, not by a walk before it', () => {
  /** The seed machine without its crashkernel reservation: the load fails, before any event. */
  function withoutCrashkernel(): string {
    const d = JSON.parse(readFileSync(SYSTEM, 'utf8')) as Record<string, unknown>;
    delete d.crashkernel;
    const file = join(work, 'no-crashkernel.json');
    writeFileSync(file, JSON.stringify(d));
    return file;
  }

  it('a load-time error is reported before a --remove refusal (the run never reaches the event)', () => {
    const r = crashplug('--system', withoutCrashkernel(), '--remove', '1G', ...SMALL);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^crashplug: E_BAD_SYSTEM: .*no crashkernel reservation/);
  });

  it('argument errors still come first: a bad --block before the load and the refusal', () => {
    const r = crashplug('--system', withoutCrashkernel(), '--remove', '1G', '--block', '3M', ...SMALL);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^crashplug: E_BAD_ARGUMENT: --block 0x300000 is not a power of two/);
  });

  for (const strategy of ['kernel', 'coalesce', 'reload'] as const) {
    it(`a loadable machine gets the --remove refusal with the option named (${strategy}), --json or not: nothing on stdout`, () => {
      for (const json of [[], ['--json']]) {
        const r = crashplug('--system', SYSTEM, '--remove', '1G', '--strategy', strategy, ...json, ...SMALL);
        expect(r.status).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^crashplug: E_BAD_ARGUMENT: --remove 1G: DIMM \[0x800000000, 0x83fffffff\] is not a System RAM resource of its own/);
      }
    });
  }
});

describe('crashplug simulate --budget (a run too large to finish is refused before it starts)', () => {
  it('refuses 32G→64T in 128 MiB DIMMs (past PN_XNUM every rebuild is whole) with the estimate, exit 2', () => {
    const r = crashplug('--system', SYSTEM, '--resize', '32G:64T', '--dimm', '128M', '--strategy', 'coalesce', '--json');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^crashplug: E_TOO_LARGE: simulate: 32 GiB .* in 524032 DIMMs of 128 MiB is estimated to take \d+ min, over the --budget of 60 s; /,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('runs 32G→16T in 1 GiB DIMMs (130 816 events) under the default budget: rebuilds are patches', () => {
    const r = crashplug('--system', SYSTEM, '--resize', '32G:16T', '--strategy', 'coalesce', '--json', ...SMALL);
    expect(r.stderr).not.toMatch(/E_TOO_LARGE/);
    const j = JSON.parse(r.stdout);
    expect(j.events).toBe(130_816);
    expect(j.regenerations).toBe(16_352);
  });

  it('a smaller --budget refuses what the default lets run, and --budget 0 means no limit', () => {
    const tight = crashplug('--system', SYSTEM, '--resize', '32G:4T', '--strategy', 'kernel', '--budget', '0.01', '--json', ...SMALL);
    expect(tight.status).toBe(2);
    expect(tight.stderr).toMatch(/E_TOO_LARGE: .*estimated to take 1 s, over the --budget of 0.01 s/);
    const none = crashplug('--system', SYSTEM, '--resize', '32G:40G', '--budget', '0', '--json', ...SMALL);
    expect(none.status).toBe(0);
  });

  it('--budget that is not a number of seconds is a usage error', () => {
    const r = crashplug('--system', SYSTEM, '--resize', '32G:40G', '--budget', 'soon');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^crashplug: E_BAD_ARGUMENT: --budget "soon" is not a number of seconds/);
  });
});
