// Time, as core sees it: a clock it is handed. Core reads no clock of its own, so a model run is
// reproducible; the CLI passes the host's monotonic clock to time what it measures.

export interface Clock {
  /** A monotonic time in nanoseconds; only differences mean anything. */
  nowNs(): bigint;
}

/**
 * The clock core uses when none is given: it does not read time, it counts calls, so every
 * measured window is a positive, reproducible number of "ticks" (1 ns each).
 */
export function countingClock(): Clock {
  let t = 0n;
  return { nowNs: () => ++t };
}
