// The JSON Schema shipped for the system description (schema/system.schema.json, draft 2020-12):
// ajv compiles it strictly, every system description in the repository validates against it, its
// top-level keys are exactly the ones crashplug reads (core's and the built-in ports' sections),
// its enums are the ports' own lists, and it refuses what the loader refuses — a format other than
// 1 — while the loader's own checks (E_FORMAT, overlapping RAM) are tested beside it.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { parseSystemJson } from '../api/system-file.js';
import { BACKUP_PHDR_BEHAVIOURS, REMOVE_MEM_RANGE_VARIANTS } from '../arch-powerpc/ppc-profile.js';
import { FADUMP_KEYS } from '../arch-powerpc/fadump-config.js';
import { CrashplugError } from '../core/base/index.js';
import { registryOf } from '../core/port/index.js';
import { SYSTEM_KEYS, type SystemFiles } from '../core/system/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'system.schema.json'), 'utf8')) as Record<string, any>;
// strictRequired off: "exactly one of" is written as oneOf of `required` lists naming properties declared beside it.
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
const validate = ajv.compile(schema);
const registry = registryOf(ARCH_MODULES);

/** Every .json file under the repository's sources that is a system description (it names an arch). */
function descriptions(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) descriptions(path, out);
    else if (name.endsWith('.json') && name !== 'package.json' && name !== 'package-lock.json') {
      const json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (typeof json === 'object' && json !== null && 'arch' in json && 'memory' in json) out.push(path);
    }
  }
  return out;
}

const FIXTURES = [...descriptions(join(ROOT, 'test')), ...descriptions(join(ROOT, 'examples'))];

function errorsOf(json: unknown): string[] {
  return validate(json) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const base = {
  arch: 'x86_64',
  memory: {
    ranges: [
      ['0x1000', '0x9fbff'],
      ['0x100000', '0x7fffffff'],
    ],
  },
  cpus: { possible: '0-1' },
  crashNotes: { base: '0x7f000000', stride: '0x1000' },
  vmcoreinfo: { address: '0x7e000000' },
  kernelImage: { text: '0xffffffff81000000', textPhys: '0x1000000', size: '0x2000000' },
};

const noFiles: SystemFiles = {
  readText: () => {
    throw new Error('no files here');
  },
  readBytes: () => {
    throw new Error('no files here');
  },
};

function loadError(json: unknown, files: SystemFiles = noFiles): CrashplugError {
  try {
    parseSystemJson(json, { origin: 'machine.json', baseDir: '/nowhere', registry, files });
  } catch (err) {
    if (CrashplugError.is(err)) return err;
    throw err;
  }
  throw new Error('expected the description to be refused');
}

describe('schema/system.schema.json', () => {
  it('is draft 2020-12 and compiles under ajv strict mode', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(typeof validate).toBe('function');
  });

  it("has exactly the top-level keys crashplug reads: core SYSTEM_KEYS and the built-in ports' sections", () => {
    expect(SYSTEM_KEYS).toContain('format');
    expect(Object.keys(schema.properties).sort()).toEqual([...SYSTEM_KEYS, ...registry.sectionKeys()].sort());
    expect(schema.additionalProperties).toBe(false);
  });

  it("uses the ports' own lists for their enums and keys", () => {
    expect(schema.properties.powerpc.properties.removeMemRange.enum).toEqual([...REMOVE_MEM_RANGE_VARIANTS]);
    expect(schema.properties.powerpc.properties.backupPhdr.enum).toEqual([...BACKUP_PHDR_BEHAVIOURS]);
    expect(Object.keys(schema.properties.fadump.properties).sort()).toEqual([...FADUMP_KEYS].sort());
  });

  it(`validates every system description in the repository (${FIXTURES.length} files)`, () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(14);
    const failures = FIXTURES.map((f) => ({ file: relative(ROOT, f), errors: errorsOf(JSON.parse(readFileSync(f, 'utf8'))) })).filter(
      (r) => r.errors.length > 0,
    );
    expect(failures).toEqual([]);
  });

  it('accepts "format": 1 and refuses any other format, an unknown key, two memory sources, a number for a range', () => {
    expect(errorsOf(base)).toEqual([]);
    expect(errorsOf({ ...base, format: 1 })).toEqual([]);
    expect(errorsOf({ ...base, format: 2 })).not.toEqual([]);
    expect(errorsOf({ ...base, format: '1' })).not.toEqual([]);
    expect(errorsOf({ ...base, pageOfset: '0x0' })).not.toEqual([]);
    expect(errorsOf({ ...base, memory: { ranges: [], iomem: 'proc-iomem.txt' } })).not.toEqual([]);
    expect(errorsOf({ ...base, crashkernel: 5 })).not.toEqual([]);
    expect(errorsOf({ ...base, crashNotes: { base: '0x0', stride: '0x100', addresses: { 0: '0x0' } } })).not.toEqual([]);
    expect(errorsOf({ ...base, vmcoreinfo: { address: '0x12345678901234567' } })).not.toEqual([]);
  });

  it('is in the package ("files")', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('schema/');
  });
});

