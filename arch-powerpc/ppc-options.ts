// What the powerpc port reads beyond core's SystemDescription: the `powerpc` object of a system
// description (the remove_mem_range variant to reproduce, RTAS/OPAL ranges, the backup p_offset
// behaviour), the device tree the memory came from, and options a caller gives the port itself.
// Core carries the port's sections raw in `system.extensions` and a `memory.dtb` tree in `system.memory.fdt`.

import { CrashplugError, type Fdt, hex, parseU64, type Range, type SectionReader, type SystemDescription, type SystemSection } from '../core/port/index.js';
import { BACKUP_PHDR_BEHAVIOURS, type BackupPhdrBehaviour, REMOVE_MEM_RANGE_VARIANTS, type RemoveMemRangeVariant } from './ppc-profile.js';

/** The top-level sections of a system description the powerpc ports read (`ArchIdentity.extensionKeys`). */
export const POWERPC_SECTION = 'powerpc';
export const FADUMP_SECTION = 'fadump';

/** The `powerpc` object of a system description, read. */
export interface PowerpcOptions {
  /** Force a remove_mem_range behaviour; the default is `upstream-fix` whatever the release shipped. */
  readonly removeMemRange?: RemoveMemRangeVariant | undefined;
  /** Override the release's backup p_offset behaviour (for a stable kernel between the rules). */
  readonly backupPhdr?: BackupPhdrBehaviour | undefined;
  /** RTAS as `linux,rtas-base` and `rtas-size` describe it, inclusive; `null`: no /rtas node. */
  readonly rtas?: Range | null | undefined;
  /** OPAL as `opal-base-address` and `opal-runtime-size` describe it, inclusive; `null`: none. */
  readonly opal?: Range | null | undefined;
  /**
   * The live device tree, for a caller that has it as a model but not as the description's
   * `memory.dtb` (port options only: JSON cannot carry one); `memory.dtb`'s tree wins.
   */
  readonly fdt?: Fdt | undefined;
}

export const POWERPC_KEYS = ['removeMemRange', 'backupPhdr', 'rtas', 'opal'] as const;

function bad(where: string, what: string, todo: string): never {
  throw new CrashplugError('E_BAD_SYSTEM', `${where}: ${what}; ${todo}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return typeof v === 'string' ? JSON.stringify(v) : typeof v;
}

function u64(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  const parsed = typeof v === 'string' ? parseU64(v) : undefined;
  if (parsed === undefined) bad(where, `expected a "0x…" string, got ${describe(v)}`, 'write 64-bit values as "0x…" strings');
  return parsed;
}

function rangeOrNull(v: unknown, where: string): Range | null {
  if (v === null) return null;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'start' in v && 'end' in v) {
    const r = v as { start: unknown; end: unknown };
    return checkRange({ start: u64(r.start, `${where}.start`), end: u64(r.end, `${where}.end`) }, where);
  }
  if (!Array.isArray(v) || v.length !== 2)
    bad(where, `expected ["0x…", "0x…"] or null, got ${describe(v)}`, 'write a range as [start, end] with an inclusive end');
  return checkRange({ start: u64(v[0], `${where}[0]`), end: u64(v[1], `${where}[1]`) }, where);
}

function checkRange(r: Range, where: string): Range {
  if (r.end < r.start) bad(where, `start ${hex(r.start)} is above end ${hex(r.end)}`, 'the end is inclusive and at least the start');
  return r;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    bad(where, `${describe(v)} is not one of ${allowed.map((a) => `"${a}"`).join(', ')}`, `use one of those`);
  }
  return v as T;
}

/** Read the `powerpc` object of a description (raw JSON or already typed). */
export function parsePowerpcOptions(value: unknown, where = '$.powerpc'): PowerpcOptions {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    bad(where, `expected an object, got ${describe(value)}`, 'write { "removeMemRange": "…" }');
  const json = value as Record<string, unknown>;
  for (const key of Object.keys(json)) {
    if (!(POWERPC_KEYS as readonly string[]).includes(key)) {
      bad(`${where}.${key}`, `unknown key "${key}"`, `the known keys are ${POWERPC_KEYS.map((k) => `"${k}"`).join(', ')}`);
    }
  }
  return {
    removeMemRange: json.removeMemRange === undefined ? undefined : oneOf(json.removeMemRange, REMOVE_MEM_RANGE_VARIANTS, `${where}.removeMemRange`),
    backupPhdr: json.backupPhdr === undefined ? undefined : oneOf(json.backupPhdr, BACKUP_PHDR_BEHAVIOURS, `${where}.backupPhdr`),
    rtas: json.rtas === undefined ? undefined : rangeOrNull(json.rtas, `${where}.rtas`),
    opal: json.opal === undefined ? undefined : rangeOrNull(json.opal, `${where}.opal`),
  };
}

/** The `powerpc` section: parsed once when the description is loaded, kept in `system.extensions`. */
export const POWERPC_SECTION_READER: SystemSection = {
  description: 'powerpc kernel details: removeMemRange variant, backupPhdr behaviour, RTAS and OPAL ranges',
  parse(value: unknown, r: SectionReader): PowerpcOptions {
    r.object(value, '$.powerpc', POWERPC_KEYS); // unknown keys get core's "did you mean"
    return parsePowerpcOptions(value, `${r.origin}: $.powerpc`);
  },
};

/** The options in force: the description's `powerpc` object over the port's own. */
export function powerpcOptionsOf(system: SystemDescription, portOptions: PowerpcOptions = {}): PowerpcOptions {
  const fromSystem = (system.extensions?.[POWERPC_SECTION] as PowerpcOptions | undefined) ?? {};
  const pick = <K extends keyof PowerpcOptions>(k: K): PowerpcOptions[K] => (fromSystem[k] !== undefined ? fromSystem[k] : portOptions[k]);
  return {
    removeMemRange: pick('removeMemRange'),
    backupPhdr: pick('backupPhdr'),
    rtas: pick('rtas'),
    opal: pick('opal'),
    fdt: portOptions.fdt,
  };
}

/** The device tree behind the description: the one core parsed for `memory.dtb`, else the options'. */
export function deviceTreeOf(system: SystemDescription, options: PowerpcOptions): Fdt | undefined {
  return system.memory.fdt ?? options.fdt;
}

/** The `fadump` section of the description as loaded (a FadumpConfig), if it has one. */
export function fadumpExtensionOf(system: SystemDescription): unknown {
  return system.extensions?.[FADUMP_SECTION];
}
