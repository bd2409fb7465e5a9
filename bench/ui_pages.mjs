// Times the dashboard's pages in Debian's Chromium or Firefox ESR against a hone server seeded
// by bench/ui_pages.sh: from navigation (a fresh browser context each time, so nothing is
// cached) until the page shows its data. Prints one line per page and writes JSON to OUT.
//   UI_URL (…/ui/), TOKEN_FILE, MODEL (the model with many versions), VERSION (one of its
//   versions), LOADS (default 7), UI_BROWSER (chromium, the default, or firefox), OUT
import { readFileSync, writeFileSync } from 'node:fs';

import { launch } from '../tests/ui/browser.mjs';

const url = process.env.UI_URL;
const token = readFileSync(process.env.TOKEN_FILE, 'utf8').trim();
const model = process.env.MODEL;
const loads = Number(process.env.LOADS ?? 7);

// Each page and what shows that its data has arrived.
const pages = [
  ['runs (newest 50 of all runs)', '/runs', '[data-testid=run-row]'],
  ['models', '/models', `[data-testid=models-table] tr[data-model="${model}"]`],
  [`a model's versions (newest 20)`, `/models/${model}`, '[data-testid=version-row]'],
  ['a version', `/models/${model}/versions/${process.env.VERSION ?? 1}`, '[data-testid=lineage]'],
  ['runs filtered, sorted by a metric', `/runs?filter=${encodeURIComponent("params.model = 'x'")}&order=${encodeURIComponent('metrics.`rmse` ASC')}`, '[data-testid=run-row]'],
  ['decisions (newest 100 audit records)', '/decisions', '[data-testid=audit-row]'],
  ['decisions searched (2 of all records)', '/decisions?q=canary', '[data-testid=audit-row]:has-text("big@canary")'],
];

const browser = await launch(process.env.UI_BROWSER ?? 'chromium');
const results = [];
try {
  for (const [name, hash, ready] of pages) {
    const times = [];
    for (let i = 0; i < loads; ++i) {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(30000);
      const start = performance.now();
      await page.goto(`${url}?token=${encodeURIComponent(token)}#${hash}`);
      await page.locator(ready).first().waitFor();
      times.push(performance.now() - start);
      await context.close();
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const worst = times[times.length - 1];
    results.push({ page: name, hash, loads, median_ms: median, max_ms: worst });
    console.log(`${name.padEnd(40)} median ${median.toFixed(0).padStart(5)} ms  max ${worst.toFixed(0).padStart(5)} ms`);
  }
} finally {
  await browser.close();
}
if (process.env.OUT) writeFileSync(process.env.OUT, JSON.stringify(results, null, 2));
