// The pictures as a browser draws them: Debian's chromium, headless, loads each SVG and the HTML
// report; every <text> must lie inside the picture and overlap no other. Screenshots go to
// out/pictures/ (and, with UPDATE_PICTURES=1, the README's to docs/).

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHeader } from '../cli/commands/build-header.js';
import { memoryMapOf } from '../cli/memory-map-rows.js';
import { memoryMapPicture } from '../cli/svg-memory-map.js';
import { CHROMIUM, haveChromium, launchBrowser, measureSvg, openDocument, outside, overlaps, svgPage } from './support/browser.js';
import { machineWith, ramOf, x86Registry } from './support/picture-machines.js';
import { W1 } from './support/systems.js';

const OUT = 'out/pictures';
const DOCS = process.env.UPDATE_PICTURES === '1';
let scratch: string | undefined;
function work(): string {
  scratch ??= mkdtempSync(join(tmpdir(), 'crashplug-pictures-'));
  return scratch;
}

async function check(browser: Browser, name: string, svg: string, docsName?: string): Promise<{ texts: number; width: number; height: number }> {
  const page = await openDocument(browser, svgPage(svg));
  try {
    const m = await measureSvg(page);
    const bad = overlaps(m.texts).map(([a, b]) => `"${a.text}" over "${b.text}"`);
    expect(bad, `${name}: overlapping labels`).toEqual([]);
    expect(
      outside(m).map((t) => t.text),
      `${name}: labels outside the picture`,
    ).toEqual([]);
    mkdirSync(OUT, { recursive: true });
    const png = await page.locator('svg').first().screenshot();
    writeFileSync(join(OUT, `${name}.png`), png);
    writeFileSync(join(OUT, `${name}.svg`), svg);
    if (DOCS && docsName !== undefined) writeFileSync(join('docs', docsName), png);
    return { texts: m.texts.length, width: m.view.right - m.view.x, height: m.view.bottom - m.view.y };
  } finally {
    await page.close();
  }
}

