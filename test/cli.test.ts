// The crashplug command end to end, as a user runs it (`node bin/crashplug.js …` on the built dist/):
// the header for the real 6.1 guest and how it is explained, inspect with and without --against, and
// bad input — exit 2, one `crashplug: E_…` line on stderr, no stack trace, --out never touched.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1');
const SYSTEM = join(FIXTURE, 'system.json');
/** What Debian 12's 6.1 kernel wrote (kexec -s -p), cut at its last program header. */
const CAPTURE = join(FIXTURE, 'elfcorehdr-kernel-kexec_file.bin');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let work: string;

function crashplug(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A phdr of the little-endian header in `bytes`: offset of field `at` in program header `i`. */
function phdrField(i: number, at: number): number {
  return 64 + 56 * i + at;
}

describe('crashplug elfcorehdr', () => {
  describe('on the real 6.1 guest (test/fixtures/real-x86_64-6.1)', () => {
    it('writes the whole 4096-byte buffer, whose first 456 bytes are what the kernel wrote', () => {
      const out = join(work, 'real-6.1.bin');
      const r = crashplug('elfcorehdr', '--system', SYSTEM, '--out', out);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const bytes = readFileSync(out);
      expect(bytes.length).toBe(4096);
      const captured = readFileSync(CAPTURE);
      expect(captured.length).toBe(456);
      expect(bytes.subarray(0, 456).equals(captured)).toBe(true);
      expect(bytes.subarray(456).every((b) => b === 0)).toBe(true);
      expect(r.stdout).toContain(`Wrote 4096 bytes to ${out}`);
    });

    it('prints a readelf-style table with a column saying what each program header is', () => {
      const r = crashplug('elfcorehdr', '--system', SYSTEM);
      expect(r.status).toBe(0);
      const rows = r.stdout.split('\n');
      const header = rows.find((l) => l.trim().startsWith('# Type'));
      expect(header?.trim().split(/\s+/)).toEqual(['#', 'Type', 'Offset', 'VirtAddr', 'PhysAddr', 'FileSiz', 'MemSiz', 'Flg', 'Align', 'What']);
      const row = (i: number): string => rows.find((l) => l.startsWith(`  ${i} `)) ?? '';
      expect(row(0)).toMatch(/^ {2}0 NOTE 0x000000017bc3a600 0x0000000000000000 0x000000017bc3a600 0x000170 +0x000170 +0x0 +cpu 0 notes$/);
      expect(row(1)).toMatch(/cpu 1 notes$/);
      expect(row(2)).toMatch(/0x001024 +0x001024 +0x0 +vmcoreinfo$/);
      expect(row(3)).toMatch(/^ {2}3 LOAD 0x000000012e200000 0xffffffffaa600000 .* RWE 0x0 +kernel text$/);
      expect(row(4)).toMatch(/0xffff8ce840100000 .* RAM \[0x100000-0x6effffff\]$/);
      expect(row(5)).toMatch(/RAM \[0x7f000000-0x7ffdefff\]$/);
      expect(row(6)).toMatch(/RAM \[0x100000000-0x17fffffff\]$/);
      expect(row(7)).toBe('');
    });

    it('lists the System RAM the walk found and what each exclusion removed', () => {
      const out = crashplug('elfcorehdr', '--system', SYSTEM).stdout;
      expect(out).toContain('System RAM found by the walk (3 ranges');
      expect(out).toMatch(/\[0x1000-0x9fbff\] +635 KiB/);
      expect(out).toMatch(/low 1M +\[0x0-0xfffff\] +removed \[0x1000-0x9fbff\]/);
      expect(out).toMatch(/crashkernel +\[0x6f000000-0x7effffff\] +removed \[0x6f000000-0x7effffff\]/);
      expect(out).toContain('Crash memory: 3 ranges');
    });

    it('gives the header size, e_phnum and what the kernel reserves', () => {
      const out = crashplug('elfcorehdr', '--system', SYSTEM).stdout;
      expect(out).toContain('Header: 456 bytes (64-byte Ehdr + 7 × 56) in a 4096-byte buffer; e_phnum 7');
      // 6.1 has no crash hot-plug: the segment is the header's own page and the sysfs file reads 0.
      expect(out).toContain('memsz 0x1000 (4096 bytes), page-rounded 0x1000 (4096 bytes)');
      expect(out).toContain('/sys/kernel/crash_elfcorehdr_size: 0');
    });

    it('sizes the segment for hot-plug when modelled as a 6.12 kernel (--kernel 6.12)', () => {
      const out = crashplug('elfcorehdr', '--system', SYSTEM, '--kernel', '6.12').stdout;
      // (2 + NR_CPUS_DEFAULT 64 + CRASH_MAX_MEMORY_RANGES 8192) × 56 + 64; the sysfs value leaves out the Ehdr.
      expect(out).toContain('memsz 0x70eb0 (462512 bytes), page-rounded 0x71000 (462848 bytes)');
      expect(out).toContain('/sys/kernel/crash_elfcorehdr_size: 462448');
      expect(out).toContain('kernel 6.12 profile');
    });
  });

  describe('with --json', () => {
    it('prints one JSON object with 64-bit values as "0x…" strings', () => {
      const r = crashplug('elfcorehdr', '--system', SYSTEM, '--json');
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout) as Record<string, any>;
      expect(j).toMatchObject({ arch: 'x86_64', kernel: '6.1', builder: 'kernel' });
      expect(j.elfHeader).toMatchObject({ e_machine: 62, machine: 'EM_X86_64', e_phnum: 7, e_phoff: '0x40', byteOrder: 'le' });
      expect(j.programHeaders).toHaveLength(7);
      expect(j.programHeaders.map((p: { what: string }) => p.what)).toEqual([
        'cpu 0 notes',
        'cpu 1 notes',
        'vmcoreinfo',
        'kernel text',
        'RAM [0x100000-0x6effffff]',
        'RAM [0x7f000000-0x7ffdefff]',
        'RAM [0x100000000-0x17fffffff]',
      ]);
      expect(j.programHeaders[0]).toMatchObject({ type: 'NOTE', role: 'cpu-note', cpu: 0, p_offset: '0x17bc3a600', p_filesz: '0x170' });
      expect(j.programHeaders[3]).toMatchObject({ type: 'LOAD', role: 'kernel-map', p_vaddr: '0xffffffffaa600000', flags: 'RWE' });
      expect(j.memory.systemRam).toEqual([
        { name: 'System RAM', start: '0x1000', end: '0x9fbff' },
        { name: 'System RAM', start: '0x100000', end: '0x7ffdefff' },
        { name: 'System RAM', start: '0x100000000', end: '0x17fffffff' },
      ]);
      expect(j.memory.exclusions.map((e: { name: string }) => e.name)).toEqual(['low 1M', 'crashkernel']);
      expect(j.memory.exclusions[1].removed).toEqual([{ start: '0x6f000000', end: '0x7effffff' }]);
      expect(j.header).toEqual({ usedBytes: 456, size: 4096, phnum: 7, sizedPhnum: 7 });
      expect(j.reserve).toMatchObject({ memsz: 4096, memszPageRounded: 4096, sysfsCrashElfcorehdrSize: 0 });
    });
  });
});

