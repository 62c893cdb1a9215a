#!/usr/bin/env node
// The dense-graph path (W3, the ONNX MLP 50-256-256-3) side by side with
// onnxruntime-web, interleaved in one process, at the small batches where a
// call's fixed costs count: per round, per batch size, each localpredict
// engine variant then onnxruntime-web (single thread) runs calls until
// --min-time has passed; rows/s per round (wall clock, and per second of
// this process's CPU time, the steadier on a loaded machine), the median
// over --rounds is reported with the ratio to onnxruntime-web.  Each
// variant's probabilities are checked against torch's first (max |diff|).
// Timed per call is what users call: model.predict({ data, rows, cols },
// { returnPredProba: true }) (bench_lp.mjs's protocol), and for ORT-web
// session.run on a new Tensor.  For tuning on a shared machine; `make bench`
// is the reference benchmark.  Prints one JSON object (a summary on stderr).
//
//   node tests/bench/mlp_vs_ort.mjs [--work build/bench/anchors/work]
//        [--wasm wasm/build/localpredict.wasm,other.wasm]
//        [--batches 1,2,4,8,16,64,4096] [--rounds 5] [--min-time 0.2] [--no-ort]
//        [--steady [--steady-window 0.3] [--steady-tol 0.05] [--steady-max 15]]
//
// onnxruntime-web comes from build/bench/anchors (make bench sets it up).
//
// --steady: V8 runs a wasm function first as Liftoff code and recompiles it
// with TurboFan once it is hot, in the background; onnxruntime-web's GEMM
// starts at about a third of its final speed, and so do our kernels for a
// fraction of a second.  With --steady, before the timed rounds, each engine
// at each batch size runs windows of --steady-window seconds until the last
// three windows' rows per CPU second lie within --steady-tol of their median
// (or --steady-max seconds have passed); "warmup" in the JSON gives each
// engine's first window, its steady rate and how long it took, and the
// summary prints, for the first batch size (the later ones start after the
// tier-up), the ratio against onnxruntime-web's first window next to the
// steady one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rate } from './rate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const a = {
  work: path.join(root, 'build/bench/anchors/work'), wasm: path.join(root, 'wasm/build/localpredict.wasm'),
  batches: '1,2,4,8,16,64,4096', rounds: '5', 'min-time': '0.2', ort: true,
  steady: false, 'steady-window': '0.3', 'steady-tol': '0.05', 'steady-max': '15',
};
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '');
  if (k === 'no-ort') a.ort = false;
  else if (k === 'steady') a.steady = true;
  else a[k] = process.argv[++i];
}
const MIN_T = +a['min-time'] * 1000;
const F = 50, C = 3;
const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const f32 = (p) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
const X = f32(path.join(a.work, 'w1_X.f32'));
const expected = f32(path.join(a.work, 'w3_proba_torch.f32'));
const onnxBytes = fs.readFileSync(path.join(a.work, 'w3_mlp.onnx'));
const ROWS = X.length / F;

// A loaded model keeps the engine it was loaded with, so each variant's
// model is loaded right after setEngine() names its bytes.
const lp = await import(pathToFileURL(path.join(root, 'wasm/node.mjs')).href);
const engines = [];
const out = { machine: { cpu: os.cpus()[0]?.model, loadavg_at_start: os.loadavg().map((v) => +v.toFixed(2)) }, check: {}, batches: {} };
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
  engines.push({ name, run });
}
if (a.ort) {
  const ort = await import(pathToFileURL(path.join(root, 'build/bench/anchors/node_modules/onnxruntime-web/dist/ort.node.min.mjs')).href);
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const sess = await ort.InferenceSession.create(onnxBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const outName = sess.outputNames[sess.outputNames.length - 1];
  engines.push({ name: 'ort-web', run: (off, bs) => sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', X.subarray(off * F, (off + bs) * F), [bs, F]) }, [outName]) });
}

const batches = a.batches.split(',').map(Number);
const rates = {};
for (const bs of batches) for (const e of engines) (rates[bs] ||= {})[e.name] = [];
let off = 0;
const next = (bs) => { const o = off % (ROWS - bs + 1); off = o + bs; return o; };
// Warm-up: 0.2 s per engine and batch, or (--steady) until the rate stops moving.
const warmup = {};
for (const bs of batches)
  for (const e of engines) {
    if (!a.steady) {
      await rate(() => e.run(next(bs), bs), bs, 200);
      continue;
    }
    const win = +a['steady-window'] * 1000, tol = +a['steady-tol'], t0 = performance.now();
    const seen = [];
    for (;;) {
      seen.push((await rate(() => e.run(next(bs), bs), bs, win)).cpu);
      const last = seen.slice(-3), m = median(last);
      if ((last.length === 3 && last.every((v) => Math.abs(v - m) <= tol * m)) ||
          performance.now() - t0 > +a['steady-max'] * 1000) break;
    }
    (warmup[bs] ||= {})[e.name] = {
      first_window_rows_per_cpu_s: Math.round(seen[0]), steady_rows_per_cpu_s: Math.round(median(seen.slice(-3))),
      windows: seen.length, seconds: +((performance.now() - t0) / 1000).toFixed(1),
      steady: seen.length >= 3 && seen.slice(-3).every((v) => Math.abs(v - median(seen.slice(-3))) <= tol * median(seen.slice(-3))),
    };
  }
if (a.steady) out.warmup = warmup;
for (let round = 0; round < +a.rounds; round++)
  for (const bs of batches)
    for (const e of engines) rates[bs][e.name].push(await rate(() => e.run(next(bs), bs), bs, MIN_T));
for (const bs of batches) {
  const m = {}, c = {}, ratios = {};
  for (const e of engines) {
    m[e.name] = Math.round(median(rates[bs][e.name].map((x) => x.wall)));
    c[e.name] = Math.round(median(rates[bs][e.name].map((x) => x.cpu)));
  }
  for (const e of engines) {
    if (e.name === 'ort-web' || !a.ort) continue;
    ratios[`${e.name}/ort-web`] = +(m[e.name] / m['ort-web']).toFixed(2);
    ratios[`${e.name}/ort-web (cpu)`] = +(c[e.name] / c['ort-web']).toFixed(2);
    // Only the first batch size's warm-up starts before V8's tier-up (later ones find it done).
    const ortFirst = bs === batches[0] && warmup[bs]?.['ort-web']?.first_window_rows_per_cpu_s;
    if (ortFirst) ratios[`${e.name}/ort-web before tier-up (cpu)`] = +(c[e.name] / ortFirst).toFixed(2);
  }
  out.batches[bs] = { rows_per_s: m, rows_per_cpu_s: c, ratios };
  console.error(`b=${bs}`, 'wall', JSON.stringify(m), 'cpu', JSON.stringify(c), JSON.stringify(ratios));
  if (warmup[bs]) console.error(`  warm-up b=${bs}`, JSON.stringify(warmup[bs]));
}
out.machine.loadavg_at_end = os.loadavg().map((v) => +v.toFixed(2));
console.error('check', JSON.stringify(out.check), 'load', JSON.stringify(out.machine));
console.log(JSON.stringify(out, null, 1));
