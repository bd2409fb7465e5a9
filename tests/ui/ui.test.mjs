// End-to-end tests of the dashboard: Debian's Chromium or Firefox ESR, driven by playwright-core
// (Chromium over CDP, Firefox over WebDriver BiDi), against a real hone server with a seeded
// store (scripts/ui-test.sh starts both and seeds it).
//   UI_URL               the dashboard, e.g. http://127.0.0.1:PORT/ui/
//   UI_BROWSER           chromium (default) or firefox; CHROMIUM / FIREFOX override the binary
//   ADMIN_TOKEN_FILE     an admin token;  DEPLOYER_TOKEN_FILE  a deployer token
//   SCREENSHOT_DIR       where ui-*.png go (docs/images); unset: no screenshots
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch } from './browser.mjs';

const url = process.env.UI_URL;
const adminToken = readFileSync(process.env.ADMIN_TOKEN_FILE, 'utf8').trim();
const deployerToken = readFileSync(process.env.DEPLOYER_TOKEN_FILE, 'utf8').trim();
const shots = process.env.SCREENSHOT_DIR;
if (shots) mkdirSync(shots, { recursive: true });
const browserName = process.env.UI_BROWSER ?? 'chromium';

let browser, page;
const pageErrors = [];

before(async () => {
  browser = await launch(browserName);
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  // Nothing may come from anywhere but the server under test.
  await context.route('**/*', (route) =>
    route.request().url().startsWith(new URL(url).origin) ? route.continue() : route.abort());
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

after(async () => {
  await browser?.close();
});

async function shot(name) {
  if (!shots) return;
  await page.waitForTimeout(300); // let charts draw
  await page.screenshot({ path: join(shots, `ui-${name}.png`), fullPage: true });
}

async function signIn(token) {
  await page.getByTestId('token-input').fill(token);
  await page.getByTestId('token-submit').click();
  await page.getByTestId('identity').waitFor();
}

/** The query of the page's hash route (#/runs?order=…). */
function hashQuery() {
  return new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');
}

async function go(hash) {
  await page.goto(`${url}#${hash}`);
}

test('a token is asked for once, and the identity shown', async () => {
  await go('/runs');
  await page.getByTestId('token-prompt').waitFor();
  await signIn(adminToken);
  assert.match(await page.getByTestId('identity').textContent(), /root\s*admin/);
});

test('runs: a table sorted and filtered by the server', async () => {
  await go('/runs');
  const asked = [];
  const listen = (r) => asked.push(new URL(r.url()).pathname);
  page.on('request', listen);
  await page.reload(); // a fresh load of the page, every request of which is counted
  await page.getByTestId('run-row').first().waitFor();
  page.off('request', listen);
  assert.ok((await page.getByTestId('run-row').count()) >= 7);
  // The pipeline's runs show their data digest and code commit, which runs/search carries as
  // tags: one request fills the table, none per row.
  const pipelineRun = page.locator('[data-testid=run-row]', { has: page.locator('a', { hasText: /^house_prices$/ }) }).first();
  assert.match(await pipelineRun.locator('td.mono').nth(0).getAttribute('title'), /^[0-9a-f]{64}$/);
  assert.match(await pipelineRun.locator('td.mono').nth(1).getAttribute('title'), /^[0-9a-f]{40}$/);
  assert.equal(asked.filter((p) => p.endsWith('/runs/search')).length, 1);
  assert.deepEqual(asked.filter((p) => p.startsWith('/api/hone/v1/runs/')), []);
  await shot('runs');
  await page.getByTestId('filter-model').fill('sweep');
  await page.getByTestId('filter-apply').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 3);
  // Newest first, as the seed made them; then by name, descending and ascending.
  const names = (order) =>
    page.waitForFunction(
      (want) => [...document.querySelectorAll('[data-testid=run-row] td:nth-child(2)')].map((td) => td.textContent).join() === want,
      order.join(),
    );
  await names(['sweep-lr-0.03', 'sweep-lr-0.1', 'sweep-lr-0.3']);
  await page.getByTestId('sort-attributes.run_name').click();
  await names(['sweep-lr-0.3', 'sweep-lr-0.1', 'sweep-lr-0.03']);
  assert.equal(hashQuery().get('order'), 'attributes.run_name DESC');
  await page.getByTestId('sort-attributes.run_name').click();
  await names(['sweep-lr-0.03', 'sweep-lr-0.1', 'sweep-lr-0.3']);
  assert.equal(hashQuery().get('order'), 'attributes.run_name ASC');
});

test('compare: parameters and metrics side by side, metrics over steps', async () => {
  for (const box of await page.locator('[data-testid=run-row] input[type=checkbox]').all()) await box.check();
  await page.getByTestId('compare').click();
  await page.getByTestId('compare-params').waitFor();
  const lr = page.locator('[data-testid=compare-params] tr[data-key=learning_rate]');
  assert.equal(await lr.getAttribute('class'), 'differs');
  assert.deepEqual((await lr.locator('td.num').allTextContents()).sort(), ['0.03', '0.1', '0.3']);
  await page.getByTestId('chart-loss').locator('canvas').waitFor();
  await page.getByTestId('chart-val_auc').locator('canvas').waitFor();
  await shot('compare');
});

test('models: versions, gate verdicts, aliases and their history', async () => {
  await go('/models');
  await page.locator('[data-testid=models-table] tr[data-model=house_prices]').waitFor();
  await page.locator('[data-testid=models-table] tr[data-model=churn]').waitFor();
  await shot('models');
  await go('/models/house_prices');
  assert.equal(await page.getByTestId('alias-production').textContent(), 'v2');
  await page.locator('tr[data-version="2"] [data-testid=verdict]').filter({ hasText: 'blessed' }).waitFor();
  await page.getByTestId('alias-timeline').waitFor();
});

test('roll back and promote, each after a confirmation', async () => {
  await page.getByTestId('rollback-production').click();
  const dialog = page.getByTestId('confirm-dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /goes back from v2/);
  await page.getByTestId('confirm-cancel').click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('alias-production').textContent(), 'v2'); // cancel: nothing moved

  await page.getByTestId('rollback-production').click();
  await page.getByTestId('confirm-ok').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=alias-production]')?.textContent === 'v1');
  await page.locator('[data-testid=alias-moves] tr[data-action=rollback]').waitFor();

  await page.locator('tr[data-version="2"] [data-testid=promote]').click();
  assert.match(await page.getByTestId('confirm-dialog').textContent(), /moves from v1 to v2/);
  await page.getByTestId('confirm-ok').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=alias-production]')?.textContent === 'v2');
  await shot('model');
});

