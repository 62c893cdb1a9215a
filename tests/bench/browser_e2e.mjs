#!/usr/bin/env node
// End to end in a browser: W1's CSV (a File) -> predictions CSV (a Blob)
// through predictCsv in Debian's headless Chromium, the page's own path
// (loadModel on the model bytes, predictCsv(file, { jobs }) on the worker pool,
// the output stream collected into a Blob), interleaved rep by rep with the
// end-to-end anchor ../shared/bench/pipeline_ort.mjs (papaparse with
// dynamicTyping + onnxruntime-web, in Node) on the same file.  Prints one JSON
// object: medians, every rep, ratios and the load average.
//
//   node tests/bench/browser_e2e.mjs --anchors build/bench/anchors [--reps 3] [--jobs 1,2,2w] [--ort 0] [--phases 1] [--pool-runs 5]
//
// A job count with `w` ("2w") runs loadModel(bytes, { jobs: 2 }): the workers start
// while the model loads and get it as soon as it is loaded (the page's way to use all
// cores from the start); without it the first predictCsv starts them.  --ort 0 skips
// the anchor (a quick comparison of our own settings).  --other DIR adds another
// checkout (e.g. main's, built) to the same rotation, served from a second origin,
// its settings labelled other_ (without the `w` ones when it has no loadModel jobs).
//
// The File is w1.csv chosen in a file input (read from disk, as a user's is).
// Timed inside the page: from the model bytes and the File in hand to the
// output Blob complete (loadModel + predictCsv + Blob; the engine compile and
// the fetches of the inputs are not in it; the anchor's time is its process's
// wall time, including Node's start, as make bench times the CLIs).  Also per
// setting: load_s (loadModel alone) and first_output_s (until the first output
// chunk: when the pool has started predicting), and cpu_s: the CPU time Chromium's
// processes used meanwhile (all threads: page, workers, the browser's file reading).
// Then the pool alone (`pool_alone`), as tests/bench/pool-speedup.mjs measures it in Node:
// one model loaded with its workers started, predictCsv of the File and of its bytes in
// memory with jobs 1 and the most jobs asked for alternated, --pool-runs runs each (0: skipped).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { descendantsCpu } from './proc-cpu.mjs';
import { serveStatic } from './static-server.mjs';
import { CHROMIUM_LAUNCH } from './chromium-engine.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { anchors: path.join(root, 'build/bench/anchors'), reps: '3', jobs: `1,${os.cpus().length},${os.cpus().length}w`, ort: '1' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const anchors = path.resolve(args.anchors);
const work = path.join(anchors, 'work');
const log = (...a) => console.error('==', ...a);
const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

// The repository (this checkout's or --other's) at /, the workloads at /workload/.
const servers = [];
const serve = async (dir) => {
  const server = await serveStatic(dir, { workload: work });
  servers.push(server);
  return server.origin;
};


/** --phases 1: a rep's pool events (wasm/pool.mjs poolTrace) summed per phase, in ms from
 * the start of loadModel: how many, their total, when the first began and the last ended;
 * per worker, the slices' busy time and its idle time between its first slice's start and
 * its last slice's end. */
const phaseTable = (events) => {
  const table = {};
  const r = (v) => Math.round(v);
  for (const e of events) {
    const key = e.name === 'slice' ? `slices worker ${e.worker}` : e.worker >= 0 ? `${e.name} worker ${e.worker}` : e.name;
    const p = (table[key] ??= { n: 0, total_ms: 0, first_ms: Infinity, last_ms: -Infinity });
    p.n++;
    p.total_ms += e.end - e.start;
    p.first_ms = Math.min(p.first_ms, e.start);
    p.last_ms = Math.max(p.last_ms, e.end);
  }
  for (const [k, p] of Object.entries(table)) {
    if (k.startsWith('slices')) p.idle_ms = r(p.last_ms - p.first_ms - p.total_ms);
    p.total_ms = r(p.total_ms);
    p.first_ms = r(p.first_ms);
    p.last_ms = r(p.last_ms);
  }
  return table;
};
const origin = await serve(root);
const otherOrigin = args.other ? await serve(path.resolve(args.other)) : null;

