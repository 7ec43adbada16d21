#!/usr/bin/env node
// Fuzzes the `crashplug` command as a user runs it: each case is a fresh folder holding mutated
// inputs (system descriptions, iomem texts, device trees, elfcorehdrs, fadump headers), existing
// files that must survive, odd output targets (a FIFO without reader, a symbolic link, a folder, a
// 240-character name, one of the inputs) and a mutated command line, run as a subprocess of the
// built CLI (bin/crashplug.js on dist/). Every case falls in one class:
//
//   ok       exit 0 or 3, nothing on stderr but warnings
//   coded    exit 2 (or 1 for E_PORT_FAULT) with exactly one "crashplug: E_CODE: …" line on stderr
//   crash    anything else: exit 1, a stack, an uncoded or multi-line refusal, a signal
//   hang     still running after --timeout seconds (killed)
//   clobber  a refusal changed a file or left one behind; any run changed an input or a file that
//            is not its output, turned a FIFO, a symbolic link or a device into something else,
//            or left a temporary
//   memory   ran out of the heap it is given (--max-old-space-size)
//
// Usage: node scripts/fuzz/fuzz.mjs [--seconds N] [--seed S] [--jobs J] [--timeout T] [--keep DIR]
// Prints one JSON object (counts per class, the failures) and exits 1 on any crash, hang,
// clobber or memory case. The same seed gives the same sequence of cases.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'crashplug.js');
const FIX = join(ROOT, 'test', 'fixtures');

// ---------------------------------------------------------------- arguments

function argsOf(argv) {
  const o = { seconds: 60, seed: Date.now() >>> 0, jobs: 2, timeout: 30, keep: undefined, heapMb: 768 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--seconds') o.seconds = Number(v);
    else if (a === '--seed') o.seed = Number(v) >>> 0;
    else if (a === '--jobs') o.jobs = Math.max(1, Number(v));
    else if (a === '--timeout') o.timeout = Number(v);
    else if (a === '--keep') o.keep = v;
    else if (a === '--heap-mb') o.heapMb = Number(v);
    else {
      process.stderr.write(`fuzz: unknown argument ${a}\n`);
      process.exit(2);
    }
    i++;
  }
  return o;
}

// ---------------------------------------------------------------- seeded randomness

function rng(seed) {
  let s = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x1_0000_0000;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[int(xs.length)];
  const chance = (p) => next() < p;
  return { next, int, pick, chance };
}

// ---------------------------------------------------------------- corpus

const read = (...p) => readFileSync(join(FIX, ...p));
const CORPUS = {
  systems: [
    { json: read('w1', 'system.json').toString(), files: {} },
    { json: read('real-x86_64-6.1', 'system.json').toString(), files: { 'proc-iomem.txt': read('real-x86_64-6.1', 'proc-iomem.txt') } },
    { json: read('riscv64', 'system.json').toString(), files: { 'proc-iomem.txt': read('riscv64', 'proc-iomem.txt') } },
    { json: read('real-ppc64le-6.12', 'system.json').toString(), files: { 'memory.dtb': read('real-ppc64le-6.12', 'memory.dtb') } },
    { json: read('real-arm64-6.12', 'numa2', 'system-dtb.json').toString(), files: { 'virt.dtb': read('real-arm64-6.12', 'numa2', 'virt.dtb') } },
    { json: read('real-arm64-6.12', 'numa2', 'system.json').toString(), files: { 'proc-iomem.txt': read('real-arm64-6.12', 'numa2', 'proc-iomem.txt') } },
    { json: read('powerpc', 'w11.json').toString(), files: {} },
    { json: read('powerpc', 'w14-fadump.json').toString(), files: {} },
    { json: read('arm64', 'w15.json').toString(), files: {} },
  ],
  iomems: [
    read('real-x86_64-6.1', 'proc-iomem.txt').toString(),
    read('riscv64', 'proc-iomem.txt').toString(),
    read('real-arm64-6.12', 'numa2', 'proc-iomem.txt').toString(),
  ],
  dtbs: [
    read('real-ppc64le-6.12', 'memory.dtb'),
    read('real-arm64-6.12', 'numa2', 'virt.dtb'),
    read('powerpc', 'pseries-2g.dtb'),
    read('powerpc', 'powernv9-2chip.dtb'),
    gunzipSync(read('arm64', 'virt-1g-2cpu.dtb.gz')),
  ],
  headers: [
    read('w1', 'elfcorehdr.bin'),
    read('real-x86_64-6.1', 'elfcorehdr-kernel-kexec_file.bin'),
    read('real-x86_64-6.1', 'elfcorehdr-kexec-tools.bin'),
    read('real-ppc64le-6.12', 'elfcorehdr-5-after-remove-d2.bin'),
    read('real-arm64-6.12', 'numa2', 'elfcorehdr-kernel-kexec_file.bin'),
  ],
  fadump: [],
};

