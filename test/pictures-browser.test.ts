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
import { haveChromium, launchBrowser, measureSvg, openDocument, outside, overlaps, svgPage } from './support/browser.js';
import { machineWith, x86Registry } from './support/picture-machines.js';

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
    expect(outside(m).map((t) => t.text), `${name}: labels outside the picture`).toEqual([]);
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

describe.skipIf(!haveChromium())('pictures in headless chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
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

  it('labels the NUMA nodes of the real two-node arm64 guest (its device tree gives the node ids)', async () => {
    const file = join(work(), 'numa2.svg');
    const said = execFileSync(process.execPath, ['bin/crashplug.js', 'elfcorehdr', '--system', 'test/fixtures/real-arm64-6.12/numa2/system-dtb.json', '--svg', file]).toString();
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
