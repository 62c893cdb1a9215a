#!/usr/bin/env node
// The dense-graph path (W3, the ONNX MLP 50-256-256-3) side by side with
// onnxruntime-web, interleaved in one process, at the small batches where a
// call's fixed costs count: per round, per batch size, each localpredict
// engine variant, onnxruntime-web (single thread) and the engines asked for
// run calls for --min-time in all (--min-time-1 at batch 1), in --slices
// slices that alternate between the engines (one at batch 100000), the order
// reversed every other round (interleave.mjs); rows/s per round (wall clock,
// and per second of CPU time, the steadier on a loaded machine): the median
// over --rounds is reported with each variant's ratio to every other engine
// taken per round (median, min, max).  `make bench` (run.mjs) takes its W3
// rows and ratios from here.  Each
// variant's probabilities are checked against torch's first (max |diff|).
// Timed per call is what users call: model.predict({ data, rows, cols },
// { returnPredProba: true }) (bench_lp.mjs's protocol), and for ORT-web
// session.run on a new Tensor (onnxruntime-node with --ort-node, one thread;
// our native build with --native build/bench/native/bench_native, in a child
// process: bench_native's serve mode).  Prints one JSON object (a summary on
// stderr).
//
//   node tests/bench/mlp_vs_ort.mjs [--work build/bench/anchors/work]
//        [--wasm wasm/build/localpredict.wasm,other.wasm]
//        [--batches 1,2,4,8,16,64,4096] [--rounds 5] [--min-time 0.2] [--min-time-1 0.2] [--slices 4] [--rounds-100000 N]
//        [--no-ort] [--ort-node] [--native build/bench/native/bench_native] [--chromium]
//        [--steady [--steady-window 0.3] [--steady-tol 0.05] [--steady-max 15]]
//
// onnxruntime-web comes from build/bench/anchors (make bench sets it up).
//
// --chromium: the same in headless Chromium, in the same rounds
// (chromium-engine.mjs; as trees_vs_ort.mjs --chromium): chromium-lp (our
// browser API, the first --wasm file) and chromium-ort (onnxruntime-web, one
// thread), a page each; ratios chromium-lp/<engine>, chromium-ort/<engine>;
// "chromium" in the JSON: the version (or why it was skipped) and whether one
// call's probabilities match the Node engines' bit for bit.
//
// --steady: V8 runs a wasm function first as Liftoff code and recompiles it
// with TurboFan once it is hot, in the background; onnxruntime-web's GEMM
// starts at about a third of its final speed, and so do our kernels for a
// fraction of a second.  With --steady, before the timed rounds, each engine
// at each batch size below 100000 runs windows of --steady-window seconds until the last
// three windows' rows per CPU second lie within --steady-tol of their median
// (or --steady-max seconds have passed); "warmup" in the JSON gives each
// engine's first window, its steady rate and how long it took, and the
// summary prints, for the first batch size (the later ones start after the
// tier-up), the ratio against onnxruntime-web's first window next to the
// steady one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchOrSkip, pageEngines } from './chromium-engine.mjs';
import { childEngine, inProcessEngine, interleave, ortEngines, summarize, warmUntilSteady } from './interleave.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const a = {
  work: path.join(root, 'build/bench/anchors/work'), anchors: path.join(root, 'build/bench/anchors'),
  wasm: path.join(root, 'wasm/build/localpredict.wasm'),
  batches: '1,2,4,8,16,64,4096', rounds: '5', 'min-time': '0.2', 'min-time-1': '', slices: '4', 'rounds-100000': '', ort: true, 'ort-node': false, native: '', chromium: false,
  steady: false, 'steady-window': '0.3', 'steady-tol': '0.05', 'steady-max': '15',
};
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '');
  if (k === 'no-ort') a.ort = false;
  else if (k === 'steady' || k === 'ort-node' || k === 'chromium') a[k] = true;
  else a[k] = process.argv[++i];
}
const MIN_T = +a['min-time'] * 1000;
const MIN_T1 = a['min-time-1'] ? +a['min-time-1'] * 1000 : MIN_T;
// Below 100000 rows a call is short: a round's time per engine goes in --slices alternating slices.
const SLICES = (bs) => (bs >= 100000 ? 1 : +a.slices);
// Fewer rounds for those (each call takes seconds), spread over the run.
const ROUNDS_OF = (bs) => (bs >= 100000 && a['rounds-100000'] ? +a['rounds-100000'] : +a.rounds);
const F = 50, C = 3;
const f32 = (p) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const X = f32(path.join(a.work, 'w1_X.f32'));
const expected = f32(path.join(a.work, 'w3_proba_torch.f32'));
const onnxBytes = fs.readFileSync(path.join(a.work, 'w3_mlp.onnx'));
const ROWS = X.length / F;

