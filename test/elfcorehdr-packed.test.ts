// The header writer's prepared inputs — ranges packed into a BigUint64Array, the CPU notes'
// addresses from the machine's note table, the port's vaOffset added instead of a `va` call per
// range — against the straightforward path: range objects, `crashNotes` per CPU, `va` per range.
// First the writer alone on random inputs (both byte orders, aligned and odd targets), then every
// port on random machines, built as the CLI builds them and with the port's vaOffset hidden.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { U64_MAX } from '../core/base/index.js';
import { buildSystemElfcorehdr, noteCpusOf, noteTableOf, systemElfcorehdrInput } from '../core/build/index.js';
import { buildElfcorehdr, type ElfcorehdrInput } from '../core/elf/index.js';
import { type NamedRange, packRanges } from '../core/memory/index.js';
import { type ArchPlugin, registryOf, resolvePlugin, vaOffsetOf } from '../core/port/index.js';
import { crashNotesAddress, kernelProfile, type SystemDescription, vmcoreinfoNoteSize } from '../core/system/index.js';
import { u64Field, writerInput } from './support/arbitraries.js';

const u64 = u64Field;

/** A writer input twice: the straightforward one, and the same with every prepared input filled in. */
const pair = writerInput(60).map(({ input: plain, noteOf, pageOffset }): { plain: ElfcorehdrInput; prepared: ElfcorehdrInput } => {
  const cpus = plain.noteCpus;
  const prepared: ElfcorehdrInput = {
    ...plain,
    noteAddresses: { cpus, addresses: BigUint64Array.from(cpus.map((c) => noteOf.get(c)!)) },
    packedRanges: packRanges(plain.ranges),
    vaOffset: pageOffset,
    // A prepared input must not need these.
    crashNotes: () => {
      throw new Error('crashNotes called although the note addresses were given');
    },
    va: () => {
      throw new Error('va called although vaOffset was given');
    },
  };
  return { plain, prepared };
});

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

describe('buildElfcorehdr from prepared inputs writes what it writes from range objects and calls', () => {
  itProp.prop([pair], { numRuns: 300 })('into a fresh buffer', ({ plain, prepared }) => {
    expect(same(buildElfcorehdr(prepared).bytes, buildElfcorehdr(plain).bytes)).toBe(true);
  });

  itProp.prop([pair], { numRuns: 100 })('into a buffer at an odd offset (the DataView path)', ({ plain, prepared }) => {
    const size = buildElfcorehdr(plain).layout.size;
    const backing = new Uint8Array(size + 3);
    expect(same(buildElfcorehdr(prepared, backing.subarray(3)).bytes, buildElfcorehdr(plain).bytes)).toBe(true);
  });

  itProp.prop([pair], { numRuns: 100 })('ignores a packing or note table made for another list', ({ plain }) => {
    const other = [...plain.ranges];
    const stale: ElfcorehdrInput = {
      ...plain,
      packedRanges: packRanges(other.reverse()),
      noteAddresses: { cpus: [...plain.noteCpus], addresses: new BigUint64Array(plain.noteCpus.length) },
    };
    expect(same(buildElfcorehdr(stale).bytes, buildElfcorehdr(plain).bytes)).toBe(true);
  });
});

const registry = registryOf(ARCH_MODULES);

/** The plug-in as it would be without its vaOffset: `va` called per range. */
function hidden(plugin: ArchPlugin): ArchPlugin {
  return { ...plugin, vaOffset: undefined };
}

