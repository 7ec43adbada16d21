// Real ELF tools read what we write: binutils `readelf` and elfutils `eu-readelf` accept each header
// silently (exit 0, nothing on stderr) and list the program headers the facts call for. A missing tool
// fails the test: CI installs both (.ci/run), and a skipped check proves nothing.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSystemElfcorehdr } from '../core/build/index.js';
import type { SystemDescription } from '../core/system/index.js';
import { cpuIds, sparseRam, W1, x86Plugin, x86RamWithRanges, x86System } from './support/systems.js';

const dir = mkdtempSync(join(tmpdir(), 'crashplug-readelf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Listed {
  type: string;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  flags: string;
  align: bigint;
}

function run(tool: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${tool} could not run (${r.error.message}); install binutils and elfutils`);
  expect(r.stderr, `${tool} ${args.join(' ')} stderr`).toBe('');
  expect(r.status, `${tool} exit status`).toBe(0);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** The "Program Headers:" table, both tools' layout: six hex columns, then flags (maybe blank) and align. */
function programHeaders(stdout: string): Listed[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Program Headers:'));
  expect(start, 'a "Program Headers:" table').toBeGreaterThanOrEqual(0);
  const out: Listed[] = [];
  for (const line of lines.slice(start + 2)) {
    const m = /^\s+(\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(?:([RWE ]+?)\s+)?(0x[0-9a-f]+|\d+)$/.exec(line);
    if (!m) break;
    out.push({
      type: m[1]!,
      offset: BigInt(m[2]!),
      vaddr: BigInt(m[3]!),
      paddr: BigInt(m[4]!),
      filesz: BigInt(m[5]!),
      memsz: BigInt(m[6]!),
      flags: (m[7] ?? '').replace(/ /g, ''),
      align: BigInt(m[8]!),
    });
  }
  return out;
}

function headerField(stdout: string, label: string): string {
  const m = new RegExp(`^\\s+${label}:\\s+(.*)$`, 'm').exec(stdout);
  expect(m, `"${label}" in the ELF header listing`).not.toBeNull();
  return m![1]!.trim();
}

// Expected phdrs, from the facts (§2.4): notes, vmcoreinfo, kernel text, then one LOAD per range.
const note = (addr: bigint, size: bigint): Listed => ({ type: 'NOTE', offset: addr, vaddr: 0n, paddr: addr, filesz: size, memsz: size, flags: '', align: 0n });
const load = (paddr: bigint, vaddr: bigint, size: bigint): Listed => ({
  type: 'LOAD',
  offset: paddr,
  vaddr,
  paddr,
  filesz: size,
  memsz: size,
  flags: 'RWE',
  align: 0n,
});
const cpuNote = (cpu: number) => note(W1.crashNotesBase + BigInt(cpu) * W1.crashNotesStride, 368n);
const ramLoad = (start: bigint, end: bigint) => load(start, W1.pageOffset + start, end - start + 1n);
const textLoad = load(W1.kernelImage.textPhys, W1.kernelImage.text, W1.kernelImage.size);
const vmcoreinfo = note(W1.vmcoreinfo.address, 4132n);
/** W1's memory after the low-1M and crashkernel exclusions. */
const w1Loads = [ramLoad(0x100000n, 0x1ffffffn), ramLoad(0x12000000n, 0xbfffffffn)];

interface Scenario {
  name: string;
  system: SystemDescription;
  expected: Listed[];
}

const scenarios: Scenario[] = [
  {
    name: 'W1 (4 CPUs, 2 ranges, 6.18)',
    system: x86System(),
    expected: [...cpuIds(4).map(cpuNote), vmcoreinfo, textLoad, ...w1Loads],
  },
  {
    name: 'a 6.1 kernel with possible 0-3, present 0-1',
    system: x86System({ kernel: '6.1', cpus: { possible: cpuIds(4), present: [0, 1] } }),
    expected: [cpuNote(0), cpuNote(1), vmcoreinfo, textLoad, ...w1Loads],
  },
  {
    name: 'MAXSMP: 8192 CPUs and 8192 ranges',
    system: x86System({ cpus: { possible: cpuIds(8192) }, ram: x86RamWithRanges(8192), config: { nrCpusDefault: 8192 } }),
    expected: [...cpuIds(8192).map(cpuNote), vmcoreinfo, textLoad, ...w1Loads, ...sparseRam(8190).map((r) => ramLoad(r.start, r.end))],
  },
];

for (const tool of [
  { bin: 'readelf', args: ['-h', '-l', '-W'] },
  { bin: 'eu-readelf', args: ['-h', '-l'] },
]) {
  describe(`${tool.bin} ${tool.args.join(' ')}`, () => {
    for (const s of scenarios) {
      describe(`when given the elfcorehdr of ${s.name}`, () => {
        const file = join(dir, `${tool.bin}-${s.name.replace(/\W+/g, '_')}.bin`);
        const bytes = buildSystemElfcorehdr(s.system, x86Plugin()).bytes;
        writeFileSync(file, bytes);
        let listing: string | undefined;
        const read = () => (listing ??= run(tool.bin, [...tool.args, file]).stdout);

        it('accepts it with exit 0 and nothing on stderr', () => {
          read();
        });

        it('sees an x86-64 CORE file with the expected number of program headers', () => {
          const out = read();
          expect(headerField(out, 'Class')).toBe('ELF64');
          expect(headerField(out, 'Data')).toMatch(/little endian/);
          expect(headerField(out, 'Type')).toMatch(/^CORE/);
          expect(headerField(out, 'Machine')).toMatch(/X86-64|x86-64/);
          expect(headerField(out, 'Start of program headers')).toMatch(/^64 /);
          expect(headerField(out, 'Number of program headers(?: entries)?')).toBe(String(s.expected.length));
        });

        it('lists the program headers the facts call for, in order', () => {
          const listed = programHeaders(read());
          expect(listed).toHaveLength(s.expected.length);
          // Compare in one go; on failure, the first differing index is what matters.
          const firstBad = listed.findIndex((p, i) => JSON.stringify(p, big) !== JSON.stringify(s.expected[i], big));
          expect(firstBad === -1 ? undefined : { index: firstBad, listed: listed[firstBad], expected: s.expected[firstBad] }).toBeUndefined();
        });
      });
    }
  });
}

function big(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `0x${value.toString(16)}` : value;
}
