// Reading a machine from /proc and /sys (cli/host.ts), against fake trees made in a temp folder: the
// real 6.1 guest as root sees it, the same machine read without root, and machines whose kernels
// hide one thing or another. Then one run of `crashplug elfcorehdr --host` on this very machine.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x86Module } from '../arch-x86/index.js';
import { CrashplugError } from '../core/base/index.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { decodeElfCoreHeader } from '../core/elf/index.js';
import { registryOf } from '../core/port/index.js';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { trailingBytes } from '../cli/describe.js';
import { diffElfcorehdrs, differenceText } from '../cli/diff.js';
import { type HostOptions, readHostSystem } from '../cli/host.js';
import { guessWhat, whatFromLayout } from '../cli/phdr-roles.js';
import { kcore61 } from './support/kcore.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1');
const registry = registryOf([x86Module]);
const x86 = registry.get('x86_64');

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'crashplug-host-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Files of a fake root, relative path → contents; a folder when the contents are null. */
type Tree = Record<string, string | Uint8Array | null>;

/** The real 6.1 guest (fixture README) as root reads it: every value the header needs is there. */
function guest61(): Tree {
  return {
    'proc/iomem': readFileSync(join(FIXTURE, 'proc-iomem.txt'), 'utf8'),
    // _end = _text + 0x3430000, as the fixture's kernel-text PT_LOAD says.
    'proc/kallsyms': 'ffffffffaa600000 T _text\nffffffffaa600000 T _stext\nffffffffada30000 B _end\nffffffffc0a01000 t foo\t[bar]\n',
    'sys/devices/system/cpu/possible': '0-1\n',
    'sys/devices/system/cpu/present': '0-1\n',
    'sys/devices/system/cpu/online': '0-1\n',
    'sys/devices/system/cpu/kernel_max': '8191\n',
    'sys/devices/system/cpu/cpu0/crash_notes': '17bc3a600\n',
    'sys/devices/system/cpu/cpu0/crash_notes_size': '368\n',
    'sys/devices/system/cpu/cpu1/crash_notes': '17bd3a600\n',
    'sys/devices/system/cpu/cpu1/crash_notes_size': '368\n',
    'sys/kernel/vmcoreinfo': '0x000000010031a000 1024\n',
    'sys/devices/system/memory': null,
  };
}

