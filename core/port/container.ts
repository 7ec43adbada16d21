// Builds the inversify container: the core bindings plus whatever port modules the caller loads.
// The registry is a resolved value over *all* ports (inversify 8's getAll skips named bindings,
// so ports are bound without constraints and told apart by their id).

import 'reflect-metadata';
import { Container, type ContainerModule } from 'inversify';
import type { ArchPort } from './plugin.js';
import { PluginRegistry } from './registry.js';
import { TOKENS } from './tokens.js';

export function buildContainer(modules: readonly ContainerModule[]): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container
    .bind<PluginRegistry>(TOKENS.PluginRegistry)
    .toResolvedValue((ports: ArchPort[]) => new PluginRegistry(ports), [{ serviceIdentifier: TOKENS.ArchPort, isMultiple: true }]);
  container.load(...modules);
  return container;
}

export function registryOf(modules: readonly ContainerModule[]): PluginRegistry {
  return buildContainer(modules).get<PluginRegistry>(TOKENS.PluginRegistry);
}
