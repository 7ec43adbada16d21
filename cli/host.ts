// Describes the machine crashplug runs on, from what Linux shows in /proc and /sys, as a system
// description (format 1). Whatever it cannot read it assumes, and says what it assumed and why,
// so the header printed for the host is never silently made up. `root` lets tests fake the tree.

import { arch as osArch, endianness as osEndianness, release as osRelease } from 'node:os';
import { join, resolve } from 'node:path';
import { CrashplugError, hex } from '../core/base/index.js';
import type { Range } from '../core/memory/index.js';
import type { HostIdentity, PluginRegistry } from '../core/port/index.js';
import {
  formatCpulist,
  iomemCrashKernel,
  iomemSystemRam,
  kernelProfile,
  newestRelease,
  parseCpulist,
  parseIomem,
  type CpuSets,
  type SystemDescription,
  vmcoreinfoNoteSize,
} from '../core/system/index.js';
import { parseSysfsHex, readConfig, readKexecSysfs, readCrashNotes, readKcoreLinearOffset, readKernelImage, tryRead } from './host-readers.js';
import { rangeText } from './phdr-roles.js';
import { parseSystemJson } from '../api/system-file.js';

export interface HostOptions {
  /** Where /proc and /sys are; "/" on a real machine. */
  readonly root?: string | undefined;
  /** `uname -r`. */
  readonly release?: string | undefined;
  /** Node's `process.arch`. */
  readonly nodeArch?: string | undefined;
  readonly endianness?: 'BE' | 'LE' | undefined;
  /** --kernel: the kernel profile to model instead of the running one. */
  readonly kernel?: string | undefined;
}

export interface HostDescription {
  readonly system: SystemDescription;
  /** The same machine as a system description file; save it to rerun with --system. */
  readonly json: Record<string, unknown>;
  /** Values that could not be read, each with what was assumed and why. */
  readonly assumptions: readonly string[];
  /** Values that were read, with where from. */
  readonly read: readonly string[];
}

/** Without CAP_SYS_ADMIN every address in /proc/iomem reads as zero (the names are still there). */
function iomemIsZeroed(text: string): boolean {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.length > 0 && lines.every((l) => /^\s*0+-0+\s*:/.test(l));
}

function noHostMemory(path: string, why: string): CrashplugError {
  return new CrashplugError(
    'E_IO',
    `${path}: ${why}, so crashplug cannot see this machine's memory; run it as root (sudo npm start), ` +
      'or describe the machine in a file and use --system FILE.json',
  );
}

