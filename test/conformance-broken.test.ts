// The kit catches broken ports: x86_64 and riscv64 with one thing wrong at a time — a note size off
// by 8, an exclusion forgotten, PT_LOADs unsorted, the kernel map dropped or added, a wrong __va, a
// segment too small, a hot-plug hook that does nothing, hot-plug claimed where the arch has none, a
// reservation left in the dump that the spec does not accept — each fails naming the invariant it
// breaks. The unbroken ports pass the same specs.

import { ContainerModule } from 'inversify';
import { describe, expect, it } from 'vitest';
import { riscvModule, Riscv64Port } from '../arch-riscv/index.js';
import { X86_64_NOTE_SIZE, X86Port, x86CrashMemory } from '../arch-x86/index.js';
import { type ElfcorehdrLayout, type KernelMap } from '../core/elf/index.js';
import { type ArchPort, type CrashMemory, type ElfcorehdrSegmentSpec, genericCrashMemory, type HotplugSupportQuery, TOKENS } from '../core/port/index.js';
import type { SystemDescription } from '../core/system/index.js';
import { type ConformanceReport, type ConformanceSpec, type Invariant, reservationsOf, runConformance } from '../conformance/index.js';
import { RV, riscvSystem } from './fixtures/riscv64/riscv-systems.js';
import { x86System } from './support/systems.js';
import { EM_X86_64 } from '../arch-x86/index.js';

function moduleOf(port: ArchPort): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind<ArchPort>(TOKENS.ArchPort).toConstantValue(port);
  });
}

/** What arch/x86/kernel/crash.c does, on a few machines (the full list is conformance-x86.test.ts). */
const X86: ConformanceSpec = {
  arch: 'x86_64',
  machine: EM_X86_64,
  noteSize: 368n,
  machines: () => [
    x86System({ origin: 'W1' }),
    x86System({ origin: 'W1, kernel 6.1', kernel: '6.1' }),
    x86System({
      origin: 'crashkernel with crashkernel-low',
      crashkernel: { start: 0x8000_0000n, end: 0x8fff_ffffn },
      crashkernelLow: { start: 0x2000_0000n, end: 0x2fff_ffffn },
    }),
  ],
  kernelMap: true,
  loadOrder: 'walk-order',
  exclusions: (s) => [{ name: 'low 1M', start: 0n, end: 0xf_ffffn }, ...reservationsOf(s)],
  va: (pa, s) => BigInt.asUintN(64, pa + s.pageOffset),
  supportsHotplug: (s) => s.kernel.hotplug !== 'none' && s.config.crashHotplug,
};

/** What arch/riscv/kernel/machine_kexec_file.c does, on one QEMU virt machine. */
const RISCV: ConformanceSpec = {
  arch: 'riscv64',
  machine: 243,
  noteSize: 408n,
  machines: () => [riscvSystem({ origin: 'QEMU virt' })],
  kernelMap: true,
  loadOrder: 'walk-order',
  exclusions: (s) => [{ name: 'crashkernel', ...s.crashkernel! }],
  keptReservations: [{ name: 'crashkernelLow', why: 'riscv excludes only crashk_res' }],
  va: (pa, s) => BigInt.asUintN(64, pa - (s.physOffset & ~0x1f_ffffn) + s.pageOffset),
};

function broken(report: ConformanceReport): Invariant[] {
  return [...new Set(report.violations.map((v) => v.invariant))];
}

function messagesOf(report: ConformanceReport, invariant: Invariant): string[] {
  return report.violations.filter((v) => v.invariant === invariant).map((v) => v.message);
}

/** X86Port's noteSize is the literal type 368n, so the wrong size goes on an instance of its own. */
function noteOffBy8(): X86Port {
  return Object.assign(new X86Port(), { noteSize: X86_64_NOTE_SIZE + 8n });
}

class ForgetsLow1M extends X86Port {
  // crashkernel and crashkernel-low, as arm64 does: the low-1M hole is forgotten.
  override crashMemory = (s: SystemDescription): CrashMemory => genericCrashMemory(s, 3);
}

class UnsortedLoads extends X86Port {
  override crashMemory = (s: SystemDescription): CrashMemory => {
    const m = x86CrashMemory(s);
    return { ...m, mem: { ...m.mem, ranges: [...m.mem.ranges].reverse() } };
  };
}

class NoKernelMap extends X86Port {
  override kernelMap(): KernelMap {
    return undefined as unknown as KernelMap;
  }
}

class IdentityVa extends X86Port {
  va(pa: bigint): bigint {
    return pa;
  }
}

