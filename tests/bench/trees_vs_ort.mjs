#!/usr/bin/env node
// The tree kernels side by side with onnxruntime-web and the other engines,
// interleaved (interleave.mjs): per round, per workload (W1, W2) and batch
// size, each localpredict engine variant, onnxruntime-web (one thread) and
// the engines asked for run calls for --min-time in all (--min-time-1 at
// batch 1, where a call is short and its rate the noisiest), in --slices
// slices that alternate between the engines (one slice at batch 100000,
// whose calls take seconds); the order is reversed every other round, and
// each round goes through every workload in turn (their rounds span the
// whole run).  Reported per batch size: each engine's median rows/s over
// --rounds (wall clock, and per second of CPU time, the steadier when a
// process waits for a core), and each variant's ratio to every other engine
// taken per round, as the median with its min and max.  `make bench`
// (run.mjs) takes its W1 and W2 rows and ratios from here.  Prints one JSON
// object (and a summary on stderr).
//
//   node tests/bench/trees_vs_ort.mjs [--work build/bench/anchors/work]
//        [--wasm wasm/build/localpredict.wasm,other.wasm] [--workloads w1,w2]
//        [--batches 64,4096,100000] [--rounds 5] [--min-time 0.3] [--min-time-1 0.3] [--slices 4] [--rounds-100000 N]
//        [--native build/bench/native/bench_native] [--ort-node] [--xgboost] [--no-ort] [--chromium]
//        [--steady [--steady-window 0.3] [--steady-tol 0.05] [--steady-max 15]]
//
// --steady: before the rounds, each engine at each batch size below 100000
// runs windows until its rate stops moving (interleave.mjs's
// warmUntilSteady: V8's tier-up to TurboFan takes onnxruntime-web seconds),
// instead of a 0.2 s warm-up; "warmup" in the JSON says how long it took.
//
// onnxruntime-web and -node come from build/bench/anchors (make bench sets it
// up; --anchors to use another copy).  --native: our native build in a child
// process (bench_native's serve mode), timed in the same window as the
// others; --xgboost: xgboost's inplace_predict the same way (xgb_serve.py,
// Debian's python3-xgboost).
//
// --chromium: the same kernels in headless Chromium (chromium-engine.mjs), in
// the same rounds: chromium-lp (our browser API on the first --wasm file) and
// chromium-ort (onnxruntime-web, one thread, the same ONNX file; not with
// --no-ort), a page each, timed inside the page, CPU time of its renderer.
// Their ratios come out as chromium-lp/<engine> (chromium-lp/native,
// chromium-lp/chromium-ort, chromium-lp/localpredict.wasm: Chromium's V8 over
// Node's) and chromium-ort/<engine> (chromium-ort/ort-web); "chromium" in the
// JSON gives the browser's version (or why it was skipped: no browser) and, per workload, whether one call's
// probabilities (the first 4096 rows) match the Node engine's bit for bit.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchOrSkip, pageEngines } from './chromium-engine.mjs';
import { childEngine, inProcessEngine, interleaveGroups, ortEngines, summarize, warmUntilSteady } from './interleave.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const a = {
  work: path.join(root, 'build/bench/anchors/work'), anchors: path.join(root, 'build/bench/anchors'),
  wasm: path.join(root, 'wasm/build/localpredict.wasm'), workloads: 'w1,w2', batches: '64,4096,100000',
  rounds: '5', 'min-time': '0.3', 'min-time-1': '', slices: '4', 'rounds-100000': '', native: '', ort: true, 'ort-node': false, xgboost: false,
  steady: false, 'steady-window': '0.3', 'steady-tol': '0.05', 'steady-max': '15',
};
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '');
  if (k === 'no-ort') a.ort = false;
  else if (k === 'ort-node' || k === 'xgboost' || k === 'steady' || k === 'chromium') a[k] = true;
  else a[k] = process.argv[++i];
}
const MIN_T = +a['min-time'] * 1000;
const MIN_T1 = a['min-time-1'] ? +a['min-time-1'] * 1000 : MIN_T;
// Below 100000 rows a call is short: a round's time per engine goes in --slices alternating slices.
const SLICES = (bs) => (bs >= 100000 ? 1 : +a.slices);
// Fewer rounds for those (each call takes seconds), spread over the run.
const ROUNDS_OF = (bs) => (bs >= 100000 && a['rounds-100000'] ? +a['rounds-100000'] : +a.rounds);
const F = 50;
const WL = {
  w1: { model: 'w1_gbdt.json', onnx: 'w1_gbdt.onnx', x: 'w1_X.f32' },
  w2: { model: 'w2_binary_gbdt.json', onnx: 'w2_binary_gbdt.onnx', x: 'w2_X.f32' },
};
const f32 = (p) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };

