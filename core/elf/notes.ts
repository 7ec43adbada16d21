// ELF notes as the crashed kernel leaves them (facts §1.3–§1.5): a 12-byte header (namesz, descsz,
// type), the name and the descriptor each padded to 4 bytes. A CPU's crash_notes buffer holds one
// NT_PRSTATUS note named "CORE" and an all-zero terminator; the vmcoreinfo note is named
// "VMCOREINFO", type 0, and its descriptor is "KEY=VALUE\n" text.

import type { ByteOrder } from './elf.js';

export const NOTE_HEADER_SIZE = 12;
export const NT_PRSTATUS = 1;
/** The vmcoreinfo note's type. */
export const NT_VMCOREINFO = 0;
/** elf_prstatus: pr_info (12) + pr_cursig (2) + pad (2) + pr_sigpend (8) + pr_sighold (8), then pr_pid (on 64-bit arches). */
export const PRSTATUS_PID_OFFSET = 32;

export interface ElfNote {
  /** Byte offset of the note's header within the bytes parsed. */
  readonly at: number;
  readonly name: string;
  readonly type: number;
  readonly descsz: number;
  readonly desc: Uint8Array;
}

export interface ParsedNotes {
  readonly notes: readonly ElfNote[];
  /** Where parsing stopped: at a zero terminator, at the end, or at a note that does not fit. */
  readonly end: 'terminator' | 'end' | 'truncated';
  /** Bytes consumed up to the terminator or the end. */
  readonly used: number;
  /** Set when `end` is 'truncated': which note and why. */
  readonly problem?: string | undefined;
}

const align4 = (n: number): number => Math.ceil(n / 4) * 4;
const LATIN1 = new TextDecoder('latin1');

/** Parse the notes in `bytes`, stopping at an all-zero note header (the kernel's terminator). */
export function parseNotes(bytes: Uint8Array, order: ByteOrder): ParsedNotes {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = order === 'le';
  const notes: ElfNote[] = [];
  let at = 0;
  while (at + NOTE_HEADER_SIZE <= bytes.length) {
    const namesz = view.getUint32(at, le);
    const descsz = view.getUint32(at + 4, le);
    const type = view.getUint32(at + 8, le);
    if (namesz === 0 && descsz === 0 && type === 0) return { notes, end: 'terminator', used: at };
    const nameAt = at + NOTE_HEADER_SIZE;
    const descAt = nameAt + align4(namesz);
    const next = descAt + align4(descsz);
    if (next > bytes.length) {
      return {
        notes,
        end: 'truncated',
        used: at,
        problem: `the note at byte ${at} (namesz ${namesz}, descsz ${descsz}) needs ${next} bytes, but there are ${bytes.length}`,
      };
    }
    // The name is NUL-terminated within namesz.
    let nameEnd = nameAt;
    while (nameEnd < nameAt + namesz && bytes[nameEnd] !== 0) nameEnd++;
    const name = LATIN1.decode(bytes.subarray(nameAt, nameEnd));
    notes.push({ at, name, type, descsz, desc: bytes.subarray(descAt, descAt + descsz) });
    at = next;
  }
  return { notes, end: 'end', used: at };
}

/** pr_pid of an NT_PRSTATUS descriptor (64-bit layout), or undefined when it is too short. */
export function prstatusPid(desc: Uint8Array, order: ByteOrder): number | undefined {
  if (desc.length < PRSTATUS_PID_OFFSET + 4) return undefined;
  return new DataView(desc.buffer, desc.byteOffset, desc.byteLength).getInt32(PRSTATUS_PID_OFFSET, order === 'le');
}

/** The vmcoreinfo text ("KEY=VALUE" lines, NUL-padded) as an ordered list of keys and values. */
export function parseVmcoreinfo(desc: Uint8Array): Map<string, string> {
  let end = desc.indexOf(0);
  if (end < 0) end = desc.length;
  const text = LATIN1.decode(desc.subarray(0, end));
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}
