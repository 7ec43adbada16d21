// The conformance suite: the same machines on every port the crashplug command loads (x86_64,
// arm64 and whatever else cli/arch-modules.ts lists), checked against what must hold on any
// architecture — every memory PT_LOAD inside System RAM (or a range the arch adds on purpose), none
// overlapping the crash kernel's reservation, RAM minus the arch's own exclusions covered exactly,
// one PT_NOTE per CPU the kernel lists plus vmcoreinfo, and the buffer sized for every possible CPU.
// A new port passes this without the suite changing.

import { fc, test as propertyTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ARCH_MODULES } from '../api/builtin-ports.js';
import { CrashplugError } from '../core/base/index.js';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import { decodeElfCoreHeader, elfcorehdrSize, PT_LOAD, PT_NOTE } from '../core/elf/index.js';
import { fdtSystemRam } from '../core/fdt/index.js';
import { resizeEvents, simulateHotplug } from '../core/hotplug/index.js';
import { kernelHasCrashHotplug, SMALL_PAYLOAD } from '../core/kexec/index.js';
import { mergeRanges, type NamedRange, overlaps, type Range, subtractRanges } from '../core/memory/index.js';
import { type ArchPlugin, type CrashMemory, registryOf } from '../core/port/index.js';
import { kernelProfile, type SystemDescription, vmcoreinfoNoteSize } from '../core/system/index.js';
import { compileDts, qemuDump, QEMU_FIXTURES } from './fixtures/fdt/fdt-tools.js';
import { W15 } from './fixtures/arm64/arm64-systems.js';
import { W1 } from './support/systems.js';

const registry = registryOf(ARCH_MODULES);
const ARCHES = registry.ids();

/** A machine without an architecture: what every port is given. */
interface Scenario {
  readonly name: string;
  readonly ram: readonly NamedRange[];
  readonly crashkernel: Range;
  readonly crashkernelLow?: Range | undefined;
  readonly possible: number;
  readonly present?: number | undefined;
}

function systemFor(arch: string, s: Scenario, kernel = '6.18', extensions?: Record<string, unknown>): SystemDescription {
  const plugin = registry.get(arch);
  const first = s.ram[0]!;
  const possible = Array.from({ length: s.possible }, (_, i) => i);
  const present = possible.slice(0, s.present ?? s.possible);
  const system: SystemDescription = {
    arch,
    origin: `${s.name} on ${arch}`,
    memory: { source: 'ranges', origin: s.name, systemRam: s.ram },
    cpus: { possible, present, online: present },
    crashNotes: { kind: 'stride', base: first.start + 0x10_0000n, stride: 0x1000n },
    vmcoreinfo: { address: first.start + 0x8_0000n, size: vmcoreinfoNoteSize(plugin.defaults.pageSize) },
    crashkernel: s.crashkernel,
    crashkernelLow: s.crashkernelLow,
    kernelImage: { text: 0xffff_ffff_8100_0000n, textPhys: first.start + 0x20_0000n, size: 0x100_0000n },
    pageOffset: plugin.defaults.pageOffset,
    physOffset: first.start,
    pageSize: plugin.defaults.pageSize,
    kernel: kernelProfile(kernel),
    builder: 'kernel',
    config: { nrCpusDefault: 64, crashMaxMemoryRanges: 8192, memoryHotplug: true, crashHotplug: true },
  };
  return extensions === undefined ? system : { ...system, extensions };
}

