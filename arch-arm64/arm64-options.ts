// Which arm64 kernel is modelled: mainline, which has no crash hot-plug, or one carrying the
// proposed "arm64/crash: Add crash hotplug support" series. The port has a default; a system
// description may override it with its `arm64` object ("arm64": {"crashHotplug": true}).

import type { SectionReader, SystemDescription, SystemSection } from '../core/port/index.js';

export interface Arm64Options {
  /** The kernel carries the proposed arm64 crash hot-plug series (not mainline; facts §2.10, §5.2). */
  readonly crashHotplug: boolean;
}

/** What mainline Linux does: no ARCH_SUPPORTS_CRASH_HOTPLUG on arm64. */
export const ARM64_MAINLINE: Arm64Options = { crashHotplug: false };

/** A kernel with the proposed series applied. */
export const ARM64_CRASH_HOTPLUG_SERIES: Arm64Options = { crashHotplug: true };

const KEYS: readonly (keyof Arm64Options)[] = ['crashHotplug'];

/** The top-level section of a system description the arm64 port reads (`ArchIdentity.sections`). */
export const ARM64_SECTION = 'arm64';

/** The `arm64` section: parsed once when the description is loaded, kept in `system.extensions`. */
export const ARM64_SECTION_READER: SystemSection = {
  description: 'which arm64 kernel is modelled: {"crashHotplug": true} for one carrying the proposed crash hot-plug series',
  parse(value: unknown, r: SectionReader): Partial<Arm64Options> {
    const json = r.object(value, '$.arm64', KEYS);
    return json.crashHotplug === undefined ? {} : { crashHotplug: r.boolean(json.crashHotplug, '$.arm64.crashHotplug') };
  },
};

/** The options for one machine: the port's defaults, overridden by the description's `arm64` object. */
export function arm64OptionsOf(system: SystemDescription, defaults: Arm64Options): Arm64Options {
  const section = system.extensions?.[ARM64_SECTION] as Partial<Arm64Options> | undefined;
  return section === undefined ? defaults : { ...defaults, ...section };
}
