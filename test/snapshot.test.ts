// `crashplug snapshot --host`: a fake /proc and /sys of the real 6.1 guest (as test/host.test.ts
// builds them) is snapshotted, the folder is moved elsewhere, and its system.json must build the
// very bytes `--host` builds from the tree — which, with /proc/kcore there, are the bytes the guest's
// kernel wrote. Then what the folder holds and says, and that a failed snapshot leaves nothing.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { loadSystemFile } from '../api/system-file.js';
import { buildHeader } from '../cli/commands/build-header.js';
import { readHostSystem } from '../cli/host.js';
import { type SnapshotOptions, takeSnapshot } from '../cli/snapshot.js';
import { CrashplugError } from '../core/base/index.js';
import { registryOf } from '../core/port/index.js';
import { kcore61 } from './support/kcore.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = join(ROOT, 'test', 'fixtures', 'real-x86_64-6.1');
const CAPTURE = new Uint8Array(readFileSync(join(FIXTURE, 'elfcorehdr-kernel-kexec_file.bin')));
const registry = registryOf(ARCH_MODULES);
const scratch = mkdtempSync(join(tmpdir(), 'crashplug-snapshot-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Tree = Record<string, string | Uint8Array>;

/** The real 6.1 guest as root reads it, with a few files --host does not need but a snapshot keeps. */
function guest61(): Tree {
  return {
    'proc/iomem': readFileSync(join(FIXTURE, 'proc-iomem.txt'), 'utf8'),
    'proc/kallsyms':
      'ffffffffaa600000 T _text\nffffffffaa600000 T _stext\nffffffffab000000 T secret_symbol\nffffffffada30000 B _end\nffffffffc0a01000 t foo\t[bar]\n',
    'proc/kcore': kcore61(),
    'sys/devices/system/cpu/possible': '0-1\n',
    'sys/devices/system/cpu/present': '0-1\n',
    'sys/devices/system/cpu/online': '0-1\n',
    'sys/devices/system/cpu/kernel_max': '8191\n',
    'sys/devices/system/cpu/crash_hotplug': '1\n',
    'sys/devices/system/cpu/cpu0/crash_notes': '17bc3a600\n',
    'sys/devices/system/cpu/cpu0/crash_notes_size': '368\n',
    'sys/devices/system/cpu/cpu1/crash_notes': '17bd3a600\n',
    'sys/devices/system/cpu/cpu1/crash_notes_size': '368\n',
    'sys/devices/system/memory/block_size_bytes': '8000000\n',
    'sys/kernel/vmcoreinfo': '0x000000010031a000 1024\n',
    'sys/kernel/crash_elfcorehdr_size': '917616\n',
    'sys/kernel/kexec/crash_loaded': '1\n',
    'sys/kernel/kexec/crash_size': '268435456\n',
    'sys/firmware/fdt': new Uint8Array([0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 0x28]),
  };
}

let roots = 0;
function fakeRoot(tree: Tree): string {
  const root = join(scratch, `root-${roots++}`);
  for (const [rel, text] of Object.entries(tree)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

const HOST = { release: '6.1.0-56-amd64', nodeArch: 'x64', endianness: 'LE' } as const;
const NOW = new Date('2025-01-02T03:04:05.000Z');
function options(root: string, out: string, extra: Partial<SnapshotOptions> = {}): SnapshotOptions {
  return { root, out, now: NOW, crashplugVersion: '0.1.0-test', ...HOST, ...extra };
}

function crashplug(...args: string[]) {
  return spawnSync(process.execPath, [join(ROOT, 'bin', 'crashplug.js'), ...args], { encoding: 'buffer' });
}

describe('crashplug snapshot --host, of a fake 6.1 guest', () => {
  const root = fakeRoot(guest61());
  const taken = join(scratch, 'taken');
  const snap = takeSnapshot(registry, options(root, taken));
  // Moved elsewhere, as a customer's snapshot would be: nothing may point back to where it was made.
  const moved = join(scratch, 'elsewhere', 'customer-box');
  mkdirSync(dirname(moved), { recursive: true });
  renameSync(taken, moved);
  rmSync(root, { recursive: true, force: true });

  it('moved elsewhere, builds the bytes --host built there, which are the bytes the guest kernel wrote', () => {
    const live = buildHeader(readHostSystem(registry, { root: fakeRoot(guest61()), ...HOST }).system, registry).bytes;
    const copied = buildHeader(loadSystemFile(join(moved, 'system.json'), registry), registry).bytes;
    expect(Buffer.from(copied).equals(Buffer.from(live))).toBe(true);
    expect(copied.subarray(0, CAPTURE.length)).toEqual(CAPTURE);
    expect(snap.headerBytes).toBe(live.length);
  });

  it('writes a system.json of format 1 that names only relative files inside the folder', () => {
    const json = JSON.parse(readFileSync(join(moved, 'system.json'), 'utf8')) as Record<string, any>;
    expect(json.format).toBe(1);
    expect(json.memory).toEqual({ iomem: 'proc/iomem' });
    expect(isAbsolute(json.memory.iomem)).toBe(false);
    expect(readFileSync(join(moved, 'proc/iomem'), 'utf8')).toBe(readFileSync(join(FIXTURE, 'proc-iomem.txt'), 'utf8'));
    // No string in it names the tree it was read from.
    expect(JSON.stringify(json)).not.toContain(scratch);
    expect(json.pageOffset).toBe('0xffff8ce840000000');
  });

  it('copies every file --host reads, the FDT, the sysfs sizes and /sys/kernel/kexec/*, never /proc/kcore', () => {
    const copied = snap.files.map((f) => f.path).sort();
    expect(copied).toEqual(
      [
        'proc/iomem',
        'proc/kallsyms',
        'sys/devices/system/cpu/possible',
        'sys/devices/system/cpu/present',
        'sys/devices/system/cpu/online',
        'sys/devices/system/cpu/kernel_max',
        'sys/devices/system/cpu/crash_hotplug',
        'sys/devices/system/cpu/cpu0/crash_notes',
        'sys/devices/system/cpu/cpu0/crash_notes_size',
        'sys/devices/system/cpu/cpu1/crash_notes',
        'sys/devices/system/cpu/cpu1/crash_notes_size',
        'sys/devices/system/memory/block_size_bytes',
        'sys/kernel/vmcoreinfo',
        'sys/kernel/crash_elfcorehdr_size',
        'sys/kernel/kexec/crash_loaded',
        'sys/kernel/kexec/crash_size',
        'sys/firmware/fdt',
      ].sort(),
    );
    expect(existsSync(join(moved, 'proc/kcore'))).toBe(false);
    expect(readFileSync(join(moved, 'sys/firmware/fdt'))).toEqual(Buffer.from(guest61()['sys/firmware/fdt'] as Uint8Array));
    // Only _text and _end leave the box from /proc/kallsyms.
    expect(readFileSync(join(moved, 'proc/kallsyms'), 'utf8')).toBe('ffffffffaa600000 T _text\nffffffffada30000 B _end\n');
    for (const f of snap.files) {
      expect(
        createHash('sha256')
          .update(readFileSync(join(moved, f.path)))
          .digest('hex'),
        f.path,
      ).toBe(f.sha256);
    }
    expect(snap.absent.map((a) => a.from.slice(a.from.indexOf('/sys/'))).sort()).toEqual(['/sys/devices/system/memory/crash_hotplug']);
  });

  it('says what was read from where, when, and what was assumed, in manifest.json and README.txt', () => {
    const m = JSON.parse(readFileSync(join(moved, 'manifest.json'), 'utf8')) as Record<string, any>;
    expect(m).toMatchObject({ format: 1, crashplug: '0.1.0-test', takenAt: '2025-01-02T03:04:05.000Z', system: 'system.json' });
    expect(m.host).toEqual({ arch: 'x86_64', release: '6.1.0-56-amd64', nodeArch: 'x64', endianness: 'LE' });
    expect(m.values.pageOffset.value).toBe('0xffff8ce840000000');
    expect(m.values.pageOffset.how).toMatch(/^PAGE_OFFSET 0xffff8ce840000000 \(.*proc\/kcore: p_vaddr − p_paddr/);
    expect(m.files).toHaveLength(snap.files.length);
    expect(m.assumptions).toEqual(snap.host.assumptions);
    const readme = readFileSync(join(moved, 'README.txt'), 'utf8');
    expect(readme).toContain('Taken 2025-01-02T03:04:05.000Z');
    expect(readme).toContain('crashplug elfcorehdr --system system.json');
    expect(readme).toContain(
      '/proc/kcore maps all of memory and is never copied; PAGE_OFFSET is in system.json as pageOffset:\n  PAGE_OFFSET 0xffff8ce840000000 (',
    );
    expect(readme).toMatch(/Assumed \(could not be read there\):\n(?: {2}- .*\n)* {2}- header built as kexec_file_load/);
  });
});

describe('a snapshot that cannot be made leaves nothing behind', () => {
  it('refuses a folder that exists, and leaves it as it was', () => {
    const out = join(scratch, 'exists');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const e = (() => {
      try {
        takeSnapshot(registry, options(fakeRoot(guest61()), out));
      } catch (err) {
        return err;
      }
    })();
    expect(CrashplugError.is(e) && e.code).toBe('E_IO');
    expect((e as Error).message).toMatch(/exists: already exists; give snapshot --out a folder that does not exist yet/);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  it('writes no folder, and no temporary one, when the host cannot be read', () => {
    const tree = guest61();
    delete (tree as Partial<Tree>)['proc/iomem'];
    const parent = join(scratch, 'failing');
    mkdirSync(parent);
    expect(() => takeSnapshot(registry, options(fakeRoot(tree), join(parent, 'snap')))).toThrow(/proc\/iomem: not readable/);
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('the crashplug command', () => {
  it('snapshot --host --root, moved: elfcorehdr --system DIR/system.json --out - gives the bytes of elfcorehdr --host --root --out -', () => {
    const root = fakeRoot(guest61());
    const out = join(scratch, 'cli-snap');
    const r = crashplug('snapshot', '--host', '--root', root, '--out', out);
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toMatch(
      /^Snapshot of x86_64 \(kernel .* profile\) written to .*cli-snap:\n {2}17 files copied, 1 not present there; PAGE_OFFSET 0xffff8ce840000000 recorded/,
    );
    const moved = join(scratch, 'cli-moved');
    renameSync(out, moved);
    const live = crashplug('elfcorehdr', '--host', '--root', root, '--out', '-');
    const copied = crashplug('elfcorehdr', '--system', join(moved, 'system.json'), '--out', '-');
    expect(live.status).toBe(0);
    expect(copied.status).toBe(0);
    expect(copied.stdout.length).toBeGreaterThan(0);
    expect(copied.stdout.equals(live.stdout)).toBe(true);
    // The report went to standard error, saying where the bytes went.
    expect(copied.stderr.toString()).toContain(`Wrote ${copied.stdout.length} bytes to standard output`);
  });

  it('elfcorehdr --host --json says that its description names live files', () => {
    const r = crashplug('elfcorehdr', '--host', '--root', fakeRoot(guest61()), '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout.toString()) as Record<string, any>;
    expect(j.systemDescriptionLive.liveFiles).toEqual([j.systemDescription.memory.iomem]);
    expect(j.systemDescriptionLive.note).toContain('crashplug snapshot --host --out DIR');
  });

  it('refuses snapshot without --host, and --root without --host, with exit 2', () => {
    const a = crashplug('snapshot', '--out', join(scratch, 'never'));
    expect(a.status).toBe(2);
    expect(a.stderr.toString()).toMatch(/^crashplug: E_BAD_ARGUMENT: snapshot: say --host/);
    const b = crashplug('elfcorehdr', '--root', '/', '--system', join(FIXTURE, 'system.json'));
    expect(b.status).toBe(2);
    expect(existsSync(join(scratch, 'never'))).toBe(false);
  });
});