/** A random machine any port accepts: disjoint RAM, crashkernel inside it, some CPUs present. */
const machine = fc
  .record({
    arch: fc.constantFrom(...registry.ids()),
    sizes: fc.array(fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 8 })), { minLength: 1, maxLength: 40 }),
    base: fc.bigInt({ min: 0n, max: 0x40n }),
    possible: fc.integer({ min: 1, max: 64 }),
    present: fc.integer({ min: 1, max: 64 }),
    kernel: fc.constantFrom('6.1', '6.5', '6.6', '6.18'),
    pageOffset: fc.option(u64, { nil: undefined }),
  })
  .map((m): SystemDescription => {
    const plugin = registry.get(m.arch);
    const MiB = 0x10_0000n;
    const ram: NamedRange[] = [];
    let at = 0x8000_0000n + m.base * 0x20_0000n;
    for (const [size, gap] of m.sizes) {
      const start = at + BigInt(gap) * 64n * MiB;
      const end = start + BigInt(size) * 64n * MiB - 1n;
      ram.push({ name: 'System RAM', start, end });
      at = end + 1n;
    }
    const first = ram[0]!;
    const possible = Array.from({ length: m.possible }, (_, i) => i);
    const present = possible.slice(0, Math.min(m.present, m.possible));
    return {
      arch: m.arch,
      origin: `random ${m.arch}`,
      memory: { source: 'ranges', origin: 'random', systemRam: ram },
      cpus: { possible, present, online: present },
      crashNotes: { kind: 'stride', base: first.start + MiB, stride: 0x1000n },
      vmcoreinfo: { address: first.start + 0x8_0000n, size: vmcoreinfoNoteSize(plugin.defaults.pageSize) },
      crashkernel: { start: first.start + 16n * MiB, end: first.start + 32n * MiB - 1n },
      kernelImage: { text: 0xffff_ffff_8100_0000n, textPhys: first.start + 0x20_0000n, size: 0x100_0000n },
      pageOffset: m.pageOffset ?? plugin.defaults.pageOffset,
      physOffset: first.start,
      pageSize: plugin.defaults.pageSize,
      kernel: kernelProfile(m.kernel),
      builder: 'kernel',
      config: { nrCpusDefault: 64, crashMaxMemoryRanges: 8192, memoryHotplug: true, crashHotplug: true },
    };
  });

/** What the writer makes of `system` with no prepared input at all. */
function straightforward(system: SystemDescription, plugin: ArchPlugin): Uint8Array {
  const { input } = systemElfcorehdrInput(system, plugin);
  const built = buildElfcorehdr({ ...input, noteAddresses: undefined, packedRanges: undefined, vaOffset: undefined });
  plugin.fixupElfcorehdr(built.bytes, built.layout, system);
  return built.bytes;
}

/** The header from the inputs a repeated writer prepares: the ranges packed as well. */
function packed(system: SystemDescription, plugin: ArchPlugin): Uint8Array {
  const { input } = systemElfcorehdrInput(system, plugin, { pack: true });
  expect(input.packedRanges?.source).toBe(input.ranges);
  const built = buildElfcorehdr(input);
  plugin.fixupElfcorehdr(built.bytes, built.layout, system);
  return built.bytes;
}

