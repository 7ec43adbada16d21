// The kernel's cpulist syntax ("0-3,8,10-11"), as /sys/devices/system/cpu/{possible,present,online}
// print it and `bitmap_parselist` reads it. CPU sets travel through system descriptions in this
// form, so reading is strict (a typo must not silently shrink a machine) and writing is canonical.

import { CrashplugError } from '../base/errors.js';

/**
 * The largest CPU number a cpulist may name. Every kernel config caps NR_CPUS far below this
 * (x86 MAXSMP is 8192); the bound only keeps a typo like "0-999999999" from building a huge set.
 */
export const CPULIST_MAX_CPU = 65535;

const EXAMPLE = 'write a cpulist such as "0-3,8,10-11"';

/**
 * Parse a cpulist into a sorted set without duplicates. The empty string (or a lone newline, as
 * sysfs prints an empty mask) is the empty set. Besides `a` and `a-b`, the kernel's grouped form
 * `a-b:used/group` is accepted ("0-7:2/4" is 0,1,4,5), since boot parameters use it.
 * `where` names the source in messages ("system.json: $.cpus.possible").
 */
export function parseCpulist(text: string, where: string): number[] {
  function bad(what: string, todo = EXAMPLE): never {
    throw new CrashplugError('E_BAD_CPULIST', `${where}: ${what}; ${todo}`);
  }
  const body = text.trim();
  if (body === '') return [];
  // Tokens in ascending order that do not overlap (as sysfs prints them) give the CPUs in order,
  // each once: they are listed as they come. The set and the sort are for any other order.
  let listed: number[] = [];
  let cpus: Set<number> | undefined;
  let lastListed = -1;
  const tokens = body.split(',');
  for (const raw of tokens) {
    const token = raw.trim();
    if (token === '') bad(`empty entry in "${body}"`, 'remove the doubled or trailing comma');
    if (token.startsWith('-')) bad(`"${token}" is negative`, 'CPU numbers start at 0');
    const m = /^(\d+)(?:-(\d+)(?::(\d+)\/(\d+))?)?$/.exec(token);
    if (m === null) bad(`"${token}" is not a CPU number or range`);
    const first = cpuNumber(m[1]!, token, bad);
    const last = m[2] === undefined ? first : cpuNumber(m[2], token, bad);
    if (last < first) bad(`"${token}" is reversed`, `write the lower CPU first ("${last}-${first}")`);
    const used = m[3] === undefined ? 1 : Number(m[3]);
    const group = m[4] === undefined ? 1 : Number(m[4]);
    if (used < 1 || group < 1 || used > group) {
      bad(`"${token}" has a bad group`, 'in "a-b:used/group", 1 ≤ used ≤ group');
    }
    if (cpus === undefined && first > lastListed) {
      // A plain range ("0-8191") takes every CPU: no group arithmetic per CPU, and when it is the
      // whole list, an array of its size filled in place of 8192 pushes growing one.
      if (group === 1 && tokens.length === 1) {
        listed = new Array(last - first + 1);
        for (let i = 0; i < listed.length; i++) listed[i] = first + i;
      } else if (group === 1) for (let cpu = first; cpu <= last; cpu++) listed.push(cpu);
      else {
        for (let cpu = first; cpu <= last; cpu++) {
          if ((cpu - first) % group < used) listed.push(cpu);
        }
      }
      lastListed = last;
      continue;
    }
    cpus ??= new Set(listed);
    for (let cpu = first; cpu <= last; cpu++) {
      if ((cpu - first) % group < used) cpus.add(cpu);
    }
  }
  return cpus === undefined ? listed : [...cpus].sort((a, b) => a - b);
}

function cpuNumber(digits: string, token: string, bad: (what: string, todo?: string) => never): number {
  const n = Number(digits);
  if (n > CPULIST_MAX_CPU) {
    bad(`CPU ${digits} in "${token}" is absurdly large (above ${CPULIST_MAX_CPU})`, 'check for a typo; no kernel has that many CPUs');
  }
  return n;
}

/**
 * The canonical cpulist of a set, as the kernel prints it: ascending, runs of two or more as
 * "a-b", no spaces, no newline. Input need not be sorted; duplicates are ignored.
 */
export function formatCpulist(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i]!;
    let last = first;
    while (sorted[i + 1] === last + 1) {
      last += 1;
      i += 1;
    }
    parts.push(last === first ? `${first}` : `${first}-${last}`);
    i += 1;
  }
  return parts.join(',');
}