test('a version: lineage and gate checks; a diff of two versions', async () => {
  await go('/models/house_prices/versions/2');
  await page.getByTestId('lineage').waitFor();
  await page.getByTestId('checks').waitFor();
  await page.getByTestId('release').nth(1).waitFor(); // registered-to-production, rolled back, promoted
  await shot('version');
  await go('/models/house_prices');
  await page.locator('tr[data-version="1"] input[type=checkbox]').check();
  await page.locator('tr[data-version="2"] input[type=checkbox]').check();
  await page.getByTestId('diff').click();
  await page.getByTestId('diff-params').waitFor();
  assert.equal(await page.locator('[data-testid=diff-params] tr[data-key=n_estimators]').getAttribute('class'), 'differs');
  await shot('diff');
});

test('a deployer: the protected alias refuses an unblessed version, verbatim; a canary stops', async () => {
  await page.getByTestId('sign-out').click();
  await signIn(deployerToken);
  assert.match(await page.getByTestId('identity').textContent(), /release\s*deployer/);
  await go('/models/churn');
  await page.locator('tr[data-version="2"] [data-testid=promote]').click();
  await page.getByTestId('confirm-ok').click();
  const error = page.getByTestId('confirm-dialog').getByTestId('error');
  await error.waitFor();
  assert.match(await error.textContent(), /Not allowed: alias 'production' is protected: churn\/2 has no blessed gate verdict/);
  await shot('refused');
  await page.getByTestId('confirm-cancel').click();
  assert.equal(await page.getByTestId('alias-production').textContent(), 'v1');

  await go('/models/house_prices');
  await page.getByTestId('canary-stop').click();
  await page.getByTestId('confirm-ok').click();
  await page.locator('[data-alias=canary].card').waitFor({ state: 'detached' });
});

