// What each program header of an elfcorehdr is for: exact when crashplug built the header (the
// builder's list of roles says), guessed from the contents when it did not (a capture from a real
// machine).

import { hex } from '../core/base/index.js';
import { type ElfCoreHeader, type ElfcorehdrLayout, type PhdrRole, type ProgramHeader, PT_LOAD, PT_NOTE, roleOf } from '../core/elf/index.js';
import type { KexecToolsPhdrRole } from '../core/kexec/index.js';
import type { Range } from '../core/memory/index.js';

/** What a program header is for, with a label for the table ("cpu 3 notes", "RAM [a-b]"). */
export interface PhdrWhat {
  readonly kind: PhdrRole['kind'] | 'other';
  readonly label: string;
  /** The CPU of a note, when known (not when guessed). */
  readonly cpu?: number | undefined;
}

export function rangeText(r: Range): string {
  return `[${hex(r.start)}-${hex(r.end)}]`;
}

/** The bytes a PT_LOAD covers in physical memory, inclusive, as the kernel's `struct range`. */
function loadRange(p: ProgramHeader): Range | undefined {
  return p.memsz === 0n ? undefined : { start: p.paddr, end: p.paddr + p.memsz - 1n };
}

/**
 * A role from either builder. kexec-tools' RAM roles also say whether p_offset is the backup copy
 * rather than the range itself, which the label must say: a reader would otherwise take that
 * PT_LOAD's p_offset for a defect.
 */
export type ReportRole = PhdrRole | KexecToolsPhdrRole;

export function whatOfRole(role: ReportRole, phdr: ProgramHeader | undefined): PhdrWhat {
  switch (role.kind) {
    case 'cpu-note':
      return { kind: role.kind, label: `cpu ${role.cpu} notes`, cpu: role.cpu };
    case 'vmcoreinfo':
      return { kind: role.kind, label: 'vmcoreinfo' };
    case 'kernel-map':
      return { kind: role.kind, label: 'kernel text' };
    case 'ram': {
      const r = phdr === undefined ? undefined : loadRange(phdr);
      const label = r === undefined ? 'RAM' : `RAM ${rangeText(r)}`;
      const backup = 'backup' in role && role.backup && phdr !== undefined;
      return { kind: role.kind, label: backup ? `${label} (p_offset = backup copy at ${hex(phdr.offset)})` : label };
    }
    default: {
      const never: never = role;
      throw new Error(`unknown phdr role ${String(never)}`);
    }
  }
}

/** Roles as the builder listed them, one per program header it wrote: exact, not guessed. */
export function whatFromRoles(roles: readonly ReportRole[], header: ElfCoreHeader): PhdrWhat[] {
  const phdrs = header.phdrs;
  const out: PhdrWhat[] = new Array(phdrs.length);
  for (let i = 0; i < phdrs.length; i++) {
    const role = roles[i];
    out[i] = role === undefined ? { kind: 'other', label: '' } : whatOfRole(role, phdrs[i]);
  }
  return out;
}

/** The kernel builder's roles, which its layout implies rather than lists. */
export function rolesOfLayout(layout: ElfcorehdrLayout): PhdrRole[] {
  // A plain loop: Array.from over an array-like with a mapping function is the slow generic path.
  const roles: PhdrRole[] = new Array(layout.phnum);
  for (let i = 0; i < layout.phnum; i++) roles[i] = roleOf(layout, i);
  return roles;
}

export function whatFromLayout(layout: ElfcorehdrLayout, header: ElfCoreHeader): PhdrWhat[] {
  return whatFromRoles(rolesOfLayout(layout), header);
}

/** VMCOREINFO_NOTE_SIZE for 4, 16 and 64 KiB pages: no CPU note is that large. */
const VMCOREINFO_SIZES: ReadonlySet<bigint> = new Set([0x1024n, 0x4024n, 0x10024n]);
/**
 * The top 2 GiB of the address space, where x86_64 links the kernel (__START_KERNEL_map); the
 * linear map never reaches it. Kept as data for a heuristic, not as an arch rule.
 */
const KERNEL_TEXT_REGION = 0xffff_ffff_8000_0000n;

/**
 * Roles of a header crashplug did not build, guessed from its contents: a PT_NOTE of a
 * vmcoreinfo size is vmcoreinfo, other PT_NOTEs are CPU notes in order; the first PT_LOAD is the
 * kernel text when it sits in the kernel-text region or is mapped with a different virtual-minus-
 * physical offset than the PT_LOADs after it (the linear map gives all RAM one offset); every
 * other PT_LOAD is RAM.
 */
export function guessWhat(header: ElfCoreHeader): PhdrWhat[] {
  const loads = header.phdrs.filter((p) => p.type === PT_LOAD);
  const deltas = new Map<bigint, number>();
  for (const p of loads.slice(1)) {
    const d = (p.vaddr - p.paddr) & 0xffff_ffff_ffff_ffffn;
    deltas.set(d, (deltas.get(d) ?? 0) + 1);
  }
  let linear: bigint | undefined;
  let best = 0;
  for (const [d, n] of deltas) {
    if (n > best) [linear, best] = [d, n];
  }
  const first = loads[0];
  const firstIsText =
    first !== undefined && (first.vaddr >= KERNEL_TEXT_REGION || (linear !== undefined && ((first.vaddr - first.paddr) & 0xffff_ffff_ffff_ffffn) !== linear));
  let notes = 0;
  return header.phdrs.map((p): PhdrWhat => {
    if (p.type === PT_NOTE) {
      if (VMCOREINFO_SIZES.has(p.filesz)) return { kind: 'vmcoreinfo', label: 'vmcoreinfo' };
      return { kind: 'cpu-note', label: `cpu notes #${notes++}` };
    }
    if (p.type === PT_LOAD) {
      if (p === first && firstIsText) return { kind: 'kernel-map', label: 'kernel text' };
      const r = loadRange(p);
      return { kind: 'ram', label: r === undefined ? 'RAM' : `RAM ${rangeText(r)}` };
    }
    return { kind: 'other', label: '' };
  });
}