// A loaded model keeps the engine it was loaded with, so each variant's
// models are loaded right after setEngine() names its bytes.
const lp = await import(pathToFileURL(path.join(root, 'wasm/node.mjs')).href);
const variants = a.wasm.split(',').map((file) => ({ name: path.basename(file), bytes: fs.readFileSync(path.resolve(file)) }));
// A relaxed-SIMD build (localpredict-relaxed.wasm) runs as the CLI runs it: with
// Node 20's relaxed SIMD turned on (load-node.mjs); the other variants are unchanged by it.
if (variants.some((v) => v.name.includes('relaxed'))) {
  const { enableRelaxedSimd } = await import(pathToFileURL(path.join(root, 'wasm/load-node.mjs')).href);
  if (!enableRelaxedSimd()) throw new Error(`this Node (${process.version}) cannot run the relaxed-SIMD build`);
}
const batches = a.batches.split(',').map(Number);

const out = {
  machine: { cpu: os.cpus()[0]?.model, loadavg_at_start: os.loadavg().map((v) => +v.toFixed(2)) },
  settings: { rounds: +a.rounds, rounds_batch100000: ROUNDS_OF(100000), min_time_s: MIN_T / 1000, min_time_batch1_s: MIN_T1 / 1000, slices_below_100000: +a.slices, warmup: a.steady ? 'until steady (--steady)' : '0.2 s', batches, order: 'reversed every other round' },
  workloads: {},
};
// No browser: the rounds run without the page engines, "chromium" in the JSON says why.
let browser = null;
if (a.chromium) {
  const launched = await launchOrSkip({ root, work: a.work, anchors: a.anchors, wasm: path.resolve(a.wasm.split(',')[0]) });
  browser = launched.browser ?? null;
  out.chromium = browser ? { version: browser.version, check: {} } : { skipped: launched.skipped };
}
// Every workload's engines first; then the rounds go through the workloads in
// turn (interleaveGroups), so each workload's rounds span the whole run.
const groups = {}, warmup = {};
for (const id of a.workloads.split(',')) {
  const wl = WL[id];
  const X = f32(path.join(a.work, wl.x));
  const engines = (groups[id] = []);
  for (const v of variants) {
    lp.setEngine({ simd: true, wasm: { simd: v.bytes } });
    const model = await lp.loadModel(fs.readFileSync(path.join(a.work, wl.model)));
    engines.push(inProcessEngine(v.name, (off, bs) => model.predict({ data: X.subarray(off * F, (off + bs) * F), rows: bs, cols: F }, { returnPredProba: true }), X.length / F));
  }
  const kinds = [...(a.ort ? ['ort-web'] : []), ...(a['ort-node'] ? ['ort-node'] : [])];
  engines.push(...await ortEngines(a.anchors, kinds, fs.readFileSync(path.join(a.work, wl.onnx)), X, F));
  if (a.native) engines.push(await childEngine('native', a.native, [path.join(a.work, wl.model), path.join(a.work, wl.x), String(F), 'serve']));
  if (a.xgboost) engines.push(await childEngine('xgboost', '/usr/bin/python3', [path.join(root, 'tests/bench/xgb_serve.py'), path.join(a.work, wl.model), path.join(a.work, wl.x), String(F)], { OMP_NUM_THREADS: '1' }));
  if (browser) {
    // Bit for bit against the first variant (its model keeps its engine) and ort-web.
    const ortWeb = engines.find((e) => e.name === 'ort-web');
    const { engines: page, check, build } = await pageEngines(browser, { model: wl.model, onnx: wl.onnx, x: wl.x, F, ort: a.ort },
      (off, bs) => Array.from(engines[0].run(off, bs).probabilities.data),
      async (off, bs) => Array.from(Object.values(await ortWeb.run(off, bs))[0].data));
    out.chromium.build = build;
    out.chromium.check[id] = check;
    engines.push(...page);
    console.error(id, 'chromium check', JSON.stringify(check));
  }
  if (a.steady)
    for (const bs of batches.filter((b) => b < 100000))
      for (const e of engines)
        ((warmup[id] ||= {})[bs] ||= {})[e.name] = await warmUntilSteady(e, bs, { windowMs: +a['steady-window'] * 1000, tol: +a['steady-tol'], maxMs: +a['steady-max'] * 1000 });
}
if (a.steady) out.warmup = warmup;
const rates = await interleaveGroups(groups, batches, +a.rounds, (bs) => (bs === 1 ? MIN_T1 : MIN_T), { slices: SLICES, roundsOf: ROUNDS_OF });
for (const [id, engines] of Object.entries(groups)) {
  for (const e of engines) await e.close();
  // chromium-ort before chromium-lp: summarize takes a variant's ratio to those given before it.
  const ours = [...variants.map((v) => v.name), ...(browser ? [...(a.ort ? ['chromium-ort'] : []), 'chromium-lp'] : [])];
  const res = (out.workloads[id] = summarize(rates[id], ours));
  for (const bs of batches) console.error(id, bs, 'wall', JSON.stringify(res[bs].rows_per_s), 'cpu', JSON.stringify(res[bs].rows_per_cpu_s), JSON.stringify(res[bs].ratios));
}
await browser?.close();
out.machine.loadavg_at_end = os.loadavg().map((v) => +v.toFixed(2));
console.log(JSON.stringify(out, null, 1));
