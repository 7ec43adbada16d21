// The steps `elfcorehdr` and `inspect --against` share: refuse a builder this version lacks, build
// the header for a system, and gather everything the report says about it.

import {
  buildSystemElfcorehdr,
  CrashplugError,
  decodeElfCoreHeader,
  type PluginRegistry,
  type SystemDescription,
} from '../../core/index.js';
import type { BuiltReportInput } from '../describe.js';

export interface BuiltHeader extends BuiltReportInput {
  readonly bytes: Uint8Array;
}

export function unsupportedBuilder(builder: string, where: string): CrashplugError {
  return new CrashplugError(
    'E_UNSUPPORTED',
    `${where}: builder "${builder}": only the kernel builder (kexec_file_load's crash_prepare_elf64_headers) exists in this version of crashplug; use --builder kernel`,
  );
}

export function buildHeader(system: SystemDescription, registry: PluginRegistry): BuiltHeader {
  if (system.builder !== 'kernel') throw unsupportedBuilder(system.builder, `${system.origin}: $.builder`);
  const plugin = registry.get(system.arch, `${system.origin}: $.arch`);
  const built = buildSystemElfcorehdr(system, plugin);
  return {
    system,
    bytes: built.bytes,
    header: decodeElfCoreHeader(built.bytes, "crashplug's header"),
    layout: built.layout,
    crashMemory: built.crashMemory,
    segment: plugin.elfcorehdrSegment(system, built.layout),
    sysfsSize: plugin.sysfsElfcorehdrSize(system),
  };
}
