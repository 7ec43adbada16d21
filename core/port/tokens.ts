// Every service identifier of the container, in one place.

export const TOKENS = {
  /** An architecture port (`ArchPort`); bound once per port, without constraints. */
  ArchPort: Symbol.for('crashplug.ArchPort'),
  /** A command a port adds to the CLI (`PortCommand`); bound once per command, without constraints. */
  PortCommand: Symbol.for('crashplug.PortCommand'),
  /** The `PluginRegistry` that resolves ports into complete plug-ins. */
  PluginRegistry: Symbol.for('crashplug.PluginRegistry'),
} as const;
