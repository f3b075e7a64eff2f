/**
 * Opens a report in headless Debian Chromium with the network cut off and measures, for each
 * chart, how many coloured (data) pixels its plot rectangle holds. Axes, grid and text are grey,
 * so a chart whose data failed to draw scores near zero.
 */
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { chromium } from 'playwright-core';
import { CHART } from '../../../calibration/report/svg-chart.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumSkip = existsSync(CHROMIUM) ? false : 'needs Debian chromium (apt-get install -y chromium)';

export interface ChartPixels {
  kind: string;
  coloured: number;
}

export interface RenderResult {
  charts: ChartPixels[];
  externalRequests: string[];
  consoleErrors: string[];
}

/** Pixels whose channels differ by more than 60: the palette colours, never black/grey/white. */
async function colouredPixels(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let y = CHART.top + 2; y < Math.min(info.height, CHART.height - CHART.bottom - 1); y++) {
    for (let x = CHART.left + 2; x < Math.min(info.width, CHART.width - CHART.right - 1); x++) {
      const i = (y * info.width + x) * 3;
      const r = data[i], g = data[i + 1], b = data[i + 2];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
    }
  }
  return n;
}

export async function renderReport(url: string): Promise<RenderResult> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
    const externalRequests: string[] = [];
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file:') || u.startsWith('data:') || u === 'about:blank') return route.continue();
      externalRequests.push(u);
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    const charts: ChartPixels[] = [];
    for (const el of await page.locator('figure svg[data-chart]').all()) {
      const kind = (await el.getAttribute('data-chart')) ?? '?';
      charts.push({ kind, coloured: await colouredPixels(await el.screenshot()) });
    }
    return { charts, externalRequests, consoleErrors };
  } finally {
    await browser.close();
  }
}