describe('crashplug inspect', () => {
  describe('without --against', () => {
    it('summarises the Ehdr and guesses what each program header is', () => {
      const r = crashplug('inspect', CAPTURE);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('ELF64, EI_DATA little-endian');
      expect(r.stdout).toContain('machine EM_X86_64 (62)');
      expect(r.stdout).toContain('7 program headers of 56 bytes at offset 64');
      expect(r.stdout).toContain('the file ends with the last program header');
      expect(r.stdout).toContain('What (guessed)');
      const labels = r.stdout
        .split('\n')
        .filter((l) => /^ {2}\d /.test(l))
        .map((l) => l.split(/0x0 {2,}/).pop());
      expect(labels).toEqual([
        'cpu notes #0',
        'cpu notes #1',
        'vmcoreinfo',
        'kernel text',
        'RAM [0x100000-0x6effffff]',
        'RAM [0x7f000000-0x7ffdefff]',
        'RAM [0x100000000-0x17fffffff]',
      ]);
    });

    it('reads back what elfcorehdr --out wrote, trailing zeros and all', () => {
      const out = join(work, 'roundtrip.bin');
      expect(crashplug('elfcorehdr', '--system', SYSTEM, '--out', out).status).toBe(0);
      const r = crashplug('inspect', out, '--json');
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stdout) as Record<string, any>;
      expect(j.size).toBe(4096);
      expect(j.trailing).toEqual({ from: 456, length: 3640, nonZero: 0 });
      expect(j.rolesFrom).toBe('guessed');
      expect(j.warnings).toEqual([]);
    });
  });

  describe('with --against the system the capture came from', () => {
    it('finds the kernel-built capture identical', () => {
      const r = crashplug('inspect', CAPTURE, '--against', SYSTEM);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("What (crashplug's layout)");
      expect(r.stdout).toMatch(/cpu 0 notes$/m);
      expect(r.stdout.trimEnd().split('\n').pop()).toBe('identical');
    });

    it('says so in JSON too', () => {
      const j = JSON.parse(crashplug('inspect', CAPTURE, '--against', SYSTEM, '--json').stdout) as Record<string, any>;
      expect(j.against).toMatchObject({ identical: true, verdict: 'identical', differences: [], kernel: '6.1' });
    });
  });

  describe('with --against, given a deliberately altered copy', () => {
    it('lists every difference field by field and exits 3, 0 with --no-fail', () => {
      const bytes = Buffer.alloc(1024);
      readFileSync(CAPTURE).copy(bytes);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      view.setBigUint64(phdrField(5, 32), 0xfde000n, true); // RAM [0x7f000000-…] one page short
      view.setBigUint64(phdrField(5, 40), 0xfde000n, true);
      view.setBigUint64(phdrField(1, 8), 0x17bd3a700n, true); // cpu 1's notes moved
      view.setBigUint64(phdrField(1, 24), 0x17bd3a700n, true);
      // An eighth phdr: the low RAM kexec-tools keeps, its p_offset the backup copy.
      view.setUint16(56, 8, true);
      view.setUint32(phdrField(7, 0), 1, true);
      view.setUint32(phdrField(7, 4), 7, true);
      view.setBigUint64(phdrField(7, 8), 0x7ef61000n, true);
      view.setBigUint64(phdrField(7, 16), 0xffff8ce840001000n, true);
      view.setBigUint64(phdrField(7, 24), 0x1000n, true);
      view.setBigUint64(phdrField(7, 32), 0x9ec00n, true);
      view.setBigUint64(phdrField(7, 40), 0x9ec00n, true);
      bytes[1000] = 0xaa;
      const altered = join(work, 'altered.bin');
      writeFileSync(altered, bytes);

      // The kernel builder is the closest explanation of this file, so the comparison uses it too.
      const r = crashplug('inspect', altered, '--against', SYSTEM);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(3);
      expect(crashplug('--no-fail', 'inspect', altered, '--against', SYSTEM)).toMatchObject({ status: 0, stdout: r.stdout });
      const lines = r.stdout.trimEnd().split('\n');
      const diff = lines.slice(lines.findIndex((l) => l.startsWith("Compared with crashplug's header")) + 1).map((l) => l.trim());
      expect(diff).toEqual([
        'e_phnum: file 8, crashplug 7',
        'phdr 1 (cpu 1 notes) p_offset: file 0x17bd3a700, crashplug 0x17bd3a600',
        'phdr 1 (cpu 1 notes) p_paddr: file 0x17bd3a700, crashplug 0x17bd3a600',
        'phdr 5 (RAM [0x7f000000-0x7ffdefff]) p_filesz: file 0xfde000, crashplug 0xfdf000',
        'phdr 5 (RAM [0x7f000000-0x7ffdefff]) p_memsz: file 0xfde000, crashplug 0xfdf000',
        'phdr 7 (RAM [0x1000-0x9fbff]) only in the file: LOAD offset 0x7ef61000 vaddr 0xffff8ce840001000 paddr 0x1000 filesz 0x9ec00 memsz 0x9ec00',
        'trailing bytes: the file has 1 non-zero bytes past its program headers (first at byte 1000); the kernel leaves them zero',
        'size: file 1024 bytes, crashplug 4096 bytes',
        '8 differences',
      ]);
    });

    it('pairs program headers by role, so a phdr only crashplug has is one difference', () => {
      // Drop the last RAM phdr: the file is 6 phdrs long, cut at its end.
      const bytes = Buffer.from(readFileSync(CAPTURE).subarray(0, 64 + 6 * 56));
      bytes.writeUInt16LE(6, 56);
      const shorter = join(work, 'shorter.bin');
      writeFileSync(shorter, bytes);
      const j = JSON.parse(crashplug('inspect', shorter, '--against', SYSTEM, '--json').stdout) as Record<string, any>;
      expect(j.against.differences.map((d: { text: string }) => d.text)).toEqual([
        'e_phnum: file 6, crashplug 7',
        "phdr 6 (RAM [0x100000000-0x17fffffff]) only in crashplug's header: LOAD offset 0x100000000 vaddr 0xffff8ce940000000 paddr 0x100000000 filesz 0x80000000 memsz 0x80000000",
      ]);
      expect(j.against.identical).toBe(false);
    });
  });
});

