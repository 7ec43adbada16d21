// Strict parsers for the commands' option values: a value is read whole or refused with
// E_BAD_ARGUMENT naming the option, the value and what to write — never wrapped, rounded or
// read in part. Any command adopts one with a one-line change (`seedOption(opts.seed, '--seed')`).

import { CrashplugError, parseU64 } from '../core/base/index.js';
import { modelledReleases } from '../core/build/index.js';
import type { PluginRegistry } from '../core/port/index.js';
import { kernelProfile, newestRelease } from '../core/system/index.js';

function bad(option: string, text: string, why: string): never {
  throw new CrashplugError('E_BAD_ARGUMENT', `${option} ${JSON.stringify(text)} ${why}`);
}

/** A whole number in [min, max], decimal or 0x-hex; nothing else (no sign, no fraction, no exponent). */
export function integerOption(text: string, option: string, min: number, max: number): number {
  const t = text.trim();
  if (!/^(?:\d+|0x[0-9a-f]+)$/i.test(t)) bad(option, text, `is not a whole number; write it as ${min} to ${max}`);
  const v = BigInt(t);
  if (v < BigInt(min) || v > BigInt(max)) bad(option, text, `is out of range: it must be ${min} to ${max}`);
  return Number(v);
}

/** A 32-bit seed: 0 to 4294967295, as the draw uses it (a larger one is refused, not reduced). */
export function seedOption(text: string, option = '--seed'): number {
  return integerOption(text, option, 0, 0xffff_ffff);
}

/** A fraction in [0, 1] written as a decimal: 0, 1, 0.05, .5, 1.0 (not 0x1, 5e-2, 50%). */
export function fractionOption(text: string, option: string, meaning: string): number {
  const t = text.trim();
  if (!/^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/.test(t)) bad(option, text, `is not a fraction from 0 to 1 written as a decimal such as 0.05; ${meaning}`);
  return Number(t);
}

/** A byte size (1G, 128M, 4096, 0x1000) in [min, max]. */
export function sizeOption(text: string, option: string, min = 0n, max = (1n << 64n) - 1n): bigint {
  const v = parseU64(text);
  if (v === undefined) bad(option, text, 'is not a size; write it as 1G, 128M, 4096 or 0x1000');
  if (v < min) bad(option, text, min === 1n ? 'is zero; give a size of at least one byte' : `is below the least size, ${min} bytes`);
  if (v > max) bad(option, text, `is above the largest size, ${max} bytes`);
  return v;
}

/**
 * A kernel release crashplug models: a version kernelProfile reads, no newer than the newest
 * release core or a loaded port models. Refused with the modelled releases otherwise.
 */
export function kernelOption(text: string | undefined, registry: PluginRegistry, option = '--kernel'): string | undefined {
  if (text === undefined) return undefined;
  const all = modelledReleases(registry.releases());
  const list = `the modelled releases are ${all.join(', ')}`;
  let profile;
  try {
    profile = kernelProfile(text, option);
  } catch (err) {
    if (!CrashplugError.is(err)) throw err;
    bad(option, text, `is not a kernel release crashplug models; ${list}`);
  }
  const newest = kernelProfile(newestRelease(registry.releases()));
  if (!newest.atLeast(profile.major, profile.minor)) bad(option, text, `is newer than ${newest.version}, the newest release crashplug models; ${list}`);
  return text;
}

/** An option that does nothing without another is refused rather than silently ignored. */
export function requireWith(given: unknown, option: string, needed: unknown, neededOption: string, why: string): void {
  if (given !== undefined && needed === undefined) {
    throw new CrashplugError('E_BAD_ARGUMENT', `${option} does nothing without ${neededOption} (${why}); give ${neededOption} or leave ${option} out`);
  }
}
