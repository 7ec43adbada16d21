// Shared by the benchmarks: medians, timing a child process, fitting a power law.

import { spawnSync } from 'node:child_process';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Wall time (ms) and peak RSS (KiB, from the kernel's rusage of the child) of one command. */
export function runOnce(cmd: string, args: readonly string[]): { ms: number; maxRssKb: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  // spawnSync gives no rusage; /usr/bin/time does, where present (see timedRun).
  return { ms, maxRssKb: 0, stdout: r.stdout };
}

/** Wall time, stdout and peak RSS of one command run under GNU time (RSS undefined where it is missing). */
export function timedRun(cmd: string, args: readonly string[]): { ms: number; maxRssKb: number | undefined; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error !== undefined) return { ...runOnce(cmd, args), maxRssKb: undefined };
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /(\d+)\s*$/.exec(r.stderr.trim());
  return { ms, maxRssKb: m === null ? undefined : Number(m[1]), stdout: r.stdout };
}

/** Median wall times of several commands, interleaved round by round so drift hits all alike. */
export function interleaved(cmds: Record<string, readonly [string, ...string[]]>, rounds: number): Record<string, number> {
  const t: Record<string, number[]> = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const [k, [c, ...a]] of Object.entries(cmds)) t[k]!.push(runOnce(c, a).ms);
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
}

/** Least squares of log y on log x: y ≈ c·x^exponent; slope is the linear fit's dy/dx. */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): { exponent: number; slope: number } {
  const n = xs.length;
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((a, b) => a + b, 0) / n;
  const my = ly.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  const ax = xs.reduce((a, b) => a + b, 0) / n;
  const ay = ys.reduce((a, b) => a + b, 0) / n;
  let sn = 0;
  let sd = 0;
  for (let i = 0; i < n; i++) {
    sn += (xs[i]! - ax) * (ys[i]! - ay);
    sd += (xs[i]! - ax) ** 2;
  }
  return { exponent: num / den, slope: sn / sd };
}
