// `inspect --against`'s question — which kernel releases and which builder reproduce a captured
// header byte for byte — on the two real 6.1 captures, on a deliberately altered copy (no candidate:
// the closest one and the first field it gets wrong), and on headers whose bytes do tell releases
// apart, so that the ranges are seen to split where the profiles change.

import { Command } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { registerInspect } from '../cli/commands/inspect.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { decodeElfCoreHeader } from '../core/elf/index.js';
import { PluginRegistry, registryOf } from '../core/port/index.js';
import { NEWEST_KERNEL, type SystemDescription } from '../core/system/index.js';
import { type CandidateGroup, explainHeader, modelledReleases, rangeHolds } from '../core/build/index.js';
import { cpuIds, systemRam, x86Plugin, x86System } from './support/systems.js';
import { loadSystemFile } from '../api/system-file.js';

const here = dirname(fileURLToPath(import.meta.url));
const SYSTEM = join(here, 'fixtures', 'real-x86_64-6.1', 'system.json');
function capture(name: string): string {
  const local = join(here, 'fixtures', 'real-x86_64-6.1', name);
  if (!existsSync(local)) throw new Error(`fixture ${name} not found at ${local}`);
  return local;
}
const KERNEL_CAPTURE = capture('elfcorehdr-kernel-kexec_file.bin');
const KEXEC_TOOLS_CAPTURE = capture('elfcorehdr-kexec-tools.bin');

