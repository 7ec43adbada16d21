// Headless Chromium for the picture tests: Debian's /usr/bin/chromium driven through
// playwright-core, which downloads nothing. One browser per test file; each picture is loaded as a
// page of its own and measured from the DOM.

import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CRASHPLUG_CHROMIUM ?? '/usr/bin/chromium';

export function haveChromium(): boolean {
  return existsSync(CHROMIUM);
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

export interface TextBox {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly right: number;
  readonly bottom: number;
}

export interface Measured {
  /** Every <text> of the picture, as the browser laid it out (page pixels). */
  readonly texts: readonly TextBox[];
  /** The picture's own box on the page. */
  readonly view: { readonly x: number; readonly y: number; readonly right: number; readonly bottom: number };
}

/** Loads an SVG or HTML document into a fresh page, without network. */
export async function openDocument(browser: Browser, content: string, viewport = { width: 1600, height: 1000 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
  await page.setContent(content, { waitUntil: 'load' });
  return page;
}

/** The text boxes of the `index`-th <svg> on the page, and that picture's box. */
export async function measureSvg(page: Page, index = 0): Promise<Measured> {
  // A string, not a function: the project compiles without the DOM library.
  return page.evaluate(`(() => {
    const svg = document.querySelectorAll('svg')[${index}];
    const v = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')].map((t) => {
      const r = t.getBoundingClientRect();
      return { text: t.textContent ?? '', x: r.x, y: r.y, right: r.right, bottom: r.bottom };
    });
    return { texts, view: { x: v.x, y: v.y, right: v.right, bottom: v.bottom } };
  })()`);
}

/** Pairs of labels whose boxes overlap by more than `slack` pixels both ways. */
export function overlaps(texts: readonly TextBox[], slack = 0.5): [TextBox, TextBox][] {
  const sorted = [...texts].filter((t) => t.right > t.x).sort((a, b) => a.x - b.x);
  const out: [TextBox, TextBox][] = [];
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length && sorted[j]!.x < a.right - slack; j++) {
      const b = sorted[j]!;
      const dx = Math.min(a.right, b.right) - Math.max(a.x, b.x);
      const dy = Math.min(a.bottom, b.bottom) - Math.max(a.y, b.y);
      if (dx > slack && dy > slack) out.push([a, b]);
    }
  }
  return out;
}

/** Labels that stick out of the picture's box. */
export function outside(m: Measured, slack = 0.5): TextBox[] {
  return m.texts.filter((t) => t.x < m.view.x - slack || t.y < m.view.y - slack || t.right > m.view.right + slack || t.bottom > m.view.bottom + slack);
}

/** A page that shows one SVG at its own size, no margins. */
export function svgPage(svg: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;background:#fff}</style></head><body>${svg}</body></html>`;
}