/** The invariants; `memory` is the arch's own account of what it cut out and added. */
function expectConforms(system: SystemDescription, plugin: ArchPlugin, bytes: Uint8Array, memory: CrashMemory): void {
  const what = system.origin;
  const h = decodeElfCoreHeader(bytes);
  const loads = h.phdrs.filter((p) => p.type === PT_LOAD);
  const kernelMap = plugin.kernelMap(system);
  const memLoads = (kernelMap === undefined ? loads : loads.slice(1)).map((p) => ({ start: p.paddr, end: p.paddr + p.filesz - 1n, p }));
  const ram = mergeRanges(system.memory.systemRam);
  const added = mergeRanges(memory.added);
  // crashk_res is cut out on every arch; crashk_low_res is not everywhere (riscv keeps it, OBSERVED
  // in the kernel), so for it the arch's own account of its exclusions is what is checked below.
  const reservations = [system.crashkernel].filter((r): r is Range => r !== undefined && r.end !== 0n);

  for (const { start, end, p } of memLoads) {
    expect(p.filesz, `${what}: filesz = memsz`).toBe(p.memsz);
    expect(p.vaddr, `${what}: vaddr is __va(paddr)`).toBe(plugin.va(p.paddr, system));
    // Inside System RAM, or inside a range the arch adds on purpose (powerpc's RTAS, backup region).
    expect(
      subtractRanges([{ start, end }], mergeRanges([...ram, ...added])),
      `${what}: PT_LOAD [${start.toString(16)}, ${end.toString(16)}] outside RAM`,
    ).toEqual([]);
    for (const r of reservations) expect(overlaps({ start, end }, r), `${what}: PT_LOAD overlaps a crash reservation`).toBe(false);
  }
  // Every byte of RAM the arch did not cut out is dumped, and nothing else.
  const expected = mergeRanges([...subtractRanges(ram, memory.excluded), ...added]);
  expect(mergeRanges(memLoads), `${what}: RAM minus exclusions`).toEqual(expected);
  // The arch's exclusions always include the crash reservations.
  for (const r of reservations) expect(subtractRanges([r], memory.excluded), `${what}: reservation not excluded`).toEqual([]);

  const notes = h.phdrs.filter((p) => p.type === PT_NOTE);
  const noteCpus = system.kernel.cpuNotes === 'possible' ? system.cpus.possible : system.cpus.present;
  expect(notes, `${what}: one PT_NOTE per listed CPU, plus vmcoreinfo`).toHaveLength(noteCpus.length + 1);
  expect(notes.at(-1)!.paddr).toBe(system.vmcoreinfo.address);
  expect(h.header.phnum).toBe(h.phdrs.length);
  expect(bytes.length, `${what}: sized for every possible CPU`).toBeGreaterThanOrEqual(elfcorehdrSize(system.cpus.possible.length, memory.mem.ranges.length));
}

function expectBuildConforms(system: SystemDescription): void {
  const plugin = registry.get(system.arch);
  const built = buildSystemElfcorehdr(system, plugin);
  expectConforms(system, plugin, built.bytes, built.crashMemory);
}

/** A QEMU dump's RAM with a 256 MiB crashkernel at the top of the first region and 64 MiB low inside it. */
function fromDump(name: string, blob: Uint8Array): Scenario {
  const ram = fdtSystemRam(blob, name);
  const first = ram[0]!;
  return {
    name,
    ram,
    crashkernel: { start: first.end - 0xfff_ffffn, end: first.end },
    crashkernelLow: { start: first.start + 0x1000_0000n, end: first.start + 0x13ff_ffffn },
    possible: 4,
  };
}

const SCENARIOS: Scenario[] = [
  { name: 'W1', ram: W1.ram, crashkernel: W1.crashkernel, possible: 4 },
  { name: 'W15', ram: W15.ram, crashkernel: W15.crashkernel, possible: 4 },
  { name: 'W15, 2 of 8 CPUs present', ram: W15.ram, crashkernel: W15.crashkernel, possible: 8, present: 2 },
  {
    name: 'crash reservations at a range head and tail',
    ram: [
      { name: 'System RAM', start: 0x1000n, end: 0x9_fbffn },
      { name: 'System RAM', start: 0x10_0000n, end: 0x7fff_ffffn },
      { name: 'System RAM', start: 0x1_0000_0000n, end: 0x1_7fff_ffffn },
    ],
    crashkernel: { start: 0x1_0000_0000n, end: 0x1_0fff_ffffn },
    crashkernelLow: { start: 0x7c00_0000n, end: 0x7fff_ffffn },
    possible: 2,
  },
  ...QEMU_FIXTURES.map((n) => fromDump(n, qemuDump(n))),
  fromDump('memory-many.dts', compileDts('memory-many.dts')),
  fromDump('pseries-drconf-v2.dts', compileDts('pseries-drconf-v2.dts')),
];