/** A real fadump crash-info header, made by the CLI itself from the fadump fixture. */
function makeFadumpHeader(work) {
  const out = join(work, 'fadump.bin');
  const r = spawnSync(process.execPath, [BIN, 'fadump', 'header', '--system', join(FIX, 'powerpc', 'w14-fadump.json'), '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fuzz: cannot make the seed fadump header: ${r.stderr}`);
  return readFileSync(out);
}

// ---------------------------------------------------------------- mutators

const INTERESTING_U32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 56, 64, 4096];

function mutateBytes(r, input) {
  let b = Buffer.from(input);
  const rounds = 1 + r.int(r.chance(0.2) ? 24 : 4);
  for (let k = 0; k < rounds; k++) {
    const op = r.int(8);
    if (b.length === 0) b = Buffer.alloc(r.int(64));
    const at = r.int(Math.max(1, b.length));
    switch (op) {
      case 0: // bit flip
        if (b.length > 0) b[at] ^= 1 << r.int(8);
        break;
      case 1: // interesting byte
        if (b.length > 0) b[at] = r.pick([0, 0xff, 0x7f, 0x80, 1]);
        break;
      case 2: // interesting u32 (either byte order)
        if (at + 4 <= b.length) r.chance(0.5) ? b.writeUInt32LE(r.pick(INTERESTING_U32), at & ~3) : b.writeUInt32BE(r.pick(INTERESTING_U32), at & ~3);
        break;
      case 3: // interesting u16 at an aligned spot (e_phnum, e_phentsize, …)
        if (at + 2 <= b.length) b.writeUInt16LE(r.pick([0, 1, 0xffff, 0x8000, 56, 64, 8192]), at & ~1);
        break;
      case 4: // truncate
        b = b.subarray(0, r.int(b.length + 1));
        break;
      case 5: // extend with junk or zeros
        b = Buffer.concat([b, r.chance(0.5) ? Buffer.alloc(r.int(4096)) : Buffer.from(Array.from({ length: r.int(256) }, () => r.int(256)))]);
        break;
      case 6: {
        // copy a chunk over another place
        const len = r.int(64);
        const from = r.int(Math.max(1, b.length));
        b.copy(b, at, from, Math.min(b.length, from + len));
        break;
      }
      default: // u64 fields
        if (at + 8 <= b.length) b.writeBigUInt64LE(r.pick([0n, 1n, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 0x1_0000_0000n]), at & ~7);
    }
  }
  return b;
}

/** Program header fields of a 64-bit ELF set to values that break sizes and offsets. */
function mutateElf(r, input) {
  const b = Buffer.from(input);
  const le = b[5] !== 2;
  const w16 = (at, v) => at + 2 <= b.length && (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  const w64 = (at, v) => at + 8 <= b.length && (le ? b.writeBigUInt64LE(v, at) : b.writeBigUInt64BE(v, at));
  const phnum = b.length >= 58 ? (le ? b.readUInt16LE(56) : b.readUInt16BE(56)) : 0;
  switch (r.int(6)) {
    case 0:
      w16(56, r.pick([0, 1, 0xffff, phnum + 1, 65535, 8192 + 3]));
      break;
    case 1:
      w64(32, r.pick([0n, 1n, 63n, 0xffff_ffff_ffff_ffffn, BigInt(b.length), BigInt(b.length - 8)]));
      break;
    case 2:
      w16(54, r.pick([0, 1, 32, 55, 57, 0xffff]));
      break;
    case 3: {
      const i = r.int(Math.max(1, phnum));
      w64(64 + 56 * i + r.pick([8, 16, 24, 32, 40, 48]), r.pick([0n, 0xffff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n, 1n << 48n]));
      break;
    }
    case 4:
      b[r.pick([4, 5, 6, 7, 16, 18])] = r.pick([0, 1, 2, 3, 0xff]);
      break;
    default:
      return mutateBytes(r, b);
  }
  return b;
}

function mutateIomem(r, text) {
  let lines = text.split('\n');
  const rounds = 1 + r.int(4);
  for (let k = 0; k < rounds; k++) {
    const i = r.int(Math.max(1, lines.length));
    const l = lines[i] ?? '';
    switch (r.int(10)) {
      case 0:
        lines.splice(i, 0, l);
        break;
      case 1:
        lines.splice(i, 1);
        break;
      case 2:
        lines[i] = ` ${l}`;
        break;
      case 3:
        lines[i] = l.replace(/^ +/, '');
        break;
      case 4:
        lines[i] = l.replace(/[0-9a-f]/, () => r.pick(['f', '0', 'ffffffffffffffff', 'g', '', '10000000000000000']));
        break;
      case 5:
        lines[i] = l.replace(/: .*/, `: ${r.pick(['System RAM', 'Crash kernel', 'Kernel code', 'reserved', 'ACPI Tables', '', 'System RAM\t'])}`);
        break;
      case 6:
        lines[i] = `\t${l}`;
        break;
      case 7: {
        // a deep chain of nested resources inside a line's range
        const m = /^( *)([0-9a-f]+)-([0-9a-f]+)/.exec(l);
        if (m === null) break;
        const depth = r.pick([50, 500, 3000]);
        const base = BigInt(`0x${m[2]}`);
        const end = BigInt(`0x${m[3]}`);
        const chain = [];
        for (let d = 1; d <= depth && base + BigInt(d) <= end - BigInt(d); d++) {
          chain.push(`${m[1]}${'  '.repeat(d)}${(base + BigInt(d)).toString(16).padStart(8, '0')}-${(end - BigInt(d)).toString(16).padStart(8, '0')} : deep`);
        }
        lines.splice(i + 1, 0, ...chain);
        break;
      }
      case 8:
        lines = lines.concat(lines.slice(0, r.int(lines.length)));
        break;
      default:
        lines[i] = l.replace(/-/, r.pick(['', '--', ' - ', '-0x']));
    }
  }
  return lines.join(r.chance(0.1) ? '\r\n' : '\n');
}

const WEIRD_VALUES = [
  0,
  -1,
  1.5,
  1e21,
  2 ** 53,
  '0x0',
  '0xffffffffffffffff',
  '0x10000000000000000',
  '',
  'x',
  null,
  true,
  [],
  {},
  [[]],
  ['0x1'],
  ['0x2', '0x1'],
  [['0x0', '0xffffffffffffffff']],
  '0-8191',
  '0-99999999',
  '7-3',
  '0,0,0',
  '6.1',
  '99.9',
  '5.3',
  '6.12.999',
  'ppc64',
  'x86_64',
  'nope',
];

/** Every path to a value in a JSON document, as arrays of keys. */
function pathsOf(json) {
  const out = [];
  const stack = [[json, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop();
    out.push(path);
    if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) stack.push([v[k], [...path, Array.isArray(v) ? Number(k) : k]]);
  }
  return out;
}

function mutateSystemJson(r, text) {
  const op = r.int(10);
  if (op === 0) return mutateBytes(r, Buffer.from(text)).toString('latin1');
  if (op === 1) {
    // a key twice in one object: JSON.parse would keep the last
    const m = [...text.matchAll(/\n(\s*)"([a-zA-Z]+)": ([^\n]*?),?\n/g)];
    if (m.length > 0) {
      const x = r.pick(m);
      return text.replace(x[0], `\n${x[1]}"${x[2]}": ${x[3].replace(/,$/, '')},${x[0]}`);
    }
  }
  if (op === 2) {
    // deep nesting
    const depth = r.pick([100, 10_000, 100_000]);
    return text.replace(/"cpus": /, `"cpus": ${'['.repeat(depth)}${']'.repeat(depth)}, "x": `);
  }
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    return text;
  }
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) {
    const paths = pathsOf(json).filter((p) => p.length > 0);
    if (paths.length === 0) break;
    const path = r.pick(paths);
    let parent = json;
    for (const key of path.slice(0, -1)) parent = parent[key];
    const last = path[path.length - 1];
    if (r.chance(0.2) && !Array.isArray(parent)) delete parent[last];
    else if (r.chance(0.1)) parent[`${last}x`] = parent[last];
    else parent[last] = r.pick(WEIRD_VALUES);
  }
  return JSON.stringify(json, null, r.chance(0.5) ? 1 : 0);
}

