// The design's promises about where things live, checked on the source: core names no arch and
// reads no file or clock; ports reach core only through the port contract; the CLI names no arch.
// (`npm run lint` enforces the import rules too; this keeps them in the suite CI reads.)

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, name);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sources(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** The code of a file without its comments (line and block), so a comment may cite the kernel's arch code. */
function code(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const ARCH_NAMES = /\b(x86_64|x86|x64|i386|arm64|aarch64|ppc64le|ppc64|powerpc|riscv64|riscv|loongarch64|loong64|s390x?|EM_[A-Z0-9_]+)\b/;

describe('core/', () => {
  it.each(sources('core'))('%s names no arch in its code', (file) => {
    const hits = code(file)
      .split('\n')
      .filter((l) => ARCH_NAMES.test(l))
      // The one description example core gives in a message is a value, not a branch.
      .filter((l) => !l.includes('write the arch as a string such as') && !l.includes('as a big-endian ppc64 kernel writes them'));
    expect(hits).toEqual([]);
  });

  it.each(sources('core'))('%s reads no file and no clock', (file) => {
    const c = code(file);
    expect(c).not.toMatch(/from 'node:fs|from 'fs'|process\.hrtime|performance\.now|Date\.now/);
  });
});

describe('ports', () => {
  const portFiles = readdirSync(ROOT)
    .filter((d) => d.startsWith('arch-'))
    .flatMap((d) => sources(d))
    .filter((f) => !f.includes('/test/'));
  it.each(portFiles)('%s imports crashplug only through core/port/index.js', (file) => {
    const imports = [...code(file).matchAll(/from '(\.\.\/[^']*)'/g)].map((m) => m[1]!);
    expect(imports.filter((i) => !/^(\.\.\/)+core\/port\/index\.js$/.test(i))).toEqual([]);
  });
});

describe('cli/', () => {
  it.each(sources('cli'))('%s imports no port', (file) => {
    const imports = [...code(file).matchAll(/from '([^']*)'/g)].map((m) => m[1]!);
    expect(imports.filter((i) => /arch-/.test(i))).toEqual([]);
  });
});
