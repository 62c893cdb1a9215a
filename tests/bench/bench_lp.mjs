#!/usr/bin/env node
// localpredict through its public JS API, with the anchors' protocol
// (../shared/bench/bench_ort.mjs): per batch size a warm-up of >= 0.2 s, then
// `reps` repetitions that each run calls, cycling through the input rows,
// until 0.3 s have passed; rows/s = rows / time, the median is reported.
// Timed per call: model.predict({ data, rows, cols }, { returnPredProba: true })
// on a slice of the input, i.e. copying rows into the engine, predicting and
// reading the probabilities back (what a page pays).  Prints one JSON object.
//
//   node tests/bench/bench_lp.mjs --model work/w1_gbdt.json --input work/w1_X.f32 --features 50 \
//        [--expected work/w1_proba_xgb.f32 --classes 3] [--batches 1,64,4096,100000]
//        [--reps 5] [--min-time 0.3] [--warmup 0.2] [--load-reps 3] [--simd true|false]
//        [--rss-only] [--out file.json]
//
// Model load: cold = the first loadModel() in the process (includes compiling and
// instantiating the engine, like ORT-web's cold session), warm = median of the
// next --load-reps loads.  Handoff: the model serialised (lp_model_serialize) and
// loaded from that blob into a second engine instance, as a worker would.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

function parseArgs(argv) {
  const a = {
    batches: '1,64,4096,100000', reps: '5', 'min-time': '0.3', warmup: '0.2', features: '50',
    'load-reps': '3', simd: 'true',
  };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (k === 'rss-only') { a[k] = true; continue; }
    a[k] = argv[i + 1];
    i++;
  }
  return a;
}

