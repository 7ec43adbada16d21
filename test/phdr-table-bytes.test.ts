// The program-header table written from the header's bytes (cli/phdr-table-bytes.ts) against the
// table phdrTableInto formats from decoded objects and whatFromRoles labels, and against the
// cell-by-cell oracle: random headers in both byte orders, values at the edges (0, 2^32, 2^64 - 1,
// each hex width), every kind of role, RAM whose last byte passes 2^64.

import { fc, it as itProp } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { blanks, decimalDigitsOf, hex16, hexDigitsOf, hexMin, put, writeDecimal } from '../cli/ascii-text.js';
import { phdrTable } from '../cli/describe.js';
import { phdrTableText, pushText } from '../cli/phdr-table-bytes.js';
import { type ReportRole, rolesOfLayout, whatFromRoles } from '../cli/phdr-roles.js';
import type { CliContext } from '../cli/context.js';
import { reportBytesStream } from '../cli/output.js';
import { ChunkedText } from '../cli/report-text.js';
import {
  coreElfHeader,
  decodeElfCoreHeader,
  decodeElfCoreHeaderLazily,
  ELFDATA2LSB,
  ELFDATA2MSB,
  type ElfcorehdrLayout,
  encodeElfCoreHeader,
  type ProgramHeader,
  programHeaderTable,
} from '../core/elf/index.js';
import { phdrTableSimple } from './support/oracles.js';
import { u64Digits } from './support/arbitraries.js';

const MAX = (1n << 64n) - 1n;
const u64 = u64Digits;
const phdr = fc.record({
  type: fc.constantFrom(0, 1, 4, 0x6474e550, 0xffff_ffff),
  flags: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constant(0xffff_ffff)),
  offset: u64,
  vaddr: u64,
  paddr: u64,
  filesz: u64,
  memsz: u64,
  align: u64,
});
/** Runs of rows that differ only in their addresses, as a run of CPU notes or RAM ranges does. */
const runs = fc
  .array(fc.tuple(phdr, fc.array(fc.record({ offset: u64, vaddr: u64, paddr: u64 }), { maxLength: 8 })), { maxLength: 6 })
  .map((rs) => rs.flatMap(([p, more]) => [p, ...more.map((m) => ({ ...p, ...m }))]));
const table = fc.oneof(fc.array(phdr, { maxLength: 24 }), runs);
/** Labels in runs too, so that most rows of a run are labelled as the row before. */
const roleRuns = (r: fc.Arbitrary<ReportRole | undefined>) =>
  fc.array(fc.tuple(r, fc.integer({ min: 1, max: 12 })), { maxLength: 8 }).map((rs) => rs.flatMap(([x, k]) => Array.from({ length: k }, () => x)));
const role: fc.Arbitrary<ReportRole | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 0, max: 100_000 }).map((cpu): ReportRole => ({ kind: 'cpu-note', cpu })),
  fc.constant<ReportRole>({ kind: 'vmcoreinfo' }),
  fc.constant<ReportRole>({ kind: 'kernel-map' }),
  fc.nat(100).map((index): ReportRole => ({ kind: 'ram', index })),
  fc.tuple(fc.nat(100), fc.boolean()).map(([index, backup]): ReportRole => ({ kind: 'ram', index, listIndex: index, backup })),
);

function headerBytes(phdrs: readonly ProgramHeader[], le: boolean, lead: number): Uint8Array {
  const bytes = encodeElfCoreHeader({
    header: coreElfHeader(62, phdrs.length, le ? ELFDATA2LSB : ELFDATA2MSB),
    phdrs,
    byteOrder: le ? 'le' : 'be',
    size: 64 + 56 * phdrs.length,
  });
  // At an odd offset in a larger buffer: the reader must not assume alignment or byteOffset 0.
  const host = new Uint8Array(bytes.length + lead);
  host.set(bytes, lead);
  return host.subarray(lead);
}