const { chromium } = await import('playwright-core');
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'localpredict-bench-'));
const context = await chromium.launchPersistentContext(userDataDir, CHROMIUM_LAUNCH);
const csvBytes = fs.statSync(path.join(work, 'w1.csv')).size;
const expectedRows = 200000;

let engineBuild = null; // the engine build the pages run: "relaxed" or "simd"
const openPage = async (origin) => {
  const page = await context.newPage();
  page.on('pageerror', (e) => log('page error:', e.message));
  await page.goto(origin + '/tests/browser/pool-page.html');
  await page.waitForFunction(() => window.localpredict !== undefined, null, { timeout: 30_000 });
  // Engines, model and CSV fetched once, outside the timing (a page has them from the user).
  // The three engines, as the package's browser entry has them: the API takes the
  // relaxed-SIMD one where Chromium validates relaxed SIMD, as the web page does.
  const build = await page.evaluate(async () => {
    const lp = window.localpredict;
    const bytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
    lp.setEngine({ wasm: { simd: await bytes('/wasm/build/localpredict.wasm'), scalar: await bytes('/wasm/build/localpredict-scalar.wasm'),
      relaxed: await bytes('/wasm/build/localpredict-relaxed.wasm') } });
    window.benchModel = await bytes('/workload/w1_gbdt.json');
    (await lp.loadModel(window.benchModel)).dispose();   // the engine compiled, as on a page that has loaded
    const input = Object.assign(document.createElement('input'), { type: 'file', id: 'bench-file' });
    document.body.append(input);
    return (await import('/wasm/detect.mjs')).relaxedSimdSupported() ? 'relaxed' : 'simd';
  });
  engineBuild ??= build;
  // The CSV as a user's File: chosen in a file input, read from disk by the browser (a File
  // made from bytes in the page lives in the browser's blob storage instead, in memory
  // until that fills up).
  await page.setInputFiles('#bench-file', path.join(work, 'w1.csv'));
  await page.evaluate(() => { window.benchFile = document.getElementById('bench-file').files[0]; });
  return page;
};

