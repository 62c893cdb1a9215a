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
//   node tests/bench/web_page_cores.mjs [--anchors build/bench/anchors] [--reps 3] [--other DIR]
//
// --other DIR adds another checkout's page (e.g. a saved copy of main's build: its
// web/ with web/build, and wasm/) and its one-worker copy to the same rotation, as
// other_all_cores and other_one_worker.
import { cpSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../scripts/serve.mjs';
import { descendantsCpu } from './proc-cpu.mjs';
import { CHROMIUM_LAUNCH } from './chromium-engine.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { anchors: path.join(root, 'build/bench/anchors'), reps: '3' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const work = path.join(path.resolve(args.anchors), 'work');
const MODEL = path.join(work, 'w1_gbdt.json');
const CSV = path.join(work, 'w1.csv');
const log = (...a) => console.error('==', ...a);
const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

/** The one-worker page of a checkout: the same files, MAX_WORKERS = 1 (startPool() then returns 1). */
function oneWorkerCopy(from) {
  const single = mkdtempSync(path.join(os.tmpdir(), 'localpredict-page1-'));
  cpSync(path.join(from, 'web'), path.join(single, 'web'), { recursive: true });
  cpSync(path.join(from, 'wasm'), path.join(single, 'wasm'), { recursive: true });
  const workerFile = path.join(single, 'web', 'worker.mjs');
  const patched = readFileSync(workerFile, 'utf8').replace(/const MAX_WORKERS = \d+;/, 'const MAX_WORKERS = 1;');
  if (!patched.includes('const MAX_WORKERS = 1;')) throw new Error('web/worker.mjs has no MAX_WORKERS to set');
  writeFileSync(workerFile, patched);
  return single;
}

const checkouts = [{ prefix: '', root }];
if (args.other) checkouts.push({ prefix: 'other_', root: path.resolve(args.other) });
const copies = [];
const servers = [];
const origins = {};
for (const { prefix, root: from } of checkouts) {
  const single = oneWorkerCopy(from);
  copies.push(single);
  const [all, one] = [await startServer({ root: from }), await startServer({ root: single })];
  servers.push(all, one);
  origins[`${prefix}all_cores`] = all.origin;
  origins[`${prefix}one_worker`] = one.origin;
}
const { chromium } = await import('playwright-core');
const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'localpredict-bench-page-'));
const context = await chromium.launchPersistentContext(userDataDir, { ...CHROMIUM_LAUNCH, acceptDownloads: true });

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

/** Presses Predict; resolves { seconds, wall_s, status, marks }.  seconds: from the click
 * the page received to "Done." in the page, both on the page's clock (what a person sees).
 * wall_s: from this script's press to its seeing "Done.", which adds Playwright's own
 * delays (see tests/bench/README.md: its locator.waitFor polls every 500 ms after the
 * first few tries, and a click right after a download waited up to 2 s).  marks, in
 * seconds from the press: when the page saw the click, when "Done." was put in, when the
 * task that put it there ended (the results drawn) and when this script saw it.  cpu_s:
 * the CPU time of Chromium's processes meanwhile (proc-cpu.mjs: all threads). */
async function run(page) {
  await page.evaluate(() => {
    const marks = (window.benchMarks = {});
    byIdOnce('predict', 'click', () => { marks.click = performance.now(); });
    const status = document.getElementById('run-status');
    const seen = new MutationObserver(() => {
      if (marks.done === undefined && status.querySelector('.note')) {
        marks.done = performance.now();
        seen.disconnect();
        setTimeout(() => { marks.taskEnd = performance.now(); }, 0);
      }
    });
    seen.observe(status, { childList: true, subtree: true });
    function byIdOnce(id, type, fn) { document.getElementById(id).addEventListener(type, fn, { once: true, capture: true }); }
  });
  const pressed = await page.evaluate(() => performance.now());
  const t0 = performance.now();
  const cpu0 = descendantsCpu();
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.locator('#run-status .note').waitFor({ timeout: 300_000 });
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpu0 === null ? null : +(descendantsCpu() - cpu0).toFixed(2);
  const status = await page.locator('#run-status').innerText();
  if (!/^Done\. 200,000 rows/.test(status)) throw new Error(`unexpected: ${status}`);
  const m = await page.evaluate(() => window.benchMarks);
  const at = (v) => (v === undefined ? null : +((v - pressed) / 1000).toFixed(3));
  return { seconds: (m.done - m.click) / 1000, wall_s: +wall.toFixed(3), cpu_s: cpu, status,
    marks: { click: at(m.click), done: at(m.done), task_end: at(m.taskEnd), seen: +wall.toFixed(3) } };
}

async function download(page) {
  const [dl] = await Promise.all([page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV', exact: true }).click()]);
  return readFile(await dl.path());
}

try {
  const pages = {};
  const reps = {};
  for (const [key, origin] of Object.entries(origins)) {
    pages[key] = await openPage(origin);
    reps[key] = [];
  }
  const loadavg = [os.loadavg().map((v) => +v.toFixed(2))];
  for (let i = 0; i < +args.reps; i++) {
    for (const key of Object.keys(pages)) {
      log(`rep ${i + 1}: ${key}`);
      reps[key].push(await run(pages[key]));
    }
  }
  loadavg.push(os.loadavg().map((v) => +v.toFixed(2)));
  // After the timed reps: a download keeps the browser busy for a while (see run()).
  const first = await download(pages.all_cores);
  let sameBytes = true;
  for (const key of Object.keys(pages).slice(1)) sameBytes &&= first.equals(await download(pages[key]));
  const med = Object.fromEntries(Object.entries(reps).map(([k, v]) => [k, +median(v.map((r) => r.seconds)).toFixed(3)]));
  const wall = Object.fromEntries(Object.entries(reps).map(([k, v]) => [k, +median(v.map((r) => r.wall_s)).toFixed(3)]));
  console.log(JSON.stringify({
    workload: 'W1: w1_gbdt.json, w1.csv (98.5 MB, 200,000 rows)',
    cores: os.cpus().length,
    median_s: med,
    speedup: +(med.one_worker / med.all_cores).toFixed(3),
    ...(args.other ? { other_speedup: +(med.other_one_worker / med.other_all_cores).toFixed(3) } : {}),
    wall_median_s: wall,
    wall_speedup: +(wall.one_worker / wall.all_cores).toFixed(3),
    cpu_median_s: Object.fromEntries(Object.entries(reps).map(([k, v]) => [k, median(v.map((r) => r.cpu_s))])),
    same_download_bytes: sameBytes,
    loadavg_before_after: loadavg,
    reps,
  }, null, 1));
} finally {
  await context.close();
  for (const s of servers) await s.close();
  for (const d of [...copies, userDataDir]) rmSync(d, { recursive: true, force: true });
}
