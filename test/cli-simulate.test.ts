// `crashplug simulate` as a user runs it (node bin/crashplug.js on the built dist/): the JSON a script
// reads, the header it writes, and bad input — exit 2 with one `crashplug: E_…` line.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