// A loaded model keeps the engine it was loaded with, so each variant's
// model is loaded right after setEngine() names its bytes.
const lp = await import(pathToFileURL(path.join(root, 'wasm/node.mjs')).href);
const engines = [];
const batches = a.batches.split(',').map(Number);
const out = {
  machine: { cpu: os.cpus()[0]?.model, loadavg_at_start: os.loadavg().map((v) => +v.toFixed(2)) },
  settings: { rounds: +a.rounds, rounds_batch100000: ROUNDS_OF(100000), min_time_s: MIN_T / 1000, min_time_batch1_s: MIN_T1 / 1000, slices_below_100000: +a.slices, warmup: a.steady ? 'until steady (--steady)' : '0.2 s', batches, order: 'reversed every other round' },
  check: {}, batches: {},
};
for (const file of a.wasm.split(',')) {
  const name = path.basename(file);
  lp.setEngine({ simd: true, wasm: { simd: fs.readFileSync(path.resolve(file)) } });
  const model = await lp.loadModel(onnxBytes);
  const run = (off, bs) => model.predict({ data: X.subarray(off * F, (off + bs) * F), rows: bs, cols: F }, { returnPredProba: true });
  let maxd = 0;
  for (let off = 0; off < 20000; off += 4096) {   // the first 20000 rows, as bench_lp.mjs checks
    const bs = Math.min(4096, 20000 - off);
    const p = run(off, bs).probabilities.data;
    for (let i = 0; i < bs * C; i++) maxd = Math.max(maxd, Math.abs(p[i] - expected[off * C + i]) || (p[i] === expected[off * C + i] ? 0 : Infinity));
  }
  out.check[name] = { rows: 20000, max_abs_diff_vs_torch: maxd };
  engines.push(inProcessEngine(name, run, ROWS));
}
const ours = engines.map((e) => e.name);
engines.push(...await ortEngines(a.anchors, [...(a.ort ? ['ort-web'] : []), ...(a['ort-node'] ? ['ort-node'] : [])], onnxBytes, X, F));
if (a.native) engines.push(await childEngine('native', a.native, [path.join(a.work, 'w3_mlp.onnx'), path.join(a.work, 'w1_X.f32'), String(F), 'serve']));
// The page engines; without a browser, "chromium" in the JSON says why.
let browser = null;
if (a.chromium) {
  const launched = await launchOrSkip({ root, work: a.work, anchors: a.anchors, wasm: path.resolve(a.wasm.split(',')[0]) });
  browser = launched.browser ?? null;
  if (!browser) out.chromium = { skipped: launched.skipped };
}
if (browser) {
  const ortWeb = engines.find((e) => e.name === 'ort-web');
  const { engines: page, check, build } = await pageEngines(browser, { model: 'w3_mlp.onnx', onnx: 'w3_mlp.onnx', x: 'w1_X.f32', F, ort: a.ort },
    (off, bs) => Array.from(engines[0].run(off, bs).probabilities.data),
    async (off, bs) => Array.from(Object.values(await ortWeb.run(off, bs))[0].data));
  engines.push(...page);
  // chromium-ort before chromium-lp: summarize takes a variant's ratio to those given before it.
  ours.push(...(a.ort ? ['chromium-ort'] : []), 'chromium-lp');
  out.chromium = { version: browser.version, build, check: { w3: check } };
  console.error('chromium check', JSON.stringify(check));
}

// Warm-up: 0.2 s per engine and batch (in interleave()), or (--steady) first
// until the rate stops moving (interleave.mjs's warmUntilSteady).
const warmup = {};
if (a.steady)
  for (const bs of batches.filter((b) => b < 100000))   // a 100000-row call takes seconds: one call warms it (in interleave())
    for (const e of engines)
      (warmup[bs] ||= {})[e.name] = await warmUntilSteady(e, bs, { windowMs: +a['steady-window'] * 1000, tol: +a['steady-tol'], maxMs: +a['steady-max'] * 1000 });
if (a.steady) out.warmup = warmup;
const rates = await interleave(engines, batches, +a.rounds, (bs) => (bs === 1 ? MIN_T1 : MIN_T), { warmMs: a.steady ? 0 : 200, slices: SLICES, roundsOf: ROUNDS_OF });
for (const e of engines) await e.close();
await browser?.close();
const summary = summarize(rates, ours);
for (const bs of batches) {
  const { rows_per_s: m, rows_per_cpu_s: c, ratios } = (out.batches[bs] = summary[bs]);
  // Only the first batch size's warm-up starts before V8's tier-up (later ones find it done).
  const ortFirst = bs === batches[0] && warmup[bs]?.['ort-web']?.first_window_rows_per_cpu_s;
  if (ortFirst) for (const n of ours) ratios[`${n}/ort-web before tier-up (cpu)`] = +(c[n] / ortFirst).toFixed(2);
  console.error(`b=${bs}`, 'wall', JSON.stringify(m), 'cpu', JSON.stringify(c), JSON.stringify(ratios));
  if (warmup[bs]) console.error(`  warm-up b=${bs}`, JSON.stringify(warmup[bs]));
}
out.machine.loadavg_at_end = os.loadavg().map((v) => +v.toFixed(2));
console.error('check', JSON.stringify(out.check), 'load', JSON.stringify(out.machine));
console.log(JSON.stringify(out, null, 1));
