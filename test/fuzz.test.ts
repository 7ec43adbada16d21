// A short, fixed-seed run of the fuzz campaign (scripts/fuzz/fuzz.mjs; `npm run fuzz` runs it for
// longer with any seed): mutated inputs, command lines and output targets against the built CLI.
// Not one case may crash, hang, clobber a file or run out of memory.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('npm run fuzz, fixed seed, ~25 s', () => {
  it('every case is ok or a coded refusal', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'fuzz', 'fuzz.mjs'), '--seconds', '25', '--seed', '1414', '--jobs', '2', '--timeout', '60'], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ seed: 1414, crash: 0, hang: 0, clobber: 0, memory: 0, failures: [] });
    // It ran cases of both kinds (the machine may be slow: a few are enough).
    expect(report.ok).toBeGreaterThan(0);
    expect(report.coded).toBeGreaterThan(0);
    expect(r.status).toBe(0);
  }, 300_000);
});
