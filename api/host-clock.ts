// The host's monotonic clock, for a caller that wants real timings of a simulation (core itself
// never reads time; see core/base/clock.ts).

import type { Clock } from '../core/base/index.js';

export const HOST_CLOCK: Clock = { nowNs: () => process.hrtime.bigint() };
