// Issue 14's reproducers, one test each, run as a user runs the command (`node bin/crashplug.js`
// on the built dist/): hostile inputs and output targets get one `crashplug: E_CODE: …` line and
// exit 2, nothing an input or an existing file holds is lost, and devices and FIFOs are never
// replaced or waited on.

import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const W1 = join(ROOT, 'test', 'fixtures', 'w1', 'system.json');
const W1_HEADER = join(ROOT, 'test', 'fixtures', 'w1', 'elfcorehdr.bin');
const FADUMP_SYSTEM = join(ROOT, 'test', 'fixtures', 'powerpc', 'w14-fadump.json');
const PORTS = join(ROOT, 'test', 'fixtures', 'ports');
/** One coded line and nothing else. */
const ONE_LINE = (code: string): RegExp => new RegExp(`^crashplug: ${code}: [^\\n]+\\n$`);

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let work: string;
let n = 0;

function crashplug(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, CRASHPLUG_DEBUG: '' }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh folder for one test. */
function folder(): string {
  const dir = join(work, `t${n++}`);
  mkdirSync(dir);
  return dir;
}

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr}`);
}

/** The W1 machine with its memory read from an iomem text (or a device tree) next to it. */
function systemWith(dir: string, memory: Record<string, string>): string {
  const json = JSON.parse(readFileSync(W1, 'utf8')) as Record<string, unknown>;
  json.memory = memory;
  const path = join(dir, 'system.json');
  writeFileSync(path, JSON.stringify(json, null, 2));
  return path;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-hostile-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('1: an iomem nested thousands of levels deep', () => {
  it('builds the header (the walk keeps its own stack) instead of overflowing the call stack', () => {
    const dir = folder();
    const lines = ['00001000-0009fbff : System RAM', '00100000-bfffffff : System RAM'];
    for (let i = 1; i <= 5000; i++) lines.push(`${' '.repeat(i)}${(0x100000 + i).toString(16).padStart(8, '0')}-${(0xbfffffff - i).toString(16)} : level ${i}`);
    lines.push('02000000-11ffffff : Crash kernel');
    writeFileSync(join(dir, 'iomem.txt'), `${lines.join('\n')}\n`);
    const system = systemWith(dir, { iomem: 'iomem.txt' });
    for (const builder of ['kernel', 'kexec-tools']) {
      const r = crashplug('elfcorehdr', '--system', system, '--builder', builder);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });
});

describe('2: simulate --kernel-size 0 / --initrd-size 0', () => {
  it.each(['--kernel-size', '--initrd-size'])('%s 0 is refused as a bad argument, not an internal fault', (option) => {
    const r = crashplug('simulate', '--system', W1, '--resize', '3G:4G', option, '0');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_BAD_ARGUMENT'));
    expect(r.stderr).toContain(`${option} "0" is zero`);
  });

  it('a one-byte kernel segment (shorter than its first bytes) simulates', () => {
    const r = crashplug('simulate', '--system', W1, '--resize', '3G:4G', '--kernel-size', '1', '--initrd-size', '1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('3: outputs are written together or not at all', () => {
  it('elfcorehdr --out F --svg /missing/dir/m.svg leaves an existing F byte-identical', () => {
    const dir = folder();
    const out = join(dir, 'F.bin');
    writeFileSync(out, 'precious\n');
    const r = crashplug('elfcorehdr', '--system', W1, '--out', out, '--svg', join(dir, 'missing', 'dir', 'm.svg'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_IO'));
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(readdirSync(dir)).toEqual(['F.bin']);
  });

  it('elfcorehdr --out F --svg /missing/dir/m.svg does not create F', () => {
    const dir = folder();
    const r = crashplug('elfcorehdr', '--system', W1, '--out', join(dir, 'F.bin'), '--svg', join(dir, 'missing', 'm.svg'));
    expect(r.status).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('simulate --out-header F --svg into a folder that is a file leaves F byte-identical', () => {
    const dir = folder();
    const out = join(dir, 'F.bin');
    writeFileSync(out, 'precious\n');
    writeFileSync(join(dir, 'plain'), '');
    const r = crashplug('simulate', '--system', W1, '--resize', '3G:4G', '--out-header', out, '--svg', join(dir, 'plain', 'u.svg'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_IO'));
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
    expect(readdirSync(dir).sort()).toEqual(['F.bin', 'plain']);
  });

  it('both outputs land when both can', () => {
    const dir = folder();
    const r = crashplug('elfcorehdr', '--system', W1, '--out', join(dir, 'h.bin'), '--svg', join(dir, 'm.svg'));
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'h.bin')).equals(readFileSync(W1_HEADER))).toBe(true);
    expect(readFileSync(join(dir, 'm.svg'), 'utf8')).toMatch(/^<svg /);
    expect(readdirSync(dir).sort()).toEqual(['h.bin', 'm.svg']);
  });
});

describe('4: device nodes and FIFOs as outputs', () => {
  it('--out /dev/null is written in place: /dev/null stays a character device', () => {
    const r = crashplug('elfcorehdr', '--system', W1, '--out', '/dev/null', '--svg', '/dev/null');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a FIFO with no reader is E_IO at once, not a wait, and stays a FIFO', () => {
    const dir = folder();
    const fifo = join(dir, 'pipe');
    mkfifo(fifo);
    const started = Date.now();
    const r = crashplug('elfcorehdr', '--system', W1, '--out', fifo);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_IO'));
    expect(r.stderr).toContain('it is a FIFO that no process has open for reading');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});

describe('5: inputs are checked before they are read', () => {
  it.each([
    ['--system', (dir: string) => ['elfcorehdr', '--system', join(dir, 'zero.json')], 'zero.json'],
    ['memory.iomem', (dir: string) => ['elfcorehdr', '--system', systemWith(dir, { iomem: 'zero.txt' })], 'zero.txt'],
    ['memory.dtb', (dir: string) => ['elfcorehdr', '--system', systemWith(dir, { dtb: 'zero.dtb' })], 'zero.dtb'],
    ['inspect FILE', (dir: string) => ['inspect', join(dir, 'zero.bin')], 'zero.bin'],
    [
      'fadump process --header',
      (dir: string) => ['fadump', 'process', '--header', join(dir, 'zero.bin'), '--system', FADUMP_SYSTEM, '--out', join(dir, 'o.bin')],
      'zero.bin',
    ],
  ])('/dev/zero as %s is refused at once as a character device', (_, args, link) => {
    const dir = folder();
    symlinkSync('/dev/zero', join(dir, link));
    const r = crashplug(...args(dir));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_IO'));
    expect(r.stderr).toContain('is a character device, not a regular file');
  });

  it('a FIFO with no writer as --system is refused at once', () => {
    const dir = folder();
    mkfifo(join(dir, 'sys.json'));
    const r = crashplug('elfcorehdr', '--system', join(dir, 'sys.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_IO'));
    expect(r.stderr).toContain('is a FIFO (named pipe), not a regular file');
  });

  it.each([
    ['an iomem text', 'iomem', 16, (dir: string) => ['elfcorehdr', '--system', systemWith(dir, { iomem: 'big' })]],
    ['a device tree', 'dtb', 32, (dir: string) => ['elfcorehdr', '--system', systemWith(dir, { dtb: 'big' })]],
    ['a system description', 'system', 64, (dir: string) => ['elfcorehdr', '--system', join(dir, 'big')]],
    ['an elfcorehdr', 'inspect', 16, (dir: string) => ['inspect', join(dir, 'big')]],
    [
      'a fadump crash-info header',
      'fadump',
      1,
      (dir: string) => ['fadump', 'process', '--header', join(dir, 'big'), '--system', FADUMP_SYSTEM, '--out', join(dir, 'o')],
    ],
  ])('%s over its cap is E_TOO_LARGE naming the cap', (_, __, capMiB, args) => {
    const dir = folder();
    writeFileSync(join(dir, 'big'), '');
    truncateSync(join(dir, 'big'), capMiB * 1024 * 1024 + 1); // sparse: costs no disk
    const r = crashplug(...args(dir));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_TOO_LARGE'));
    expect(r.stderr).toContain(`over the ${capMiB} MiB cap`);
  });
});

describe('7: a standard output that fails', () => {
  it('> /dev/full is E_IO on one line, exit 2', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" elfcorehdr --system "${W1}" > /dev/full`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^crashplug: E_IO: standard output: cannot write the report \(ENOSPC: no space left on the device\); it is incomplete\n$/);
  });

  it('a reader that has gone (| true) ends the run quietly, exit 0', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" elfcorehdr --json --system "${W1}" | true; exit \${PIPESTATUS[0]}`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('8: usage errors are one line on stderr', () => {
  it.each([
    [[], /^crashplug: E_BAD_ARGUMENT: give a command: elfcorehdr, inspect, simulate, snapshot, check, vmcore, replay, fadump \(see crashplug --help\)\n$/],
    [['fadump'], /^crashplug: E_BAD_ARGUMENT: fadump: give a command: header, process \(see crashplug fadump --help\)\n$/],
    [
      ['help', 'bogus'],
      /^crashplug: E_BAD_ARGUMENT: help: crashplug has no command "bogus"; its commands are elfcorehdr, inspect, simulate, snapshot, check, vmcore, replay, fadump \(see crashplug --help\)\n$/,
    ],
    [['bogus'], /^crashplug: E_BAD_ARGUMENT: unknown command 'bogus' \(see crashplug --help\)\n$/],
  ])('crashplug %j', (args, line) => {
    const r = crashplug(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(line);
  });

  it.each([[['--help']], [['help']], [['help', 'fadump']], [['fadump', '--help']]])('help asked for (%j) goes to stdout, exit 0', (args) => {
    const r = crashplug(...args);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: crashplug/);
  });
});