// ---------------------------------------------------------------- cases

const SIZE_VALUES = [
  '1G',
  '128M',
  '256M',
  '512M',
  '0',
  '1',
  '3',
  '4096',
  '0x8000000',
  '1T',
  '-1',
  '1.5G',
  '1g',
  '0x',
  '',
  ' 1G',
  '18446744073709551615',
  '18446744073709551616',
  '64K',
];
const RESIZE_VALUES = [
  '3G:4G',
  '3G:3G',
  '4G:3G',
  '3G:5G',
  '0:1G',
  '3G:',
  ':',
  'x:y',
  '3G:4G:5G',
  '2G:4G',
  '5G:8G',
  '18446744073709551615:1',
  '1G:2G',
  '3G:3.5G',
];
const FRACTIONS = ['0', '1', '1.0', '0.5', '0.05', '.5', '0x1', '2', '-0', '1e-1', 'NaN', '', '0.999999', '50%'];
const SEEDS = ['0', '1', '4294967295', '4294967296', '-1', '1.5', '0x10', '99999999999999999999', ''];
const KERNELS = ['6.1', '6.6', '6.12', '6.12.95', '6.18', '5.4', '5.3', '99.9', '7', '6.x', ''];

/** A --resize value that stays within a few GiB of growth: a huge one is the budget's job, not this fuzz's. */
function smallResize(text) {
  const toBytes = (t) => {
    const m = /^\s*(\d+)([KMGT])?/i.exec(t);
    if (m === null) return 0;
    return Number(m[1]) * { undefined: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]?.toUpperCase()];
  };
  const [a, b] = text.split(':');
  return toBytes(b ?? '') - toBytes(a ?? '') <= 16 * 2 ** 30 && !/T/i.test(text);
}