/** Promises the writer an offset its own va does not add: the header then has the offset's vaddrs. */
class WrongVaOffset extends X86Port {
  vaOffset(system: SystemDescription): bigint {
    return system.pageOffset + 0x1000n;
  }
}

class SegmentTooSmall extends X86Port {
  override elfcorehdrSegment = (_s: SystemDescription, layout: ElfcorehdrLayout): ElfcorehdrSegmentSpec => ({
    memsz: layout.size - 4096,
    elfHeadersSize: layout.size - 4096,
    align: 4096,
    topDown: false,
    presetIndex: true,
  });
}

class HotplugDoesNothing extends X86Port {
  override handleHotplugEvent = (): void => {};
}

class RiscvClaimsHotplug extends Riscv64Port {
  archSupportsCrashHotplug(): boolean {
    return true;
  }

  supportsHotplug(q: HotplugSupportQuery): boolean {
    return q.fileMode;
  }
}

describe('the conformance kit', () => {
  it('passes the x86_64 port as it is', () => {
    const report = runConformance(moduleOf(new X86Port()), X86);
    expect(report.violations).toEqual([]);
    expect(report.checked).toContain('hotplug-fresh');
    expect(report.checked).toContain('reload-fallback');
  });

  it('names cpu-notes when the note size is off by 8', () => {
    const report = runConformance(moduleOf(noteOffBy8()), X86);
    expect(broken(report)).toEqual(['cpu-notes']);
    expect(messagesOf(report, 'cpu-notes')[0]).toMatch(/^cpu-notes: W1: CPU 0's note size is 376 \(memsz 376\), the spec's sizeof\(note_buf_t\) is 368/);
  });

  it('names ram-coverage when an exclusion is forgotten', () => {
    const report = runConformance(moduleOf(new ForgetsLow1M()), X86);
    expect(broken(report)).toEqual(['ram-coverage']);
    expect(messagesOf(report, 'ram-coverage')[0]).toContain(
      'ram-coverage: W1: dumped although RAM minus the declared exclusions leaves it out: [0x1000, 0x9fbff]',
    );
  });

  it('names load-order when the PT_LOADs are unsorted', () => {
    const report = runConformance(moduleOf(new UnsortedLoads()), X86);
    expect(broken(report)).toEqual(['load-order']);
    expect(messagesOf(report, 'load-order')[0]).toMatch(/^load-order: W1: PT_LOAD \[0x100000, 0x1ffffff\] comes after \[0x12000000, 0xbfffffff\]/);
  });

  it('names kernel-map when the kernel-image PT_LOAD is missing', () => {
    const report = runConformance(moduleOf(new NoKernelMap()), X86);
    expect(broken(report)).toEqual(['kernel-map']);
    expect(messagesOf(report, 'kernel-map')[0]).toMatch(/^kernel-map: W1: expected the kernel-image PT_LOAD/);
  });

  it('names load-fields when __va is wrong', () => {
    const report = runConformance(moduleOf(new IdentityVa()), X86);
    expect(broken(report)).toEqual(['load-fields']);
    expect(messagesOf(report, 'load-fields')[0]).toContain('paddr 0x100000 has vaddr 0x100000, __va gives 0xffff888000100000');
  });

  it('names va-offset when a declared vaOffset is not what va adds', () => {
    const report = runConformance(moduleOf(new WrongVaOffset()), X86);
    expect(broken(report)).toEqual(['load-fields', 'va-offset']);
    expect(messagesOf(report, 'va-offset')[0]).toContain('__va(0x1000) is 0xffff888000001000, but vaOffset 0xffff888000001000 gives 0xffff888000002000');
    expect(messagesOf(report, 'load-fields')[0]).toContain('__va gives');
  });

  it('names segment-size when the segment cannot hold the header', () => {
    const report = runConformance(moduleOf(new SegmentTooSmall()), X86);
    expect(broken(report)).toContain('segment-size');
    expect(messagesOf(report, 'segment-size')[0]).toMatch(/^segment-size: W1: the header needs 4096 bytes but the segment holds 0/);
  });

  it('names hotplug-fresh when a port that takes hot-plug leaves the header stale', () => {
    const report = runConformance(moduleOf(new HotplugDoesNothing()), X86);
    // The stale header, held against the machine as it now is, also misses the new DIMMs.
    expect(broken(report)).toEqual(['hotplug-fresh', 'ram-coverage']);
    expect(messagesOf(report, 'hotplug-fresh')[0]).toMatch(/^hotplug-fresh: W1, grow memory by two DIMMs: the installed header is not a fresh build/);
    expect(messagesOf(report, 'ram-coverage')[0]).toMatch(
      /^ram-coverage: W1, grow memory by two DIMMs: installed header: not dumped: \[0xc0000000, 0x13fffffff\]/,
    );
  });

  it('names hotplug-capability when a port claims hot-plug its arch does not have', () => {
    expect(runConformance(riscvModule, RISCV).violations).toEqual([]);
    const report = runConformance(moduleOf(new RiscvClaimsHotplug()), RISCV);
    expect(broken(report)).toContain('hotplug-capability');
    expect(messagesOf(report, 'hotplug-capability')[0]).toBe(
      'hotplug-capability: QEMU virt: the loaded image has hotplug_support = 1, the spec says 0 for kernel 6.12 — ' +
        'a kexec_file crash image gets hotplug_support exactly when the spec says the arch has crash hot-plug; ' +
        "check the port's archSupportsCrashHotplug against ARCH_SUPPORTS_CRASH_HOTPLUG and its supportsHotplug against arch_crash_hotplug_support",
    );
  });

  it('names kernel-map when a kernel-image PT_LOAD is there although the arch says none', () => {
    const report = runConformance(riscvModule, { ...RISCV, kernelMap: false });
    expect(broken(report)).toEqual(['kernel-map']);
    expect(messagesOf(report, 'kernel-map')[0]).toMatch(
      /^kernel-map: QEMU virt: found a kernel-image PT_LOAD .* although the arch passes need_kernel_map = false/,
    );
  });

  it('names reservations-excluded when a kept reservation is not declared', () => {
    const machines = (): SystemDescription[] => [riscvSystem({ origin: 'QEMU virt with crashkernel-low', crashkernelLow: RV.crashkernelLow })];
    expect(runConformance(riscvModule, { ...RISCV, machines }).violations).toEqual([]);
    const report = runConformance(riscvModule, { ...RISCV, machines, keptReservations: [] });
    expect(broken(report)).toEqual(['reservations-excluded']);
    expect(messagesOf(report, 'reservations-excluded')[0]).toMatch(
      /^reservations-excluded: QEMU virt with crashkernel-low: crashkernelLow \[0xf8000000, 0xffffffff\] is dumped at \[0xf8000000, 0xffffffff\]/,
    );
  });

  it("names builds when the module does not bind the spec's arch", () => {
    const report = runConformance(riscvModule, { ...X86 });
    expect(report.violations.map((v) => v.invariant)).toEqual(['builds']);
    expect(report.violations[0]!.message).toContain('no port for "x86_64"');
  });
});

