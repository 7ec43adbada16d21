// `crashplug vmcore` on a synthetic 8 GiB vmcore (a sparse file: header and notes written, memory a
// hole) laid out as /proc/vmcore is. The notes are checked with readelf -n and eu-readelf -n first, so
// the format is validated by real tools, not by crashplug's own reader; then crashplug must read the
// same CPUs, pids and VMCOREINFO keys while reading only the header and the notes.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrashplug } from '../api/crashplug.js';
import { checkFile } from '../cli/commands/check.js';
import type { HeaderFile } from '../cli/header-file.js';
import { readElfCoreHeader, readNoteExtents } from '../core/elf/index.js';
import { withPhdr } from './support/header-bytes.js';
import { note, type SyntheticVmcore, syntheticVmcore, writeSparse } from './support/vmcore.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const GiB = 1n << 30n;
const INFO = 'OSRELEASE=6.12.0\nPAGESIZE=4096\nKERNELOFFSET=1a000000\nSYMBOL(_stext)=ffffffff81000000\nNUMBER(phys_base)=0\nCRASHTIME=1764979200\n';
/** RAM [1 MiB, 2 GiB) and [4 GiB, 10 GiB): with the kernel text, a dump of a little over 8 GiB. */
const RANGES: readonly (readonly [bigint, bigint])[] = [
  [0x10_0000n, 2n * GiB - 1n],
  [4n * GiB, 10n * GiB - 1n],
];

let work: string;
let vm: SyntheticVmcore;
let path: string;
const registry = createCrashplug().registry;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-vmcore-'));
  vm = syntheticVmcore([1234, 0], INFO, RANGES);
  path = join(work, 'vmcore');
  writeSparse(path, vm.head, vm.fileSize);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(cmd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the synthetic vmcore, as real tools read it', () => {
  it('is over 8 GiB and sparse', () => {
    expect(vm.fileSize).toBeGreaterThan(8 * 2 ** 30);
  });

  it('readelf -n finds two NT_PRSTATUS notes of 0x150 bytes and the VMCOREINFO note at the PT_NOTE offset', () => {
    const r = run('readelf', '-n', path);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `notes found at file offset 0x${vm.notesOffset.toString(16).padStart(8, '0')} with length 0x${vm.notesLength.toString(16).padStart(8, '0')}`,
    );
    expect(r.stdout.match(/CORE\s+0x00000150\s+NT_PRSTATUS \(prstatus structure\)/g)).toHaveLength(2);
    expect(r.stdout).toMatch(/VMCOREINFO\s+0x00000/);
  });

  it('eu-readelf -n decodes the pids at elf_prstatus offset 32 and the VMCOREINFO text', () => {
    const r = run('eu-readelf', '-n', path);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('pid: 1234, ppid: 1');
    expect(r.stdout).toContain('pid: 0, ppid: 0');
    expect(r.stdout).toContain('OSRELEASE=6.12.0');
    expect(r.stdout).toContain('SYMBOL(_stext)=ffffffff81000000');
  });
});