function bytesOrError(build: () => Uint8Array): Uint8Array | string {
  try {
    return build();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

describe('every port: the header from prepared inputs is the header from per-range va calls', () => {
  itProp.prop([machine], { numRuns: 200 })('on random machines', (system) => {
    const plugin = registry.get(system.arch);
    const fast = bytesOrError(() => buildSystemElfcorehdr(system, plugin).bytes);
    const others = [
      bytesOrError(() => packed(system, plugin)),
      bytesOrError(() => buildSystemElfcorehdr(system, hidden(plugin)).bytes),
      bytesOrError(() => straightforward(system, plugin)),
    ];
    for (const other of others) {
      if (typeof fast === 'string') expect(other).toBe(fast);
      else expect(typeof other === 'string' ? other : same(fast, other)).toBe(true);
    }
  });

  itProp.prop([machine], { numRuns: 100 })('vaOffset, where a port declares it, is what va adds to RAM', (system) => {
    const plugin = registry.get(system.arch);
    const offset = vaOffsetOf(plugin, system);
    if (offset === undefined) return;
    for (const r of system.memory.systemRam) {
      for (const p of [r.start, r.end]) expect(plugin.va(p, system)).toBe(BigInt.asUintN(64, p + offset));
    }
  });
});

describe('which plug-ins have a vaOffset', () => {
  it('x86_64, ppc64, ppc64le and riscv64 do; arm64, whose linear map subtracts PHYS_OFFSET, does not', () => {
    const declared = registry.ids().filter((id) => registry.get(id).vaOffset !== undefined);
    expect(declared).toEqual(['ppc64', 'ppc64le', 'riscv64', 'x86_64']);
  });

  it('a plug-in copied with another va is not taken at its old offset, whether used as it is or resolved again', () => {
    const x86 = registry.get('x86_64');
    // Core's offset reads nothing but pageOffset.
    const system = { pageOffset: 0x1000n } as SystemDescription;
    expect(vaOffsetOf(x86, system)).toBe(0x1000n);
    const otherVa = (pa: bigint): bigint => pa | 0xc000_0000_0000_0000n;
    expect(vaOffsetOf({ ...x86, va: otherVa }, system)).toBeUndefined();
    expect(resolvePlugin({ ...x86, va: otherVa }).vaOffset).toBeUndefined();
    // Spread with its own va, it keeps its offset.
    expect(vaOffsetOf(resolvePlugin({ ...x86 }), system)).toBe(0x1000n);
  });
});

describe('the note table', () => {
  it('is worked out once per machine, for the CPUs noteCpusOf lists', () => {
    const base = [...fc.sample(machine, 1)][0]!;
    for (const kernel of ['6.5', '6.6']) {
      const system: SystemDescription = { ...base, kernel: kernelProfile(kernel), crashNotes: { kind: 'stride', base: U64_MAX - 0x1000n, stride: 0x800n } };
      const table = noteTableOf(system);
      expect(noteTableOf(system)).toBe(table);
      expect(table.cpus).toBe(noteCpusOf(system));
      expect([...table.addresses]).toEqual(table.cpus.map((c) => BigInt.asUintN(64, crashNotesAddress(system.crashNotes, c))));
    }
  });

  // CPUs one after the other step the address by the stride; any gap starts it again from base.
  const cpuList = fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }).map((cs) => [...cs].sort((a, b) => a - b));
  const runs = fc.tuple(fc.nat(40), fc.integer({ min: 1, max: 80 })).map(([first, n]) => Array.from({ length: n }, (_, i) => first + i));
  itProp.prop([fc.oneof(cpuList, runs), u64, u64], { numRuns: 200 })('for base + n·stride, is crashNotesAddress of each CPU, in 64 bits', (cpus, b, stride) => {
    const base = [...fc.sample(machine, 1)][0]!;
    const system: SystemDescription = {
      ...base,
      cpus: { possible: cpus, present: cpus, online: cpus },
      kernel: kernelProfile('6.18'),
      crashNotes: { kind: 'stride', base: b, stride },
    };
    expect([...noteTableOf(system).addresses]).toEqual(cpus.map((c) => BigInt.asUintN(64, crashNotesAddress(system.crashNotes, c))));
  });

  it('reads a table of addresses, and a CPU missing from it fails as crashNotesAddress does', () => {
    const base = [...fc.sample(machine, 1)][0]!;
    const addresses = new Map(base.cpus.possible.map((c) => [c, 0x1000n * BigInt(c + 1)]));
    const system: SystemDescription = { ...base, kernel: kernelProfile('6.18'), crashNotes: { kind: 'table', addresses } };
    expect([...noteTableOf(system).addresses]).toEqual(base.cpus.possible.map((c) => 0x1000n * BigInt(c + 1)));
    const missing: SystemDescription = { ...system, crashNotes: { kind: 'table', addresses: new Map() } };
    expect(() => noteTableOf(missing)).toThrow(/no crash_notes address for CPU 0/);
  });
});
