// `crashplug elfcorehdr --builder kexec-tools` (and "builder" in the description): the header
// kexec-tools writes for kexec_load, with the same kind of table, kexec-tools' own memory list and
// exclusions, its 1 KiB-aligned size and the segment `kexec -p` would hand over — and a refusal
// naming the port when a port does not model kexec-tools.

import { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { x86KexecToolsRanges } from '../arch-x86/index.js';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { registerElfcorehdr } from '../cli/commands/elfcorehdr.js';
import { CrashplugError } from '../core/base/index.js';
import { PluginRegistry, registryOf } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';
import type { KexecToolsSegmentRule } from '../core/kexec/index.js';
import { x86Plugin } from './support/systems.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(here, 'fixtures', 'real-x86_64-6.1');
const SYSTEM = join(FIXTURE, 'system.json');
const CAPTURE = join(FIXTURE, 'elfcorehdr-kexec-tools.bin');
if (!existsSync(CAPTURE)) throw new Error(`fixture not found at ${CAPTURE}`);

const work = mkdtempSync(join(tmpdir(), 'crashplug-builder-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function elfcorehdr(registry: PluginRegistry, ...args: string[]): Promise<string> {
  let out = '';
  const program = new Command('crashplug').exitOverride();
  registerElfcorehdr(program, { registry: () => registry, out: (t) => void (out += t), answerIsBad: () => {} });
  await program.parseAsync(['node', 'crashplug', 'elfcorehdr', ...args]);
  return out;
}
const cli = (...args: string[]) => elfcorehdr(registryOf(ARCH_MODULES), ...args);

/** x86 kexec-tools' load_crashdump_segments, as a port would report it (see docs/kernel-profiles.md). */
const X86_SEGMENT: KexecToolsSegmentRule = { source: 'kexec/arch/i386/crashdump-x86.c', minMemsz: 16 * 1024, hotplug: 'always' };

/** The x86 port, reporting how its kexec-tools sizes the segment. */
function withSegmentRule(): PluginRegistry {
  const plugin = x86Plugin();
  return new PluginRegistry([{ ...plugin, kexecToolsRanges: (s: SystemDescription) => ({ ...x86KexecToolsRanges(s), segment: X86_SEGMENT }) }]);
}

describe('crashplug elfcorehdr --builder kexec-tools on the real 6.1 guest', () => {
  it('writes the 1 KiB buffer whose first 512 bytes are what kexec-tools 2.0.25 wrote', async () => {
    const out = join(work, 'kt.bin');
    const text = await cli('--system', SYSTEM, '--builder', 'kexec-tools', '--out', out);
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(1024);
    expect(bytes.subarray(0, 512).equals(readFileSync(CAPTURE))).toBe(true);
    expect(bytes.subarray(512).every((b) => b === 0)).toBe(true);
    expect(text).toContain(`Wrote 1024 bytes to ${out}`);
  });

  it('labels the PT_LOADs, the low-memory one as the backup copy', async () => {
    const rows = (await cli('--system', SYSTEM, '--builder', 'kexec-tools')).split('\n');
    expect(rows[0]).toMatch(/kernel 6\.1 profile, kexec-tools builder$/);
    const row = (i: number) => rows.find((l) => l.startsWith(`  ${i} `)) ?? '';
    expect(row(3)).toMatch(/kernel text$/);
    expect(row(4)).toMatch(/^ {2}4 LOAD 0x000000007ef61000 .* RAM \[0x1000-0x9fbff\] \(p_offset = backup copy at 0x7ef61000\)$/);
    expect(row(5)).toMatch(/RAM \[0x100000-0x6effffff\]$/);
    expect(row(8)).toBe('');
  });

  it("gives kexec-tools' list, its exclusions and the backup region instead of the kernel's walk", async () => {
    const text = await cli('--system', SYSTEM, '--builder', 'kexec-tools');
    expect(text).toContain("kexec-tools' crash memory list (12 entries");
    expect(text).toMatch(/\[0x0-0xfff\] +reserved/);
    expect(text).toMatch(/\[0x1000-0x9fbff\] +ram +PT_LOAD 4, p_offset = backup copy at 0x7ef61000/);
    expect(text).toMatch(/crashkernel \[0x6f000000-0x7effffff\]/);
    expect(text).toContain('Backup region: [0x1000-0x9fbff] (635 KiB) is copied to 0x7ef61000 (placed by the port as kexec-tools places it)');
    expect(text).toContain(
      'Header: 512 bytes (64-byte Ehdr + 8 × 56) in a 1024-byte buffer; e_phnum 8, buffer sized for 16 program headers ' +
        '(2 CPUs + vmcoreinfo + kernel + 12 list entries), rounded up to 1 KiB',
    );
    // Nothing of the kernel's own reservation applies to a kexec_load image.
    expect(text).not.toContain('System RAM found by the walk');
    expect(text).not.toContain('The kernel would reserve');
  });

  it('sizes the segment as x86 kexec-tools does: at least 16 KiB, as the real kexec -d log shows (segment[4].memsz 0x4000)', async () => {
    const text = await cli('--system', SYSTEM, '--builder', 'kexec-tools');
    expect(text).toContain('bufsz 0x400 (1024 bytes); memsz = max(bufsz, 16 KiB) = 0x4000 (16384 bytes)');
    // 6.1 has no /sys/kernel/crash_elfcorehdr_size, so kexec --hotplug dies there.
    expect(text).toContain('here kexec refuses to load');
  });

  it('gives the JSON the same way', async () => {
    const j = JSON.parse(await cli('--system', SYSTEM, '--builder', 'kexec-tools', '--json')) as Record<string, any>;
    expect(j).toMatchObject({ builder: 'kexec-tools', kernel: '6.1' });
    expect(j.programHeaders[4]).toMatchObject({
      role: 'ram',
      p_offset: '0x7ef61000',
      p_paddr: '0x1000',
      what: 'RAM [0x1000-0x9fbff] (p_offset = backup copy at 0x7ef61000)',
    });
    expect(j.memory.list).toHaveLength(12);
    expect(j.memory.list[1]).toEqual({ start: '0x1000', end: '0x9fbff', type: 'ram', p_offset: '0x7ef61000', phdr: 4 });
    expect(j.memory.excluded).toEqual([{ name: 'crashkernel', start: '0x6f000000', end: '0x7effffff' }]);
    expect(j.memory.backup).toEqual({ source: { start: '0x1000', end: '0x9fbff' }, start: '0x7ef61000', segmentSize: 0x9ec00, from: 'derived' });
    expect(j.header).toEqual({ usedBytes: 512, size: 1024, phnum: 8, sizedPhnum: 16 });
    expect(j.reserve).toMatchObject({ bufsz: 1024, memsz: 16384, memszPageRounded: 16384, hotplug: { refused: true } });
  });

  it('takes "builder" from the description, and --builder over it', async () => {
    const file = join(work, 'kexec-tools.json');
    writeFileSync(
      file,
      JSON.stringify({ ...JSON.parse(readFileSync(SYSTEM, 'utf8')), memory: { iomem: join(FIXTURE, 'proc-iomem.txt') }, builder: 'kexec-tools' }),
    );
    expect(JSON.parse(await cli('--system', file, '--json')).header.size).toBe(1024);
    expect(JSON.parse(await cli('--system', file, '--builder', 'kernel', '--json')).header.size).toBe(4096);
  });
});

describe('when the port reports how its kexec-tools sizes the segment (x86: 16 KiB, or the sysfs size with --hotplug)', () => {
  it('6.1: memsz max(bufsz, 16 KiB) = 0x4000, as segment[4] of the kexec -d log; --hotplug refused (no sysfs file)', async () => {
    const text = await elfcorehdr(withSegmentRule(), '--system', SYSTEM, '--builder', 'kexec-tools');
    expect(text).toContain("kexec-tools' elfcorehdr segment (kexec_load; kexec/arch/i386/crashdump-x86.c):");
    expect(text).toContain('bufsz 0x400 (1024 bytes); memsz = max(bufsz, 16 KiB) = 0x4000 (16384 bytes), page-rounded 0x4000 (16384 bytes)');
    expect(text).toMatch(/with --hotplug: .*kexec refuses to load: a kernel 6\.1 built like this one has no \/sys\/kernel\/crash_elfcorehdr_size/);
  });

  it('6.12: --hotplug sizes it round_up(462448, 1024) = 462848 (facts W2)', async () => {
    const j = JSON.parse(await elfcorehdr(withSegmentRule(), '--system', SYSTEM, '--builder', 'kexec-tools', '--kernel', '6.12', '--json')) as Record<
      string,
      any
    >;
    expect(j.reserve).toEqual({
      bufsz: 1024,
      memsz: 16384,
      memszPageRounded: 16384,
      minMemsz: 16384,
      rule: 'kexec/arch/i386/crashdump-x86.c',
      hotplug: { memsz: 462848, memszPageRounded: 462848, sysfsCrashElfcorehdrSize: 462448 },
    });
  });
});

describe('a port that does not model kexec-tools', () => {
  it('is refused with E_UNSUPPORTED naming the port', async () => {
    const { kexecToolsRanges: _, ...rest } = x86Plugin();
    const registry = new PluginRegistry([{ ...rest, id: 'toy' }]);
    const file = join(work, 'toy.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(SYSTEM, 'utf8')), arch: 'toy', memory: { iomem: join(FIXTURE, 'proc-iomem.txt') } }));
    const err = await elfcorehdr(registry, '--system', file, '--builder', 'kexec-tools').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(CrashplugError.is(err) && [err.code, err.message]).toEqual(['E_UNSUPPORTED', expect.stringMatching(/the toy port does not model kexec-tools/)]);
  });
});