describe('crashplug vmcore', () => {
  it('reports the CPUs with their pids, the VMCOREINFO keys and the dump size, reading only the header and notes, in little memory', () => {
    const r = run('/usr/bin/time', '-v', process.execPath, BIN, 'vmcore', path, '--json');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as {
      kind: string;
      fileSize: number;
      bytesRead: number;
      notes: { prstatus: { cpu: number; pid: number; descsz: number }[]; vmcoreinfo: { keys: Record<string, string> } };
      dumpSize: { header: number; notes: string; loads: string; total: string; fileExtent: string };
      errors: number;
      findings: unknown[];
    };
    expect(json.kind).toBe('vmcore');
    expect(json.fileSize).toBe(vm.fileSize);
    expect(json.notes.prstatus).toEqual([
      { cpu: 0, phdr: 0, pid: 1234, descsz: 336 },
      { cpu: 1, phdr: 0, pid: 0, descsz: 336 },
    ]);
    expect(json.notes.vmcoreinfo.keys).toMatchObject({ OSRELEASE: '6.12.0', PAGESIZE: '4096', KERNELOFFSET: '1a000000', 'SYMBOL(_stext)': 'ffffffff81000000' });
    const loads = 0x200_0000n + (2n * GiB - 0x10_0000n) + 6n * GiB;
    expect(json.dumpSize).toMatchObject({ header: 64 + 4 * 56, notes: `0x${vm.notesLength.toString(16)}`, loads: `0x${loads.toString(16)}` });
    expect(BigInt(json.dumpSize.total)).toBe(BigInt(64 + 4 * 56 + vm.notesLength) + loads);
    expect(BigInt(json.dumpSize.fileExtent)).toBe(BigInt(vm.fileSize));
    expect(json.errors).toBe(0);
    expect(json.findings).toEqual([]);
    // The Ehdr, the 4 phdrs and the notes: nothing of the 8 GiB of memory.
    expect(json.bytesRead).toBe(64 + 4 * 56 + vm.notesLength);
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThan(256 * 1024);
  });

  it('text output names the CPUs, the keys and the dump size', () => {
    const r = run(process.execPath, BIN, 'vmcore', path);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('cpu 0: pid 1234 (336-byte elf_prstatus, phdr 0)');
    expect(r.stdout).toContain('OSRELEASE=6.12.0');
    expect(r.stdout).toContain('KERNELOFFSET=1a000000');
    expect(r.stdout).toMatch(/^Dump size: header 288 \+ notes 0x[0-9a-f]+ \+ PT_LOADs 0x[0-9a-f]+ = 0x[0-9a-f]+ bytes/m);
    expect(r.stdout).toContain('0 errors, 0 warnings, 0 notes: no known defect');
  });

  it('reads nothing but the Ehdr, the phdr table and the PT_NOTE extent (an injected reader sees every read)', () => {
    const reads: [number, number][] = [];
    const open = (p: string): HeaderFile => {
      expect(p).toBe('vm');
      return {
        path: p,
        size: vm.fileSize,
        read: (offset, length) => {
          reads.push([offset, length]);
          if (offset + length > vm.head.length) throw new Error(`read of memory at ${offset}`);
          return vm.head.subarray(offset, offset + length);
        },
        bytesRead: () => reads.reduce((n, [, l]) => n + l, 0),
        close: () => {},
      };
    };
    const c = checkFile('vm', undefined, undefined, registry, open);
    expect(reads).toEqual([
      [0, 64],
      [64, 4 * 56],
      [vm.notesOffset, vm.notesLength],
    ]);
    expect(c.kind).toBe('vmcore');
    expect(c.result.findings).toEqual([]);
  });

  it('a dump that came out short: vmcore-truncated on the PT_LOAD cut off, exit 3', () => {
    const short = join(work, 'vmcore-short');
    writeSparse(short, vm.head, vm.fileSize - 0x1000);
    const r = run(process.execPath, BIN, 'check', short, '--json');
    expect(r.status).toBe(3);
    const json = JSON.parse(r.stdout) as { findings: { code: string; phdr: number; range?: string[] }[] };
    expect(json.findings).toEqual([expect.objectContaining({ code: 'vmcore-truncated', phdr: 3, range: ['0x27ffff000', '0x27fffffff'] })]);
  });

  it("a NT_PRSTATUS of another arch's size in the merged notes is a note-size error", () => {
    // arm64's 392-byte elf_prstatus where an x86_64 vmcore's first 336-byte one was.
    const odd = note('CORE', 1, new Uint8Array(392));
    const head = new Uint8Array(vm.head);
    head.set(odd, vm.notesOffset); // overwrites the first CORE note and part of the second
    const fsPath = join(work, 'vmcore-odd');
    writeSparse(fsPath, head, vm.fileSize);
    const c = checkFile(fsPath, undefined, undefined, registry);
    expect(c.result.findings.map((f) => `${f.code}@${f.phdr}`)).toContain('note-size@0');
    expect(c.result.errors).toBeGreaterThan(0);
  });

  it('a filtered vmcore (p_filesz below p_memsz, as makedumpfile -E writes) is no finding; the same in an elfcorehdr is a warning', () => {
    const filtered = join(work, 'vmcore-filtered');
    const head = withPhdr(vm.head, 3, { filesz: 0x1000n });
    writeSparse(filtered, head, vm.fileSize);
    expect(checkFile(filtered, undefined, undefined, registry).result.findings).toEqual([]);
    const hdr = join(work, 'hdr-filesz.bin');
    writeSparse(
      hdr,
      withPhdr(new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1', 'elfcorehdr-kernel-kexec_file.bin'))), 4, { filesz: 0x1000n }),
      456,
    );
    expect(checkFile(hdr, undefined, undefined, registry).result.findings.map((f) => `${f.severity} ${f.code}@${f.phdr}`)).toEqual([
      'warning load-filesz-memsz@4',
    ]);
  });

  it('on an elfcorehdr it says the notes are not in the file and reads none', () => {
    const hdr = join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1', 'elfcorehdr-kernel-kexec_file.bin');
    const r = run(process.execPath, BIN, 'vmcore', hdr, '--json');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { kind: string; bytesRead: number; notes: { prstatus: unknown[]; vmcoreinfo: unknown } };
    expect(json.kind).toBe('elfcorehdr');
    expect(json.bytesRead).toBe(456);
    expect(json.notes.prstatus).toEqual([]);
    expect(json.notes.vmcoreinfo).toBeNull();
  });

  it('the notes readers: a PT_NOTE past the end of the file is skipped with the reason, never read', () => {
    const bytes = readFileSync(join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1', 'elfcorehdr-kernel-kexec_file.bin'));
    const h = readElfCoreHeader((o, l) => bytes.subarray(o, o + l), bytes.length, 'h');
    const extents = readNoteExtents(
      () => {
        throw new Error('no read expected');
      },
      bytes.length,
      h.phdrs,
    );
    expect(extents).toHaveLength(3);
    expect(extents.every((e) => e.bytes === undefined && e.skipped?.includes('past the end of the file'))).toBe(true);
  });
});
