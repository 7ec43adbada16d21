// The system description reader: the real x86_64 machine's file, every default README.md names,
// the caller's overrides, and for each field a bad value whose message names its JSON path.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { x86Module } from '../arch-x86/index.js';
import type { ErrorCode } from '../core/base/index.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { registryOf } from '../core/port/index.js';
import { DEFAULT_KERNEL_CONFIG, NEWEST_KERNEL, type SystemDescription, type SystemOverrides } from '../core/system/index.js';
import { crashplugErrorOf as errorOf } from './support/errors.js';
import { loadSystemFile, parseSystemJson } from '../api/system-file.js';

const registry = registryOf([x86Module]);
const REAL_DIR = fileURLToPath(new URL('fixtures/real-x86_64-6.1', import.meta.url));
/** The header the real machine's kernel wrote (test/real-x86_64-6.1.test.ts holds it against more). */
const REAL_HEADER = join(REAL_DIR, 'elfcorehdr-kernel-kexec_file.bin');
const tmp = mkdtempSync(join(tmpdir(), 'crashplug-system-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small valid description; each test changes what it is about. */
function minimal(): Record<string, unknown> {
  return {
    arch: 'x86_64',
    memory: {
      ranges: [
        ['0x1000', '0x9fbff'],
        ['0x100000', '0xbfffffff'],
      ],
    },
    cpus: { possible: '0-3' },
    crashNotes: { base: '0x1000000', stride: '0x1000' },
    vmcoreinfo: { address: '0x2000000' },
  };
}

function parse(json: unknown, overrides?: SystemOverrides): SystemDescription {
  return parseSystemJson(json, { origin: 'sys.json', baseDir: tmp, registry, overrides });
}

/** `minimal()` with one dotted field set, or removed when `value` is undefined. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const json = minimal();
  const keys = path.split('.');
  let node = json;
  for (const k of keys.slice(0, -1)) {
    node[k] ??= {};
    node = node[k] as Record<string, unknown>;
  }
  if (value === undefined) delete node[keys.at(-1)!];
  else node[keys.at(-1)!] = value;
  return json;
}

function writeTmp(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('loadSystemFile', () => {
  describe('when reading the real x86_64 6.1 machine', () => {
    const system = loadSystemFile(`${REAL_DIR}/system.json`, registry);

    it('reads System RAM from the iomem file next to it, as three unmerged ranges', () => {
      expect(system.memory.source).toBe('iomem');
      expect(system.memory.origin).toBe(`${REAL_DIR}/proc-iomem.txt`);
      expect(system.memory.systemRam).toEqual([
        { name: 'System RAM', start: 0x1000n, end: 0x9fbffn },
        { name: 'System RAM', start: 0x100000n, end: 0x7ffdefffn },
        { name: 'System RAM', start: 0x100000000n, end: 0x17fffffffn },
      ]);
      expect(system.memory.iomem).toHaveLength(21);
    });

    it('takes crashkernel from the Crash kernel line and has no low reservation', () => {
      expect(system.crashkernel).toEqual({ start: 0x6f000000n, end: 0x7effffffn });
      expect(system.crashkernelLow).toBeUndefined();
    });

    it('keeps every value the file gives', () => {
      expect(system).toMatchObject({
        arch: 'x86_64',
        origin: `${REAL_DIR}/system.json`,
        cpus: { possible: [0, 1], present: [0, 1], online: [0, 1] },
        crashNotes: { kind: 'stride', base: 0x17bc3a600n, stride: 0x100000n },
        vmcoreinfo: { address: 0x10031a000n, size: 0x1024n },
        kernelImage: { text: 0xffffffffaa600000n, textPhys: 0x12e200000n, size: 0x3430000n },
        pageOffset: 0xffff8ce840000000n,
        pageSize: 4096,
        builder: 'kernel',
      });
      expect(system.kernel.version).toBe('6.1');
    });

    it('fills the defaults: physOffset and config, and leaves backupStart to the port', () => {
      expect(system.physOffset).toBe(0x1000n);
      expect(system.backupStart).toBeUndefined();
      expect(system.config).toEqual(DEFAULT_KERNEL_CONFIG);
    });

    it('describes the machine well enough to rebuild the header its kernel wrote, byte for byte', () => {
      const real = readFileSync(REAL_HEADER);
      const built = buildSystemElfcorehdr(system, registry.get('x86_64'));
      expect(Buffer.from(built.bytes.subarray(0, real.length)).equals(real)).toBe(true);
    });
  });

  describe('when the file does not exist', () => {
    it('fails with E_IO naming the path', () => {
      const err = errorOf(() => loadSystemFile(join(tmp, 'nope.json'), registry));
      expect(err.code).toBe('E_IO');
      expect(err.message).toContain(`${join(tmp, 'nope.json')}: cannot read the system description (ENOENT`);
    });
  });

  describe('when the file is not valid JSON', () => {
    it('names the line and column V8 reports', () => {
      const path = writeTmp('bad-syntax.json', '{\n  "arch": "x86_64",\n  "cpus" 2\n}\n');
      const err = errorOf(() => loadSystemFile(path, registry));
      expect(err.code).toBe('E_BAD_SYSTEM');
      expect(err.message).toMatch(new RegExp(`^${path}:3:10: not valid JSON \\(.*\\); fix the syntax there$`));
    });

    it('points at the end when the input stops early', () => {
      const path = writeTmp('truncated.json', '{\n  "arch": "x86_64"');
      expect(errorOf(() => loadSystemFile(path, registry)).message).toMatch(new RegExp(`^${path}:2:19: not valid JSON`));
    });

    it('still names the file when V8 gives no position', () => {
      const path = writeTmp('trailing-comma.json', '{"arch": "x86_64",}');
      const err = errorOf(() => loadSystemFile(path, registry));
      expect(err.code).toBe('E_BAD_SYSTEM');
      expect(err.message).toMatch(new RegExp(`^${path}(:1:\\d+)?: not valid JSON`));
    });
  });

  describe('when the file starts with a byte-order mark', () => {
    it('reads it', () => {
      const path = writeTmp('bom.json', `\uFEFF${JSON.stringify(minimal())}`);
      expect(loadSystemFile(path, registry).arch).toBe('x86_64');
    });
  });

  describe('when overrides are given', () => {
    it('they win over the file', () => {
      const system = loadSystemFile(`${REAL_DIR}/system.json`, registry, { kernel: '6.10', builder: 'kexec-tools' });
      expect(system.kernel.version).toBe('6.10');
      expect(system.builder).toBe('kexec-tools');
    });
  });
});

describe('parseSystemDescription', () => {
  describe('when only the required fields are given', () => {
    const system = parse(minimal());

    it('takes present and online from possible', () => {
      expect(system.cpus).toEqual({ possible: [0, 1, 2, 3], present: [0, 1, 2, 3], online: [0, 1, 2, 3] });
    });

    it('sizes the vmcoreinfo note for 4 KiB pages (0x1024)', () => {
      expect(system.vmcoreinfo).toEqual({ address: 0x2000000n, size: 0x1024n });
    });

    it('takes pageOffset and pageSize from the x86 port', () => {
      expect(system.pageOffset).toBe(0xffff888000000000n);
      expect(system.pageSize).toBe(4096);
    });

    it('uses the newest kernel profile and the kernel builder', () => {
      expect(system.kernel.version).toBe(NEWEST_KERNEL);
      expect(system.kernel.cpuNotes).toBe('possible');
      expect(system.builder).toBe('kernel');
    });

    it('uses the ranges as given, named System RAM', () => {
      expect(system.memory).toEqual({
        source: 'ranges',
        origin: 'sys.json: $.memory.ranges',
        systemRam: [
          { name: 'System RAM', start: 0x1000n, end: 0x9fbffn },
          { name: 'System RAM', start: 0x100000n, end: 0xbfffffffn },
        ],
      });
    });

    it('has no crash reservation, kernel image or backup region, and the default config', () => {
      expect(system.crashkernel).toBeUndefined();
      expect(system.crashkernelLow).toBeUndefined();
      expect(system.kernelImage).toBeUndefined();
      expect(system.backupStart).toBeUndefined();
      expect(system.config).toEqual({ nrCpusDefault: 64, crashMaxMemoryRanges: 8192, memoryHotplug: true, crashHotplug: true });
      expect(system.origin).toBe('sys.json');
    });
  });

  describe('when the page size is 64 KiB', () => {
    it('sizes the vmcoreinfo note 0x10024', () => {
      expect(parse(withField('pageSize', 65536)).vmcoreinfo.size).toBe(0x10024n);
      expect(parse(withField('pageSize', '64K')).vmcoreinfo.size).toBe(0x10024n);
    });
  });

  describe('when only present is given', () => {
    it('takes online from present, so the sets stay consistent', () => {
      expect(parse(withField('cpus.present', '0-1')).cpus).toEqual({ possible: [0, 1, 2, 3], present: [0, 1], online: [0, 1] });
    });
  });

  describe('when ranges are out of order and adjacent', () => {
    it('keeps their order, does not merge them, and takes physOffset from the lowest start', () => {
      const system = parse(
        withField('memory.ranges', [
          ['0x80000000', '0xbfffffff'],
          ['0x40000000', '0x7fffffff'],
        ]),
      );
      expect(system.memory.systemRam.map((r) => r.start)).toEqual([0x80000000n, 0x40000000n]);
      expect(system.physOffset).toBe(0x40000000n);
    });
  });

  describe('when 64-bit values are JSON numbers or sizes', () => {
    it('accepts safe integers and parseU64 sizes', () => {
      const json = withField('crashNotes', { base: 16777216, stride: '4K' });
      expect(parse(json).crashNotes).toEqual({ kind: 'stride', base: 0x1000000n, stride: 0x1000n });
    });
  });

  describe('when every optional field is given', () => {
    it('keeps them all', () => {
      const json = {
        ...minimal(),
        vmcoreinfo: { address: '0x2000000', size: '0x2000' },
        crashkernel: ['0x20000000', '0x2fffffff'],
        crashkernelLow: ['0x1000000', '0x1ffffff'],
        kernelImage: { text: '0xffffffff81000000', textPhys: '0x1000000', size: '0x2000000' },
        pageOffset: '0xffff888000000000',
        physOffset: '0x0',
        backupStart: '0x30000000',
        kernel: '6.6',
        builder: 'kexec-tools',
        config: { nrCpusDefault: 8192, crashMaxMemoryRanges: 32, memoryHotplug: false, crashHotplug: false },
      };
      expect(parse(json)).toMatchObject({
        vmcoreinfo: { size: 0x2000n },
        crashkernel: { start: 0x20000000n, end: 0x2fffffffn },
        crashkernelLow: { start: 0x1000000n, end: 0x1ffffffn },
        kernelImage: { text: 0xffffffff81000000n, textPhys: 0x1000000n, size: 0x2000000n },
        physOffset: 0n,
        backupStart: 0x30000000n,
        builder: 'kexec-tools',
        config: { nrCpusDefault: 8192, crashMaxMemoryRanges: 32, memoryHotplug: false, crashHotplug: false },
      });
      expect(parse(json).kernel.version).toBe('6.6');
    });
  });

  describe('when config is partly given', () => {
    it('fills the rest from the defaults', () => {
      expect(parse(withField('config', { nrCpusDefault: 8192 })).config).toEqual({ ...DEFAULT_KERNEL_CONFIG, nrCpusDefault: 8192 });
    });
  });

  describe('when crash notes are one address per CPU', () => {
    it('reads the table', () => {
      const json = withField('crashNotes', { addresses: { 0: '0x1000', 1: '0x2000', 2: '0x803000', 3: '0x804000' } });
      const notes = parse(json).crashNotes;
      expect(notes.kind).toBe('table');
      expect(notes.kind === 'table' && [...notes.addresses]).toEqual([
        [0, 0x1000n],
        [1, 0x2000n],
        [2, 0x803000n],
        [3, 0x804000n],
      ]);
    });
  });

  describe('when memory comes from an iomem file with two Crash kernel lines', () => {
    const iomem = [
      '00001000-0009fbff : System RAM',
      '00100000-7ffdefff : System RAM',
      '  6f000000-7effffff : Crash kernel',
      '100000000-17fffffff : System RAM',
      '  170000000-17fffffff : Crash kernel',
    ].join('\n');
    writeTmp('two-crash.iomem', iomem);

    it('takes the lower as crashkernelLow and the higher as crashkernel', () => {
      const system = parse(withField('memory', { iomem: 'two-crash.iomem' }));
      expect(system.crashkernel).toEqual({ start: 0x170000000n, end: 0x17fffffffn });
      expect(system.crashkernelLow).toEqual({ start: 0x6f000000n, end: 0x7effffffn });
      expect(system.backupStart).toBeUndefined();
    });

    it('lets the description override each one', () => {
      const json = { ...withField('memory', { iomem: 'two-crash.iomem' }), crashkernel: ['0x160000000', '0x16fffffff'] };
      const system = parse(json);
      expect(system.crashkernel).toEqual({ start: 0x160000000n, end: 0x16fffffffn });
      expect(system.crashkernelLow).toEqual({ start: 0x6f000000n, end: 0x7effffffn });
    });

    it('reads an absolute path as it is', () => {
      expect(parse(withField('memory', { iomem: join(tmp, 'two-crash.iomem') })).memory.systemRam).toHaveLength(3);
    });
  });

  describe('when an override is given', () => {
    it('the kernel override wins over the description and is checked', () => {
      expect(parse({ ...minimal(), kernel: '6.1' }, { kernel: '6.6' }).kernel.version).toBe('6.6');
      expect(errorOf(() => parse(minimal(), { kernel: 'new' })).message).toMatch(/^kernel override: "new" is not a kernel version/);
    });

    it('the builder override wins and must be a builder', () => {
      expect(parse({ ...minimal(), builder: 'kernel' }, { builder: 'kexec-tools' }).builder).toBe('kexec-tools');
      const err = errorOf(() => parse(minimal(), { builder: 'kexec' as 'kernel' }));
      expect(err.code).toBe('E_BAD_ARGUMENT');
      expect(err.message).toBe('builder override: "kexec" is not a header builder; use "kernel" or "kexec-tools"');
    });

    it('undefined overrides change nothing', () => {
      expect(parse({ ...minimal(), kernel: '6.1' }, { kernel: undefined, builder: undefined }).kernel.version).toBe('6.1');
    });
  });

  describe('when a field is wrong', () => {
    const bad: [string, () => unknown, ErrorCode, string | RegExp][] = [
      ['the top level is an array', () => [], 'E_BAD_SYSTEM', /^sys\.json: \$: expected an object, got an array of 0; write it as \{ "arch": …/],
      [
        'a top-level key is unknown',
        () => ({ ...minimal(), crashkernal: ['0x0', '0x1'] }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.crashkernal: unknown key "crashkernal"; did you mean "crashkernel"\? the known keys are "arch", "memory", .*"builder", "config"$/,
      ],
      [
        'a nested key is unknown',
        () => withField('cpus.presnt', '0'),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.cpus\.presnt: unknown key "presnt"; did you mean "present"\?/,
      ],
      ['arch is missing', () => withField('arch', undefined), 'E_BAD_SYSTEM', 'sys.json: $.arch: missing; give the architecture, one of "x86_64"'],
      ['arch is not a string', () => withField('arch', 64), 'E_BAD_SYSTEM', /^sys\.json: \$\.arch: expected a string, got number 64/],
      [
        'arch has no port',
        () => withField('arch', 'riscv64'),
        'E_UNKNOWN_ARCH',
        'sys.json: $.arch: no port for "riscv64"; the ports loaded are "x86_64" (a port outside crashplug is loaded with --port MODULE or CRASHPLUG_PORTS)',
      ],
      ['memory is missing', () => withField('memory', undefined), 'E_BAD_SYSTEM', /^sys\.json: \$\.memory: missing; /],
      ['memory has no source', () => withField('memory', {}), 'E_BAD_SYSTEM', /^sys\.json: \$\.memory: no memory source; give exactly one of memory\.iomem/],
      [
        'memory has two sources',
        () => withField('memory', { iomem: 'x', ranges: [] }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.memory: has both "iomem" and "ranges"; /,
      ],
      [
        'memory.dtb does not exist',
        () => withField('memory', { dtb: 'x.dtb' }),
        'E_IO',
        new RegExp(`^sys\\.json: \\$\\.memory\\.dtb: cannot read ${join(tmp, 'x.dtb')} \\(ENOENT`),
      ],
      [
        'memory.dtb is not a string',
        () => withField('memory', { dtb: true }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.memory\.dtb: expected a string, got boolean true; give the path of a flattened device tree blob/,
      ],
      [
        'memory has a dtb and ranges',
        () => withField('memory', { dtb: 'x.dtb', ranges: [] }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.memory: has both "dtb" and "ranges"; give exactly one of memory\.iomem .*memory\.dtb/,
      ],
      [
        'memory.ranges is not an array',
        () => withField('memory.ranges', '0x0-0x1'),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.memory\.ranges: expected an array of ranges/,
      ],
      [
        'a range is reversed',
        () =>
          withField('memory.ranges', [
            ['0x0', '0xfff'],
            ['0x2000', '0x1fff'],
          ]),
        'E_BAD_SYSTEM',
        'sys.json: $.memory.ranges[1]: start 0x2000 is above end 0x1fff; the end is inclusive and at least the start',
      ],
      [
        'a range has three values',
        () => withField('memory.ranges', [['0x0', '0x1', '0x2']]),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.memory\.ranges\[0\]: expected a range \["0x…", "0x…"\], got an array of 3/,
      ],
      [
        'a range end is not hex',
        () => withField('memory.ranges', [['0x0', 'ffff']]),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.memory\.ranges\[0\]\[1\]: "ffff" is not a hex number; /,
      ],
      [
        'memory.iomem is not a string',
        () => withField('memory', { iomem: 1 }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.memory\.iomem: expected a string, got number 1/,
      ],
      [
        'memory.iomem does not exist',
        () => withField('memory', { iomem: 'missing.txt' }),
        'E_IO',
        new RegExp(`^sys\\.json: \\$\\.memory\\.iomem: cannot read ${join(tmp, 'missing.txt')} \\(ENOENT`),
      ],
      ['cpus is missing', () => withField('cpus', undefined), 'E_BAD_SYSTEM', /^sys\.json: \$\.cpus: missing; /],
      ['cpus.possible is missing', () => withField('cpus', {}), 'E_BAD_SYSTEM', /^sys\.json: \$\.cpus\.possible: missing; give the possible CPUs/],
      [
        'cpus.possible is empty',
        () => withField('cpus.possible', ''),
        'E_BAD_SYSTEM',
        'sys.json: $.cpus.possible: is empty; a machine has at least one possible CPU',
      ],
      ['cpus.possible is a number', () => withField('cpus.possible', 4), 'E_BAD_SYSTEM', /^sys\.json: \$\.cpus\.possible: expected a string, got number 4/],
      [
        'cpus.possible is not a cpulist',
        () => withField('cpus.possible', '0-3,x'),
        'E_BAD_CPULIST',
        /^sys\.json: \$\.cpus\.possible: "x" is not a CPU number or range/,
      ],
      [
        'a present CPU is not possible',
        () => withField('cpus.present', '0-5'),
        'E_BAD_SYSTEM',
        'sys.json: $.cpus.present: CPUs 4-5 are present but not possible (possible: 0-3); every present CPU must also be possible',
      ],
      [
        'an online CPU is not present',
        () => withField('cpus', { possible: '0-3', present: '0-1', online: '0,2' }),
        'E_BAD_SYSTEM',
        'sys.json: $.cpus.online: CPU 2 is online but not present (present: 0-1); every online CPU must also be present',
      ],
      ['crashNotes is missing', () => withField('crashNotes', undefined), 'E_BAD_SYSTEM', /^sys\.json: \$\.crashNotes: missing; /],
      [
        'crashNotes.stride is not hex',
        () => withField('crashNotes.stride', '0x10g'),
        'E_BAD_SYSTEM',
        'sys.json: $.crashNotes.stride: "0x10g" is not a hex number; write 64-bit values as "0x…" strings',
      ],
      [
        'crashNotes.stride is missing',
        () => withField('crashNotes.stride', undefined),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.crashNotes\.stride: missing; give either crashNotes\.base and crashNotes\.stride, or crashNotes\.addresses/,
      ],
      [
        'crashNotes has both forms',
        () => withField('crashNotes.addresses', { 0: '0x1' }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.crashNotes: has both addresses and base\/stride; /,
      ],
      [
        'crashNotes.addresses misses CPUs',
        () => withField('crashNotes', { addresses: { 0: '0x1000', 2: '0x3000' } }),
        'E_BAD_SYSTEM',
        'sys.json: $.crashNotes.addresses: no address for CPUs 1,3; give one address per possible CPU',
      ],
      [
        'crashNotes.addresses names an impossible CPU',
        () => withField('crashNotes', { addresses: { 0: '0x1', 1: '0x2', 2: '0x3', 3: '0x4', 9: '0x5' } }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.crashNotes\.addresses\["9"\]: CPU 9 is not possible \(possible: 0-3\); /,
      ],
      [
        'crashNotes.addresses has a key that is not a CPU',
        () => withField('crashNotes', { addresses: { cpu0: '0x1' } }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.crashNotes\.addresses\.cpu0: "cpu0" is not a CPU number; /,
      ],
      [
        'crashNotes.addresses is not an object',
        () => withField('crashNotes', { addresses: null }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.crashNotes\.addresses: expected an object, got null/,
      ],
      [
        'crash notes run past 2^64',
        () => withField('crashNotes', { base: '0xffffffffffffff00', stride: '0x100' }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.crashNotes: CPU 3's notes would lie past 2\^64; /,
      ],
      ['vmcoreinfo is missing', () => withField('vmcoreinfo', undefined), 'E_BAD_SYSTEM', /^sys\.json: \$\.vmcoreinfo: missing; /],
      ['vmcoreinfo.address is missing', () => withField('vmcoreinfo', { size: '0x1024' }), 'E_BAD_SYSTEM', /^sys\.json: \$\.vmcoreinfo\.address: missing; /],
      [
        'vmcoreinfo.size is negative',
        () => withField('vmcoreinfo.size', -1),
        'E_BAD_SYSTEM',
        'sys.json: $.vmcoreinfo.size: -1 is negative; addresses and sizes are unsigned',
      ],
      ['crashkernel is not a range', () => withField('crashkernel', '0x1000'), 'E_BAD_SYSTEM', /^sys\.json: \$\.crashkernel: expected a range/],
      [
        'crashkernelLow is reversed',
        () => withField('crashkernelLow', ['0x2', '0x1']),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.crashkernelLow: start 0x2 is above end 0x1; /,
      ],
      [
        'kernelImage lacks size',
        () => withField('kernelImage', { text: '0x1', textPhys: '0x1' }),
        'E_BAD_SYSTEM',
        'sys.json: $.kernelImage.size: missing; give _end − _text',
      ],
      [
        'kernelImage has an unknown key',
        () => withField('kernelImage', { text: '0x1', textPhys: '0x1', size: '0x1', end: '0x2' }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.kernelImage\.end: unknown key "end"; /,
      ],
      [
        'pageOffset is not a safe integer',
        () => withField('pageOffset', 18446612682702848000),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.pageOffset: 18446612682702848000 is not a safe integer, so JSON cannot carry it exactly; write 64-bit values as "0x…" strings$/,
      ],
      [
        'pageOffset does not fit in 64 bits',
        () => withField('pageOffset', '0x1ffffffffffffffff'),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.pageOffset: "0x1ffffffffffffffff" does not fit in 64 bits; /,
      ],
      [
        'pageOffset is a boolean',
        () => withField('pageOffset', true),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.pageOffset: expected a "0x…" string, got boolean true; /,
      ],
      ['physOffset is not hex', () => withField('physOffset', 'zero'), 'E_BAD_SYSTEM', /^sys\.json: \$\.physOffset: "zero" is not a hex number/],
      ['backupStart is not hex', () => withField('backupStart', '0x'), 'E_BAD_SYSTEM', /^sys\.json: \$\.backupStart: "0x" is not a hex number/],
      [
        'pageSize is not a power of two',
        () => withField('pageSize', 6000),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.pageSize: 6000 is not a power of two of at least 4096; /,
      ],
      ['pageSize is below 4096', () => withField('pageSize', 1024), 'E_BAD_SYSTEM', /^sys\.json: \$\.pageSize: 1024 is not a power of two of at least 4096/],
      ['pageSize is not a number', () => withField('pageSize', 'big'), 'E_BAD_SYSTEM', /^sys\.json: \$\.pageSize: "big" is not a hex number/],
      ['kernel is not a version', () => withField('kernel', 'six'), 'E_BAD_SYSTEM', /^sys\.json: \$\.kernel: "six" is not a kernel version/],
      [
        'kernel is a JSON number',
        () => withField('kernel', 6.1),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.kernel: expected a string, got the number 6\.1; quote the version/,
      ],
      ['kernel is too old', () => withField('kernel', '4.19'), 'E_BAD_SYSTEM', /^sys\.json: \$\.kernel: kernel 4\.19 is older than 5\.4/],
      [
        'builder is unknown',
        () => withField('builder', 'kexec'),
        'E_BAD_SYSTEM',
        'sys.json: $.builder: "kexec" is not a header builder; use "kernel" or "kexec-tools"',
      ],
      ["a port's section is given without its port", () => withField('fadump', {}), 'E_BAD_SYSTEM', /^sys\.json: \$\.fadump: unknown key "fadump"; /],
      ['config is not an object', () => withField('config', 'maxsmp'), 'E_BAD_SYSTEM', /^sys\.json: \$\.config: expected an object, got "maxsmp"/],
      [
        'config has an unknown key',
        () => withField('config', { nrCpus: 8192 }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.config\.nrCpus: unknown key "nrCpus"; did you mean "nrCpusDefault"\?/,
      ],
      [
        'config.nrCpusDefault is zero',
        () => withField('config', { nrCpusDefault: 0 }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.config\.nrCpusDefault: number 0 is not an integer ≥ 1; /,
      ],
      [
        'config.memoryHotplug is not a boolean',
        () => withField('config', { memoryHotplug: 'yes' }),
        'E_BAD_SYSTEM',
        /^sys\.json: \$\.config\.memoryHotplug: expected true or false, got "yes"/,
      ],
    ];
    for (const [what, json, code, message] of bad) {
      it(`says where when ${what}`, () => {
        const err = errorOf(() => parse(json()));
        expect(err.code).toBe(code);
        if (typeof message === 'string') expect(err.message).toBe(message);
        else expect(err.message).toMatch(message);
      });
    }

    it("passes the iomem reader's error on with the file and line", () => {
      writeTmp('bad.iomem', '00001000-0009fbff : System RAM\nnonsense\n');
      const err = errorOf(() => parse(withField('memory', { iomem: 'bad.iomem' })));
      expect(err.code).toBe('E_BAD_IOMEM');
      expect(err.message).toMatch(new RegExp(`^${join(tmp, 'bad.iomem')}:2: "nonsense" is not a resource line`));
    });

    it('reports an iomem file with three Crash kernel lines', () => {
      writeTmp(
        'three-crash.iomem',
        [
          '00100000-7ffdefff : System RAM',
          '  10000000-1fffffff : Crash kernel',
          '  20000000-2fffffff : Crash kernel',
          '  30000000-3fffffff : Crash kernel',
        ].join('\n'),
      );
      const err = errorOf(() => parse(withField('memory', { iomem: 'three-crash.iomem' })));
      expect(err.code).toBe('E_BAD_IOMEM');
      expect(err.message).toMatch(/three-crash\.iomem:4: 3 "Crash kernel" lines \(lines 2, 3, 4\)/);
    });
  });
});
