// `kexec_lock`: the mutex every kexec_load / kexec_file_load holds for its whole run and that the
// crash hot-plug handler only try-locks. In Linux it is busy only while userspace (a udev reload,
// kdump starting) is inside a load; here that contention is given explicitly or drawn from a
// seeded generator, so that which events find it busy is reproducible.

/** Whether the lock is held by someone else at the n-th try (0-based, counted over the run). */
export interface Contention {
  readonly describe: string;
  busy(attempt: number): boolean;
}

export const NO_CONTENTION: Contention = { describe: 'none', busy: () => false };

/** A 32-bit mix of (seed, n): each try draws independently of how many draws came before. */
function mix32(seed: number, n: number): number {
  let h = (seed ^ Math.imul(n + 1, 0x9e37_79b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Each try finds the lock busy with probability `fraction`, decided by `seed`. */
export function contentionFraction(fraction: number, seed: number): Contention {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`contention ${fraction} is not a fraction in [0, 1]`);
  if (fraction === 0) return NO_CONTENTION;
  const threshold = fraction * 2 ** 32;
  return { describe: `${fraction} (seed ${seed})`, busy: (n) => mix32(seed, n) < threshold };
}

/** Exactly the listed tries find the lock busy. */
export function contentionAt(attempts: Iterable<number>): Contention {
  const set = new Set(attempts);
  return { describe: `tries ${[...set].join(', ')}`, busy: (n) => set.has(n) };
}

export class KexecLock {
  #held = false;
  #attempts = 0;

  constructor(readonly contention: Contention = NO_CONTENTION) {}

  /** kexec_trylock(): false when held here or, by the contention model, by a concurrent load. */
  trylock(): boolean {
    const n = this.#attempts++;
    if (this.#held || this.contention.busy(n)) return false;
    this.#held = true;
    return true;
  }

  /** The racing load has finished: the next try cannot be refused by contention. */
  trylockUncontended(): boolean {
    this.#attempts++;
    if (this.#held) return false;
    this.#held = true;
    return true;
  }

  unlock(): void {
    if (!this.#held) throw new Error('kexec_unlock() without the lock');
    this.#held = false;
  }

  get held(): boolean {
    return this.#held;
  }

  get attempts(): number {
    return this.#attempts;
  }
}
