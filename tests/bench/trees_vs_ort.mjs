#!/usr/bin/env node
// The tree kernels side by side with onnxruntime-web, interleaved in one
// process: per round, per workload (W1, W2) and batch size, each localpredict
// engine variant then onnxruntime-web (single thread) runs calls until
// --min-time has passed; rows/s per round, the median over --rounds is
// reported with the ratio to onnxruntime-web.  With --native, our native
// build (bench_native) runs once per round too, in a child process (its own
// warm-up), so its numbers interleave with the others' at round granularity.
// For tuning the tree kernel on a shared machine; `make bench` is the
// reference benchmark.  Prints one JSON object (and a summary on stderr).
//
//   node tests/bench/trees_vs_ort.mjs [--work build/bench/anchors/work]
//        [--wasm wasm/build/localpredict.wasm,other.wasm] [--workloads w1,w2]
//        [--batches 64,4096,100000] [--rounds 5] [--min-time 0.3]
//        [--native build/bench/native/bench_native] [--no-ort]
//
// onnxruntime-web comes from build/bench/anchors (make bench sets it up).
// At batch 100000 it takes seconds per call, so it runs one call per round there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { rate } from './rate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const a = {
  work: path.join(root, 'build/bench/anchors/work'), wasm: path.join(root, 'wasm/build/localpredict.wasm'),
  workloads: 'w1,w2', batches: '64,4096,100000', rounds: '5', 'min-time': '0.3', native: '', ort: true,
};
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '');
  if (k === 'no-ort') a.ort = false;
  else a[k] = process.argv[++i];
}
const MIN_T = +a['min-time'] * 1000;
const F = 50;
const WL = {
  w1: { model: 'w1_gbdt.json', onnx: 'w1_gbdt.onnx', x: 'w1_X.f32' },
  w2: { model: 'w2_binary_gbdt.json', onnx: 'w2_binary_gbdt.onnx', x: 'w2_X.f32' },
};
const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const f32 = (p) => { const b = fs.readFileSync(p); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };

// A loaded model keeps the engine it was loaded with, so each variant's
// models are loaded right after setEngine() names its bytes.
const lp = await import(pathToFileURL(path.join(root, 'wasm/node.mjs')).href);
const variants = a.wasm.split(',').map((file) => ({ name: path.basename(file), bytes: fs.readFileSync(path.resolve(file)) }));
const ort = a.ort ? await import(pathToFileURL(path.join(root, 'build/bench/anchors/node_modules/onnxruntime-web/dist/ort.node.min.mjs')).href) : null;
if (ort) { ort.env.wasm.numThreads = 1; ort.env.wasm.proxy = false; }

const out = { machine: { cpu: os.cpus()[0]?.model, loadavg_at_start: os.loadavg().map((v) => +v.toFixed(2)) }, workloads: {} };
const batches = a.batches.split(',').map(Number);
for (const id of a.workloads.split(',')) {
  const wl = WL[id];
  const X = f32(path.join(a.work, wl.x));
  const rows = X.length / F;
  const engines = [];
  for (const v of variants) {
    lp.setEngine({ simd: true, wasm: { simd: v.bytes } });
    const model = await lp.loadModel(fs.readFileSync(path.join(a.work, wl.model)));
    engines.push({ name: v.name, run: (off, bs) => model.predict({ data: X.subarray(off * F, (off + bs) * F), rows: bs, cols: F }, { returnPredProba: true }) });
  }
  if (ort) {
    const sess = await ort.InferenceSession.create(fs.readFileSync(path.join(a.work, wl.onnx)), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const outName = sess.outputNames[sess.outputNames.length - 1];
    engines.push({ name: 'ort-web', run: (off, bs) => sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', X.subarray(off * F, (off + bs) * F), [bs, F]) }, [outName]) });
  }
  const res = (out.workloads[id] = {});
  const rates = {};
  for (const bs of batches) for (const e of engines) (rates[bs] ||= {})[e.name] = [];
  const nativeRates = {};
  let off = 0;
  const next = (bs) => { const o = off % (rows - bs + 1); off = o + bs; return o; };
  for (const bs of batches) for (const e of engines) await rate(() => e.run(next(bs), bs), bs, 200);   // warm-up
  for (let round = 0; round < +a.rounds; round++) {
    for (const bs of batches)
      for (const e of engines) {
        const minT = e.name === 'ort-web' && bs >= 100000 ? 0 : MIN_T;
        rates[bs][e.name].push(await rate(() => e.run(next(bs), bs), bs, minT));
      }
    if (a.native) {
      const r = spawnSync(a.native, [path.join(a.work, wl.model), path.join(a.work, wl.x), String(F), a.batches, '1'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`native: ${r.stderr}`);
      const j = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
      for (const bs of batches) (nativeRates[bs] ||= []).push(j.batches[bs].rows_per_s_median);
    }
  }
  for (const bs of batches) {
    const m = {}, c = {};
    for (const e of engines) {
      m[e.name] = Math.round(median(rates[bs][e.name].map((x) => x.wall)));
      c[e.name] = Math.round(median(rates[bs][e.name].map((x) => x.cpu)));
    }
    if (a.native) m.native = Math.round(median(nativeRates[bs]));
    const ratios = {};
    for (const v of variants) {
      if (ort) {
        ratios[`${v.name}/ort-web`] = +(m[v.name] / m['ort-web']).toFixed(2);
        ratios[`${v.name}/ort-web (cpu)`] = +(c[v.name] / c['ort-web']).toFixed(2);
      }
      if (a.native) ratios[`${v.name}/native`] = +(m[v.name] / m.native).toFixed(2);
    }
    res[bs] = { rows_per_s: m, rows_per_cpu_s: c, ratios };
    console.error(id, bs, 'wall', JSON.stringify(m), 'cpu', JSON.stringify(c), JSON.stringify(ratios));
  }
}
out.machine.loadavg_at_end = os.loadavg().map((v) => +v.toFixed(2));
console.log(JSON.stringify(out, null, 1));