describe('the loader and "format"', () => {
  it('reads a description with "format": 1 exactly as one without it', () => {
    const a = parseSystemJson(base, { origin: 'a.json', baseDir: '/', registry, files: noFiles });
    const b = parseSystemJson({ format: 1, ...base }, { origin: 'a.json', baseDir: '/', registry, files: noFiles });
    // The kernel profile's atLeast is a fresh closure per load: compare the data.
    const data = (x: object): string => JSON.stringify({ ...x, origin: '' }, (_, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));
    expect(data(b)).toBe(data(a));
  });

  it.each([[2], ['1'], [0], [null], [1.5]])('refuses "format": %j with E_FORMAT, before it looks at any other key', (format) => {
    // An unknown key too: a newer format's keys must not be reported as typos.
    const e = loadError({ ...base, format, someNewKey: true });
    expect(e.code).toBe('E_FORMAT');
    expect(e.message).toMatch(/^machine\.json: \$\.format: .* is not a system description format this crashplug reads \(it reads format 1/);
  });
});

describe('overlapping RAM is refused (it would give overlapping PT_LOADs)', () => {
  it('in memory.ranges, naming both ranges, in any order', () => {
    const e = loadError({
      ...base,
      memory: {
        ranges: [
          ['0x100000', '0x7fffffff'],
          ['0x1000', '0x9fbff'],
          ['0x7fff0000', '0x8fffffff'],
        ],
      },
    });
    expect(e.code).toBe('E_BAD_SYSTEM');
    expect(e.message).toContain('$.memory.ranges[2]: [0x7fff0000, 0x8fffffff] overlaps $.memory.ranges[0] [0x100000, 0x7fffffff]');
    // A range inside another, far down an unsorted list: sorted once, so found however far apart.
    const inside = loadError({
      ...base,
      memory: {
        ranges: [
          ['0x0', '0xfffffff'],
          ['0x20000000', '0x2fffffff'],
          ['0x1000', '0x1fff'],
        ],
      },
    });
    expect(inside.message).toContain('$.memory.ranges[2]: [0x1000, 0x1fff] overlaps $.memory.ranges[0]');
  });

  it('but not ranges that only touch', () => {
    const s = parseSystemJson(
      {
        ...base,
        memory: {
          ranges: [
            ['0x0', '0xfff'],
            ['0x1000', '0x1fff'],
          ],
        },
      },
      { origin: 'a.json', baseDir: '/', registry, files: noFiles },
    );
    expect(s.memory.systemRam).toHaveLength(2);
  });

  it('in /proc/iomem System RAM lines, naming both lines', () => {
    const iomem = ['00001000-0009fbff : System RAM', '00100000-7fffffff : System RAM', '7ff00000-8fffffff : System RAM', ''].join('\n');
    const files: SystemFiles = { readText: () => iomem, readBytes: () => new Uint8Array() };
    const e = loadError({ ...base, memory: { iomem: 'proc-iomem.txt' } }, files);
    expect(e.code).toBe('E_BAD_IOMEM');
    expect(e.message).toMatch(/proc-iomem\.txt:3: System RAM 7ff00000-8fffffff overlaps the System RAM of line 2 \(100000-7fffffff\)/);
  });

  it('while every real capture still loads', () => {
    for (const f of FIXTURES.filter((p) => p.includes(`${'real-'}`))) {
      expect(() => parseSystemJson(JSON.parse(readFileSync(f, 'utf8')), { origin: f, baseDir: dirname(f), registry }), f).not.toThrow();
    }
  });
});
