// The one error type of crashplug. Every failure a user can cause carries a stable code and a
// message that says what was wrong, where, and what to do; anything else is an internal fault.

export type ErrorCode =
  | 'E_BAD_IOMEM'
  | 'E_BAD_CPULIST'
  | 'E_BAD_SYSTEM'
  | 'E_BAD_ELF'
  | 'E_BAD_FDT'
  | 'E_BAD_ARGUMENT'
  | 'E_UNKNOWN_ARCH'
  | 'E_UNSUPPORTED'
  | 'E_RANGES_FULL'
  | 'E_TOO_MANY_PHDRS'
  | 'E_ELFCOREHDR_TOO_LARGE'
  | 'E_SEGMENT_NOT_FOUND'
  | 'E_SEGMENT_PLACEMENT'
  | 'E_KEXEC_EINVAL'
  | 'E_IO'
  /** An input larger than crashplug's cap for its kind (the message names the cap). */
  | 'E_TOO_LARGE'
  /** Ports that cannot be loaded together (two claim one arch) or a port section that clashes with core's. */
  | 'E_PLUGIN'
  /** A module given to `--port` (or CRASHPLUG_PORTS) is not a crashplug port: it says what is missing. */
  | 'E_PORT_MODULE'
  /** A port's hook threw something other than a CrashplugError: a fault in the port, not in the input. */
  | 'E_PORT_FAULT'
  /** The fadump crash-info header's magic is old, byte-swapped or not fadump's. */
  | 'E_FADUMP_MAGIC'
  /** A fadump crash-info header with the right magic that the second kernel still refuses: empty, truncated, sizes that do not match. */
  | 'E_FADUMP_HEADER';

const BRAND = Symbol.for('crashplug.CrashplugError');

export class CrashplugError extends Error {
  readonly [BRAND] = true;
  override readonly name = 'CrashplugError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True for our errors even when they cross a module-copy boundary (the brand, not instanceof). */
  static is(value: unknown): value is CrashplugError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** A fault of crashplug or of a port rather than of the input (the CLI exits 1, not 2). */
  get internal(): boolean {
    return this.code === 'E_PORT_FAULT';
  }

  /** The one-line form the CLI prints: `E_CODE: message`. */
  toLine(): string {
    return `${this.code}: ${this.message}`;
  }
}

export function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new CrashplugError(code, message, cause === undefined ? undefined : { cause });
}
