// What makes a module a crashplug port, checked before anything uses it: a ContainerModule that
// binds at least one ArchPort whose identity is complete. Each failure is one E_PORT_MODULE line
// naming the module and exactly what is missing.

import { CrashplugError } from '../core/base/index.js';
import { type ArchPort, coreDefaults } from '../core/port/index.js';

/** An inversify ContainerModule, recognised by shape (a port may bring its own copy of inversify). */
export interface ModuleLike {
  readonly id: number;
  readonly load: (...args: never[]) => unknown;
}

export function isContainerModule(value: unknown): value is ModuleLike {
  return typeof value === 'object' && value !== null && typeof (value as ModuleLike).load === 'function' && typeof (value as ModuleLike).id === 'number';
}

/** The ContainerModule a port module exports: its default export, `portModule`, or its one ContainerModule. */
export function portModuleOf(exports: Record<string, unknown>, where: string): ModuleLike {
  const candidates = [exports.default, exports.portModule, (exports.default as Record<string, unknown> | undefined)?.portModule];
  for (const c of candidates) if (isContainerModule(c)) return c;
  const modules = Object.entries(exports).filter(([, v]) => isContainerModule(v));
  if (modules.length === 1) return modules[0]![1] as ModuleLike;
  const names = Object.keys(exports);
  throw new CrashplugError(
    'E_PORT_MODULE',
    `${where}: ${modules.length > 1 ? `exports ${modules.length} ContainerModules (${modules.map(([k]) => k).join(', ')})` : 'exports no inversify ContainerModule'}` +
      ` (its exports: ${names.length ? names.join(', ') : 'none'}); export the port's module as the default export or as "portModule"`,
  );
}

const IDENTITY: readonly (readonly [keyof ArchPort, string, (v: unknown) => boolean])[] = [
  ['id', 'a string, the "arch" of a system description', (v) => typeof v === 'string' && v.length > 0],
  ['description', 'a one-line string for --help', (v) => typeof v === 'string'],
  ['machine', 'ELF e_machine, an integer', (v) => Number.isInteger(v)],
  ['machineName', 'e_machine\'s name such as "EM_LOONGARCH"', (v) => typeof v === 'string' && v.length > 0],
  ['noteSize', 'sizeof(note_buf_t) as a bigint', (v) => typeof v === 'bigint' && v > 0n],
  [
    'defaults',
    '{ pageOffset: bigint, pageSize: number }',
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      typeof (v as { pageOffset?: unknown }).pageOffset === 'bigint' &&
      Number.isInteger((v as { pageSize?: unknown }).pageSize),
  ],
];

/** Every identity field a port must give and every hook it gives must be a function. */
export function checkPort(port: unknown, where: string): ArchPort {
  if (typeof port !== 'object' || port === null)
    throw new CrashplugError('E_PORT_MODULE', `${where}: binds an ArchPort that is ${port === null ? 'null' : typeof port}, not an object`);
  const p = port as Record<string, unknown>;
  const missing = IDENTITY.filter(([key, , ok]) => !ok(p[key])).map(([key, what]) => `${String(key)} (${what})`);
  // vaOffset is a hook too, one without a core default.
  const notFunctions = [...Object.keys(coreDefaults), 'vaOffset'].filter((hook) => p[hook] !== undefined && typeof p[hook] !== 'function');
  if (missing.length > 0 || notFunctions.length > 0) {
    const id = typeof p.id === 'string' ? ` "${p.id}"` : '';
    const parts = [
      ...(missing.length ? [`lacks ${missing.join(', ')}`] : []),
      ...(notFunctions.length ? [`has hooks that are not functions: ${notFunctions.join(', ')}`] : []),
    ];
    throw new CrashplugError('E_PORT_MODULE', `${where}: its port${id} ${parts.join('; ')}; see PORTING.md "The port"`);
  }
  return port as ArchPort;
}
