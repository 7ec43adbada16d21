// Which arm64 kernel is modelled: mainline, which has no crash hot-plug, or one carrying the
// proposed "arm64/crash: Add crash hotplug support" series. The port has a default; a system
// description may override it with its `arm64` object ("arm64": {"crashHotplug": true}).

import { CrashplugError, type SystemDescription } from '../core/port/index.js';

export interface Arm64Options {
  /** The kernel carries the proposed arm64 crash hot-plug series (not mainline; facts §2.10, §5.2). */
  readonly crashHotplug: boolean;
}

/** What mainline Linux does: no ARCH_SUPPORTS_CRASH_HOTPLUG on arm64. */
export const ARM64_MAINLINE: Arm64Options = { crashHotplug: false };

/** A kernel with the proposed series applied. */
export const ARM64_CRASH_HOTPLUG_SERIES: Arm64Options = { crashHotplug: true };

const KEYS: readonly (keyof Arm64Options)[] = ['crashHotplug'];

/** The top-level section of a system description the arm64 port reads (`ArchIdentity.extensionKeys`). */
export const ARM64_SECTION = 'arm64';

/** The options for one machine: the port's defaults, overridden by the description's `arm64` object. */
export function arm64OptionsOf(system: SystemDescription, defaults: Arm64Options): Arm64Options {
  const section = system.extensions?.[ARM64_SECTION];
  if (section === undefined) return defaults;
  const where = `${system.origin}: $.arm64`;
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw new CrashplugError('E_BAD_SYSTEM', `${where}: expected an object such as {"crashHotplug": true}`);
  }
  const json = section as Record<string, unknown>;
  for (const key of Object.keys(json)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new CrashplugError('E_BAD_SYSTEM', `${where}.${key}: not an arm64 option; the options are ${KEYS.map((k) => `"${k}"`).join(', ')}`);
    }
  }
  const crashHotplug = json.crashHotplug ?? defaults.crashHotplug;
  if (typeof crashHotplug !== 'boolean') {
    throw new CrashplugError('E_BAD_SYSTEM', `${where}.crashHotplug: expected true or false, got ${JSON.stringify(crashHotplug)}`);
  }
  return { crashHotplug };
}
