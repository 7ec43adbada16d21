// `crashplug snapshot --host`: a portable copy of what `--host` reads, so a machine captured on a
// customer's box runs unchanged elsewhere. The folder holds the files copied from /proc and /sys
// under their own relative paths, the values that cannot be copied (PAGE_OFFSET from /proc/kcore,
// which maps all of memory), a system.json that names only files inside the folder, and a
// manifest.json and README.txt saying what was read from where, when, and what was assumed.
// Written to a temporary folder beside the target and renamed into place once checked: a failed
// snapshot leaves nothing behind, and an existing folder is never overwritten.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch as osArch, endianness as osEndianness, release as osRelease } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { loadSystemFile } from '../api/system-file.js';
import { CrashplugError } from '../core/base/index.js';
import type { PluginRegistry } from '../core/port/index.js';
import { SYSTEM_FORMAT } from '../core/system/index.js';
import { buildHeader } from './commands/build-header.js';
import { type HostDescription, type HostOptions, readHostSystem } from './host.js';

export interface SnapshotOptions extends HostOptions {
  /** The folder to create; it must not exist yet. */
  readonly out: string;
  /** When the snapshot was taken (the CLI passes the host's clock). */
  readonly now: Date;
  readonly crashplugVersion: string;
}

export interface SnapshotFile {
  /** Inside the snapshot folder. */
  readonly path: string;
  /** Where it was read. */
  readonly from: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly note?: string | undefined;
}

export interface Snapshot {
  readonly dir: string;
  readonly files: readonly SnapshotFile[];
  readonly absent: readonly { readonly from: string; readonly why: string }[];
  readonly host: HostDescription;
  readonly systemJson: Record<string, unknown>;
  /** What elfcorehdr --system DIR/system.json builds: the --host build's bytes, checked before renaming. */
  readonly headerBytes: number;
}

/** The CPU files per possible CPU, and the rest: every file `--host` reads, relative to the root. */
function filesToCopy(root: string, host: HostDescription): string[] {
  const cpu = 'sys/devices/system/cpu';
  const rel = [
    'proc/iomem',
    `${cpu}/possible`,
    `${cpu}/present`,
    `${cpu}/online`,
    `${cpu}/kernel_max`,
    `${cpu}/crash_hotplug`,
    'sys/devices/system/memory/crash_hotplug',
    'sys/devices/system/memory/block_size_bytes',
    'sys/kernel/vmcoreinfo',
    'sys/kernel/crash_elfcorehdr_size',
    'sys/firmware/fdt',
  ];
  for (const n of host.system.cpus.possible) rel.push(`${cpu}/cpu${n}/crash_notes`, `${cpu}/cpu${n}/crash_notes_size`);
  // Newer kernels gather the kexec state under /sys/kernel/kexec/: copy whatever files are there.
  const kexecDir = join(root, 'sys/kernel/kexec');
  try {
    for (const name of readdirSync(kexecDir).sort()) {
      if (statSync(join(kexecDir, name)).isFile()) rel.push(`sys/kernel/kexec/${name}`);
    }
  } catch {
    // Absent on most kernels; recorded below like any other absent file.
    rel.push('sys/kernel/kexec/');
  }
  return rel;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? (err instanceof Error ? err.message : String(err));
}

/** Only the `_text` and `_end` lines of /proc/kallsyms: all `--host` reads, and no other kernel address leaves the box. */
function kallsymsLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => /^[0-9a-f]+ \S+ (_text|_end)$/.test(l))
    .map((l) => `${l}\n`)
    .join('');
}

