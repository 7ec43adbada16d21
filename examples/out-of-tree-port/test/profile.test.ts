// What the conformance kit does not ask: kernels before 6.18 are refused (no kexec_file crash
// loading on loongarch), and a description whose kernel image contradicts __pa_symbol is refused.

import { describe, expect, it } from 'vitest';
import portModule from '../src/index.js';
import { CrashplugError } from 'crashplug';
import { registryOf } from 'crashplug/port';
import { LA, loongarchSystem } from './machines.js';

const plugin = registryOf([portModule]).get('loongarch64');

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return CrashplugError.is(err) ? err.code : 'not a CrashplugError';
  }
  return undefined;
}

describe('loongarch64 port, beyond the kit', () => {
  it('refuses kernels before 6.18: kexec_file could not load a crash kernel', () => {
    expect(codeOf(() => plugin.crashMemory(loongarchSystem({ kernel: '6.17' })))).toBe('E_UNSUPPORTED');
    expect(codeOf(() => plugin.crashMemory(loongarchSystem({ kernel: '6.18' })))).toBeUndefined();
  });

  it('refuses a kernel image whose physical address is not _text with the window bits masked', () => {
    const bad = loongarchSystem({ kernelImage: { ...LA.kernelImage, textPhys: 0x40_0000n } });
    expect(codeOf(() => plugin.kernelMap(bad))).toBe('E_BAD_SYSTEM');
    expect(codeOf(() => plugin.kernelMap(loongarchSystem({ kernelImage: undefined })))).toBe('E_BAD_SYSTEM');
  });

  it('has 64 KiB alignment, top-down, and no hot-plug room', () => {
    const system = loongarchSystem();
    const layout = { size: 12_345 } as Parameters<typeof plugin.elfcorehdrSegment>[1];
    expect(plugin.elfcorehdrSegment(system, layout)).toMatchObject({
      memsz: 12_345,
      elfHeadersSize: 12_345,
      align: 0x1_0000,
      topDown: true,
      presetIndex: false,
    });
    expect(plugin.supportsHotplug({ fileMode: true, flags: 0, system })).toBe(false);
    expect(plugin.sysfsElfcorehdrSize(system)).toBe(0);
  });
});
