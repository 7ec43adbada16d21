// The steps `elfcorehdr` and `inspect --against` share: build the header for a system with the
// builder it names — the kernel's (kexec_file_load) or kexec-tools' (kexec_load) — and gather
// everything the report says about it.

import { buildSystemElfcorehdr } from '../../core/build/index.js';
import { decodeElfCoreHeaderLazily, type PhdrRole } from '../../core/elf/index.js';
import { buildKexecToolsElfcorehdr } from '../../core/kexec/index.js';
import type { ArchPlugin, PluginRegistry } from '../../core/port/index.js';
import type { SystemDescription } from '../../core/system/index.js';
import { kexecToolsSegmentRuleOf, kexecToolsSegmentSize } from '../../core/kexec/index.js';
import { rolesOfLayout } from '../phdr-roles.js';
import type { BuiltReportInput } from '../report-input.js';

export type BuiltHeader = BuiltReportInput & { readonly bytes: Uint8Array };

function kernelBuilt(system: SystemDescription, plugin: ArchPlugin): BuiltHeader {
  const built = buildSystemElfcorehdr(system, plugin);
  // Decoded lazily: the text report reads its table from the bytes, and only --json, --html and
  // inspect --against need the program headers as objects.
  const { decoded, table } = decodeElfCoreHeaderLazily(built.bytes, "crashplug's header");
  // The roles too are made on first use: the text report reads them from the layout.
  let roles: PhdrRole[] | undefined;
  return {
    builder: 'kernel',
    system,
    machineName: plugin.machineName,
    bytes: built.bytes,
    header: decoded,
    phdrTable: table,
    get roles(): readonly PhdrRole[] {
      roles ??= rolesOfLayout(built.layout);
      return roles;
    },
    size: built.layout.size,
    sizedPhnum: built.layout.sizedPhnum,
    layout: built.layout,
    crashMemory: built.crashMemory,
    segment: plugin.elfcorehdrSegment(system, built.layout),
    sysfsSize: plugin.sysfsElfcorehdrSize(system),
  };
}

function kexecToolsBuilt(system: SystemDescription, plugin: ArchPlugin): BuiltHeader {
  // A port without the hook is refused here with E_UNSUPPORTED naming the port.
  const built = buildKexecToolsElfcorehdr(system, plugin);
  const rule = kexecToolsSegmentRuleOf(built.ranges);
  return {
    builder: 'kexec-tools',
    system,
    machineName: plugin.machineName,
    bytes: built.bytes,
    header: built.header,
    roles: built.layout.roles,
    size: built.size,
    sizedPhnum: built.layout.sizedPhnum,
    layout: built.layout,
    ranges: built.ranges,
    // --hotplug reads the kernel's /sys/kernel/crash_elfcorehdr_size, so the kernel profile matters here.
    segment: rule === undefined ? undefined : kexecToolsSegmentSize(rule, built.size, plugin.sysfsElfcorehdrSize(system), system.pageSize),
  };
}

export function buildHeader(system: SystemDescription, registry: PluginRegistry): BuiltHeader {
  const plugin = registry.get(system.arch, `${system.origin}: $.arch`);
  switch (system.builder) {
    case 'kernel':
      return kernelBuilt(system, plugin);
    case 'kexec-tools':
      return kexecToolsBuilt(system, plugin);
    default: {
      const never: never = system.builder;
      throw new Error(`unknown builder ${String(never)}`);
    }
  }
}
