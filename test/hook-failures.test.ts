// A port hook that throws during hot-plug: the kernel logs it and carries on (the image counts as
// updated), and crashplug counts it, so a run whose every update failed in the arch cannot read clean.

import { describe, expect, it } from 'vitest';
import { X86Port } from '../arch-x86/index.js';
import { resizeEvents, simulateHotplug } from '../core/hotplug/index.js';
import { resolvePlugin } from '../core/port/index.js';
import { x86System } from './support/systems.js';

class ThrowingX86 extends X86Port {
  override handleHotplugEvent = (): void => {
    throw new TypeError("Cannot read properties of undefined (reading 'ranges')");
  };
}

describe('a port hook that throws during simulate', () => {
  const system = x86System({ crashkernel: { start: 0x4000_0000n, end: 0x4fff_ffffn } });
  const events = resizeEvents(system, { from: 2n << 30n, to: 3n << 30n, dimmSize: 1n << 30n, blockSize: 128n << 20n });

  it('is counted in hookFailures, once per event the arch was called for, and logged with the port and hook', () => {
    const r = simulateHotplug(system, resolvePlugin(new ThrowingX86()), events, { strategy: 'kernel', mode: 'file' });
    expect(r.summary.hookFailures).toBe(8); // one DIMM of 1 GiB: eight 128 MiB blocks, one event each
    expect(r.summary.installs).toBe(0);
    expect(r.summary.finalHeaderMatchesFresh).toBe(false);
    expect(r.kexec.log.lines.filter((l) => l.level === 'err')[0]?.text).toBe(
      "crash hp: the x86_64 port failed in handleHotplugEvent: Cannot read properties of undefined (reading 'ranges')",
    );
  });

  it('is zero for the port as it is', () => {
    const r = simulateHotplug(system, resolvePlugin(new X86Port()), events, { strategy: 'kernel', mode: 'file' });
    expect(r.summary.hookFailures).toBe(0);
    expect(r.summary.finalHeaderMatchesFresh).toBe(true);
  });
});