let trees = 0;
function fakeRoot(tree: Tree): string {
  const root = join(scratch, `root-${trees++}`);
  for (const [rel, text] of Object.entries(tree)) {
    const path = join(root, rel);
    if (text === null) {
      mkdirSync(path, { recursive: true });
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
  }
  return root;
}

function without(tree: Tree, ...drop: string[]): Tree {
  return Object.fromEntries(Object.entries(tree).filter(([k]) => !drop.some((d) => k === d || k.startsWith(`${d}/`))));
}

function read(tree: Tree, opts: HostOptions = {}) {
  return readHostSystem(registry, { root: fakeRoot(tree), release: '6.1.0-56-amd64', nodeArch: 'x64', endianness: 'LE', ...opts });
}

function hostError(tree: Tree, opts: HostOptions = {}): CrashplugError {
  try {
    read(tree, opts);
  } catch (err) {
    if (CrashplugError.is(err)) return err;
    throw err;
  }
  throw new Error('expected readHostSystem to fail');
}

describe('readHostSystem', () => {
  describe('when root reads a kdump-ready 6.1 machine (the real guest, faked)', () => {
    it('reads every value and builds the header the kernel built, all but the randomised PAGE_OFFSET', () => {
      const host = read(guest61());
      const s = host.system;
      expect(s.arch).toBe('x86_64');
      expect(s.kernel.version).toBe('6.1');
      expect(s.cpus).toEqual({ possible: [0, 1], present: [0, 1], online: [0, 1] });
      expect(s.crashNotes).toEqual({ kind: 'stride', base: 0x17bc3a600n, stride: 0x100000n });
      expect(s.vmcoreinfo).toEqual({ address: 0x10031a000n, size: 0x1024n });
      expect(s.kernelImage).toEqual({ text: 0xffffffffaa600000n, textPhys: 0x12e200000n, size: 0x3430000n });
      expect(s.crashkernel).toEqual({ start: 0x6f000000n, end: 0x7effffffn });
      expect(s.pageSize).toBe(4096);

      const built = buildSystemElfcorehdr(s, x86);
      const ours = decodeElfCoreHeader(built.bytes);
      const capture = new Uint8Array(readFileSync(join(FIXTURE, 'elfcorehdr-kernel-kexec_file.bin')));
      const file = decodeElfCoreHeader(capture);
      const diff = diffElfcorehdrs(
        { header: file, trailing: trailingBytes(capture, file), what: guessWhat(file) },
        { header: ours, trailing: trailingBytes(built.bytes, ours), what: whatFromLayout(built.layout, ours) },
      );
      // KASLR moved the guest's linear map to 0xffff8ce840000000; nothing in /proc or /sys shows it.
      expect(diff.differences.map(differenceText)).toEqual([
        'phdr 4 (RAM [0x100000-0x6effffff]) p_vaddr: file 0xffff8ce840100000, crashplug 0xffff888000100000',
        'phdr 5 (RAM [0x7f000000-0x7ffdefff]) p_vaddr: file 0xffff8ce8bf000000, crashplug 0xffff88807f000000',
        'phdr 6 (RAM [0x100000000-0x17fffffff]) p_vaddr: file 0xffff8ce940000000, crashplug 0xffff888100000000',
      ]);
    });

    it('with /proc/kcore readable, finds the randomised PAGE_OFFSET there and builds the header byte for byte', () => {
      const host = read({ ...guest61(), 'proc/kcore': kcore61() });
      expect(host.system.pageOffset).toBe(0xffff8ce840000000n);
      expect(host.read.some((r) => r.startsWith('PAGE_OFFSET 0xffff8ce840000000 ('))).toBe(true);
      expect(host.assumptions.join('\n')).not.toContain('PAGE_OFFSET');
      const built = buildSystemElfcorehdr(host.system, x86);
      const capture = new Uint8Array(readFileSync(join(FIXTURE, 'elfcorehdr-kernel-kexec_file.bin')));
      expect(built.bytes.subarray(0, capture.length)).toEqual(capture);
    });

    it('falls back to the default, saying why, when /proc/kcore is not an ELF file', () => {
      const host = read({ ...guest61(), 'proc/kcore': 'not a core' });
      expect(host.system.pageOffset).toBe(0xffff888000000000n);
      expect(
        host.assumptions.some((a) => /^PAGE_OFFSET is not readable \(.*proc\/kcore: E_BAD_ELF|^PAGE_OFFSET is not readable \(.*kcore: shorter/.test(a)),
      ).toBe(true);
    });

    it('assumes only what no file shows, and says so', () => {
      const { assumptions } = read(guest61());
      expect(assumptions.some((a) => a.startsWith('PAGE_OFFSET is not readable'))).toBe(true);
      expect(assumptions.join('\n')).not.toMatch(/crash_notes|_end|_text|Crash kernel|vmcoreinfo|possible/);
    });

    it('gives a description that loads again as a system file', () => {
      const { json } = read(guest61());
      expect(json).toMatchObject({
        arch: 'x86_64',
        cpus: { possible: '0-1', present: '0-1', online: '0-1' },
        crashNotes: { base: '0x17bc3a600', stride: '0x100000' },
        kernel: '6.1',
        builder: 'kernel',
      });
    });

    it('models another kernel when --kernel asks for it', () => {
      expect(read(guest61(), { kernel: '6.12' }).system.kernel.version).toBe('6.12');
    });
  });

  describe('when a 6.12 MAXSMP kernel with crash hot-plug is read (Debian 13, facts §13.6)', () => {
    it('sizes /sys/kernel/crash_elfcorehdr_size for 8192 CPUs and 8192 ranges: 917616', () => {
      const tree = { ...guest61(), 'sys/devices/system/cpu/crash_hotplug': '1\n' };
      const host = read(tree, { release: '6.12.107-amd64' });
      expect(host.system.config).toMatchObject({ nrCpusDefault: 8192, crashHotplug: true, memoryHotplug: true });
      expect(x86.sysfsElfcorehdrSize(host.system)).toBe(917616);
      expect(host.assumptions.join('\n')).not.toMatch(/CRASH_HOTPLUG|NR_CPUS_DEFAULT/);
    });
  });

  describe('when /proc/iomem is read without root (every address 0)', () => {
    it('stops with E_IO, saying to run as root or use --system', () => {
      const zeroed = readFileSync(join(FIXTURE, 'proc-iomem.txt'), 'utf8').replace(/^(\s*)[0-9a-f]+-[0-9a-f]+/gm, '$100000000-00000000');
      const err = hostError({ ...guest61(), 'proc/iomem': zeroed });
      expect(err.code).toBe('E_IO');
      expect(err.message).toMatch(/proc\/iomem: every address reads as 0/);
      expect(err.message).toContain('run it as root');
      expect(err.message).toContain('--system FILE.json');
    });
  });

  describe('when /proc/iomem cannot be read at all', () => {
    it('stops with E_IO naming the file', () => {
      const err = hostError(without(guest61(), 'proc/iomem'));
      expect(err.code).toBe('E_IO');
      expect(err.message).toMatch(/proc\/iomem: not readable \(ENOENT\)/);
      expect(err.message).toContain('--system FILE.json');
    });
  });

  describe('when the kernel has no crash_notes (no CONFIG_CRASH_DUMP, like this Firecracker host)', () => {
    it('records the assumption and places the notes at aligned placeholders', () => {
      const tree = without(guest61(), 'sys/devices/system/cpu/cpu0', 'sys/devices/system/cpu/cpu1');
      const host = read(tree);
      expect(host.assumptions).toContainEqual(
        'crash_notes not readable (ENOENT; kernel without CONFIG_CRASH_DUMP?): assumed base 0x0 stride 0x200 ' +
          "(placeholders: only the CPU PT_NOTEs' addresses depend on them)",
      );
      expect(host.system.crashNotes).toEqual({ kind: 'stride', base: 0n, stride: 0x200n });
      expect(buildSystemElfcorehdr(host.system, x86).layout.phnum).toBe(7);
    });
  });

  describe('when a possible CPU is not present (no cpuN folder)', () => {
    it('extrapolates its notes with the stride of the others and says so', () => {
      const tree = {
        ...guest61(),
        'sys/devices/system/cpu/possible': '0-3\n',
        'sys/devices/system/cpu/cpu2/crash_notes': '17be3a600\n',
      };
      const host = read(tree, { release: '6.6.0' });
      expect(host.system.cpus).toEqual({ possible: [0, 1, 2, 3], present: [0, 1], online: [0, 1] });
      expect(host.system.crashNotes).toEqual({ kind: 'stride', base: 0x17bc3a600n, stride: 0x100000n });
      expect(host.assumptions).toContainEqual('crash_notes of CPUs 3 not readable (ENOENT): assumed to follow the same base and stride');
    });
  });

  describe('when the crash_notes are on two NUMA nodes', () => {
    it('keeps one address per CPU (two CPUs always fit a stride, so three are needed)', () => {
      const tree = {
        ...guest61(),
        'sys/devices/system/cpu/possible': '0-2\n',
        'sys/devices/system/cpu/present': '0-2\n',
        'sys/devices/system/cpu/online': '0-2\n',
        'sys/devices/system/cpu/cpu2/crash_notes': '27bc3a600\n',
      };
      const notes = read(tree).system.crashNotes;
      expect(notes.kind).toBe('table');
      expect(notes.kind === 'table' && [...notes.addresses]).toEqual([
        [0, 0x17bc3a600n],
        [1, 0x17bd3a600n],
        [2, 0x27bc3a600n],
      ]);
    });
  });

  describe('when /proc/kallsyms hides addresses (kptr_restrict) and has no _end', () => {
    it('assumes _text at the link address and sizes the kernel from the Kernel lines of /proc/iomem', () => {
      const tree = { ...guest61(), 'proc/kallsyms': '0000000000000000 T _text\n0000000000000000 T _stext\n' };
      const host = read(tree);
      // Kernel code starts at 0x12e200000, Kernel bss ends at 0x1315fffff; the real _end is 0x30000 further.
      expect(host.system.kernelImage).toEqual({ text: 0xffffffff81000000n, textPhys: 0x12e200000n, size: 0x3400000n });
      expect(host.assumptions.join('\n')).toContain('_text in');
      expect(host.assumptions.join('\n')).toContain('_end not in');
      expect(host.assumptions.join('\n')).toContain('kernel size taken from the Kernel code…Kernel bss span');
    });
  });

  describe('when there is no Crash kernel line (no crashkernel= on the command line)', () => {
    it('builds the header with nothing reserved and says kdump cannot load', () => {
      const iomem = readFileSync(join(FIXTURE, 'proc-iomem.txt'), 'utf8').replace(/^.*Crash kernel\n/m, '');
      const host = read({ ...guest61(), 'proc/iomem': iomem });
      expect(host.system.crashkernel).toBeUndefined();
      expect(host.assumptions).toContainEqual(
        expect.stringMatching(
          /^no Crash kernel in \S+\/proc\/iomem: no crashkernel= reservation, so kdump cannot load here; header shown with nothing reserved$/,
        ),
      );
      expect(buildSystemElfcorehdr(host.system, x86).crashMemory.excluded.map((e) => e.name)).toEqual(['low 1M']);
    });
  });

  describe("when the host's arch has no loaded port", () => {
    it('fails with E_UNSUPPORTED naming the arch', () => {
      const err = hostError(guest61(), { nodeArch: 'riscv64' });
      expect(err.code).toBe('E_UNSUPPORTED');
      expect(err.message).toContain('this host is Node arch "riscv64" (LE), and no loaded port claims it');
      expect(err.message).toContain('--port MODULE');
    });

    it('names the byte order, which tells ppc64 from ppc64le', () => {
      expect(hostError(guest61(), { nodeArch: 'ppc64', endianness: 'LE' }).message).toContain('Node arch "ppc64" (LE)');
      expect(hostError(guest61(), { nodeArch: 'ppc64', endianness: 'BE' }).message).toContain('Node arch "ppc64" (BE)');
    });
  });

  describe('which port is the host (each port’s HostIdentity, no table in the CLI)', () => {
    const all = registryOf(ARCH_MODULES);
    it.each([
      ['x64', 'LE', 'x86_64'],
      ['arm64', 'LE', 'arm64'],
      ['riscv64', 'LE', 'riscv64'],
      ['ppc64', 'LE', 'ppc64le'],
      ['ppc64', 'BE', 'ppc64'],
    ] as const)('Node arch %s (%s) is the %s port', (nodeArch, endianness, id) => {
      expect(all.hostPort(nodeArch, endianness)?.id).toBe(id);
    });
    it('no port claims s390x', () => {
      expect(all.hostPort('s390x', 'BE')).toBeUndefined();
    });
  });
});

describe('crashplug elfcorehdr --host on this machine', () => {
  it('prints what it assumed, then the header table (as root; without root, the E_IO advice)', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'crashplug.js'), 'elfcorehdr', '--host'], { encoding: 'utf8' });
    const iomem = readFileSync('/proc/iomem', 'utf8');
    if (/^\s*0+-0+ /m.test(iomem) && !/^[0-9a-f]*[1-9a-f][0-9a-f]*-/m.test(iomem)) {
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^crashplug: E_IO: \/proc\/iomem: every address reads as 0.*run it as root/);
      return;
    }
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Assumed (could not be read on this machine):');
    expect(lines.indexOf('Read from this machine:')).toBeGreaterThan(0);
    expect(lines.indexOf('Program headers:')).toBeGreaterThan(lines.indexOf('Read from this machine:'));
    expect(r.stdout).toMatch(/^ {2}\d+ NOTE .* vmcoreinfo$/m);
    expect(r.stdout).toMatch(/^ {2}\d+ LOAD .* kernel text$/m);
    expect(r.stdout).toMatch(/^ {2}\d+ LOAD .* RAM \[0x[0-9a-f]+-0x[0-9a-f]+\]$/m);
    expect(r.stdout).toContain('/sys/kernel/crash_elfcorehdr_size:');
  });
});
