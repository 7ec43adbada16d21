// fadump end to end: the header the first kernel registers, and what the second kernel does with
// it — check it, then build its elfcorehdr — or refuse it, in which case the dump is invalidated
// and no elfcorehdr exists. The CLI's `fadump header` and `fadump process` are these two calls.

import { type ByteOrder, CrashplugError, type SystemDescription } from '../core/port/index.js';
import { type FadumpConfig, fadumpConfigOf } from './fadump-config.js';
import { buildFadumpElfcorehdr, type FadumpElfcorehdr } from './fadump-elfcorehdr.js';
import { buildFadumpHeader, checkFadumpHeader, type FadumpCheck, type FadumpHeaderFields } from './fadump-header.js';
import { powerpcProfile } from './ppc-profile.js';

/** The byte order of a powerpc arch id: fadump structures are native. */
export function fadumpByteOrder(arch: string): ByteOrder {
  if (arch === 'ppc64') return 'be';
  if (arch === 'ppc64le') return 'le';
  throw new CrashplugError('E_UNSUPPORTED', `fadump exists only on powerpc; "${arch}" is not ppc64 or ppc64le`);
}

function requireSecondKernelScheme(system: SystemDescription): void {
  if (!powerpcProfile(system.kernel).fadumpSecondKernelHeader) {
    throw new CrashplugError(
      'E_UNSUPPORTED',
      `${system.origin}: kernel ${system.kernel.version} predates 6.10: its first kernel built the fadump elfcorehdr itself (magic FADMPINF) ` +
        'and re-registered on every memory event; crashplug models the 6.10+ scheme, so use kernel "6.10" or newer',
    );
  }
}

export function fadumpHeader(system: SystemDescription, config: FadumpConfig = fadumpConfigOf(system)): Uint8Array {
  requireSecondKernelScheme(system);
  return buildFadumpHeader(system, config, fadumpByteOrder(system.arch));
}

export type FadumpProcessResult =
  | { readonly ok: true; readonly fields: FadumpHeaderFields; readonly elfcorehdr: FadumpElfcorehdr }
  | Extract<FadumpCheck, { ok: false }>;

/** The second kernel (`system` describes it and the machine's memory at its boot). */
export function fadumpProcess(system: SystemDescription, header: Uint8Array, config: FadumpConfig = fadumpConfigOf(system)): FadumpProcessResult {
  requireSecondKernelScheme(system);
  const order = fadumpByteOrder(system.arch);
  const check = checkFadumpHeader(header, order, config);
  if (!check.ok) return check;
  return { ok: true, fields: check.fields, elfcorehdr: buildFadumpElfcorehdr(system, config, check.fields, order) };
}