describe('every port', () => {
  it('includes x86_64 and arm64', () => {
    expect(ARCHES).toEqual(expect.arrayContaining(['arm64', 'x86_64']));
  });

  for (const arch of ARCHES) {
    describe(arch, () => {
      for (const s of SCENARIOS) {
        for (const kernel of ['6.1', '6.6', '6.18']) {
          it(`${s.name}, kernel ${kernel}`, () => expectBuildConforms(systemFor(arch, s, kernel)));
        }
      }

      const tally = { built: 0, refused: 0 };
      propertyTest.prop([scenarios(), fc.constantFrom('6.1', '6.18')], { numRuns: 150 })('any machine with its reservations in RAM', (s, kernel) => {
        const system = systemFor(arch, s, kernel);
        const plugin = registry.get(arch);
        let refused = false;
        try {
          plugin.crashMemory(system);
        } catch (err) {
          // A port may refuse a machine its architecture cannot have, saying why; nothing else.
          if (!(CrashplugError.is(err) && err.code === 'E_BAD_SYSTEM')) throw err;
          refused = true;
        }
        if (refused) tally.refused++;
        // Such a machine is no counterexample: fast-check draws another in its place, so every run
        // that counts checked a header.
        fc.pre(!refused);
        expectBuildConforms(system);
        tally.built++;
      });

      it('accepts nearly every generated machine', () => {
        // The generator keeps reservations at 1 MiB and up, above powerpc's 64 KiB backup region.
        expect(tally.built).toBeGreaterThan(tally.refused * 10);
      });
    });
  }
});

describe('every port through a memory resize', () => {
  // arm64 with the proposed series (its "arm64" object), every other port as it is. A port whose
  // kernel updates the header in place runs the kernel's handler; the others get udev's reload.
  const runs = ARCHES.map((arch) => ({ arch, options: arch === 'arm64' ? { arm64: { crashHotplug: true } } : undefined }));

  for (const { arch, options } of runs) {
    it(`${arch}: the header in place afterwards conforms, for the machine as it now is`, () => {
      const s: Scenario = { name: 'resize', ram: W1.ram, crashkernel: W1.crashkernel, possible: 4 };
      const system = systemFor(arch, s, '6.18', options);
      const plugin = registry.get(arch);
      const strategy = kernelHasCrashHotplug(system, plugin) ? 'kernel' : 'reload';
      const events = resizeEvents(system, { from: 3n << 30n, to: 5n << 30n, dimmSize: 1n << 30n });
      const run = simulateHotplug(system, plugin, events, { strategy, mode: 'file', payload: SMALL_PAYLOAD });
      const final = run.machine.system;
      expect(run.installed).toBeDefined();
      expect(run.summary.finalHeaderMatchesFresh, `${arch} with the ${strategy} strategy`).toBe(true);
      expectConforms(final, plugin, run.installed!, plugin.crashMemory(final));
    });
  }

  it('runs the kernel handler for x86_64 and for arm64 with the series', () => {
    for (const arch of ['x86_64', 'arm64']) {
      const system = systemFor(
        arch,
        { name: 'resize', ram: W1.ram, crashkernel: W1.crashkernel, possible: 4 },
        '6.18',
        arch === 'arm64' ? { arm64: { crashHotplug: true } } : undefined,
      );
      expect(kernelHasCrashHotplug(system, registry.get(arch)), arch).toBe(true);
    }
  });
});