/** Where an output goes: a file name in the case folder, or something odd. */
function outputTarget(r, c, name) {
  switch (r.int(12)) {
    case 0:
      c.setup.push({ kind: 'sentinel', name });
      return name;
    case 1:
      c.setup.push({ kind: 'fifo', name });
      return name;
    case 2:
      c.setup.push({ kind: 'sentinel', name: `${name}.target` }, { kind: 'symlink', name, to: `${name}.target` });
      return name;
    case 3:
      c.setup.push({ kind: 'symlink', name, to: 'nowhere/at/all' });
      return name;
    case 4:
      c.setup.push({ kind: 'dir', name });
      return name;
    case 5:
      return 'missing-dir/x.bin';
    case 6:
      return 'd'.repeat(240);
    case 7:
      return '/dev/null';
    case 8:
      return 'system.json'; // one of the inputs
    default:
      return name;
  }
}

function makeCase(r, index) {
  const c = { index, setup: [], args: [], inputs: ['system.json'] };
  const sys = r.pick(CORPUS.systems);
  let json = sys.json;
  const files = { ...sys.files };
  if (r.chance(0.5)) json = mutateSystemJson(r, json);
  for (const name of Object.keys(files)) {
    if (!r.chance(0.6)) continue;
    files[name] = name.endsWith('.dtb')
      ? r.chance(0.2)
        ? r.pick(CORPUS.dtbs)
        : mutateBytes(r, files[name])
      : Buffer.from(mutateIomem(r, files[name].toString()));
  }
  if (r.chance(0.05)) {
    // an input that is no regular file: refused at once, never waited on
    const odd = r.pick(['fifo', 'dev-zero', 'dir']);
    const name = Object.keys(files)[0] ?? 'system.json';
    c.special = { kind: odd, name };
  }
  c.files = { 'system.json': Buffer.from(json, 'latin1'), ...files };
  c.inputs.push(...Object.keys(files));

  const kernelOpt = () => (r.chance(0.15) ? ['--kernel', r.pick(KERNELS)] : []);
  const command = r.pick(['elfcorehdr', 'elfcorehdr', 'elfcorehdr', 'inspect', 'inspect', 'simulate', 'simulate', 'fadump-header', 'fadump-process', 'argv']);
  switch (command) {
    case 'elfcorehdr': {
      c.args.push('elfcorehdr', '--system', 'system.json');
      if (r.chance(0.6)) c.args.push('--out', outputTarget(r, c, 'out.bin'));
      if (r.chance(0.3)) c.args.push('--svg', r.chance(0.1) ? 'out.bin' : outputTarget(r, c, 'map.svg'));
      if (r.chance(0.2)) c.args.push('--json');
      if (r.chance(0.2)) c.args.push('--builder', r.pick(['kernel', 'kexec-tools', 'bogus']));
      c.args.push(...kernelOpt());
      break;
    }
    case 'inspect': {
      const header = r.chance(0.7) ? mutateElf(r, r.pick(CORPUS.headers)) : r.pick(CORPUS.headers);
      c.files['header.bin'] = header;
      c.inputs.push('header.bin');
      c.args.push('inspect', 'header.bin');
      if (r.chance(0.5)) c.args.push('--against', 'system.json', ...kernelOpt());
      else if (r.chance(0.1)) c.args.push('--kernel', '6.6');
      if (r.chance(0.3)) c.args.push('--json');
      break;
    }
    case 'simulate': {
      let resize = r.pick(RESIZE_VALUES);
      if (r.chance(0.2)) resize = mutateBytes(r, Buffer.from(resize)).toString('latin1');
      if (!smallResize(resize)) resize = '3G:4G';
      c.args.push('simulate', '--system', 'system.json', '--resize', resize);
      if (r.chance(0.3)) c.args.push('--dimm', r.pick(SIZE_VALUES.filter((s) => !/^(1|3|4096|64K|0|0x)$/.test(s))));
      if (r.chance(0.2)) c.args.push('--block', r.pick(['128M', '256M', '1G', '0', '3', '127M', '2G']));
      if (r.chance(0.3)) c.args.push('--strategy', r.pick(['kernel', 'coalesce', 'udev', 'nope']));
      if (r.chance(0.3)) c.args.push('--mode', r.pick(['file', 'load', 'x']));
      if (r.chance(0.3)) c.args.push('--contention', r.pick(FRACTIONS));
      if (r.chance(0.3)) c.args.push('--seed', r.pick(SEEDS));
      if (r.chance(0.2)) c.args.push('--kernel-size', r.pick(SIZE_VALUES));
      if (r.chance(0.2)) c.args.push('--initrd-size', r.pick(SIZE_VALUES));
      if (r.chance(0.4)) c.args.push('--out-header', outputTarget(r, c, 'installed.bin'));
      if (r.chance(0.2)) c.args.push('--svg', outputTarget(r, c, 'unarmed.svg'));
      if (r.chance(0.2)) c.args.push('--json');
      c.args.push(...kernelOpt());
      break;
    }
    case 'fadump-header': {
      c.files['system.json'] = Buffer.from(r.chance(0.5) ? mutateSystemJson(r, CORPUS.systems[7].json) : CORPUS.systems[7].json, 'latin1');
      c.args.push('fadump', 'header', '--system', 'system.json', '--out', outputTarget(r, c, 'fadump.bin'), ...kernelOpt());
      break;
    }
    case 'fadump-process': {
      c.files['system.json'] = Buffer.from(r.chance(0.3) ? mutateSystemJson(r, CORPUS.systems[7].json) : CORPUS.systems[7].json, 'latin1');
      c.files['crash-info.bin'] = r.chance(0.8) ? mutateBytes(r, CORPUS.fadump[0]) : CORPUS.fadump[0];
      c.inputs.push('crash-info.bin');
      c.args.push('fadump', 'process', '--header', 'crash-info.bin', '--system', 'system.json', '--out', outputTarget(r, c, 'elfcorehdr.bin'));
      break;
    }
    default: {
      const words = [
        'elfcorehdr',
        'inspect',
        'simulate',
        'fadump',
        'header',
        'process',
        'help',
        'bogus',
        '--help',
        '-h',
        '--version',
        '--system',
        'system.json',
        '--out',
        'o.bin',
        '--json',
        '--',
        '-',
        '--no-fail',
        '--kernel',
        '6.6',
        '--against',
        '--port',
        '--resize',
        '3G:4G',
        '--svg',
        '=',
        '--out=o.bin',
        '--system=system.json',
      ];
      const n = r.int(5);
      for (let i = 0; i < n; i++) c.args.push(r.pick(words));
    }
  }
  // A command line cannot carry a NUL byte (execve ends the string there).
  c.args = c.args.map((a) => a.replaceAll('\0', ''));
  return c;
}