describe('bad input', () => {
  const cases: readonly { name: string; code: string; args: (out: string) => string[] }[] = [
    { name: 'a system file that does not exist', code: 'E_IO', args: (out) => ['elfcorehdr', '--system', join(work, 'missing.json'), '--out', out] },
    { name: 'a system file that is not JSON', code: 'E_BAD_SYSTEM', args: (out) => ['elfcorehdr', '--system', join(work, 'bad.json'), '--out', out] },
    { name: 'an arch without a port', code: 'E_UNKNOWN_ARCH', args: (out) => ['elfcorehdr', '--system', join(work, 'sparc.json'), '--out', out] },
    // kexec -p refuses a machine without a crash kernel reservation, and so does the kexec-tools builder.
    {
      name: '--builder kexec-tools for a machine with no crash kernel reservation',
      code: 'E_BAD_SYSTEM',
      args: (out) => ['elfcorehdr', '--system', join(work, 'no-crashkernel.json'), '--builder', 'kexec-tools', '--out', out],
    },
    {
      name: 'a system file asking for the kexec-tools builder, with no crash kernel reservation',
      code: 'E_BAD_SYSTEM',
      args: (out) => ['elfcorehdr', '--system', join(work, 'kexec-tools.json'), '--out', out],
    },
    { name: 'an unknown option (a usage error)', code: 'E_BAD_ARGUMENT', args: (out) => ['elfcorehdr', '--system', SYSTEM, '--frobnicate', '--out', out] },
    { name: 'neither --system nor --host', code: 'E_BAD_ARGUMENT', args: (out) => ['elfcorehdr', '--out', out] },
    { name: 'an --out folder that does not exist', code: 'E_IO', args: () => ['elfcorehdr', '--system', SYSTEM, '--out', join(work, 'no-such-dir', 'x.bin')] },
  ];

  beforeAll(() => {
    writeFileSync(join(work, 'bad.json'), '{ "arch": "x86_64",\n  "memory": }\n');
    writeFileSync(join(work, 'sparc.json'), JSON.stringify({ arch: 'sparc64', memory: { ranges: [['0x0', '0xfff']] }, cpus: { possible: '0' } }));
    const real = JSON.parse(readFileSync(SYSTEM, 'utf8')) as Record<string, unknown>;
    const ramOnly = {
      ranges: [
        ['0x1000', '0x9fbff'],
        ['0x100000', '0x7ffdefff'],
        ['0x100000000', '0x17fffffff'],
      ],
    };
    writeFileSync(join(work, 'no-crashkernel.json'), JSON.stringify({ ...real, memory: ramOnly }));
    writeFileSync(join(work, 'kexec-tools.json'), JSON.stringify({ ...real, memory: ramOnly, builder: 'kexec-tools' }));
  });

  function expectOneErrorLine(r: Run, code: string): void {
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^crashplug: ${code}: `));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  describe.each(cases)('$name', ({ code, args }) => {
    it(`exits 2 with one "crashplug: ${code}: …" line and creates no --out file`, () => {
      const dir = mkdtempSync(join(work, 'out-'));
      const out = join(dir, 'header.bin');
      expectOneErrorLine(crashplug(...args(out)), code);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('leaves an existing --out file byte-identical', () => {
      const dir = mkdtempSync(join(work, 'out-'));
      const out = join(dir, 'header.bin');
      const before = Buffer.from('an earlier header, which a failed run must not touch\n');
      writeFileSync(out, before);
      expectOneErrorLine(crashplug(...args(out)), code);
      expect(readFileSync(out).equals(before)).toBe(true);
      expect(readdirSync(dir)).toEqual(['header.bin']);
    });
  });

  it('inspect of a file that is not ELF: E_BAD_ELF naming the byte', () => {
    const r = crashplug('inspect', SYSTEM);
    expectOneErrorLine(r, 'E_BAD_ELF');
    expect(r.stderr).toContain('at byte 0: bad magic 7b 0a');
  });

  it('inspect of a file that does not exist: E_IO', () => {
    expectOneErrorLine(crashplug('inspect', join(work, 'nothing.bin')), 'E_IO');
  });

  it("inspect --against a bad system description: the description's error", () => {
    expectOneErrorLine(crashplug('inspect', CAPTURE, '--against', join(work, 'sparc.json')), 'E_UNKNOWN_ARCH');
  });
});