test('live: traffic per version, canary and production side by side', async () => {
  await go('/live?model=house_prices');
  await page.locator('[data-testid=live-versions] tr[data-version="2"]').waitFor();
  await page.locator('[data-testid=live-versions] tr[data-version="1"]').waitFor();
  await page.getByTestId('live-requestss').locator('canvas').waitFor();
  await page.getByTestId('live-p99').locator('canvas').waitFor();
  await page.locator('[data-testid=drift], [data-testid=drift-unavailable]').first().waitFor();
  await shot('live');
});

test('live: drift per feature from served traffic, thresholds drawn, live accuracy from feedback', async () => {
  // The seed sent churn rows through a real `hone serve` with monthly_charges and support_calls
  // shifted, production v1 and canary v2 each taking about half, then every row's true label.
  await go('/live?model=churn&period=15m');
  for (const [version, alias] of [[1, 'production'], [2, 'canary']]) {
    const row = page.locator(`[data-testid=live-versions] tr[data-version="${version}"]`);
    await row.waitFor();
    assert.ok(Number(await row.locator('td.num').first().textContent()) > 0);
    const panel = page.locator(`[data-testid=drift] .panel[data-version="${version}"]`);
    await panel.waitFor();
    assert.match(await panel.locator('h4').textContent(), new RegExp(alias));
    const drifted = async (feature) => panel.locator(`tr[data-feature=${feature}]`).getAttribute('data-drifted');
    assert.equal(await drifted('monthly_charges'), 'true');
    assert.equal(await drifted('support_calls'), 'true');
    assert.equal(await drifted('tenure_months'), 'false');
    assert.equal(await drifted('region'), 'false');
    assert.match(await panel.getByTestId('live-metrics').textContent(), /accuracy 0\.\d+ .*over \d+ labels/);
    const chart = page.getByTestId(`drift-chart-${version}`);
    await chart.locator('canvas').waitFor();
    const legend = await chart.locator('.u-legend').textContent();
    assert.match(legend, /warn/);
    assert.match(legend, /alert/);
  }
  await page.getByTestId('live-metric-chart').locator('canvas').waitFor();
  await shot('live-drift');
});

test('decisions: the audit log with the evidence of each change', async () => {
  await go('/decisions');
  await page.getByTestId('audit-row').first().waitFor();
  // The loop's own decisions: one look of `hone watch` retrained houses_loop on new data and
  // rejected the candidate, each with its reason and evidence.
  await page.getByTestId('audit-filter').fill('watch.');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid=audit-row]')].map((r) => r.dataset.action).join() === 'watch.reject,watch.retrain');
  const reject = page.locator('[data-testid=audit-row][data-action="watch.reject"]');
  assert.match(await reject.getByTestId('why').textContent(), /not blessed: rmse no_worse_than champion/);
  assert.match(await page.locator('[data-testid=audit-row][data-action="watch.retrain"]').getByTestId('why').textContent(),
    /retrain: new data: digest \w+ differs from \w+, which production version 1 was trained on/);
  await reject.getByRole('button', { name: 'evidence' }).click();
  assert.match(await page.getByTestId('evidence-after').textContent(), /"action": "reject"/);
  await shot('loop-decisions');
  await reject.getByRole('button', { name: 'hide' }).click();
  await page.getByTestId('audit-filter').fill('rollback');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-testid=audit-row]')].every((r) => r.dataset.action.includes('rollback')));
  assert.equal(await page.locator('[data-testid=audit-row][data-action=rollback]').first().getByTestId('why').textContent(),
    'v2 → v1');
  await page.locator('[data-testid=audit-row] button').first().click();
  assert.match(await page.getByTestId('evidence-after').textContent(), /"version": 1/);
  await shot('decisions');
  assert.deepEqual(pageErrors, []);
});
