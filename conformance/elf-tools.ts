// Real ELF readers on our bytes: binutils `readelf -h -l -W` and elfutils `eu-readelf -h -l` must
// read each header silently (exit 0, nothing on stderr) and count the same program headers. A
// header whose fields are big-endian under the kernel's LSB tag (ppc64) is shown to them with
// EI_DATA saying so, since no tool can read it otherwise.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ByteOrder, ELFDATA2MSB } from '../core/elf/index.js';

const TOOLS: readonly { readonly tool: string; readonly args: readonly string[]; readonly pkg: string }[] = [
  { tool: 'readelf', args: ['-h', '-l', '-W'], pkg: 'binutils' },
  { tool: 'eu-readelf', args: ['-h', '-l'], pkg: 'elfutils' },
];

export class ElfTools {
  readonly #dir = mkdtempSync(join(tmpdir(), 'crashplug-conformance-'));
  #count = 0;

  /** Problems the tools had with `bytes` (e_phnum `phnum`, fields in `byteOrder`); none when both are content. */
  problems(bytes: Uint8Array, byteOrder: ByteOrder, phnum: number): string[] {
    const file = join(this.#dir, `elfcorehdr-${this.#count++}.bin`);
    const shown = byteOrder === 'be' ? Uint8Array.from(bytes, (b, i) => (i === 5 ? ELFDATA2MSB : b)) : bytes;
    writeFileSync(file, shown);
    try {
      return TOOLS.flatMap(({ tool, args, pkg }) => {
        const r = spawnSync(tool, [...args, file], { encoding: 'utf8', maxBuffer: 256 << 20 });
        if (r.error !== undefined) return [`${tool} could not run (${r.error.message}); install ${pkg}`];
        const firstLine = (s: string): string => s.trim().split('\n')[0] ?? '';
        if (r.status !== 0) return [`${tool} exited ${r.status ?? r.signal}: ${firstLine(r.stderr)}`];
        if (r.stderr !== '') return [`${tool} printed on stderr: ${firstLine(r.stderr)}`];
        const m = /Number of program headers(?: entries)?:\s+(\d+)/.exec(r.stdout);
        if (m === null) return [`${tool} printed no program header count`];
        return Number(m[1]) === phnum ? [] : [`${tool} counts ${m[1]} program headers, e_phnum is ${phnum}`];
      });
    } finally {
      rmSync(file, { force: true });
    }
  }

  dispose(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