function readmeText(s: {
  takenAt: string;
  root: string;
  host: HostDescription;
  files: readonly SnapshotFile[];
  absent: readonly { from: string; why: string }[];
  identity: Record<string, string>;
  pageOffsetHow: string;
}): string {
  const lines = [
    'crashplug snapshot',
    '',
    `Taken ${s.takenAt} from ${s.root === '/' ? 'this machine' : `the tree at ${s.root}`} (${s.identity.arch}, uname -r ${s.identity.release}).`,
    'Run it anywhere:  crashplug elfcorehdr --system system.json   (the same bytes as `crashplug elfcorehdr --host` gave there)',
    'system.json names only files in this folder; manifest.json says the same as this file, for programs.',
    '',
    'Copied (path here <- where it was read):',
    ...s.files.map((f) => `  ${f.path} <- ${f.from} (${f.bytes} bytes${f.note === undefined ? '' : `; ${f.note}`})`),
    '',
    'Not present there (not copied):',
    ...(s.absent.length === 0 ? ['  nothing'] : s.absent.map((a) => `  ${a.from} (${a.why})`)),
    '',
    'Values read but not copied:',
    '  /proc/kcore maps all of memory and is never copied; PAGE_OFFSET is in system.json as pageOffset:',
    `  ${s.pageOffsetHow}`,
    '',
    'Read:',
    ...s.host.read.map((r) => `  - ${r}`),
    '',
    'Assumed (could not be read there):',
    ...(s.host.assumptions.length === 0 ? ['  nothing'] : s.host.assumptions.map((a) => `  - ${a}`)),
    '',
  ];
  return lines.join('\n');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Read the host (or the tree under `root`), and write the snapshot folder whole or not at all. */
export function takeSnapshot(registry: PluginRegistry, opts: SnapshotOptions): Snapshot {
  const dir = resolve(opts.out);
  if (existsSync(dir)) {
    throw new CrashplugError('E_IO', `${opts.out}: already exists; give snapshot --out a folder that does not exist yet (nothing was written)`);
  }
  const root = resolve(opts.root ?? '/');
  const host = readHostSystem(registry, opts);
  const identity = {
    arch: host.system.arch,
    release: opts.release ?? osRelease(),
    nodeArch: opts.nodeArch ?? osArch(),
    endianness: opts.endianness ?? osEndianness(),
  };

  const files: SnapshotFile[] = [];
  const absent: { from: string; why: string }[] = [];
  const contents = new Map<string, Uint8Array>();
  for (const rel of filesToCopy(root, host)) {
    const from = join(root, rel);
    if (rel.endsWith('/')) {
      absent.push({ from, why: 'no such folder' });
      continue;
    }
    try {
      const bytes = new Uint8Array(readFileSync(from));
      contents.set(rel, bytes);
      files.push({ path: rel, from, bytes: bytes.length, sha256: sha256(bytes) });
    } catch (err) {
      absent.push({ from, why: why(err) });
    }
  }
  const kallsyms = join(root, 'proc/kallsyms');
  try {
    const bytes = new TextEncoder().encode(kallsymsLines(readFileSync(kallsyms, 'utf8')));
    contents.set('proc/kallsyms', bytes);
    files.push({ path: 'proc/kallsyms', from: kallsyms, bytes: bytes.length, sha256: sha256(bytes), note: 'only the _text and _end lines' });
  } catch (err) {
    absent.push({ from: kallsyms, why: why(err) });
  }

  const systemJson: Record<string, unknown> = { format: SYSTEM_FORMAT, ...host.json, memory: { iomem: 'proc/iomem' } };
  const takenAt = opts.now.toISOString();
  const kcore = join(root, 'proc/kcore');
  const pageOffsetHow = host.read.find((r) => r.startsWith('PAGE_OFFSET ')) ?? host.assumptions.find((a) => a.startsWith('PAGE_OFFSET')) ?? 'the port default';
  const manifest = {
    format: 1,
    kind: 'crashplug host snapshot',
    crashplug: opts.crashplugVersion,
    takenAt,
    root,
    host: identity,
    system: 'system.json',
    files,
    absent,
    values: {
      pageOffset: {
        value: host.json.pageOffset,
        from: kcore,
        how: pageOffsetHow,
        note: '/proc/kcore is never copied (it maps all of memory); the value is in system.json',
      },
      kernelImage: host.json.kernelImage,
    },
    read: host.read,
    assumptions: host.assumptions,
  };

  // Everything goes into a hidden folder beside the target, is checked, then renamed into place.
  const parent = dirname(dir);
  const temp = join(parent, `.${basename(dir)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(temp);
    for (const [rel, bytes] of contents) {
      mkdirSync(dirname(join(temp, rel)), { recursive: true });
      writeFileSync(join(temp, rel), bytes, { flag: 'wx' });
    }
    writeFileSync(join(temp, 'system.json'), `${JSON.stringify(systemJson, null, 2)}\n`, { flag: 'wx' });
    writeFileSync(join(temp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    writeFileSync(join(temp, 'README.txt'), readmeText({ takenAt, root, host, files, absent, identity, pageOffsetHow }), { flag: 'wx' });
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw new CrashplugError('E_IO', `${opts.out}: cannot write the snapshot (${why(err)}); nothing was written`, { cause: err });
  }
  // The promise of the folder: its system.json builds what --host built.
  let headerBytes: number;
  try {
    const live = buildHeader(host.system, registry).bytes;
    const copied = buildHeader(loadSystemFile(join(temp, 'system.json'), registry), registry).bytes;
    if (!sameBytes(live, copied)) throw new Error("the snapshot's system.json builds a different header than --host did");
    headerBytes = live.length;
    renameSync(temp, dir);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    if (CrashplugError.is(err) || !(err instanceof Error && /different header/.test(err.message))) {
      throw new CrashplugError('E_IO', `${opts.out}: cannot complete the snapshot (${why(err)}); nothing was written`, { cause: err });
    }
    throw err;
  }
  return { dir, files, absent, host, systemJson, headerBytes };
}