const work = mkdtempSync(join(tmpdir(), 'crashplug-explain-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const real = (): SystemDescription => loadSystemFile(SYSTEM, registryOf(ARCH_MODULES));
const fileOf = (bytes: Uint8Array) => ({ bytes, header: decodeElfCoreHeader(bytes) });
const explain = (bytes: Uint8Array, system: SystemDescription = real()) => explainHeader(fileOf(bytes), system, x86Plugin());
const summary = (groups: readonly CandidateGroup[]) => groups.map((g) => `${g.builder} ${g.kernels.from}–${g.kernels.to} ${g.outcome.kind}`);

/** The 6.1 capture with the backup PT_LOAD's p_offset moved one page up. */
function altered(): Uint8Array {
  const bytes = new Uint8Array(readFileSync(KEXEC_TOOLS_CAPTURE));
  new DataView(bytes.buffer).setBigUint64(64 + 56 * 4 + 8, 0x7ef62000n, true);
  return bytes;
}

async function inspect(...args: string[]): Promise<string> {
  let out = '';
  const program = new Command('crashplug').exitOverride();
  registerInspect(program, { registry: () => registryOf(ARCH_MODULES), out: (t) => void (out += t), answerIsBad: () => {} });
  await program.parseAsync(['node', 'crashplug', 'inspect', ...args]);
  return out;
}

describe('the candidate releases', () => {
  it('are every release from 5.4 to the newest modelled, 5.19 followed by 6.0 and 6.19 by 7.0', () => {
    const all = modelledReleases();
    expect(all[0]).toBe('5.4');
    expect(all.at(-1)).toBe(NEWEST_KERNEL);
    expect(NEWEST_KERNEL).toBe('7.3');
    expect(all.slice(all.indexOf('5.18'), all.indexOf('5.18') + 3)).toEqual(['5.18', '5.19', '6.0']);
    expect(all.slice(all.indexOf('6.18'))).toEqual(['6.18', '6.19', '7.0', '7.1', '7.2', '7.3']);
    // 5.4–5.19, 6.0–6.19, 7.0–7.3
    expect(all).toHaveLength(16 + 20 + 4);
  });
});

describe('explainHeader on the real x86_64 6.1 guest', () => {
  describe('given what the kernel wrote (kexec -s -p)', () => {
    const e = explain(new Uint8Array(readFileSync(KERNEL_CAPTURE)));

    it('is explained by the kernel builder over a range that holds 6.1', () => {
      expect(e.explainedBy.map((g) => g.builder)).toEqual(['kernel']);
      const g = e.explainedBy[0]!;
      expect(rangeHolds(g.kernels, '6.1')).toBe(true);
      expect(g.kernels).toEqual({ from: '5.4', to: NEWEST_KERNEL });
    });

    it('and not by kexec-tools, whose header has one more PT_LOAD', () => {
      const kt = e.groups.find((g) => g.builder === 'kexec-tools')!;
      expect(kt.outcome.kind).toBe('differs');
      expect(kt.outcome.kind === 'differs' && kt.outcome.differences[0]).toMatchObject({ field: 'e_phnum', a: '7', b: '8' });
    });
  });

  describe('given what kexec-tools wrote (kexec -p), the backup copy placed by the port (no backupStart)', () => {
    const e = explain(new Uint8Array(readFileSync(KEXEC_TOOLS_CAPTURE)));

    it('the fixture leaves backupStart out, so the x86 hook derives 0x7ef61000', () => {
      expect(real().backupStart).toBeUndefined();
    });

    it('is explained by the kexec-tools builder only', () => {
      expect(e.explainedBy.map((g) => [g.builder, g.kernels])).toEqual([['kexec-tools', { from: '5.4', to: NEWEST_KERNEL }]]);
      expect(e.closest).toBeUndefined();
    });
  });

  describe('given a deliberately altered copy (the backup copy one page off)', () => {
    const e = explain(altered());

    it('nothing explains it', () => {
      expect(e.explainedBy).toEqual([]);
    });

    it("the closest is kexec-tools, named at 6.1 (the description's release), and the first field it gets wrong is phdr 4 p_offset", () => {
      expect(e.closest).toMatchObject({ kernel: '6.1', group: { builder: 'kexec-tools' } });
      expect(e.closest!.differences).toEqual([{ field: 'phdr 4 p_offset', offset: 64 + 56 * 4 + 8, a: '0x7ef62000', b: '0x7ef61000' }]);
    });
  });
});

describe('explainHeader when the bytes tell releases apart', () => {
  // Present ≠ possible (notes change at 6.6) and the crash kernel across two RAM lines (the
  // exclusion changes at 6.8, 6dff31597264): three different kernel headers over the modelled releases.
  const machine = (kernel: string) =>
    x86System({
      kernel,
      cpus: { possible: cpuIds(4), present: [0, 1] },
      ram: systemRam([0x10_0000n, 0x1fff_ffffn], [0x2000_0000n, 0x2fff_ffffn]),
      crashkernel: { start: 0x1800_0000n, end: 0x27ff_ffffn },
    });
  const headerOf = (kernel: string) => buildSystemElfcorehdr(machine(kernel), x86Plugin()).bytes;

  it.each([
    ['6.1', '5.4–6.5'],
    ['6.7', '6.6–6.7'],
    ['6.12', `6.8–${NEWEST_KERNEL}`],
  ])('a header written by %s is explained by kernels %s', (kernel, range) => {
    const e = explain(headerOf(kernel), machine('6.1'));
    expect(e.explainedBy.map((g) => `${g.kernels.from}–${g.kernels.to}`)).toEqual([range]);
    expect(summary(e.groups.filter((g) => g.builder === 'kernel'))).toEqual([
      `kernel 5.4–6.5 ${kernel === '6.1' ? 'identical' : 'differs'}`,
      `kernel 6.6–6.7 ${kernel === '6.7' ? 'identical' : 'differs'}`,
      `kernel 6.8–${NEWEST_KERNEL} ${kernel === '6.12' ? 'identical' : 'differs'}`,
    ]);
  });

  it('a 6.6 header against a ≤6.5 candidate first differs in e_phnum (4 CPU notes against 2)', () => {
    const e = explain(headerOf('6.6'), machine('6.6'));
    const old = e.groups.find((g) => g.builder === 'kernel' && g.kernels.from === '5.4')!;
    expect(old.outcome.kind === 'differs' && old.outcome.differences[0]).toMatchObject({ field: 'e_phnum', a: '8', b: '6' });
  });
});

describe("explainHeader with a port whose own release table changes where core's does not", () => {
  // As powerpc's table does at 5.9: the port decides from the profile, and nothing tells core.
  const plugin = x86Plugin();
  const toy = new PluginRegistry([
    {
      ...plugin,
      id: 'toy',
      crashMemory: (s: SystemDescription) => {
        const cm = plugin.crashMemory(s);
        return s.kernel.atLeast(5, 9) ? cm : { ...cm, mem: { ...cm.mem, ranges: cm.mem.ranges.slice(0, -1) } };
      },
    },
  ]).get('toy');
  const system = { ...x86System({ kernel: '6.1' }), arch: 'toy' };

  it("splits the range at the port's release too", () => {
    const file = buildSystemElfcorehdr(system, toy).bytes;
    const e = explainHeader(fileOf(file), system, toy);
    expect(summary(e.groups.filter((g) => g.builder === 'kernel'))).toEqual(['kernel 5.4–5.8 differs', `kernel 5.9–${NEWEST_KERNEL} identical`]);
  });
});

describe('explainHeader with builders a port cannot provide', () => {
  it('leaves kexec-tools out, saying which port does not model it, and still tries the kernel', () => {
    const { kexecToolsRanges: _, ...rest } = x86Plugin();
    const toy = new PluginRegistry([{ ...rest, id: 'toy' }]).get('toy');
    const e = explainHeader(fileOf(new Uint8Array(readFileSync(KERNEL_CAPTURE))), { ...real(), arch: 'toy' }, toy);
    expect(e.unavailable).toEqual([{ builder: 'kexec-tools', reason: expect.stringMatching(/the toy port does not model kexec-tools/) }]);
    expect(e.explainedBy.map((g) => g.builder)).toEqual(['kernel']);
  });

  it('reports a candidate that cannot be built (kexec-tools without a crash reservation) as such', () => {
    const system = x86System({ crashkernel: undefined });
    const e = explain(buildSystemElfcorehdr(system, x86Plugin()).bytes, system);
    const kt = e.groups.find((g) => g.builder === 'kexec-tools')!;
    expect(kt).toMatchObject({ kernels: { from: '5.4', to: NEWEST_KERNEL }, outcome: { kind: 'fails', code: 'E_BAD_SYSTEM' } });
  });
});

describe('crashplug inspect FILE --against SYSTEM', () => {
  it('prints the candidates with their KERNEL RANGE and the verdict for the kernel capture', async () => {
    const out = await inspect(KERNEL_CAPTURE, '--against', SYSTEM);
    expect(out).toMatch(/BUILDER +KERNEL RANGE +RESULT/);
    expect(out).toMatch(new RegExp(`kernel +5\\.4–${NEWEST_KERNEL.replace('.', '\\.')} +identical`));
    expect(out).toContain(`explained by: kernel builder, kernels 5.4–${NEWEST_KERNEL}`);
    expect(out.trimEnd().split('\n').pop()).toBe('identical');
  });

  it('and for the kexec-tools capture', async () => {
    const out = await inspect(KEXEC_TOOLS_CAPTURE, '--against', SYSTEM);
    expect(out).toContain(`explained by: kexec-tools builder, kernels 5.4–${NEWEST_KERNEL}`);
    // The field-by-field comparison uses the builder that explains the file, so both verdicts agree.
    expect(out).toContain('(x86_64, kernel 6.1 profile, kexec-tools builder, 1024 bytes):');
    expect(out.trimEnd().endsWith('identical')).toBe(true);
    // --builder asks for another header: then the fields differ.
    const kernel = await inspect(KEXEC_TOOLS_CAPTURE, '--against', SYSTEM, '--builder', 'kernel');
    expect(kernel).toContain('(x86_64, kernel 6.1 profile, kernel builder, 4096 bytes):');
    expect(kernel).toContain('e_phnum: file 8, crashplug 7');
  });

  it('names the closest candidate and the first field it gets wrong for the altered copy', async () => {
    const path = join(work, 'altered.bin');
    writeFileSync(path, altered());
    const out = await inspect(path, '--against', SYSTEM);
    expect(out).toContain(
      `explained by: no candidate; closest: kexec-tools builder, kernels 5.4–${NEWEST_KERNEL} (1 field differs); ` +
        'first field it gets wrong: phdr 4 p_offset: file 0x7ef62000, best candidate (kexec-tools, 6.1) 0x7ef61000',
    );
  });

  it('says it in JSON too', async () => {
    const path = join(work, 'altered.json.bin');
    writeFileSync(path, altered());
    const j = JSON.parse(await inspect(path, '--against', SYSTEM, '--json')) as Record<string, any>;
    expect(j.explain.explainedBy).toEqual([]);
    expect(j.explain.closest).toMatchObject({
      builder: 'kexec-tools',
      kernel: '6.1',
      differingFields: 1,
      firstDifference: { field: 'phdr 4 p_offset', file: '0x7ef62000', candidate: '0x7ef61000' },
    });
    const k = JSON.parse(await inspect(KERNEL_CAPTURE, '--against', SYSTEM, '--json')) as Record<string, any>;
    expect(k.explain.explainedBy).toEqual([{ builder: 'kernel', kernels: { from: '5.4', to: NEWEST_KERNEL }, kernelRange: `5.4–${NEWEST_KERNEL}` }]);
    expect(k.explain.candidates.map((c: { builder: string; result: string }) => `${c.builder} ${c.result}`)).toEqual([
      'kernel identical',
      'kexec-tools differs',
    ]);
  });
});

describe('inspect --against on the real ppc64le 6.12.95 guest: one verdict, short lists', () => {
  const PPC = join(here, 'fixtures', 'real-ppc64le-6.12');
  const ppcSystem = join(PPC, 'system.json');

  async function inspectCounting(...args: string[]): Promise<{ out: string; bad: string[] }> {
    let out = '';
    const bad: string[] = [];
    const program = new Command('crashplug').exitOverride();
    registerInspect(program, { registry: () => registryOf(ARCH_MODULES), out: (t) => void (out += t), answerIsBad: (why) => void bad.push(why) });
    await program.parseAsync(['node', 'crashplug', 'inspect', ...args]);
    return { out, bad };
  }

  it('groups the releases that all refuse kexec_file_load into one row naming the range', async () => {
    const { out } = await inspectCounting(join(PPC, 'elfcorehdr-2-after-remove-1g.bin'), '--against', ppcSystem);
    const rows = out.split('\n').filter((l) => l.includes('cannot be built'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^ {2}kernel +5\.4–5\.8 +cannot be built: E_UNSUPPORTED: .*kernels 5\.4–5\.8 cannot load a crash kernel with kexec_file_load/);
  });

  it('builds the 6.12 series as the stable 6.12.95 the description names, so explanation and comparison agree', async () => {
    const { out, bad } = await inspectCounting(join(PPC, 'elfcorehdr-2-after-remove-1g.bin'), '--against', ppcSystem);
    expect(out).toContain('(6.12 was built as 6.12.95, the stable release the description names)');
    // 7.1 and later carry the backup p_offset fix too (789335cacdf3), so they give the same bytes.
    expect(out).toContain('explained by: kernel builder, kernel 6.12; kernel builder, kernels 7.1–7.3\n');
    expect(out.trimEnd().endsWith('identical')).toBe(true);
    expect(bad).toEqual([]);
  });

  it('reports differences as a bad answer, with the same count the explanation gives', async () => {
    const { out, bad } = await inspectCounting(join(PPC, 'elfcorehdr-1-after-add-1g.bin'), '--against', ppcSystem);
    expect(out).toContain('closest: kernel builder, kernel 6.12 (2 fields differ)');
    expect(out.trimEnd().endsWith('2 differences')).toBe(true);
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/differs from crashplug's kernel header \(kernel 6\.12\.95\) in 2 field/);
  });

  it('refuses --builder without --against', async () => {
    await expect(inspectCounting(join(PPC, 'elfcorehdr-1-after-add-1g.bin'), '--builder', 'kernel')).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' });
  });
});
