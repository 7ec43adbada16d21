// The output set of cli/files.ts under injected faults: a write that fails half-way, a rename that
// fails after another has landed. Whatever fails, every existing file stays byte-identical, a file
// that did not exist does not appear, and no temporary or backup is left behind.

import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeInputJournal, openInputJournal } from '../api/checked-read.js';
import { type OutputFs, OutputSet, readInputFile } from '../cli/files.js';
import { crashplugErrorOf } from './support/errors.js';

let work: string;
let n = 0;

function folder(): string {
  const dir = join(work, `t${n++}`);
  fs.mkdirSync(dir);
  return dir;
}

/** node:fs with one call made to fail. */
function faultyFs(overrides: Partial<OutputFs>): OutputFs {
  return {
    lstatSync: (p) => fs.lstatSync(p),
    statSync: (p) => fs.statSync(p),
    realpathSync: (p) => fs.realpathSync(p),
    openSync: (p, f, m) => fs.openSync(p, f, m),
    writeSync: (fd, b, o, l) => fs.writeSync(fd, b, o, l),
    fchmodSync: (fd, m) => fs.fchmodSync(fd, m),
    closeSync: (fd) => fs.closeSync(fd),
    renameSync: (a, b) => fs.renameSync(a, b),
    linkSync: (a, b) => fs.linkSync(a, b),
    unlinkSync: (p) => fs.unlinkSync(p),
    ...overrides,
  };
}

function errno(code: string): Error {
  return Object.assign(new Error(`${code}: injected`), { code });
}

const HEADER = new Uint8Array(4096).fill(0x45);
const SVG = '<svg xmlns="http://www.w3.org/2000/svg"/>\n';

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'crashplug-outputs-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a write that fails half-way', () => {
  it('leaves both existing outputs byte-identical and no temporary behind', () => {
    const dir = folder();
    writeFileSync(join(dir, 'h.bin'), 'old header\n');
    writeFileSync(join(dir, 'm.svg'), 'old picture\n');
    let written = 0;
    const disk = faultyFs({
      // The disk fills after 4096 + 10 bytes: the header's temporary is whole, the picture's is not.
      writeSync: (fd, b, o, l) => {
        const room = 4096 + 10 - written;
        if (room <= 0) throw errno('ENOSPC');
        const k = fs.writeSync(fd, b, o, Math.min(l, room));
        written += k;
        return k;
      },
    });
    const err = crashplugErrorOf(() => new OutputSet(disk).add(join(dir, 'h.bin'), HEADER, 'header').add(join(dir, 'm.svg'), SVG, 'SVG picture').commit());
    expect(err.code).toBe('E_IO');
    expect(err.message).toBe(`${join(dir, 'm.svg')}: cannot write the SVG picture (ENOSPC: no space left on the device); nothing was written`);
    expect(readFileSync(join(dir, 'h.bin'), 'utf8')).toBe('old header\n');
    expect(readFileSync(join(dir, 'm.svg'), 'utf8')).toBe('old picture\n');
    expect(readdirSync(dir).sort()).toEqual(['h.bin', 'm.svg']);
  });

  it('creates neither output when they did not exist', () => {
    const dir = folder();
    const disk = faultyFs({
      writeSync: () => {
        throw errno('EIO');
      },
    });
    const err = crashplugErrorOf(() => new OutputSet(disk).add(join(dir, 'h.bin'), HEADER, 'header').add(join(dir, 'm.svg'), SVG, 'SVG picture').commit());
    expect(err.code).toBe('E_IO');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a rename that fails after another has landed', () => {
  it('puts the replaced file back and removes the new one', () => {
    const dir = folder();
    writeFileSync(join(dir, 'a.bin'), 'old a\n');
    let renames = 0;
    const disk = faultyFs({
      renameSync: (a, b) => {
        // The first two renames land; the third fails (then the undo's renames work again).
        renames++;
        if (renames === 3) throw errno('EXDEV');
        fs.renameSync(a, b);
      },
    });
    const err = crashplugErrorOf(() =>
      new OutputSet(disk)
        .add(join(dir, 'a.bin'), HEADER, 'header')
        .add(join(dir, 'b.svg'), SVG, 'SVG picture')
        .add(join(dir, 'c.txt'), 'c\n', 'report')
        .commit(),
    );
    expect(err.code).toBe('E_IO');
    expect(err.message).toContain(`${join(dir, 'c.txt')}: cannot write the report (EXDEV`);
    expect(readFileSync(join(dir, 'a.bin'), 'utf8')).toBe('old a\n');
    expect(readdirSync(dir)).toEqual(['a.bin']);
  });
});

describe('what the set refuses before writing anything', () => {
  it('an input of the command (read while the journal is open), even under another name', () => {
    const dir = folder();
    writeFileSync(join(dir, 'in.txt'), 'input\n');
    symlinkSync('in.txt', join(dir, 'alias.txt'));
    openInputJournal();
    try {
      readInputFile(join(dir, 'in.txt'), 'input');
      const err = crashplugErrorOf(() => new OutputSet().add(join(dir, 'new.bin'), HEADER, 'header').add(join(dir, 'alias.txt'), HEADER, 'copy').commit());
      expect(err.code).toBe('E_BAD_ARGUMENT');
      expect(err.message).toBe(
        `${join(dir, 'alias.txt')}: the copy would overwrite the input ${join(dir, 'in.txt')} (the same file); write it to another file`,
      );
    } finally {
      closeInputJournal();
    }
    expect(readFileSync(join(dir, 'in.txt'), 'utf8')).toBe('input\n');
    expect(readdirSync(dir).sort()).toEqual(['alias.txt', 'in.txt']);
  });

  it('a folder', () => {
    const dir = folder();
    fs.mkdirSync(join(dir, 'sub'));
    const err = crashplugErrorOf(() => new OutputSet().add(join(dir, 'sub'), HEADER, 'header').commit());
    expect(err.code).toBe('E_IO');
    expect(err.message).toContain('it is a folder; crashplug writes regular files, and character devices and FIFOs in place, nothing else');
  });
});

describe('what a replaced file keeps', () => {
  it('its permission bits', () => {
    const dir = folder();
    writeFileSync(join(dir, 'h.bin'), 'old\n', { mode: 0o600 });
    fs.chmodSync(join(dir, 'h.bin'), 0o600);
    new OutputSet().add(join(dir, 'h.bin'), HEADER, 'header').commit();
    expect(statSync(join(dir, 'h.bin')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'h.bin')).equals(Buffer.from(HEADER))).toBe(true);
  });
});
