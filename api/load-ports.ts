// Loading ports that live outside crashplug: `--port MODULE` and CRASHPLUG_PORTS. A module is a
// path (absolute, or relative to the working folder) or a package name resolved from the working
// folder, as the user's own project would resolve it. Each is checked before it is used.

import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Container, type ContainerModule } from 'inversify';
import { CrashplugError } from '../core/base/index.js';
import { TOKENS } from '../core/port/index.js';
import { checkPort, portModuleOf } from './port-validation.js';

/** The module specifiers in CRASHPLUG_PORTS: comma-separated, blanks ignored. */
export function portsFromEnv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function looksLikePath(spec: string): boolean {
  return isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..' || /\.[cm]?js$/.test(spec);
}

async function importPort(spec: string, cwd: string): Promise<Record<string, unknown>> {
  let url: string;
  try {
    url = looksLikePath(spec) ? pathToFileURL(resolve(cwd, spec)).href : pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(spec)).href;
  } catch (err) {
    throw new CrashplugError(
      'E_PORT_MODULE',
      `port module "${spec}": not found from ${cwd} (${(err as Error).message.split('\n')[0]}); give a path or install the package`,
      { cause: err },
    );
  }
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new CrashplugError('E_PORT_MODULE', `port module "${spec}": cannot be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, {
      cause: err,
    });
  }
}

/**
 * The ContainerModule a specifier names, checked in a container of its own: it must bind at least
 * one ArchPort, and every port it binds must have a complete identity.
 */
export async function loadPortModule(spec: string, cwd = process.cwd()): Promise<ContainerModule> {
  const where = `port module "${spec}"`;
  const module = portModuleOf(await importPort(spec, cwd), where) as unknown as ContainerModule;
  const probe = new Container({ defaultScope: 'Singleton' });
  let ports: unknown[];
  try {
    probe.load(module);
    ports = probe.isBound(TOKENS.ArchPort) ? probe.getAll(TOKENS.ArchPort) : [];
  } catch (err) {
    throw new CrashplugError(
      'E_PORT_MODULE',
      `${where}: its ContainerModule fails to load (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); bind the port with bind(TOKENS.ArchPort).to(Port), Port @injectable()`,
      { cause: err },
    );
  }
  if (ports.length === 0) {
    throw new CrashplugError(
      'E_PORT_MODULE',
      `${where}: its ContainerModule binds no ArchPort; bind one to TOKENS.ArchPort (Symbol.for('crashplug.ArchPort')) from crashplug/port`,
    );
  }
  for (const p of ports) checkPort(p, where);
  return module;
}