/** Read this machine (or the tree under `root`) into a system description. */
export function readHostSystem(registry: PluginRegistry, opts: HostOptions = {}): HostDescription {
  const root = resolve(opts.root ?? '/');
  const at = (rel: string): string => join(root, rel);
  const assumptions: string[] = [];
  const read: string[] = [];

  const nodeArch = opts.nodeArch ?? osArch();
  const endianness = opts.endianness ?? osEndianness();
  // Each port says what its hosts look like (HostIdentity); none is named here.
  const plugin = registry.hostPort(nodeArch, endianness);
  if (plugin?.host === undefined) {
    const loaded = registry.all().map((p) => (p.host === undefined ? p.id : `${p.id} (node ${p.host.nodeArch})`));
    throw new CrashplugError(
      'E_UNSUPPORTED',
      `this host is Node arch "${nodeArch}" (${endianness}), and no loaded port claims it (ports: ${loaded.join(', ') || 'none'}); ` +
        'load a port for it with --port MODULE, or describe a machine of a supported arch with --system FILE.json',
    );
  }
  const arch = plugin.id;
  const host = plugin.host;

  // Memory first: without it nothing else is worth reading.
  const iomemPath = at('proc/iomem');
  const iomemRead = tryRead(iomemPath);
  if ('error' in iomemRead) throw noHostMemory(iomemPath, `not readable (${iomemRead.error})`);
  if (iomemIsZeroed(iomemRead.text)) throw noHostMemory(iomemPath, 'every address reads as 0 (the kernel hides them from users without CAP_SYS_ADMIN)');
  const tree = parseIomem(iomemRead.text, iomemPath);
  const ram = iomemSystemRam(tree);
  read.push(`${iomemPath}: ${ram.length} System RAM ranges`);
  const crash = iomemCrashKernel(tree, iomemPath);
  if (crash.crashkernel === undefined) {
    assumptions.push(`no Crash kernel in ${iomemPath}: no crashkernel= reservation, so kdump cannot load here; header shown with nothing reserved`);
  } else {
    read.push(
      `crashkernel ${rangeText(crash.crashkernel)}${crash.crashkernelLow === undefined ? '' : `, crashkernelLow ${rangeText(crash.crashkernelLow)}`} (Crash kernel in ${iomemPath})`,
    );
  }

  const kernel = readRelease(opts, newestRelease(registry.releases()), assumptions, read);
  const cpuDir = at('sys/devices/system/cpu');
  const { possible, present, online } = readCpuMasks(cpuDir, assumptions, read);
  const { vmcoreinfo, pageSize } = readVmcoreinfo(at('sys/kernel/vmcoreinfo'), arch, plugin.defaults.pageSize, assumptions, read);
  const crashNotes = readCrashNotes(cpuDir, possible, present, plugin.noteSize, pageSize, assumptions, read);
  const kernelImage = readKernelImage(at('proc/kallsyms'), iomemPath, tree, host.kernelTextWithoutKaslr, plugin.defaults.pageOffset, assumptions, read);

  const pageOffset = readPageOffset(at('proc/kcore'), arch, host, plugin.defaults.pageOffset, ram, kernelImage, assumptions, read);

  const config = readConfig(cpuDir, at('sys/devices/system/memory'), assumptions, read);
  const { crashkernelCma } = readKexecSysfs(at('sys/kernel'), assumptions, read);
  assumptions.push('header built as kexec_file_load (kexec -s -p) builds it; kexec_load (kexec-tools) writes a different one');

  const json: Record<string, unknown> = {
    arch,
    memory: { iomem: iomemPath },
    cpus: { possible: formatCpulist(possible), present: formatCpulist(present), online: formatCpulist(online) },
    crashNotes,
    vmcoreinfo: { address: hex(vmcoreinfo.address), size: hex(vmcoreinfo.size) },
    kernelImage: { text: hex(kernelImage.text), textPhys: hex(kernelImage.textPhys), size: hex(kernelImage.size) },
    ...(crashkernelCma === undefined || crashkernelCma.length === 0 ? {} : { crashkernelCma: crashkernelCma.map((r) => [hex(r.start), hex(r.end)]) }),
    pageOffset: hex(pageOffset),
    pageSize,
    kernel,
    builder: 'kernel',
    config,
  };
  const origin = root === resolve('/') ? 'host' : `host (${root})`;
  const system = parseSystemJson(json, { origin, baseDir: root, registry });
  return { system, json, assumptions, read };
}

/** PAGE_OFFSET from /proc/kcore where it says it, else the port's default, and why. */
function readPageOffset(
  kcore: string,
  arch: string,
  host: HostIdentity,
  fallback: bigint,
  ram: readonly Range[],
  kernelImage: { readonly text: bigint; readonly textRead: boolean },
  assumptions: string[],
  read: string[],
): bigint {
  const found = host.kcoreGivesPageOffset ? readKcoreLinearOffset(kcore, ram, kernelImage.textRead ? kernelImage.text : undefined) : undefined;
  if (found !== undefined && 'offset' in found) {
    read.push(`PAGE_OFFSET ${hex(found.offset)} (${kcore}: p_vaddr − p_paddr of its RAM PT_LOADs, as kexec-tools reads it)`);
    return found.offset;
  }
  const why = found === undefined ? `${arch}'s linear map is not p + PAGE_OFFSET` : `${kcore}: ${found.error}`;
  const linkedText = host.kernelTextWithoutKaslr;
  const kaslrOff = linkedText !== undefined && kernelImage.textRead && kernelImage.text === linkedText;
  assumptions.push(
    `PAGE_OFFSET is not readable (${why}): assumed ${hex(fallback)} (the ${arch} default without memory KASLR); ` +
      (kaslrOff ? '_text is at its link address, so KASLR looks off and this is likely right' : 'with KASLR every RAM p_vaddr differs'),
  );
  return fallback;
}