const args = parseArgs(process.argv);
const F = +args.features;
const REPS = +args.reps;
const MIN_T = +args['min-time'] * 1000;
const WARM_T = +args.warmup * 1000;
const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
function loadF32(p) {
  const b = fs.readFileSync(p);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

const X = loadF32(args.input);
const ROWS = X.length / F;
const modelBytes = fs.readFileSync(args.model);
const result = {
  tool: 'bench_lp', model: path.basename(args.model), model_bytes: modelBytes.length,
  input: { file: path.basename(args.input), rows: ROWS, features: F },
  settings: { reps: REPS, min_time_s: MIN_T / 1000, warmup_s: WARM_T / 1000 },
  versions: { node: process.version },
  rss_before_load_mb: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
};

const lp = await import(path.join(root, 'wasm/node.mjs'));
lp.setEngine({ simd: args.simd === 'true' });
result.versions.localpredict = lp.version;
let t0 = performance.now();
const model = await lp.loadModel(modelBytes);
const r = { engine: model.engine, load_ms_cold: performance.now() - t0, batches: {} };
const warm = [];
for (let i = 0; i < +args['load-reps']; i++) {
  t0 = performance.now();
  const m2 = await lp.loadModel(modelBytes);
  warm.push(performance.now() - t0);
  m2.dispose();
}
r.load_ms_warm_median = warm.length ? median(warm) : null;
result.localpredict = r;

const C = model.info.outputs.length;
const runOnce = (off, bs) => model.predict({ data: X.subarray(off * F, (off + bs) * F), rows: bs, cols: F },
  { returnPredProba: true }).probabilities.data;

if (args['rss-only']) {
  runOnce(0, Math.min(100000, ROWS));
} else {
  // ---- correctness vs the reference library's probabilities (first 20000 rows, batch 4096)
  if (args.expected) {
    const E = loadF32(args.expected);
    const n = Math.min(ROWS, 20000);
    let maxd = 0, agree = 0;
    for (let off = 0; off < n; off += 4096) {
      const bs = Math.min(4096, n - off);
      const out = runOnce(off, bs);
      for (let i = 0; i < bs; i++) {
        let am = 0, ae = 0;
        for (let c = 0; c < C; c++) {
          const d = Math.abs(out[i * C + c] - E[(off + i) * C + c]);
          if (d > maxd || Number.isNaN(d)) maxd = Number.isNaN(d) ? Infinity : d;
          if (out[i * C + c] > out[i * C + am]) am = c;
          if (E[(off + i) * C + c] > E[(off + i) * C + ae]) ae = c;
        }
        if (am === ae) agree++;
      }
    }
    r.check = { rows: n, max_abs_diff_vs_expected: maxd, argmax_agreement: agree / n, expected: path.basename(args.expected) };
  }

  // ---- throughput, the anchors' protocol
  for (const bs of args.batches.split(',').filter(Boolean).map(Number)) {   // --batches '': load, check and handoff only
    if (bs > ROWS) continue;
    let off = 0;
    const step = () => { runOnce(off, bs); off = (off + bs) % (ROWS - bs + 1); };
    let calls = 0;
    t0 = performance.now();
    while (calls < 1 || performance.now() - t0 < WARM_T) { step(); calls++; }
    const rates = [], callUs = [], cpu = [];
    for (let rep = 0; rep < REPS; rep++) {
      calls = 0;
      const c0 = process.cpuUsage();
      t0 = performance.now();
      let el = 0;
      while (calls < 1 || el < MIN_T) { step(); calls++; el = performance.now() - t0; }
      const cu = process.cpuUsage(c0);
      cpu.push((cu.user + cu.system) / 1000 / el);
      rates.push((calls * bs) / (el / 1000));
      callUs.push((el * 1000) / calls);
    }
    r.batches[bs] = {
      rows_per_s_median: Math.round(median(rates)),
      call_us_median: +median(callUs).toFixed(2),
      rows_per_s_reps: rates.map(Math.round),
      cpu_per_wall_median: +median(cpu).toFixed(2),
    };
  }

  // ---- handoff to a second engine instance through the compact blob
  r.handoff = await handoff(modelBytes, args.simd === 'true');
}

result.max_rss_mb = +(process.resourceUsage().maxRSS / 1024).toFixed(1);
const json = JSON.stringify(result, null, 1);
if (args.out) fs.writeFileSync(args.out, json + '\n');
console.log(json);
model.dispose();

/* The engine's flat ABI directly (the public API does not expose the blob):
 * instance A loads the JSON and serialises it; instance B, as a worker would
 * have, loads the blob. */
async function handoff(bytes, simd) {
  const file = path.join(root, 'wasm/build', simd ? 'localpredict.wasm' : 'localpredict-scalar.wasm');
  const mod = await WebAssembly.compile(fs.readFileSync(file));
  const imports = {};
  for (const { module, name } of WebAssembly.Module.imports(mod)) (imports[module] ||= {})[name] = () => 52;
  const open = async () => {
    const t = performance.now();
    const x = (await WebAssembly.instantiate(mod, imports)).exports;
    if (x._initialize) x._initialize();
    return { x, ms: performance.now() - t };
  };
  const load = (x, b) => {
    const p = x.lp_wasm_alloc(b.length) >>> 0;
    new Uint8Array(x.memory.buffer).set(b, p);
    const e = x.lp_wasm_error_new() >>> 0, out = x.lp_wasm_alloc(4) >>> 0;
    const t = performance.now();
    const s = x.lp_wasm_model_load(p, b.length, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, e, out);   // limits 0: the defaults
    const ms = performance.now() - t;
    if (s !== 0) throw new Error(`handoff: engine load failed with status ${s}`);
    const h = new DataView(x.memory.buffer).getUint32(out, true);
    x.lp_wasm_free(p); x.lp_wasm_free(out); x.lp_wasm_error_free(e);
    return { h, ms };
  };
  const a = await open();
  const json = load(a.x, bytes);
  const e = a.x.lp_wasm_error_new() >>> 0, pp = a.x.lp_wasm_alloc(8) >>> 0;
  let t = performance.now();
  if (a.x.lp_wasm_model_serialize(json.h, pp, pp + 4, e) !== 0) throw new Error('handoff: serialize failed');
  const serializeMs = performance.now() - t;
  const dv = new DataView(a.x.memory.buffer);
  const blob = new Uint8Array(a.x.memory.buffer).slice(dv.getUint32(pp, true), dv.getUint32(pp, true) + dv.getUint32(pp + 4, true));
  const b = await open();
  const times = [];
  for (let i = 0; i < 5; i++) {
    const got = load(b.x, blob);
    times.push(got.ms);
    b.x.lp_wasm_model_destroy(got.h);
  }
  return {
    json_load_ms_engine_only: +json.ms.toFixed(2),
    serialize_ms: +serializeMs.toFixed(2),
    blob_bytes: blob.length,
    instantiate_ms: +b.ms.toFixed(2),
    blob_load_ms_median: +median(times).toFixed(2),
  };
}
