#!/usr/bin/env node
// Model load, ours vs onnxruntime-web, interleaved process by process (the
// machine is shared: one noisy minute then hits both alike).  Each rep starts
// a fresh Node process per side and times, from inside it:
//   cold  the first load in the process: localpredict loadModel(W1's XGBoost
//         JSON bytes) incl. compiling the engine; ORT-web
//         InferenceSession.create(the equivalent ONNX bytes) incl. its wasm init
//         (single thread, as ../shared/bench/bench_ort.mjs sets it up);
//   warm  the median of --warm more loads in that process.
// Prints one JSON object: medians, every rep, ratios and the load average.
//
//   node tests/bench/load_interleaved.mjs --anchors build/bench/anchors [--reps 7] [--warm 3]
//        [--json work/w1_gbdt.json --onnx work/w1_gbdt.onnx]   (relative to the anchors)
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { anchors: path.join(root, 'build/bench/anchors'), reps: '7', warm: '3', json: 'work/w1_gbdt.json', onnx: 'work/w1_gbdt.onnx' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const anchors = path.resolve(args.anchors);
const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

// The child programs: print {"cold": ms, "warm": [ms...]}.
const ours = `
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
const bytes = fs.readFileSync(process.argv[1]);
const lp = await import(process.argv[2]);
let t = performance.now();
const m = await lp.loadModel(bytes);
const cold = performance.now() - t;
const warm = [];
for (let i = 0; i < +process.argv[3]; i++) { t = performance.now(); (await lp.loadModel(bytes)).dispose(); warm.push(performance.now() - t); }
console.log(JSON.stringify({ cold, warm, sha256: m.info.sha256 }));`;
const ort = `
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
const bytes = fs.readFileSync(process.argv[1]);
const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1; ort.env.wasm.simd = true; ort.env.wasm.proxy = false;
const opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
let t = performance.now();
await ort.InferenceSession.create(bytes, opts);
const cold = performance.now() - t;
const warm = [];
for (let i = 0; i < +process.argv[3]; i++) { t = performance.now(); const s = await ort.InferenceSession.create(bytes, opts); warm.push(performance.now() - t); await s.release(); }
console.log(JSON.stringify({ cold, warm }));`;

function run(program, file) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program, path.resolve(anchors, file),
    path.join(root, 'wasm/node.mjs'), args.warm], { cwd: anchors, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load bench child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const loadavg = os.loadavg().map((v) => +v.toFixed(2));
const reps = { lp: [], ort: [] };
for (let i = 0; i < +args.reps; i++) {
  // Alternate which side goes first, so neither always runs on a cooler machine.
  const order = i % 2 ? ['ort', 'lp'] : ['lp', 'ort'];
  for (const side of order) reps[side].push(side === 'lp' ? run(ours, args.json) : run(ort, args.onnx));
}
const summary = (rs) => ({
  cold_ms_median: +median(rs.map((r) => r.cold)).toFixed(1),
  warm_ms_median: +median(rs.map((r) => median(r.warm))).toFixed(1),
  cold_ms_reps: rs.map((r) => +r.cold.toFixed(1)),
});
const lp = summary(reps.lp), o = summary(reps.ort);
console.log(JSON.stringify({
  tool: 'load_interleaved', json: args.json, onnx: args.onnx, reps: +args.reps,
  loadavg_at_start: loadavg, loadavg_at_end: os.loadavg().map((v) => +v.toFixed(2)),
  localpredict: lp, ort_web: o,
  ratio_cold: +(o.cold_ms_median / lp.cold_ms_median).toFixed(2),   // > 1: we load faster
  ratio_warm: +(o.warm_ms_median / lp.warm_ms_median).toFixed(2),
}, null, 1));