// ---------------------------------------------------------------- running one case

function digest(path) {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return `link:${readlinkSync(path)}`;
  if (st.isFIFO()) return 'fifo';
  if (st.isDirectory()) return 'dir';
  if (!st.isFile()) return 'other';
  return `file:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

function snapshot(dir) {
  const out = new Map();
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop();
    for (const name of readdirSync(join(dir, rel))) {
      const p = join(rel, name);
      const d = digest(join(dir, p));
      out.set(p, d);
      if (d === 'dir') stack.push(p);
    }
  }
  return out;
}

function prepare(c, dir) {
  for (const [name, bytes] of Object.entries(c.files)) writeFileSync(join(dir, name), bytes);
  for (const s of c.setup) {
    const p = join(dir, s.name);
    if (
      existsSync(p) ||
      (() => {
        try {
          lstatSync(p);
          return true;
        } catch {
          return false;
        }
      })()
    )
      continue;
    if (s.kind === 'sentinel') writeFileSync(p, `sentinel ${s.name}\n`);
    else if (s.kind === 'fifo') spawnSync('mkfifo', [p]);
    else if (s.kind === 'symlink') symlinkSync(s.to, p);
    else if (s.kind === 'dir') mkdirSync(p);
  }
  if (c.special !== undefined) {
    const p = join(dir, c.special.name);
    rmSync(p, { force: true });
    if (c.special.kind === 'fifo') spawnSync('mkfifo', [p]);
    else if (c.special.kind === 'dev-zero') symlinkSync('/dev/zero', p);
    else mkdirSync(p);
  }
}

/** The outputs a run may create or replace: the values of its output options. */
function outputsOf(args) {
  const out = new Set();
  args.forEach((a, i) => {
    if (['--out', '--svg', '--out-header'].includes(a) && args[i + 1] !== undefined) out.add(args[i + 1]);
    const m = /^--(?:out|svg|out-header)=(.*)$/.exec(a);
    if (m) out.add(m[1]);
  });
  return out;
}

function classify(c, run, before, after, devNullBefore) {
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  const codedLine = lines.length === 1 && /^crashplug: E_[A-Z_]+: \S/.test(lines[0]);
  if (run.timedOut) return ['hang', 'killed after the timeout'];
  if (/heap out of memory|Allocation failed|Array buffer allocation failed/i.test(run.stderr)) return ['memory', lines.slice(-2).join(' | ')];
  // Files: an input never changes; a refusal changes nothing and leaves nothing; no temporary stays.
  const outputs = outputsOf(c.args);
  const targets = new Set(
    [...outputs].flatMap((o) => {
      const s = c.setup.find((x) => x.name === o && x.kind === 'symlink');
      return s === undefined ? [o] : [o, s.to];
    }),
  );
  for (const [name, d] of before) {
    const now = after.get(name);
    const isInput = c.inputs.includes(name);
    if (now !== d && (run.status !== 0 && run.status !== 3 ? true : isInput || !targets.has(name) || !d.startsWith('file:'))) {
      return ['clobber', `${name} changed from ${d.slice(0, 20)} to ${String(now).slice(0, 20)} (exit ${run.status})`];
    }
  }
  for (const name of after.keys()) {
    if (/\.crashplug-.*\.(tmp|old)$/.test(name)) return ['clobber', `left the temporary ${name}`];
    if (!before.has(name) && run.status !== 0 && run.status !== 3) return ['clobber', `a refusal created ${name} (exit ${run.status})`];
  }
  if (digest('/dev/null') !== devNullBefore) return ['clobber', '/dev/null is no longer what it was'];
  if (run.signal !== null) return ['crash', `killed by ${run.signal}`];
  if (run.status === 0 || run.status === 3) {
    const unexpected = lines.filter((l) => !/^(warning|note): /.test(l));
    return unexpected.length === 0 ? ['ok', ''] : ['crash', `exit ${run.status} with stderr: ${unexpected.slice(0, 2).join(' | ')}`];
  }
  if (run.status === 2 && codedLine) return ['coded', ''];
  if (run.status === 1 && codedLine && /^crashplug: E_PORT_FAULT: /.test(lines[0])) return ['coded', ''];
  return ['crash', `exit ${run.status}: ${lines.slice(0, 3).join(' | ').slice(0, 400)}`];
}

function runCase(c, opts) {
  return new Promise((resolveCase) => {
    const dir = mkdtempSync(join(tmpdir(), 'crashplug-fuzz-'));
    prepare(c, dir);
    const before = snapshot(dir);
    const devNullBefore = digest('/dev/null');
    const child = spawn(process.execPath, [`--max-old-space-size=${opts.heapMb}`, BIN, ...c.args], {
      cwd: dir,
      env: { ...process.env, CRASHPLUG_DEBUG: '', CRASHPLUG_PORTS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdoutBytes = 0;
    child.stdout.on('data', (d) => (stdoutBytes += d.length));
    child.stderr.on('data', (d) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeout * 1000);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const after = snapshot(dir);
      const [cls, why] = classify(c, { status, signal: timedOut ? null : signal, stderr, timedOut }, before, after, devNullBefore);
      if (cls !== 'ok' && cls !== 'coded' && opts.keep !== undefined) {
        const keep = join(opts.keep, `case-${c.index}`);
        mkdirSync(keep, { recursive: true });
        for (const [name, bytes] of Object.entries(c.files)) writeFileSync(join(keep, name), bytes);
        writeFileSync(join(keep, 'argv.json'), `${JSON.stringify({ args: c.args, setup: c.setup, special: c.special }, null, 2)}\n`);
      }
      rmSync(dir, { recursive: true, force: true });
      resolveCase({ cls, why, args: c.args, stdoutBytes });
    });
  });
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = argsOf(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist', 'bundle', 'cli', 'main.js'))) {
    process.stderr.write('fuzz: build first (npm run build)\n');
    process.exit(2);
  }
  const work = mkdtempSync(join(tmpdir(), 'crashplug-fuzz-seed-'));
  try {
    CORPUS.fadump.push(makeFadumpHeader(work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const r = rng(opts.seed);
  const counts = { ok: 0, coded: 0, crash: 0, hang: 0, clobber: 0, memory: 0 };
  const failures = [];
  const deadline = Date.now() + opts.seconds * 1000;
  let index = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const c = makeCase(r, index++);
      const result = await runCase(c, opts);
      counts[result.cls]++;
      if (result.cls !== 'ok' && result.cls !== 'coded' && failures.length < 20)
        failures.push({ case: c.index, class: result.cls, why: result.why, args: result.args, setup: c.setup, special: c.special });
    }
  };
  await Promise.all(Array.from({ length: opts.jobs }, worker));
  const bad = counts.crash + counts.hang + counts.clobber + counts.memory;
  process.stdout.write(`${JSON.stringify({ seed: opts.seed, seconds: opts.seconds, cases: index, ...counts, failures }, null, 2)}\n`);
  process.exitCode = bad > 0 ? 1 : 0;
}

await main();