describe('9: values that were accepted silently', () => {
  it('--seed 4294967296 is refused with the range, not reduced to 0', () => {
    const r = crashplug('simulate', '--system', W1, '--resize', '3G:4G', '--seed', '4294967296');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^crashplug: E_BAD_ARGUMENT: --seed "4294967296" is out of range: it must be 0 to 4294967295\n$/);
  });

  it('--contention 0x1 is refused: a fraction is written as a decimal', () => {
    const r = crashplug('simulate', '--system', W1, '--resize', '3G:4G', '--contention', '0x1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_BAD_ARGUMENT'));
    expect(r.stderr).toContain('--contention "0x1" is not a fraction from 0 to 1 written as a decimal');
  });

  it('--kernel 99.9 is refused with the releases crashplug models', () => {
    const r = crashplug('elfcorehdr', '--system', W1, '--kernel', '99.9');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_BAD_ARGUMENT'));
    expect(r.stderr).toMatch(
      /--kernel "99\.9" is newer than \d+\.\d+, the newest release crashplug models; the modelled releases are 5\.4, 5\.5, .*6\.1, .*6\.12, /,
    );
  });

  it('inspect --kernel without --against is refused: it would do nothing', () => {
    const r = crashplug('inspect', W1_HEADER, '--kernel', '6.6');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^crashplug: E_BAD_ARGUMENT: --kernel does nothing without --against .*\n$/);
  });

  it('a key given twice in one object of a description is refused with its line and column', () => {
    const dir = folder();
    const text = readFileSync(W1, 'utf8').replace('"cpus": { "possible": "0-3" },', '"cpus": { "possible": "0-3" },\n  "cpus": { "possible": "0-7" },');
    writeFileSync(join(dir, 'dup.json'), text);
    const r = crashplug('elfcorehdr', '--system', join(dir, 'dup.json'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_BAD_SYSTEM'));
    expect(r.stderr).toContain(`${join(dir, 'dup.json')}:6:3: the key "cpus" appears twice in one object (first on line 5)`);
  });

  it.each([
    ['the description itself', (dir: string) => join(dir, 'system.json')],
    ['its iomem text', (dir: string) => join(dir, 'iomem.txt')],
    ['a hard link to its iomem text', (dir: string) => join(dir, 'other-name.txt')],
  ])('--out naming an input (%s) is refused and the input kept', (_, out) => {
    const dir = folder();
    writeFileSync(join(dir, 'iomem.txt'), '00001000-0009fbff : System RAM\n00100000-bfffffff : System RAM\n  02000000-11ffffff : Crash kernel\n');
    linkSync(join(dir, 'iomem.txt'), join(dir, 'other-name.txt'));
    const system = systemWith(dir, { iomem: 'iomem.txt' });
    const before = [readFileSync(system), readFileSync(join(dir, 'iomem.txt'))];
    const r = crashplug('elfcorehdr', '--system', system, '--out', out(dir));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_BAD_ARGUMENT'));
    expect(r.stderr).toContain('(the same file); write it to another file');
    expect(readFileSync(system).equals(before[0]!)).toBe(true);
    expect(readFileSync(join(dir, 'iomem.txt')).equals(before[1]!)).toBe(true);
  });

  it('the same file as --out and --svg is refused', () => {
    const dir = folder();
    const r = crashplug('elfcorehdr', '--system', W1, '--out', join(dir, 'x'), '--svg', join(dir, '.', 'x'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_BAD_ARGUMENT'));
    expect(r.stderr).toContain('would go to the same file');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a symbolic link as --out is written through to its target, as cp does; the link stays', () => {
    const dir = folder();
    writeFileSync(join(dir, 'target.bin'), 'old\n');
    symlinkSync('target.bin', join(dir, 'link.bin'));
    const r = crashplug('elfcorehdr', '--system', W1, '--out', join(dir, 'link.bin'));
    expect(r.status).toBe(0);
    expect(lstatSync(join(dir, 'link.bin')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'target.bin')).equals(readFileSync(W1_HEADER))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['link.bin', 'target.bin']);
  });

  it('a symbolic link to nothing as --out is refused; nothing is created', () => {
    const dir = folder();
    symlinkSync('nowhere.bin', join(dir, 'link.bin'));
    const r = crashplug('elfcorehdr', '--system', W1, '--out', join(dir, 'link.bin'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(ONE_LINE('E_IO'));
    expect(existsSync(join(dir, 'nowhere.bin'))).toBe(false);
  });

  it('a legal 240-character --out name works (the temporary name stays short)', () => {
    const dir = folder();
    const name = `${'h'.repeat(236)}.bin`;
    const r = crashplug('elfcorehdr', '--system', W1, '--out', join(dir, name));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(dir)).toEqual([name]);
  });
});

describe('faults while the header is kept up to date', () => {
  it('a port hook that throws on every event: summary counts them, the installed header stays the one loaded', () => {
    const dir = folder();
    const port = ['--port', join(PORTS, 'hotplug-fault-port.mjs')];
    const system = join(PORTS, 'hookfail64.json');
    const loaded = crashplug(...port, 'elfcorehdr', '--system', system, '--out', join(dir, 'loaded.bin'));
    expect(loaded.status).toBe(0);
    const r = crashplug(...port, 'simulate', '--system', system, '--resize', '4G:5G', '--out-header', join(dir, 'installed.bin'), '--json');
    expect(r.stderr).toBe('');
    const s = JSON.parse(r.stdout) as { events: number; hookFailures: number; regenerations: number; finalHeaderMatchesFresh: boolean };
    expect(s.events).toBe(8);
    expect(s.hookFailures).toBe(8);
    expect(s.regenerations).toBe(0);
    expect(s.finalHeaderMatchesFresh).toBe(false);
    expect(readFileSync(join(dir, 'installed.bin')).equals(readFileSync(join(dir, 'loaded.bin')))).toBe(true);
  });

  it('contention 1.0 drops every event: the summary says so and the installed header stays the one loaded', () => {
    const dir = folder();
    const r = crashplug('simulate', '--system', W1, '--resize', '3G:4G', '--contention', '1.0', '--out-header', join(dir, 'installed.bin'));
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/dropped \(lock busy\)\s+8\n/);
    expect(r.stdout).toMatch(/header regenerations\s+0\n/);
    expect(r.stdout).toMatch(/final header = fresh\s+NO\n/);
    expect(readFileSync(join(dir, 'installed.bin')).equals(readFileSync(W1_HEADER))).toBe(true);
  });
});
