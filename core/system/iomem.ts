// Reader of /proc/iomem, the kernel's `iomem_resource` tree as text: one `start-end : name` line
// per `struct resource`, children indented under their parent. x86 builds its crash memory from
// the top-level "System RAM" lines only (`walk_system_ram_res`), so the tree is kept, not flattened.

import { CrashplugError } from '../base/errors.js';
import { contains, type NamedRange, type Range } from '../memory/range.js';
import type { IomemResource } from './system.js';

/** A resource while its children are still being read. */
interface Node {
  readonly name: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly line: number;
  readonly children: Node[];
}

interface Line {
  readonly line: number;
  readonly indent: number;
  readonly start: bigint;
  readonly end: bigint;
  readonly name: string;
}

/** The kernel pads addresses to 8 digits and widens them as needed; there is never a 0x. */
const LINE = /^([0-9a-fA-F]+)-([0-9a-fA-F]+)\s*:(.*)$/;
const MAX_HEX_DIGITS = 16;

function badIomem(origin: string, line: number, what: string, todo: string): never {
  throw new CrashplugError('E_BAD_IOMEM', `${origin}:${line}: ${what}; ${todo}`);
}

function hexOf(v: bigint): string {
  return v.toString(16);
}

function readLine(text: string, line: number, origin: string): Line {
  const indent = /^ */.exec(text)![0].length;
  const rest = text.slice(indent);
  if (rest.startsWith('\t')) {
    const todo = '/proc/iomem indents with two spaces per level; keep the file as the kernel wrote it';
    badIomem(origin, line, 'indented with a tab', todo);
  }
  const m = LINE.exec(rest.trimEnd());
  if (m === null) {
    const todo = 'each line is "start-end : name" in hex without 0x, as in "00100000-7ffdefff : System RAM"';
    badIomem(origin, line, `"${text.trim()}" is not a resource line`, todo);
  }
  const startHex = m[1]!;
  const endHex = m[2]!;
  const name = m[3]!.trim();
  for (const digits of [startHex, endHex]) {
    if (digits.replace(/^0+(?=.)/, '').length > MAX_HEX_DIGITS) {
      const why = `${digits} has more than ${MAX_HEX_DIGITS} hex digits`;
      badIomem(origin, line, why, 'addresses are 64-bit; check the line for a typo');
    }
  }
  const start = BigInt(`0x${startHex}`);
  const end = BigInt(`0x${endHex}`);
  if (start > end) {
    const todo = 'the end is inclusive and at least the start; check the line for a typo';
    badIomem(origin, line, `start ${startHex} is above end ${endHex}`, todo);
  }
  return { line, indent, start, end, name };
}

/**
 * Parse /proc/iomem text into its top-level resources, each with its children. Indentation is
 * two spaces per level in real files; any consistent step is accepted, learnt from the first
 * indented line. `origin` names the file in messages.
 */
export function parseIomem(text: string, origin: string): IomemResource[] {
  const lines: Line[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = raw.replace(/\r$/, '');
    if (t.trim() !== '') lines.push(readLine(t, i + 1, origin));
  });
  // Without CAP_SYS_ADMIN the kernel prints every start and end as zero (r_show); the names
  // are still there, so the file parses but describes no memory at all.
  const first = lines[0];
  if (first !== undefined && lines.every((l) => l.start === 0n && l.end === 0n)) {
    badIomem(origin, first.line, 'all addresses are zero: /proc/iomem was read without root', 'read it as root');
  }

  const top: Node[] = [];
  /** The open ancestors of the next line, outermost first. */
  const stack: { node: Node; level: number }[] = [];
  let step = 0;
  let stepLine = 0;
  for (const l of lines) {
    if (l.indent > 0 && step === 0) {
      step = l.indent;
      stepLine = l.line;
    }
    if (step > 0 && l.indent % step !== 0) {
      const why = `indented ${l.indent} spaces, not a multiple of the ${step}-space step of line ${stepLine}`;
      badIomem(origin, l.line, why, 'indent each level by the same number of spaces');
    }
    const level = step === 0 ? 0 : l.indent / step;
    if (level > stack.length) {
      if (stack.length === 0) {
        badIomem(origin, l.line, `the first resource is indented ${l.indent} spaces`, 'top-level resources start in column 1');
      }
      badIomem(
        origin,
        l.line,
        `indentation jumps to level ${level} (${l.indent} spaces) but the line above is at level ${stack.length - 1}`,
        `indent a child exactly one level (${step} spaces) deeper than its parent`,
      );
    }
    stack.length = level;
    const node: Node = { name: l.name, start: l.start, end: l.end, line: l.line, children: [] };
    const parent = stack[stack.length - 1]?.node;
    if (parent === undefined) {
      top.push(node);
    } else {
      if (!contains(parent, node)) {
        const outer = `${hexOf(parent.start)}-${hexOf(parent.end)} "${parent.name}" (line ${parent.line})`;
        const todo = 'a child resource sits inside its parent; check the indentation and the addresses';
        badIomem(origin, l.line, `${hexOf(node.start)}-${hexOf(node.end)} lies outside its parent ${outer}`, todo);
      }
      parent.children.push(node);
    }
    stack.push({ node, level });
  }
  return top;
}

