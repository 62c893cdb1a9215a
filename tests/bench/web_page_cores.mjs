#!/usr/bin/env node
// The web page (web/, served as `make serve` serves it) predicting W1's CSV on all
// cores against the same page on one worker, in headless Chromium, driven through
// its controls as a person would: the model and the CSV chosen once per page, then
// Predict pressed alternately on each page, rep after rep.  The one-worker page is
// a copy of web/ (and wasm/) in a temporary directory whose web/worker.mjs has
// MAX_WORKERS = 1, i.e. the page as it was before it used the pool.  Prints one JSON
// object: per page the times from Predict to "Done." (and the page's own figure),
// medians, the ratio, the load average, and whether both Download CSV bytes agree.
//
//   node tests/bench/web_page_cores.mjs [--anchors build/bench/anchors] [--reps 3]
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../scripts/serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { anchors: path.join(root, 'build/bench/anchors'), reps: '3' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const work = path.join(path.resolve(args.anchors), 'work');
const MODEL = path.join(work, 'w1_gbdt.json');
const CSV = path.join(work, 'w1.csv');
const log = (...a) => console.error('==', ...a);
const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

// The one-worker page: the same files, MAX_WORKERS = 1 (startPool() then returns 1).
const single = mkdtempSync(path.join(os.tmpdir(), 'localpredict-page1-'));
cpSync(path.join(root, 'web'), path.join(single, 'web'), { recursive: true });
cpSync(path.join(root, 'wasm'), path.join(single, 'wasm'), { recursive: true });
const workerFile = path.join(single, 'web', 'worker.mjs');
const patched = readFileSync(workerFile, 'utf8').replace(/const MAX_WORKERS = \d+;/, 'const MAX_WORKERS = 1;');
if (!patched.includes('const MAX_WORKERS = 1;')) throw new Error('web/worker.mjs has no MAX_WORKERS to set');
writeFileSync(workerFile, patched);

const servers = [await startServer({ root }), await startServer({ root: single })];
const { chromium } = await import('playwright-core');
const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'localpredict-bench-page-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.LOCALPREDICT_CHROMIUM || '/usr/bin/chromium', headless: true, timeout: 60_000, acceptDownloads: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});

async function openPage(origin) {
  const page = await context.newPage();
  page.on('pageerror', (e) => log('page error:', e.message));
  await page.goto(`${origin}/web/`);
  await page.locator('#engine-status').filter({ hasText: 'ready' }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Model file', { exact: true }).setInputFiles(MODEL);
  await page.locator('#model-status .note:not(.busy)').waitFor({ timeout: 60_000 });
  await page.getByLabel('Data file (CSV)').setInputFiles(CSV);
  await page.waitForFunction(() => !document.getElementById('predict').disabled, null, { timeout: 60_000 });
  return page;
}

/** Presses Predict; resolves { seconds (Predict to "Done."), status }. */
async function run(page) {
  const t0 = performance.now();
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.locator('#run-status .note').waitFor({ timeout: 300_000 });
  const seconds = (performance.now() - t0) / 1000;
  const status = await page.locator('#run-status').innerText();
  if (!/^Done\. 200,000 rows/.test(status)) throw new Error(`unexpected: ${status}`);
  return { seconds, status };
}

async function download(page) {
  const [dl] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV', exact: true }).click()]);
  return readFile(await dl.path());
}

try {
  const pages = { all_cores: await openPage(servers[0].origin), one_worker: await openPage(servers[1].origin) };
  const reps = { all_cores: [], one_worker: [] };
  const loadavg = [os.loadavg().map((v) => +v.toFixed(2))];
  let sameBytes = null;
  for (let i = 0; i < +args.reps; i++) {
    for (const key of Object.keys(pages)) {
      log(`rep ${i + 1}: ${key}`);
      reps[key].push(await run(pages[key]));
    }
    if (i === 0) sameBytes = (await download(pages.all_cores)).equals(await download(pages.one_worker));
  }
  loadavg.push(os.loadavg().map((v) => +v.toFixed(2)));
  const med = Object.fromEntries(Object.entries(reps).map(([k, v]) => [k, +median(v.map((r) => r.seconds)).toFixed(3)]));
  console.log(JSON.stringify({
    workload: 'W1: w1_gbdt.json, w1.csv (98.5 MB, 200,000 rows)',
    cores: os.cpus().length,
    median_s: med,
    speedup: +(med.one_worker / med.all_cores).toFixed(3),
    same_download_bytes: sameBytes,
    loadavg_before_after: loadavg,
    reps,
  }, null, 1));
} finally {
  await context.close();
  for (const s of servers) await s.close();
  for (const d of [single, userDataDir]) rmSync(d, { recursive: true, force: true });
}