describe('phdrTableText (the table from the bytes)', () => {
  itProp.prop([table, fc.boolean(), fc.nat(7), fc.oneof(fc.array(role, { maxLength: 26 }), roleRuns(role))], { numRuns: 400 })(
    'is phdrTableInto with whatFromRoles labels, byte for byte',
    (phdrs, le, lead, roles) => {
      const bytes = headerBytes(phdrs, le, lead);
      const header = decodeElfCoreHeader(bytes);
      const { table } = programHeaderTable(bytes);
      const want = phdrTable(header, whatFromRoles(roles as ReportRole[], header), 'What');
      expect(phdrTableText(table, roles as ReportRole[], 'What')).toBe(`${want.join('\n')}\n`);
      expect(phdrTableText(table, undefined)).toBe(`${phdrTable(header).join('\n')}\n`);
      // And the cell-by-cell oracle, so the two fast versions cannot agree on a mistake.
      expect(phdrTableText(table, roles as ReportRole[], 'Role')).toBe(
        `${phdrTableSimple(header, whatFromRoles(roles as ReportRole[], header), 'Role').join('\n')}\n`,
      );
    },
  );

  itProp.prop([table, fc.boolean(), fc.array(fc.nat(9000), { maxLength: 12 }), fc.boolean(), fc.nat(30)], { numRuns: 300 })(
    "reads the kernel builder's roles from its layout as rolesOfLayout lists them",
    (phdrs, le, noteCpus, hasKernelMap, extra) => {
      const bytes = headerBytes(phdrs, le, 0);
      const { table: t } = programHeaderTable(bytes);
      // phnum as the layout says, which need not be the table's (the writer stops at the shorter).
      const phnum = Math.max(0, noteCpus.length + 1 + (hasKernelMap ? 1 : 0) + extra - 15);
      const layout: ElfcorehdrLayout = { noteCpus, hasKernelMap, rangeCount: 0, phnum, sizedPhnum: phnum, size: 0 };
      expect(phdrTableText(t, layout)).toBe(phdrTableText(t, rolesOfLayout(layout)));
    },
  );

  it('writes 120 rows of one kind, indexes growing from 1 to 3 digits, as phdrTableInto does', () => {
    const rows: ProgramHeader[] = Array.from({ length: 120 }, (_, i) => ({
      type: 1,
      flags: 7,
      offset: BigInt(i) << 20n,
      vaddr: 0xffff_8880_0000_0000n + (BigInt(i) << 20n),
      paddr: BigInt(i) << 20n,
      filesz: 0x10_0000n,
      memsz: 0x10_0000n,
      align: 0n,
    }));
    const roles: ReportRole[] = rows.map((_, index) => ({ kind: 'ram', index }));
    for (const le of [true, false]) {
      const bytes = headerBytes(rows, le, 1);
      const header = decodeElfCoreHeader(bytes);
      expect(phdrTableText(programHeaderTable(bytes).table, roles)).toBe(`${phdrTable(header, whatFromRoles(roles, header)).join('\n')}\n`);
    }
  });

  it('writes a RAM label whose last byte is past 2^64 as BigInt arithmetic does (no wrap)', () => {
    const p: ProgramHeader = { type: 1, flags: 4, offset: 0n, vaddr: 0n, paddr: MAX, memsz: 2n, filesz: 2n, align: 0n };
    const bytes = headerBytes([p], true, 0);
    const header = decodeElfCoreHeader(bytes);
    const roles: ReportRole[] = [{ kind: 'ram', index: 0 }];
    const text = phdrTableText(programHeaderTable(bytes).table, roles);
    expect(text).toContain('RAM [0xffffffffffffffff-0x10000000000000000]');
    expect(text).toBe(`${phdrTable(header, whatFromRoles(roles, header)).join('\n')}\n`);
  });

  it('lands in a ChunkedText as the same lines any other sink gets', () => {
    const bytes = headerBytes([{ type: 4, flags: 4, offset: 1n, vaddr: 0n, paddr: 1n, memsz: 3n, filesz: 3n, align: 0n }], false, 3);
    const text = phdrTableText(programHeaderTable(bytes).table, [{ kind: 'cpu-note', cpu: 7 }]);
    const chunked = new ChunkedText();
    const list: string[] = [];
    for (const sink of [chunked, list]) {
      sink.push('before');
      pushText(sink, text);
      sink.push('after');
    }
    expect(chunked.pieces().join('')).toBe(`${list.join('\n')}\n`);
  });
});