/**
 * Every resource at any depth, depth-first in file order. With an explicit stack, not recursion:
 * the kernel puts no limit on how deep resources nest, so neither does this walk.
 */
export function* iomemWalk(tree: readonly IomemResource[]): Generator<IomemResource> {
  const stack: IomemResource[] = [];
  for (let i = tree.length - 1; i >= 0; i--) stack.push(tree[i]!);
  while (stack.length > 0) {
    const r = stack.pop()!;
    yield r;
    for (let i = r.children.length - 1; i >= 0; i--) stack.push(r.children[i]!);
  }
}

const walk = iomemWalk;

function rangeOf(r: IomemResource): Range {
  return { start: r.start, end: r.end };
}

/**
 * System RAM as x86's `walk_system_ram_res(0, -1, …)` finds it: top-level "System RAM" lines only
 * (the walk resumes after each match, so children never add ranges), in file order, never merged.
 */
export function iomemSystemRam(tree: readonly IomemResource[]): NamedRange[] {
  return tree.filter((r) => r.name === 'System RAM').map((r) => ({ name: 'System RAM', start: r.start, end: r.end }));
}

/**
 * `crashk_res` and `crashk_low_res` from the "Crash kernel" lines at any depth. Both carry the
 * same name; with two lines the lower one is the low reservation (facts §13.7).
 */
export function iomemCrashKernel(tree: readonly IomemResource[], origin = '/proc/iomem'): { crashkernel?: Range; crashkernelLow?: Range } {
  const found = [...walk(tree)].filter((r) => r.name === 'Crash kernel');
  if (found.length > 2) {
    badIomem(
      origin,
      found[2]!.line,
      `${found.length} "Crash kernel" lines (lines ${found.map((r) => r.line).join(', ')}) ` +
        'but the kernel reserves at most two, crashk_res and crashk_low_res',
      'keep the high and the low reservation only',
    );
  }
  const [a, b] = found;
  if (a === undefined) return {};
  if (b === undefined) return { crashkernel: rangeOf(a) };
  const [low, high] = a.start < b.start ? [a, b] : [b, a];
  return { crashkernel: rangeOf(high), crashkernelLow: rangeOf(low) };
}

export interface KernelSections {
  code?: Range;
  rodata?: Range;
  data?: Range;
  bss?: Range;
}

const KERNEL_SECTIONS: readonly (readonly [keyof KernelSections, string])[] = [
  ['code', 'Kernel code'],
  ['rodata', 'Kernel rodata'],
  ['data', 'Kernel data'],
  ['bss', 'Kernel bss'],
];

/** The kernel image's sections as `setup_arch` registers them (under System RAM on x86). */
export function iomemKernelSections(tree: readonly IomemResource[], origin = '/proc/iomem'): KernelSections {
  const out: KernelSections = {};
  const lineOf: Partial<Record<keyof KernelSections, number>> = {};
  for (const r of walk(tree)) {
    const key = KERNEL_SECTIONS.find(([, name]) => name === r.name)?.[0];
    if (key === undefined) continue;
    const earlier = lineOf[key];
    if (earlier !== undefined) {
      const todo = 'the kernel registers each section once; remove the extra line';
      badIomem(origin, r.line, `a second "${r.name}" line (the first is line ${earlier})`, todo);
    }
    lineOf[key] = r.line;
    out[key] = rangeOf(r);
  }
  return out;
}
