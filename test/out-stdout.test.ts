// `--out -` writes the bytes to standard output and the report to standard error, on every command
// that writes bytes: elfcorehdr, simulate --out-header, fadump header and process (which also take
// --json, like every command).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const X86 = join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1');
const FADUMP = join(ROOT, 'test', 'fixtures', 'powerpc', 'w14-fadump.json');
const work = mkdtempSync(join(tmpdir(), 'crashplug-stdout-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function crashplug(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'buffer' });
}

describe('--out -', () => {
  it('elfcorehdr: the kernel-built header on standard output, byte for byte the real capture', () => {
    const r = crashplug('elfcorehdr', '--system', join(X86, 'system.json'), '--out', '-');
    expect(r.status).toBe(0);
    const capture = readFileSync(join(X86, 'elfcorehdr-kernel-kexec_file.bin'));
    expect(r.stdout.length).toBe(4096);
    expect(r.stdout.subarray(0, capture.length).equals(capture)).toBe(true);
    expect(r.stdout.subarray(capture.length).every((b) => b === 0)).toBe(true);
    expect(r.stderr.toString()).toContain('Wrote 4096 bytes to standard output');
    // With --json, the JSON report goes to standard error too.
    const j = crashplug('elfcorehdr', '--system', join(X86, 'system.json'), '--out', '-', '--json');
    expect(j.stdout.equals(r.stdout)).toBe(true);
    expect(JSON.parse(j.stderr.toString())).toMatchObject({ out: { path: '-', bytes: 4096 } });
  });

  it('simulate --out-header -: the installed header on standard output', () => {
    const args = [
      'simulate',
      '--system',
      join(ROOT, 'test', 'fixtures', 'hotplug', 'system.json'),
      '--resize',
      '32G:33G',
      '--kernel-size',
      '128K',
      '--initrd-size',
      '256K',
    ];
    const file = join(work, 'installed.bin');
    expect(crashplug(...args, '--out-header', file).status).toBe(0);
    const r = crashplug(...args, '--out-header', '-');
    expect(r.status).toBe(0);
    expect(r.stdout.equals(readFileSync(file))).toBe(true);
    expect(r.stderr.toString()).toMatch(/^simulate: x86_64/);
    expect(r.stderr.toString()).toContain(`Wrote ${r.stdout.length} bytes to standard output`);
  });

  it('fadump header and process: bytes on standard output, the --json report on standard error', () => {
    const file = join(work, 'crash-info.bin');
    const h = crashplug('fadump', 'header', '--system', FADUMP, '--out', file, '--json');
    expect(h.status).toBe(0);
    expect(JSON.parse(h.stdout.toString())).toMatchObject({ arch: 'ppc64', header: { magic: 'FADMPSIG', version: 1, byteOrder: 'big' }, out: { path: file } });
    const hs = crashplug('fadump', 'header', '--system', FADUMP, '--out', '-');
    expect(hs.stdout.equals(readFileSync(file))).toBe(true);
    expect(hs.stdout.subarray(0, 8).toString('latin1')).toBe('FADMPSIG');
    expect(hs.stderr.toString()).toContain('Wrote 680 bytes to standard output');

    const elf = join(work, 'fadump-elfcorehdr.bin');
    expect(crashplug('fadump', 'process', '--system', FADUMP, '--header', file, '--out', elf).status).toBe(0);
    const p = crashplug('fadump', 'process', '--system', FADUMP, '--header', file, '--out', '-', '--json');
    expect(p.status).toBe(0);
    expect(p.stdout.equals(readFileSync(elf))).toBe(true);
    const j = JSON.parse(p.stderr.toString()) as Record<string, any>;
    expect(j).toMatchObject({ accepted: true, out: { path: '-', bytes: p.stdout.length } });
    expect(j.elfcorehdr.programHeaders.length).toBeGreaterThan(0);
  });
});