/** `uname -r` → the kernel profile's major.minor, unless --kernel names one. */
function readRelease(opts: HostOptions, newest: string, assumptions: string[], read: string[]): string {
  const release = opts.release ?? osRelease();
  if (opts.kernel !== undefined) {
    read.push(`kernel profile ${opts.kernel} from --kernel (uname -r: ${release})`);
    return opts.kernel;
  }
  const rel = /^(\d+)\.(\d+)/.exec(release);
  if (rel === null) {
    assumptions.push(`uname -r "${release}" has no major.minor: modelled as kernel ${newest}, the newest crashplug knows`);
    return newest;
  }
  const kernel = `${rel[1]}.${rel[2]}`;
  read.push(`kernel ${kernel} (uname -r: ${release})`);
  const k = kernelProfile(kernel, 'uname -r');
  if (!kernelProfile(newest).atLeast(k.major, k.minor)) {
    assumptions.push(`kernel ${kernel} is newer than the newest crashplug models (${newest}): assumed to build the header as ${newest} does`);
  }
  return kernel;
}

/** Possible CPUs size the buffer and (6.6+) get the notes; present ones get them on older kernels. */
function readCpuMasks(cpuDir: string, assumptions: string[], read: string[]): CpuSets {
  const masks: Partial<Record<keyof CpuSets, number[]>> = {};
  for (const mask of ['possible', 'present', 'online'] as const) {
    const r = tryRead(join(cpuDir, mask));
    if ('text' in r) masks[mask] = parseCpulist(r.text, join(cpuDir, mask));
  }
  let possible = masks.possible;
  if (possible === undefined || possible.length === 0) {
    possible = masks.present ?? masks.online ?? [0];
    assumptions.push(`${join(cpuDir, 'possible')} not readable: possible CPUs assumed ${formatCpulist(possible)}`);
  }
  const present = masks.present ?? possible;
  const online = masks.online ?? present;
  if (masks.present === undefined) assumptions.push(`${join(cpuDir, 'present')} not readable: present CPUs assumed ${formatCpulist(present)}`);
  if (masks.online === undefined) assumptions.push(`${join(cpuDir, 'online')} not readable: online CPUs assumed ${formatCpulist(online)}`);
  read.push(`CPUs possible ${formatCpulist(possible)}, present ${formatCpulist(present)}, online ${formatCpulist(online)} (${cpuDir})`);
  return { possible, present, online };
}

/** "<paddr> <size>", both hex; the size is PAGE_SIZE + 0x24, which is how the page size is learnt. */
function readVmcoreinfo(
  path: string,
  arch: string,
  defaultPageSize: number,
  assumptions: string[],
  read: string[],
): { vmcoreinfo: { address: bigint; size: bigint }; pageSize: number } {
  const r = tryRead(path);
  if ('text' in r) {
    const [a, s] = r.text.trim().split(/\s+/);
    const address = a === undefined ? undefined : parseSysfsHex(a);
    const size = s === undefined ? undefined : parseSysfsHex(s);
    if (address !== undefined && size !== undefined) {
      read.push(`vmcoreinfo note at ${hex(address)}, ${hex(size)} bytes (${path})`);
      const page = Number(size) - 0x24;
      if (page >= 4096 && (page & (page - 1)) === 0) {
        read.push(`page size ${page} (the vmcoreinfo note is PAGE_SIZE + 0x24)`);
        return { vmcoreinfo: { address, size }, pageSize: page };
      }
      assumptions.push(`page size assumed ${defaultPageSize} (the ${arch} default): ${hex(size)} is not a page plus 0x24`);
      return { vmcoreinfo: { address, size }, pageSize: defaultPageSize };
    }
  }
  const size = vmcoreinfoNoteSize(defaultPageSize);
  const why = 'error' in r ? `not readable (${r.error}; kernel without CONFIG_VMCORE_INFO?)` : `unreadable contents "${r.text.trim()}"`;
  assumptions.push(`${path} ${why}: vmcoreinfo note assumed at 0x0, ${hex(size)} bytes; page size assumed ${defaultPageSize} (the ${arch} default)`);
  return { vmcoreinfo: { address: 0n, size }, pageSize: defaultPageSize };
}