try {
  const pages = { this: await openPage(origin), other: otherOrigin ? await openPage(otherOrigin) : null };
  const runPage = (setting) => pages[setting.page].evaluate(async ({ jobs, warm, phases }) => {
    const lp = window.localpredict;
    if (phases && lp.poolTrace) lp.poolTrace.events = [];
    const t0 = performance.now();
    const model = await lp.loadModel(window.benchModel, warm ? { jobs } : undefined);
    const t1 = performance.now();
    // Read chunk by chunk (as Response.blob() does) to note when the first output came.
    const reader = model.predictCsv(window.benchFile, { jobs }).getReader();
    const chunks = [];
    let tFirst = null;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      tFirst ??= performance.now();
      chunks.push(value);
    }
    const blob = new Blob(chunks);
    const t2 = performance.now();
    const text = await blob.slice(Math.max(0, blob.size - 200)).text();
    model.dispose();
    let lines = 0;
    const u8 = new Uint8Array(await blob.arrayBuffer());
    for (let i = 0; i < u8.length; i++) lines += u8[i] === 10;
    let events;
    if (phases && lp.poolTrace) {
      // Relative to t0, in ms; the page's own marks added.
      const origin = performance.timeOrigin + t0;
      events = lp.poolTrace.events.map((e) => ({ ...e, start: e.start - origin, end: e.end - origin }));
      events.push({ name: 'loadModel', start: 0, end: t1 - t0, worker: -1 }, { name: 'first output', start: tFirst - t0, end: tFirst - t0, worker: -1 },
        { name: 'output Blob', start: t2 - t0, end: t2 - t0, worker: -1 });
      lp.poolTrace.events = null;
    }
    return { events, seconds: (t2 - t0) / 1000, load_s: (t1 - t0) / 1000, first_output_s: (tFirst - t0) / 1000, output_bytes: blob.size, output_rows: lines - 1, tail: text.slice(-40) };
  }, { ...setting, phases: args.phases === '1' });
  const runOrt = () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['pipeline_ort.mjs', anchors, path.join(work, 'w1_gbdt.onnx'), path.join(work, 'w1.csv'),
      path.join(root, 'build/bench/e2e_ort_browser_bench.csv'), '3'], { cwd: anchors, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pipeline_ort.mjs failed: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };

  const settings = [];
  for (const s of args.jobs.split(',')) {
    const jobs = parseInt(s, 10);
    const warm = s.endsWith('w');
    settings.push({ page: 'this', jobs, warm, key: `lp_chromium_jobs_${jobs}${warm ? '_warm' : ''}` });
    if (otherOrigin && !warm) settings.push({ page: 'other', jobs, warm, key: `other_chromium_jobs_${jobs}` });
  }
  const reps = { ort: [] };
  for (const s of settings) reps[s.key] = [];
  const loadavg = os.loadavg().map((v) => +v.toFixed(2));
  for (let i = 0; i < +args.reps; i++) {
    for (const s of settings) {
      log(`rep ${i + 1}: Chromium predictCsv, ${s.key}`);
      const cpu0 = descendantsCpu();
      const r = await runPage(s);
      if (cpu0 !== null) r.cpu_s = +(descendantsCpu() - cpu0).toFixed(2);
      if (r.output_rows !== expectedRows) throw new Error(`${s.key}: ${r.output_rows} output rows for ${expectedRows}`);
      if (r.events) {
        r.phases = phaseTable(r.events);
        delete r.events;
      }
      reps[s.key].push(r);
    }
    if (args.ort !== '0') {
      log(`rep ${i + 1}: pipeline_ort.mjs`);
      reps.ort.push(runOrt());
    }
  }
  // The pool alone, as pool-speedup.mjs measures it in Node: the model loaded and the
  // workers started, jobs 1 and N alternated (the order swapped every other run), each
  // run to the last output byte; on the File, and on its bytes in memory (a Uint8Array:
  // what pool-speedup.mjs gives, without the browser's file reading).  In a page of its
  // own: after the reps above, the same page ran jobs 1 about 30 % slower.
  const poolJobs = Math.max(...settings.filter((s) => s.page === 'this').map((s) => s.jobs));
  const poolRuns = +(args['pool-runs'] ?? 5);
  let poolAlone = null;
  if (poolJobs > 1 && poolRuns > 0) {
    log(`the pool alone: jobs 1 and ${poolJobs} alternated, ${poolRuns} runs each, File and bytes`);
    await pages.this.close();
    const page = await openPage(origin);
    poolAlone = await page.evaluate(async ({ jobs, runs }) => {
      const model = await window.localpredict.loadModel(window.benchModel, { jobs });
      const inputs = { file: window.benchFile, bytes: new Uint8Array(await window.benchFile.arrayBuffer()) };
      const once = async (input, j) => {
        const t0 = performance.now();
        const reader = model.predictCsv(inputs[input], { jobs: j }).getReader();
        let bytes = 0;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.length;
        }
        return { ms: performance.now() - t0, bytes };
      };
      const ms = { file: { 1: [], [jobs]: [] }, bytes: { 1: [], [jobs]: [] } };
      const bytes = new Set();
      for (const input of ['file', 'bytes']) for (const j of [jobs, 1]) bytes.add((await once(input, j)).bytes);   // warm-up
      for (let i = 0; i < runs; i++) {
        for (const input of i % 2 ? ['bytes', 'file'] : ['file', 'bytes']) {
          for (const j of i % 2 ? [jobs, 1] : [1, jobs]) {
            const r = await once(input, j);
            ms[input][j].push(r.ms);
            bytes.add(r.bytes);
          }
        }
      }
      model.dispose();
      return { ms, output_bytes: [...bytes] };
    }, { jobs: poolJobs, runs: poolRuns });
    await page.close();
    if (poolAlone.output_bytes.length !== 1) throw new Error(`the pool alone: outputs of ${poolAlone.output_bytes} bytes`);
  }
  fs.rmSync(path.join(root, 'build/bench/e2e_ort_browser_bench.csv'), { force: true });
  const ortS = reps.ort.length ? median(reps.ort) : NaN;
  const out = {
    tool: 'browser_e2e', input: 'w1.csv', mb: +(csvBytes / 1e6).toFixed(1), rows: expectedRows, reps: +args.reps,
    chromium: context.browser()?.version() ?? null, engine_build: engineBuild, loadavg_at_start: loadavg, loadavg_at_end: os.loadavg().map((v) => +v.toFixed(2)),
    pipeline_ort: { seconds_median: +ortS.toFixed(2), seconds_reps: reps.ort.map((s) => +s.toFixed(2)) },
  };
  for (const { key, jobs, warm } of settings) {
    const rs = reps[key];
    const s = median(rs.map((r) => r.seconds));
    out[key] = {
      jobs, warm, checkout: key.startsWith('other_') ? args.other : 'this', seconds_median: +s.toFixed(2), load_s_median: +median(rs.map((r) => r.load_s)).toFixed(3),
      first_output_s_median: +median(rs.map((r) => r.first_output_s)).toFixed(3),
      MBps: +(csvBytes / 1e6 / s).toFixed(1), seconds_reps: rs.map((r) => +r.seconds.toFixed(2)),
      cpu_s_median: rs[0].cpu_s === undefined ? null : median(rs.map((r) => r.cpu_s)), cpu_s_reps: rs.map((r) => r.cpu_s),
      vs_pipeline_ort: +(ortS / s).toFixed(1),
    };
    // The phases of the rep nearest the median.
    const near = rs.reduce((a, b) => (Math.abs(b.seconds - s) < Math.abs(a.seconds - s) ? b : a));
    if (near.phases) out[key].phases = near.phases;
  }
  // pool_speedup: jobs 1 over the first pooled setting started by predictCsv; _warm: over
  // the first whose workers loadModel started.
  const ours = settings.filter((s) => s.page === 'this');
  const one = ours.find((s) => s.jobs === 1 && !s.warm);
  const cold = ours.find((s) => s.jobs > 1 && !s.warm);
  const warm = ours.find((s) => s.jobs > 1 && s.warm);
  const ratio = (a, b) => +(out[a.key].seconds_median / out[b.key].seconds_median).toFixed(2);
  if (one && cold) out.pool_speedup = ratio(one, cold);
  if (one && warm) out.pool_speedup_warm = ratio(one, warm);
  if (poolAlone) {
    out.pool_alone = { jobs: poolJobs, runs: poolRuns };
    for (const [input, ms] of Object.entries(poolAlone.ms)) {
      const m1 = median(ms[1]);
      const mN = median(ms[poolJobs]);
      out.pool_alone[input] = {
        median_ms: { 1: Math.round(m1), [poolJobs]: Math.round(mN) }, speedup: +(m1 / mN).toFixed(2),
        ms_reps: Object.fromEntries(Object.entries(ms).map(([j, v]) => [j, v.map(Math.round)])),
      };
    }
  }
  const theirs = settings.filter((s) => s.page === 'other');
  const otherOne = theirs.find((s) => s.jobs === 1);
  const otherMany = theirs.find((s) => s.jobs > 1);
  if (otherOne && otherMany) out.other_pool_speedup = ratio(otherOne, otherMany);
  console.log(JSON.stringify(out, null, 1));
} finally {
  await context.close();
  for (const server of servers) await server.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
