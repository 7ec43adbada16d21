// The CrashplugError a call throws, for tests that check code and message; anything else thrown
// (or nothing) fails the test, so a wrong kind of failure never passes as the expected one.

import { CrashplugError } from '../../core/base/index.js';

export function crashplugErrorOf(fn: () => unknown): CrashplugError {
  try {
    fn();
  } catch (err) {
    if (CrashplugError.is(err)) return err;
    throw err;
  }
  throw new Error('expected a CrashplugError, nothing was thrown');
}
