// The kernel log of a simulation: what the handler and the arch hooks print, with the kernel's
// prefixes. Bounded, because a resize prints per event; every message is also counted, so a
// report can say "printed 3 times" without keeping all of them.

export type LogLevel = 'err' | 'warn' | 'info' | 'debug';

export interface LogLine {
  readonly level: LogLevel;
  readonly text: string;
}

/** What the messages past the distinct limit are counted as. */
export const OTHER_MESSAGES = '(other messages, past the distinct ones counted one by one)';

export class KernelLog {
  readonly #lines: LogLine[] = [];
  readonly #counts = new Map<string, number>();
  #printed = 0;

  constructor(
    /** Lines kept; older ones are dropped first. */
    readonly limit = 1000,
    /** pr_debug is compiled out unless dynamic debug is on. */
    readonly debug = false,
    /**
     * Distinct messages counted one by one; later new ones are counted together under
     * OTHER_MESSAGES, so that a run printing a new number each time (an elfsz growing by a page
     * every 73 DIMMs) keeps bounded memory.
     */
    readonly distinctLimit = 4096,
  ) {}

  printk(level: LogLevel, text: string): void {
    if (level === 'debug' && !this.debug) return;
    const n = this.#counts.get(text);
    if (n !== undefined) this.#counts.set(text, n + 1);
    else if (this.#counts.size < this.distinctLimit) this.#counts.set(text, 1);
    else this.#counts.set(OTHER_MESSAGES, (this.#counts.get(OTHER_MESSAGES) ?? 0) + 1);
    this.#printed++;
    this.#lines.push({ level, text });
    if (this.#lines.length > this.limit) this.#lines.splice(0, this.#lines.length - this.limit);
  }

  get lines(): readonly LogLine[] {
    return this.#lines;
  }

  /** Lines printed over the whole run (kept or not). */
  get printed(): number {
    return this.#printed;
  }

  /** The last `n` lines printed, as far as they are still kept. */
  last(n: number): readonly LogLine[] {
    return n <= 0 ? [] : this.#lines.slice(-n);
  }

  /** How often `text` was printed over the whole run (0 for a message past the distinct limit: see OTHER_MESSAGES). */
  count(text: string): number {
    return this.#counts.get(text) ?? 0;
  }

  /** Every distinct message with its count, most frequent first. */
  summary(): { text: string; count: number }[] {
    return [...this.#counts].map(([text, count]) => ({ text, count })).sort((a, b) => b.count - a.count);
  }
}