describe('pictures in headless chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    // No skipping: a missing browser must fail the run, not pass it untested (.ci/run installs it).
    if (!haveChromium()) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (or set CRASHPLUG_CHROMIUM)`);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe.each([1, 10, 500, 8192])('the memory map of a machine with %i System RAM ranges', (count) => {
    it('draws every label inside the picture, none over another', async () => {
      const built = buildHeader(machineWith(count), x86Registry);
      const pic = memoryMapPicture(memoryMapOf(built));
      const m = await check(browser, `memory-map-${count}`, pic.svg, count === 500 ? 'memory-map.png' : undefined);
      console.log(`memory map, ${count} ranges: ${pic.items} bars (${pic.bands} bands), ${m.texts} labels, ${m.width}x${m.height} px`);
      expect(pic.items).toBeLessThan(80);
    });
  });

  /** Runs `simulate` with pictures; returns what it said. */
  function simulate(name: string, args: readonly string[]): { said: string; svg: string; file: string } {
    const file = join(work(), `${name}.svg`);
    // Some runs go wrong on purpose (refused, dropped): --no-fail keeps their exit 3 from ending the test.
    const said = execFileSync(process.execPath, ['bin/crashplug.js', 'simulate', ...args, '--svg', file, '--no-fail']).toString();
    return { said, svg: readFileSync(file, 'utf8'), file };
  }

  const SMALL = ['--system', 'test/fixtures/hotplug/system-small-segment.json', '--resize', '32G:48G', '--dimm', '128M'];

  it('draws and counts refused updates and dropped events, and marks when the header stopped covering the machine', async () => {
    // A segment sized for 4 CPUs and 16 ranges: from the 67th range on, every header is too large; and one try in 20 finds the lock busy.
    const { said, svg, file } = simulate('timeline-refused-dropped', [...SMALL, '--strategy', 'kernel', '--contention', '0.05', '--svg-scale', '12s']);
    expect(said).toMatch(
      new RegExp(`wrote ${file} \\(timeline: 128 events, \\d+ updates, [1-9]\\d* refused, [1-9]\\d* dropped, 0 unarmed windows; time 0-12 s;`),
    );
    expect(svg).toMatch(/update\(s\) refused/);
    expect(svg).toMatch(/event\(s\) dropped: kexec lock busy/);
    expect(svg).toMatch(/header stops covering the machine at /);
    expect(svg).toMatch(/>warm-up \(JIT\)</);
    await check(browser, 'timeline-refused-dropped', svg, 'timeline.png');
  });

  it('draws udev reloads on the same fixed scale as the in-place strategies, so they compare', async () => {
    const reload = simulate('timeline-reload', [...SMALL, '--strategy', 'reload', '--svg-scale', '12s']);
    const coalesce = simulate('timeline-coalesce', [...SMALL, '--strategy', 'coalesce', '--contention', '0.3', '--svg-scale', '12s']);
    for (const r of [reload, coalesce]) expect(r.said).toMatch(/time 0-12 s;/);
    expect(reload.svg).toMatch(/kdump unarmed \(kdumpctl reload\) from /);
    await check(browser, 'timeline-reload', reload.svg);
    await check(browser, 'timeline-coalesce', coalesce.svg);
    // A scale shorter than the run says what it leaves out.
    const short = simulate('timeline-clipped', [...SMALL, '--strategy', 'reload', '--svg-scale', '2s']);
    expect(short.said).toMatch(/time 0-2 s \([\d.]+ s past it not drawn\)/);
    await check(browser, 'timeline-clipped', short.svg);
  });

  it("draws the 3840-event resize without one mark per event and with Node's warm-up left out of the statistics", async () => {
    const big = simulate('timeline-3840', ['--system', 'test/fixtures/hotplug/system.json', '--resize', '32G:512G', '--contention', '0.05']);
    expect(big.said).toMatch(/timeline: 3840 events, \d+ updates, 0 refused, [1-9]\d* dropped/);
    expect(big.svg.length).toBeLessThan(400_000);
    expect(big.svg).toMatch(/after the warm-up \(first 10, longest [^)]+\): median /);
    await check(browser, 'timeline-3840', big.svg);
  });

  /** A system description file for the synthetic machine with `count` ranges (the CLI reads files). */
  function machineFile(count: number): string {
    const file = join(work(), `machine-${count}.json`);
    const hx = (v: bigint): string => `0x${v.toString(16)}`;
    const json = {
      arch: 'x86_64',
      kernel: '6.18',
      memory: { ranges: ramOf(count).map((r) => [hx(r.start), hx(r.end)]) },
      cpus: { possible: '0-3' },
      crashNotes: { base: hx(W1.crashNotesBase), stride: hx(W1.crashNotesStride) },
      vmcoreinfo: { address: hx(W1.vmcoreinfo.address), size: hx(W1.vmcoreinfo.size) },
      crashkernel: [hx(W1.crashkernel.start), hx(W1.crashkernel.end)],
      kernelImage: { text: hx(W1.kernelImage.text), textPhys: hx(W1.kernelImage.textPhys), size: hx(W1.kernelImage.size) },
    };
    writeFileSync(file, JSON.stringify(json));
    return file;
  }

  /** Opens a report page offline; checks it fetched nothing, and every picture in it. */
  async function checkPage(name: string, html: string, docsName?: string): Promise<{ pictures: number; rowsWithTitle: number }> {
    expect(html).not.toMatch(/<script|<link|@import|<iframe|<img|\bsrc=/i);
    expect(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '')).not.toMatch(/https?:\/\//);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.route('**/*', (route) => route.abort());
      await page.setContent(html, { waitUntil: 'load' });
      expect(requests.filter((u) => !u.startsWith('data:') && u !== 'about:blank')).toEqual([]);
      const pictures = (await page.evaluate('document.querySelectorAll("svg").length')) as number;
      for (let i = 0; i < pictures; i++) {
        const m = await measureSvg(page, i);
        expect(
          overlaps(m.texts).map(([a, b]) => `"${a.text}" over "${b.text}"`),
          `${name}: picture ${i}`,
        ).toEqual([]);
        expect(
          outside(m).map((t) => t.text),
          `${name}: picture ${i}`,
        ).toEqual([]);
      }
      const rowsWithTitle = (await page.evaluate('document.querySelectorAll("tr[title]").length')) as number;
      mkdirSync(OUT, { recursive: true });
      const png = await page.screenshot({ fullPage: false });
      writeFileSync(join(OUT, `${name}.png`), png);
      writeFileSync(join(OUT, `${name}.html`), html);
      if (DOCS && docsName !== undefined) writeFileSync(join('docs', docsName), png);
      return { pictures, rowsWithTitle };
    } finally {
      await page.close();
    }
  }

  it('elfcorehdr --html writes one self-contained page for 8192 ranges: summary, findings, map, hover table', async () => {
    const file = join(work(), 'report-8192.html');
    const said = execFileSync(process.execPath, ['bin/crashplug.js', 'elfcorehdr', '--system', machineFile(8192), '--html', file], {
      maxBuffer: 256 << 20,
    }).toString();
    expect(said).toMatch(
      new RegExp(
        `wrote ${file} \\(HTML report: memory map, 8192 System RAM ranges in \\d+ bars \\(\\d+ bands?\\), 8192 PT_LOADs in \\d+ bars \\(\\d+ bands?\\), 8198 program headers, \\d+ KiB\\)`,
      ),
    );
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<h2>Findings');
    const r = await checkPage('report-elfcorehdr-8192', html);
    expect(r.pictures).toBe(1);
    expect(r.rowsWithTitle).toBe(8198);
  });

  it('simulate --html shows the timeline, the findings of a run that went wrong and the installed header', async () => {
    const file = join(work(), 'report-simulate.html');
    const said = execFileSync(process.execPath, [
      'bin/crashplug.js',
      'simulate',
      ...SMALL,
      '--strategy',
      'kernel',
      '--contention',
      '0.05',
      '--svg-scale',
      '12s',
      '--html',
      file,
      '--no-fail',
    ]).toString();
    expect(said).toContain(`wrote ${file} (HTML report: timeline: 128 events`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('the header left installed is not what a fresh build of the final machine gives');
    expect(html).toMatch(/event\(s\) dropped on a busy kexec lock/);
    const r = await checkPage('report-simulate', html, 'report.png');
    expect(r.pictures).toBe(1);
    expect(r.rowsWithTitle).toBeGreaterThan(10);
  });

  it('labels the NUMA nodes of the real two-node arm64 guest (its device tree gives the node ids)', async () => {
    const file = join(work(), 'numa2.svg');
    const said = execFileSync(process.execPath, [
      'bin/crashplug.js',
      'elfcorehdr',
      '--system',
      'test/fixtures/real-arm64-6.12/numa2/system-dtb.json',
      '--svg',
      file,
    ]).toString();
    expect(said).toContain(`wrote ${file} (memory map, 2 System RAM ranges, 3 PT_LOADs)`);
    const svg = readFileSync(file, 'utf8');
    expect(svg).toMatch(/>node 0: 1 GiB</);
    expect(svg).toMatch(/>node 1: 1 GiB</);
    await check(browser, 'memory-map-arm64-numa2', svg);
  });

  it("draws kexec-tools' backup region and CMA when the machine has them, and a legend of only what is drawn", async () => {
    const cma = { crashkernelCma: [{ start: 0x1_4000_0000n, end: 0x1_7fff_ffffn }] };
    const built = buildHeader(machineWith(10, { builder: 'kexec-tools', ...cma }), x86Registry);
    const pic = memoryMapPicture(memoryMapOf(built));
    expect(pic.rows.map((r) => r.label)).toContain('backup region');
    expect(pic.svg).toMatch(/>CMA 1 GiB</);
    expect(pic.svg).toMatch(/>copied: 635 KiB</);
    expect(pic.svg).toContain('>CMA reservation<');
    expect(pic.svg).not.toContain('>added by the arch<');
    expect(pic.svg).not.toContain('>NUMA node<');
    await check(browser, 'memory-map-kexec-tools-cma', pic.svg);
  });
});
