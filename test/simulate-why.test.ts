// What simulate says besides its counters: what the purgatory of each arch really checks (powerpc's
// kexec_file purgatory never checks the digest, arm64's kexec_file has none, kexec-tools' always
// does), why nothing happened on a kernel without crash hot-plug, and, when the kernel refused
// updates, its message and the first DIMM the installed header leaves out of the dump.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { purgatoryReport } from '../cli/simulate-why.js';
import { purgatoryChecksDigest, registryOf } from '../core/port/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const SYSTEM = join(ROOT, 'test', 'fixtures', 'hotplug', 'system.json');
const PPC = join(ROOT, 'test', 'fixtures', 'real-ppc64le-6.12', 'system.json');
const SMALL = ['--kernel-size', '128K', '--initrd-size', '256K'];
const registry = registryOf(ARCH_MODULES);
const work = mkdtempSync(join(tmpdir(), 'crashplug-why-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function simulate(...args: string[]) {
  return spawnSync(process.execPath, [BIN, 'simulate', ...args, ...SMALL], { encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
}

describe('what the purgatory checks', () => {
  it('is a port identity field: x86 and riscv verify, powerpc ignores the digest, arm64 kexec_file has no purgatory', () => {
    expect(registry.all().map((p) => `${p.id} ${p.kexecFilePurgatory}`)).toEqual(
      expect.arrayContaining(['x86_64 verifies', 'riscv64 verifies', 'ppc64 ignores', 'ppc64le ignores', 'arm64 none']),
    );
    for (const p of registry.all()) expect(purgatoryChecksDigest(p, false)).toBe(true); // kexec-tools' purgatory
    expect(purgatoryChecksDigest(registry.get('ppc64le'), true)).toBe(false);
    expect(purgatoryReport(registry.get('x86_64'), 'file', false)).toMatchObject({
      checksDigest: true,
      captureKernelStarts: false,
      text: 'verifies the digest: NO (the capture kernel would not start)',
    });
    expect(purgatoryReport(registry.get('ppc64le'), 'file', false)).toMatchObject({ checksDigest: false, captureKernelStarts: true });
  });

  it('is reported truthfully by simulate on powerpc: never "verifies NO" for kexec_file_load', () => {
    const r = simulate('--system', PPC, '--resize', '2G:3G');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('  purgatory                does not check the digest on ppc64le (its kexec_file_load purgatory only reserves room for it)\n');
    expect(r.stdout).not.toMatch(/purgatory verifies/);
    const j = JSON.parse(simulate('--system', PPC, '--resize', '2G:3G', '--json').stdout) as Record<string, any>;
    expect(j.purgatory).toMatchObject({ checksDigest: false, captureKernelStarts: true });
    const load = JSON.parse(simulate('--system', PPC, '--resize', '2G:3G', '--json', '--mode', 'load').stdout) as Record<string, any>;
    expect(load.purgatory).toMatchObject({ checksDigest: true, digestMatches: true, text: 'verifies the digest: yes' });
  });
});

describe('why nothing happened', () => {
  it('says that a 5.4 kernel has no crash hot-plug, that the header was left alone, and which DIMM it misses', () => {
    const r = simulate('--system', SYSTEM, '--resize', '32G:34G', '--kernel', '5.4');
    expect(r.stdout).toContain(
      "  why: kernel 5.4 has no crash hot-plug for x86_64 (crash hot-plug came with 6.6): the loaded header was left alone for all 16 events; udev's reload (98-kexec.rules; --strategy reload) is what refreshes it on such a kernel\n",
    );
    // The first DIMM goes right above the 0x83fffffff top of RAM.
    expect(r.stdout).toContain(
      '  why: the installed header leaves out 2 hot-added DIMMs, the first [0x840000000-0x87fffffff] (1 GiB): a crash now would not dump them\n',
    );
  });

  it("gives the kernel's message for refused updates and the first DIMM the header misses", () => {
    const json = JSON.parse(readFileSync(SYSTEM, 'utf8')) as Record<string, unknown>;
    const small = join(work, 'small-segment.json');
    // One slot for memory: the segment is one page, which runs out after some 70 DIMMs.
    writeFileSync(small, JSON.stringify({ ...json, config: { crashMaxMemoryRanges: 1, nrCpusDefault: 1 } }));
    const r = simulate('--system', small, '--resize', '32G:160G', '--json');
    const j = JSON.parse(r.stdout) as Record<string, any>;
    expect(j.failedUpdates).toBeGreaterThan(0);
    expect(j.why[0]).toBe(
      `${j.failedUpdates} updates were refused by the kernel: "crash hp: update elfcorehdr elfsz 8192 > memsz 4096" (×${j.failedUpdates}); each left the installed header as it was`,
    );
    expect(j.why[1]).toMatch(
      /^the installed header leaves out \d+ hot-added DIMMs, the first \[0x[0-9a-f]+-0x[0-9a-f]+\] \(1 GiB\): a crash now would not dump them$/,
    );
  });

  it('says nothing when the run went as it should', () => {
    const j = JSON.parse(simulate('--system', SYSTEM, '--resize', '32G:34G', '--json').stdout) as Record<string, any>;
    expect(j.why).toEqual([]);
    expect(j.finalHeaderMatchesFresh).toBe(true);
  });
});