describe('reportBytesStream (where a report piece of bytes goes)', () => {
  const text = 'Program headers ≈ 1.5 GiB\n';
  const bytes = new TextEncoder().encode(text);
  function ctxWith(outBytes: boolean) {
    const seen: { out: string[]; err: string[]; outBytes: string[] } = { out: [], err: [], outBytes: [] };
    const ctx = {
      registry: () => {
        throw new Error('not used');
      },
      out: (t: string) => void seen.out.push(t),
      err: (t: string) => void seen.err.push(t),
      outBytes: outBytes ? (b: Uint8Array) => void seen.outBytes.push(new TextDecoder().decode(b)) : undefined,
    } as unknown as CliContext;
    return { ctx, seen };
  }
  it('writes bytes to standard output as they are when the caller takes bytes there', () => {
    const { ctx, seen } = ctxWith(true);
    reportBytesStream(ctx, false)(bytes);
    expect(seen).toEqual({ out: [], err: [], outBytes: [text] });
  });
  it('decodes them for a caller that takes text only, and for standard error under --out -', () => {
    const textOnly = ctxWith(false);
    reportBytesStream(textOnly.ctx, false)(bytes);
    expect(textOnly.seen).toEqual({ out: [text], err: [], outBytes: [] });
    const toErr = ctxWith(true);
    reportBytesStream(toErr.ctx, true)(bytes);
    expect(toErr.seen).toEqual({ out: [], err: [text], outBytes: [] });
  });
});

describe('decodeElfCoreHeaderLazily', () => {
  itProp.prop([fc.array(phdr, { maxLength: 12 }), fc.boolean()])('decodes the same header, program headers on first use', (phdrs, le) => {
    const bytes = headerBytes(phdrs, le, 0);
    const { decoded } = decodeElfCoreHeaderLazily(bytes, 'x');
    const eager = decodeElfCoreHeader(bytes, 'x');
    expect(decoded.header).toEqual(eager.header);
    expect(decoded.phdrs).toEqual(eager.phdrs);
    expect(decoded.phdrs).toBe(decoded.phdrs);
    expect([decoded.byteOrder, decoded.size, decoded.warnings]).toEqual([eager.byteOrder, eager.size, eager.warnings]);
  });

  it('refuses a truncated table at once, as the eager decoder does', () => {
    const bytes = headerBytes([{ type: 1, flags: 0, offset: 0n, vaddr: 0n, paddr: 0n, memsz: 0n, filesz: 0n, align: 0n }], true, 0);
    const short = bytes.subarray(0, bytes.length - 1);
    expect(() => decodeElfCoreHeaderLazily(short, 'x')).toThrow(/E_BAD_ELF|truncated/);
    expect(() => decodeElfCoreHeaderLazily(short, 'x')).toThrow(
      (() => {
        try {
          decodeElfCoreHeader(short, 'x');
        } catch (e) {
          return (e as Error).message;
        }
        return 'no error';
      })(),
    );
  });
});

describe('ascii-text', () => {
  itProp.prop([fc.bigInt(0n, MAX)])('hexDigitsOf two halves is the length of BigInt toString(16)', (v) => {
    expect(hexDigitsOf(Number(v >> 32n), Number(v & 0xffff_ffffn))).toBe(v.toString(16).length);
  });
  itProp.prop([fc.bigInt(0n, MAX), fc.nat(5), fc.integer({ min: 1, max: 17 }), fc.boolean()])(
    'hex16 and hexMin are BigInt toString(16), padded with zeros, from halves of either sign',
    (v, at, min, signed) => {
      const half = (x: bigint): number => (signed ? Number(BigInt.asIntN(32, x)) : Number(x));
      const [hi, lo] = [half(v >> 32n), half(v & 0xffff_ffffn)];
      const out = new Uint8Array(at + 20).fill(0x2e);
      hex16(out, at, hi, lo);
      expect(Buffer.from(out).toString('latin1')).toBe(`${'.'.repeat(at)}${v.toString(16).padStart(16, '0')}....`);
      out.fill(0x2e);
      const end = hexMin(out, at, hi, lo, min);
      const want = v.toString(16).padStart(min, '0');
      expect(end).toBe(at + want.length);
      expect(Buffer.from(out.subarray(0, end)).toString('latin1')).toBe(`${'.'.repeat(at)}${want}`);
    },
  );
  itProp.prop([fc.uint8Array({ maxLength: 30 }), fc.nat(5)])('put copies its bytes and returns their end', (text, at) => {
    const out = new Uint8Array(at + text.length + 2);
    expect(put(out, at, text)).toBe(at + text.length);
    expect([...out.subarray(at, at + text.length)]).toEqual([...text]);
  });
  itProp.prop([fc.maxSafeNat(), fc.nat(4), fc.nat(4)])('writeDecimal is String(n), blanks are spaces', (n, before, after) => {
    const b = new Uint8Array(before + 16 + after).fill(0x78);
    const end = writeDecimal(b, before, n);
    blanks(b, end, end + after);
    expect(Buffer.from(b.subarray(0, end + after)).toString('latin1')).toBe(`${'x'.repeat(before)}${n}${' '.repeat(after)}`);
    expect(decimalDigitsOf(n)).toBe(String(n).length);
  });
});
