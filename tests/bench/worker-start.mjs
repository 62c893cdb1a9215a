#!/usr/bin/env node
// How long the browser pool's workers take to start, in Debian's headless Chromium:
// wasm/pool.mjs poolTrace's 'worker start' (spawn to the worker's 'hello' handled by the
// page), 'init message' (the engine module and the model blob posted to it, until the
// worker has them), 'instantiate' and 'model blob load' (in the worker), per worker.
// Each rep: loadModel(W1's model, { jobs: 2 }) (workers started while the model loads:
// "warm") or loadModel then predictCsv starting them ("cold"), then predictCsv of W1's
// first ~9 MB (just over the pool's 8 MiB threshold) on 2 workers, then dispose().
// Settings interleaved rep by rep; --other DIR puts another checkout (e.g. main's, built)
// in the same rotation from a second origin; --blob 1 adds this checkout's page with
// setEngine({ worker: a blob: URL of wasm/build/localpredict-worker.mjs }).
//
//   node tests/bench/worker-start.mjs [--anchors build/bench/anchors] [--other DIR] [--reps 9] [--warmup 2] [--blob 1]
//
// Prints one JSON object: per setting each phase's median in ms (a rep's value: the mean
// over its workers) with (min-max), and with --other / --blob the per-rep ratios
// this/other of 'worker start', median (min-max).  Only the ratios count on a shared machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './static-server.mjs';
import { CHROMIUM_LAUNCH } from './chromium-engine.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { anchors: path.join(root, 'build/bench/anchors'), reps: '9', warmup: '2', blob: '0' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const work = path.join(path.resolve(args.anchors), 'work');
const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const PHASES = ['worker start', 'init message', 'instantiate', 'model blob load'];

const servers = [];
const serve = async (dir) => {
  const server = await serveStatic(dir, { workload: work });
  servers.push(server);
  return server.origin;
};
const origins = { this: await serve(root) };
if (args.other) origins.other = await serve(path.resolve(args.other));

const { chromium } = await import('playwright-core');
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'localpredict-wstart-'));
const context = await chromium.launchPersistentContext(userDataDir, CHROMIUM_LAUNCH);

const openPage = async (origin, blob) => {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('== page error:', e.message));
  await page.goto(origin + '/tests/browser/pool-page.html');
  await page.waitForFunction(() => window.localpredict !== undefined, null, { timeout: 30_000 });
  await page.evaluate(async (blob) => {
    const lp = window.localpredict;
    const bytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
    lp.setEngine({ wasm: { simd: await bytes('/wasm/build/localpredict.wasm'), scalar: await bytes('/wasm/build/localpredict-scalar.wasm') } });
    if (blob) {
      const text = await (await fetch('/wasm/build/localpredict-worker.mjs')).text();
      lp.setEngine({ worker: URL.createObjectURL(new Blob([text], { type: 'text/javascript' })) });
    }
    window.benchModel = await bytes('/workload/w1_gbdt.json');
    // W1's first lines past 9,000,000 bytes: over the 8 MiB under which a run stays on one thread.
    const csv = await bytes('/workload/w1.csv');
    const cut = csv.indexOf(10, 9_000_000) + 1;
    window.benchFile = new File([csv.subarray(0, cut)], 'w1-9mb.csv', { type: 'text/csv' });
    (await lp.loadModel(window.benchModel)).dispose();
  }, blob);
  return page;
};

const runPage = (page, warm) => page.evaluate(async (warm) => {
  const lp = window.localpredict;
  lp.poolTrace.events = [];
  const model = await lp.loadModel(window.benchModel, warm ? { jobs: 2 } : undefined);
  let workers = 0;
  await model.predictCsvText(window.benchFile, { jobs: 2, onProgress: (p) => { workers = Math.max(workers, p.workers); } });
  model.dispose();
  const events = lp.poolTrace.events;
  lp.poolTrace.events = null;
  return { workers, events: events.filter((e) => e.worker >= 0 && e.name !== 'slice' && e.name !== 'send').map((e) => ({ name: e.name, ms: e.end - e.start })) };
}, warm);

try {
  const pages = { this: await openPage(origins.this, false) };
  if (origins.other) pages.other = await openPage(origins.other, false);
  if (args.blob === '1') pages.blob = await openPage(origins.this, true);
  const settings = [];
  for (const warm of [true, false]) for (const p of Object.keys(pages)) settings.push({ page: p, warm, key: `${p}_${warm ? 'warm' : 'cold'}` });
  const reps = Object.fromEntries(settings.map((s) => [s.key, []]));
  const loadavg = os.loadavg().map((v) => +v.toFixed(2));
  for (let i = 0; i < +args.warmup + +args.reps; i++) {
    for (const s of settings) {
      const r = await runPage(pages[s.page], s.warm);
      if (r.workers !== 2) throw new Error(`${s.key}: the run reported ${r.workers} worker(s)`);
      if (i < +args.warmup) continue;
      const rep = {};
      for (const name of PHASES) {
        const v = r.events.filter((e) => e.name === name).map((e) => e.ms);
        rep[name] = v.reduce((a, b) => a + b, 0) / v.length;
      }
      reps[s.key].push(rep);
    }
    console.error(`== rep ${i + 1} done`);
  }
  const r1 = (v) => +v.toFixed(1);
  const out = { tool: 'worker-start', chromium: context.browser()?.version() ?? null, reps: +args.reps, warmup: +args.warmup,
    other: args.other ?? null, loadavg_at_start: loadavg, loadavg_at_end: os.loadavg().map((v) => +v.toFixed(2)) };
  for (const { key } of settings) {
    out[key] = {};
    for (const name of PHASES) {
      const v = reps[key].map((r) => r[name]);
      out[key][name] = `${r1(median(v))} (${r1(Math.min(...v))}-${r1(Math.max(...v))})`;
    }
  }
  for (const p of Object.keys(pages).filter((p) => p !== 'this')) {
    for (const warm of ['warm', 'cold']) {
      const ratios = reps[`this_${warm}`].map((r, i) => r['worker start'] / reps[`${p}_${warm}`][i]['worker start']);
      out[`worker_start_ratio_this_over_${p}_${warm}`] = `${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
    }
  }
  console.log(JSON.stringify(out, null, 1));
} finally {
  await context.close();
  for (const server of servers) await server.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