describe('load orders', () => {
  /** riscv with an extra range appended after the walk, as powerpc's remove_mem_range appends a tail. */
  class AppendsTail extends Riscv64Port {
    override crashMemory(s: SystemDescription): CrashMemory {
      const m = super.crashMemory(s);
      const [first, ...rest] = m.mem.ranges;
      const cut = { start: first!.start, end: first!.start + 0xfff_ffffn };
      const tail = { start: cut.end + 1n, end: first!.end };
      return { ...m, mem: { maxNrRanges: m.mem.maxNrRanges + 1, ranges: [cut, ...rest, tail] } };
    }
  }
  const spec = (loadOrder: ConformanceSpec['loadOrder']): ConformanceSpec => ({
    arch: 'riscv64',
    machine: 243,
    noteSize: 408n,
    machines: [riscvSystem({ origin: 'QEMU virt', kernel: '6.4' })],
    kernelMap: true,
    loadOrder,
    exclusions: (s) => [{ name: 'crashkernel', ...s.crashkernel! }],
    va: (pa, s) => BigInt.asUintN(64, pa - s.physOffset + s.pageOffset),
    elfTools: false,
    hotplugScenarios: [],
  });

  it('accepts an appended tail only where the spec declares one', () => {
    const port = moduleOf(new AppendsTail());
    expect(runConformance(port, spec('sorted-except-appended-tail')).violations).toEqual([]);
    expect(broken(runConformance(port, spec('sorted')))).toEqual(['load-order']);
    expect(broken(runConformance(port, spec('walk-order')))).toEqual(['load-order']);
  });

  it("takes a rule of the port's own", () => {
    const rule = (min: number) => (loads: readonly unknown[]) => (loads.length >= min ? undefined : `only ${loads.length} PT_LOADs, the rule wants ${min}`);
    expect(runConformance(riscvModule, spec(rule(2))).violations).toEqual([]);
    const report = runConformance(riscvModule, spec(rule(3)));
    expect(report.violations.map((v) => v.message)).toEqual([expect.stringMatching(/^load-order: QEMU virt: only 2 PT_LOADs, the rule wants 3 — /)]);
  });
});
