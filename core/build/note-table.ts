// The CPU notes of a machine's header, worked out once per machine: which CPUs get a PT_NOTE and
// each one's crash_notes address. A header built again for the same machine (a benchmark, a reload,
// a hot-plug run whose memory changes while its CPUs do not) finds them here instead of deriving
// 8192 BigInt addresses again. Machine descriptions are immutable, so a WeakMap keyed by them is
// safe, and forgets a machine with it.

import type { NoteAddresses } from '../elf/elfcorehdr.js';
import { crashNotesAddress, type CrashNotes, type SystemDescription } from '../system/system.js';

/** The CPUs whose notes the header lists under this kernel: possible (6.6+) or present (≤6.5). */
export function noteCpusOf(system: SystemDescription): readonly number[] {
  return system.kernel.cpuNotes === 'possible' ? system.cpus.possible : system.cpus.present;
}

/** A machine's CPU notes: `cpus` is noteCpusOf(system) itself, so the writer can tell the table is for its list. */
export type NoteTable = NoteAddresses;

const tables = new WeakMap<SystemDescription, NoteTable>();
/**
 * Addresses by crash_notes description and CPU list: successive machine states of a hot-plug run
 * are new descriptions that share both objects while only memory changes.
 */
const addressCache = new WeakMap<CrashNotes, WeakMap<readonly number[], BigUint64Array>>();

export function noteTableOf(system: SystemDescription): NoteTable {
  let table = tables.get(system);
  if (table === undefined) {
    const cpus = noteCpusOf(system);
    table = { cpus, addresses: addressesOf(system.crashNotes, cpus) };
    tables.set(system, table);
  }
  return table;
}

function addressesOf(notes: CrashNotes, cpus: readonly number[]): BigUint64Array {
  let byCpus = addressCache.get(notes);
  if (byCpus === undefined) {
    byCpus = new WeakMap();
    addressCache.set(notes, byCpus);
  }
  let addresses = byCpus.get(cpus);
  if (addresses === undefined) {
    addresses = new BigUint64Array(cpus.length);
    // For base + n·stride the sum is done in a machine word (asUintN(64, …), the wrap a u64 field
    // has anyway) rather than as three BigInts per CPU; a table is looked up, and a CPU missing
    // from it throws as crashNotesAddress does.
    if (notes.kind === 'stride') {
      const { base, stride } = notes;
      // CPUs listed one after the other (every possible mask of a real machine) step the address
      // by `stride`: one BigInt sum per CPU instead of a conversion, a product and a sum, all
      // garbage at once. Kept in 64 bits as it goes, it is the same value modulo 2^64.
      let addr = 0n;
      for (let i = 0; i < cpus.length; i++) {
        const cpu = cpus[i]!;
        addr = i > 0 && cpu === cpus[i - 1]! + 1 ? BigInt.asUintN(64, addr + stride) : BigInt.asUintN(64, base + BigInt(cpu) * stride);
        addresses[i] = addr;
      }
    } else {
      for (let i = 0; i < cpus.length; i++) addresses[i] = crashNotesAddress(notes, cpus[i]!);
    }
    byCpus.set(cpus, addresses);
  }
  return addresses;
}