describe('a DIMM hot-added next to boot RAM (facts §13.7)', () => {
  // W1's RAM ends at 3 GiB, so the first 1 GiB DIMM lands right above it.
  function resized(arch: string) {
    const system = systemFor(arch, { name: 'W1', ram: W1.ram, crashkernel: W1.crashkernel, possible: 4 });
    const events = resizeEvents(system, { from: 3n << 30n, to: 5n << 30n, dimmSize: 1n << 30n });
    const run = simulateHotplug(system, registry.get(arch), events, { strategy: 'kernel', mode: 'file', payload: SMALL_PAYLOAD });
    expect(run.summary.finalHeaderMatchesFresh).toBe(true);
    const loads = decodeElfCoreHeader(run.installed!).phdrs.filter((p) => p.type === PT_LOAD && p.paddr >= W1.crashkernel.end);
    return { ram: run.machine.system.memory.systemRam.map((r) => [r.start, r.end]), loads: loads.map((p) => [p.paddr, p.paddr + p.filesz - 1n]) };
  }

  it('is a PT_LOAD of its own on x86_64, whose resource walk never merges', () => {
    expect(registry.get('x86_64').ramWalk).toBe('iomem');
    expect(resized('x86_64').loads).toEqual([
      [0x1200_0000n, 0xbfff_ffffn],
      [0xc000_0000n, 0xffff_ffffn],
      [0x1_0000_0000n, 0x1_3fff_ffffn],
    ]);
  });

  it('merges with boot RAM of its node on ppc64le, whose memblock does', () => {
    expect(registry.get('ppc64le').ramWalk).toBe('memblock');
    const { ram, loads } = resized('ppc64le');
    expect(ram).toEqual([
      [0x1000n, 0x9_fbffn],
      [0x10_0000n, 0x1_3fff_ffffn],
    ]);
    expect(loads).toEqual([[0x1200_0000n, 0x1_3fff_ffffn]]);
  });
});

/**
 * Sorted, disjoint, page-aligned RAM with the crash reservations inside it, at or above 1 MiB as
 * every architecture's reservations are — above powerpc's 64 KiB backup region in particular.
 */
function scenarios(): fc.Arbitrary<Scenario> {
  const page = 0x1000n;
  const low = 0x10_0000n;
  return fc
    .array(fc.tuple(fc.bigInt({ min: 1n, max: 0x4_0000n }), fc.bigInt({ min: 0x4000n, max: 0x40_0000n })), { minLength: 1, maxLength: 12 })
    .chain((gapsAndSizes) => {
      let at = 0n;
      // The last range always reaches past 1 MiB, so a reservation has somewhere to go.
      const ram: NamedRange[] = [...gapsAndSizes, [1n, 0x200n] as const].map(([gap, size]) => {
        const start = at + gap * page;
        at = start + size * page;
        return { name: 'System RAM', start, end: at - 1n };
      });
      const inside = (r: NamedRange): fc.Arbitrary<Range> => {
        const base = r.start > low ? r.start : low;
        const pages = (r.end - base + 1n) / page;
        return fc
          .bigInt({ min: 0n, max: pages - 1n })
          .chain((off) => fc.bigInt({ min: 1n, max: pages - off }).map((len) => ({ start: base + off * page, end: base + (off + len) * page - 1n })));
      };
      const high = ram.filter((r) => r.end >= low + page);
      return fc.record({
        name: fc.constant('generated'),
        ram: fc.constant(ram),
        crashkernel: fc.constantFrom(...high).chain(inside),
        crashkernelLow: fc.option(fc.constantFrom(...high).chain(inside), { nil: undefined }),
        possible: fc.integer({ min: 1, max: 16 }),
        present: fc.option(fc.integer({ min: 1, max: 16 }), { nil: undefined }),
      });
    })
    .filter((s) => s.crashkernelLow === undefined || !overlaps(s.crashkernel, s.crashkernelLow))
    .map((s) => ({ ...s, present: s.present === undefined ? undefined : Math.min(s.present, s.possible) }));
}
