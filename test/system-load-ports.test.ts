// The system description reader's two ways of serving ports: memory from a device tree blob
// (`memory.dtb`, with the parsed tree kept for the port) and the top-level sections ports declare
// (`extensionKeys`), carried raw in `SystemDescription.extensions`.

import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { arm64Module } from '../arch-arm64/index.js';
import { powerpcModule } from '../arch-powerpc/index.js';
import { x86Module } from '../arch-x86/index.js';

import { fdtLookup } from '../core/fdt/index.js';
import { type ArchPort, PluginRegistry, registryOf } from '../core/port/index.js';
import { type SystemDescription } from '../core/system/index.js';
import { crashplugErrorOf as errorOf } from './support/errors.js';
import { parseSystemJson } from '../api/system-file.js';
import { EM_X86_64 } from '../arch-x86/index.js';

const FIXTURES = fileURLToPath(new URL('fixtures', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'crashplug-system-ports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const all = registryOf([x86Module, arm64Module, powerpcModule]);
const x86Only = registryOf([x86Module]);

function parse(json: unknown, registry: PluginRegistry = all): SystemDescription {
  return parseSystemJson(json, { origin: 'sys.json', baseDir: tmp, registry });
}

function description(arch: string, memory: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { arch, memory, cpus: { possible: '0-3' }, crashNotes: { base: '0x48000000', stride: '0x10000' }, vmcoreinfo: { address: '0x49000000' }, ...extra };
}

/** A fixture blob written plain into the temp folder (the arm64 dumps are stored gzipped). */
function plainDtb(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

const numa2 = gunzipSync(readFileSync(join(FIXTURES, 'arm64', 'virt-numa2.dtb.gz')));

describe('memory.dtb', () => {
  describe('when the blob is a QEMU arm64 dump with two NUMA nodes', () => {
    const path = plainDtb('virt-numa2.dtb', numa2);
    const system = parse(description('arm64', { dtb: 'virt-numa2.dtb' }));

    it('reads memblock’s regions, one per node, split at 0xc0000000', () => {
      expect(system.memory).toMatchObject({ source: 'dtb', origin: path });
      expect(system.memory.systemRam).toEqual([
        { name: 'System RAM', start: 0x4000_0000n, end: 0xbfff_ffffn, nid: 0 },
        { name: 'System RAM', start: 0xc000_0000n, end: 0x1_3fff_ffffn, nid: 1 },
      ]);
    });

    it('keeps the parsed tree for the port, and takes physOffset from its lowest RAM', () => {
      expect(system.memory.fdt?.origin).toBe(path);
      expect(fdtLookup(system.memory.fdt!, '/cpus')).toBeDefined();
      expect(system.physOffset).toBe(0x4000_0000n);
    });
  });

  describe('when the blob is a pseries tree with a hot-plugged DIMM’s LMBs', () => {
    it('merges the LMBs into node 1’s region, not node 0’s (facts §13.3)', () => {
      const system = parse(
        description('ppc64le', { dtb: join(FIXTURES, 'powerpc', 'pseries-numa-dimm-cas.dtb') }, { crashkernel: ['0x20000000', '0x2fffffff'] }),
      );
      expect(system.memory.systemRam.map((r) => [r.start, r.end, r.nid])).toEqual([
        [0n, 0x3fff_ffffn, 0],
        [0x4000_0000n, 0xbfff_ffffn, 1],
      ]);
      expect(fdtLookup(system.memory.fdt!, '/rtas')).toBeDefined();
    });
  });

  describe('when the blob is bad', () => {
    it('refuses a truncated blob with E_BAD_FDT, naming the file and the byte', () => {
      const path = plainDtb('short.dtb', numa2.subarray(0, 200));
      const err = errorOf(() => parse(description('arm64', { dtb: 'short.dtb' })));
      expect(err.code).toBe('E_BAD_FDT');
      expect(err.message).toMatch(new RegExp(`^${path}: byte \\d+ \\(0x[0-9a-f]+\\): `));
    });

    it('refuses a gzipped blob: it is read as it is, and its magic is wrong', () => {
      plainDtb('zipped.dtb', readFileSync(join(FIXTURES, 'arm64', 'virt-numa2.dtb.gz')));
      const err = errorOf(() => parse(description('arm64', { dtb: 'zipped.dtb' })));
      expect(err.code).toBe('E_BAD_FDT');
      expect(err.message).toMatch(/zipped\.dtb: byte 0 \(0x0\): /);
    });
  });
});

describe('sections a port declares', () => {
  it('lists the loaded ports’ keys, sorted, once each', () => {
    expect(all.sectionKeys()).toEqual(['arm64', 'fadump', 'powerpc']);
    expect(x86Only.sectionKeys()).toEqual([]);
  });

  it('parses the port’s own sections once, at load, into extensions', () => {
    const system = parse(description('arm64', { ranges: [['0x40000000', '0x7fffffff']] }, { arm64: { crashHotplug: true } }));
    expect(system.extensions).toEqual({ arm64: { crashHotplug: true } });
    const ppc = parse(description('ppc64le', { ranges: [['0x0', '0x7fffffff']] }, { powerpc: { removeMemRange: 'exact' } }));
    expect(ppc.extensions).toEqual({ powerpc: { removeMemRange: 'exact', backupPhdr: undefined, rtas: undefined, opal: undefined } });
  });

  it('refuses a section only another port reads, naming that port and the fix', () => {
    const fadump = { bootMemoryDest: '0x40020000', reservedArea: ['0x40000000', '0x8002ffff'] };
    const err = errorOf(() => parse(description('x86_64', { ranges: [['0x100000', '0x7fffffff']] }, { fadump })));
    expect(err.code).toBe('E_BAD_SYSTEM');
    expect(err.message).toMatch(
      /^sys\.json: \$\.fadump: the "fadump" section is read by the ppc64, ppc64le ports, not by x86_64; remove it, or set "arch" to "ppc64" or "ppc64le"$/,
    );
  });

  it('refuses an unknown key inside a port’s section with core’s "did you mean"', () => {
    const err = errorOf(() => parse(description('arm64', { ranges: [['0x40000000', '0x7fffffff']] }, { arm64: { crashHotplg: true } })));
    expect(err.message).toMatch(/^sys\.json: \$\.arm64\.crashHotplg: unknown key "crashHotplg"; did you mean "crashHotplug"\?/);
  });

  it('gives an empty extensions object when no section is given', () => {
    expect(parse(description('x86_64', { ranges: [['0x100000', '0x7fffffff']] })).extensions).toEqual({});
  });

  it('refuses a section that is not an object, naming its path', () => {
    const err = errorOf(() => parse(description('ppc64le', { ranges: [['0x0', '0x7fffffff']] }, { fadump: true })));
    expect(err.code).toBe('E_BAD_SYSTEM');
    expect(err.message).toMatch(/^sys\.json: \$\.fadump: expected an object, got boolean true/);
  });

  it('names the ports’ keys among the known ones when a key is unknown, and suggests the nearest', () => {
    const err = errorOf(() => parse(description('ppc64le', { ranges: [['0x0', '0x7fffffff']] }, { fadupm: {} })));
    expect(err.message).toMatch(
      /^sys\.json: \$\.fadupm: unknown key "fadupm"; did you mean "fadump"\? the known keys are "arch", .*"config", "arm64", "fadump", "powerpc"$/,
    );
  });

  it('refuses a section whose port is not loaded', () => {
    const err = errorOf(() => parse(description('x86_64', { ranges: [['0x100000', '0x7fffffff']] }, { powerpc: {} }), x86Only));
    expect(err.message).toMatch(/^sys\.json: \$\.powerpc: unknown key "powerpc"; /);
  });

  it('refuses a port that claims one of core’s own keys', () => {
    const memory = { description: 'a second memory section', parse: (v: unknown) => v };
    const port: ArchPort = {
      id: 'odd',
      description: 'claims memory',
      machine: EM_X86_64,
      machineName: 'EM_X86_64',
      noteSize: 368n,
      defaults: { pageOffset: 0n, pageSize: 4096 },
      sections: { memory },
    };
    const err = errorOf(() => parse(description('odd', { ranges: [['0x0', '0xffff']] }), new PluginRegistry([port])));
    expect(err.code).toBe('E_PLUGIN');
    expect(err.message).toMatch(/"memory", which core reads itself/);
  });
});
