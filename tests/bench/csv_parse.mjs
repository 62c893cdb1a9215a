#!/usr/bin/env node
// CSV → float32 parse throughput of the engine in WebAssembly, printing one JSON object.
//
//   node tests/bench/csv_parse.mjs [--csv build/bench/w4.csv] [--reps 5]
//        [--variants simd,scalar] [--model W1.json] [--out FILE.json] [--wasm A.wasm,B.wasm]
//
// The workload is ../shared/bench's W4 (200000 rows × 50 floats, '%.7g',
// header f0..f49, 98.5 MB); tests/bench/gen_csv.py writes it (byte-identical
// to the anchors' w1.csv) and is run when the file is missing.
//
// What is timed, per repetition: a job with `parse_only` (src/localpredict.h)
// reads the whole file in 1 MiB chunks, each copied into the engine's memory
// as the JS shim does, binds the header to a 50-feature model and parses every
// cell into the float32 batch, then finishes.  Nothing is predicted or
// written, so the model does not matter: a small tree model from the test
// fixtures, renamed to features f0..f49, is enough.  With --model (e.g. the
// W1 XGBoost JSON) the full CSV → predictions CSV job is timed as well.
// MB/s = file bytes / time; the median of --reps after one warm-up is reported.
// A JS scanner from the anchors runs interleaved as a calibrator: the VM is
// shared, and the ratio to it is steadier than MB/s (see jsScanner below).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { csv: path.join(root, 'build/bench/w4.csv'), reps: '5', variants: 'simd,scalar' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const REPS = Math.max(1, +args.reps);
const CHUNK = 1 << 20; // the shim's chunk size (wasm/model.mjs)

if (!fs.existsSync(args.csv)) {
  fs.mkdirSync(path.dirname(args.csv), { recursive: true });
  execFileSync('/usr/bin/python3', [path.join(root, 'tests/bench/gen_csv.py'), args.csv], { stdio: 'inherit' });
}
const csv = fs.readFileSync(args.csv);
const headerEnd = csv.indexOf(10);
const columns = csv.subarray(0, headerEnd).toString().split(',');

/** A fixture tree model whose features are named like the workload's columns. */
function parseModel() {
  const m = JSON.parse(fs.readFileSync(path.join(root, 'tests/fixtures/xgboost/binary/model.json'), 'utf8'));
  const l = m.learner;
  l.feature_names = columns;
  l.feature_types = columns.map(() => 'float');
  l.learner_model_param.num_feature = String(columns.length);
  for (const t of l.gradient_booster.model.trees) t.tree_param.num_feature = String(columns.length);
  return Buffer.from(JSON.stringify(m));
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

async function instantiate(file) {
  const mod = await WebAssembly.compile(fs.readFileSync(file));
  const imports = {};
  for (const { module, name } of WebAssembly.Module.imports(mod)) {
    (imports[module] ||= {})[name] = () => 52; // ENOSYS: the engine does no I/O
  }
  const inst = await WebAssembly.instantiate(mod, imports);
  if (inst.exports._initialize) inst.exports._initialize();
  return inst.exports;
}

/** Helpers over the flat ABI (src/wasm_api.c). */
function engineOf(x) {
  const u8 = () => new Uint8Array(x.memory.buffer);
  const u32 = () => new Uint32Array(x.memory.buffer);
  const cstr = (p) => { const m = u8(); let e = p; while (m[e]) e++; return Buffer.from(m.subarray(p, e)).toString(); };
  const copyIn = (bytes) => { const p = x.lp_wasm_alloc(bytes.length) >>> 0; u8().set(bytes, p); return p; };
  const err = x.lp_wasm_error_new() >>> 0;
  const slot = x.lp_wasm_alloc(4) >>> 0;
  const check = (s, what) => {
    if (s !== 0) throw new Error(`${what}: ${cstr(x.lp_wasm_error_code(err) >>> 0)} ${cstr(x.lp_wasm_error_message(err) >>> 0)}`);
  };
  return {
    loadModel(bytes) {
      const p = copyIn(bytes);
      check(x.lp_wasm_model_load(p, bytes.length, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, err, slot), 'model');   // limits 0: the defaults
      x.lp_wasm_free(p);
      return u32()[slot >>> 2];
    },
    /** Seconds to run the whole file through one job. */
    runJob(model, parseOnly) {
      const buf = x.lp_wasm_alloc(CHUNK) >>> 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      check(x.lp_wasm_job_create(model, NaN, 0, 0, 0, 0, 0, 0, 1, 0, err, slot, parseOnly ? 1 : 0, 0, 0), 'job');
      const job = u32()[slot >>> 2];
      for (let off = 0; off < csv.length; off += CHUNK) {
        const piece = csv.subarray(off, off + CHUNK);
        u8().set(piece, buf);
        check(x.lp_wasm_job_push(job, buf, piece.length, err), 'push');
        x.lp_wasm_job_output_clear(job);
      }
      check(x.lp_wasm_job_finish(job, err), 'finish');
      const rows = x.lp_wasm_job_rows(job);
      x.lp_wasm_job_destroy(job);
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      x.lp_wasm_free(buf);
      return { secs, cpuSecs: (cpu.user + cpu.system) / 1e6, rows };
    },
  };
}

/**
 * The calibrator: ../shared/bench/bench_csv.mjs's `scan_charcodes` (a
 * hand-written one-pass JS scanner, 344 MB/s in the anchors' run), run
 * interleaved with the engine.  The VM is shared and busy: the ratio to it
 * travels between runs better than MB/s do.
 */
function jsScanner(str) {
  let i = str.indexOf('\n') + 1;
  const len = str.length;
  let F = 1;
  for (let j = 0; j < i; j++) if (str.charCodeAt(j) === 44) F++;
  let cap = 1 << 20;
  let out = new Float32Array(cap);
  let k = 0;
  const P10 = []; for (let e = 0; e <= 40; e++) P10.push(10 ** e);
  while (i < len) {
    let c = str.charCodeAt(i);
    if (c === 10 || c === 13) { i++; continue; }
    let neg = false;
    if (c === 45) { neg = true; c = str.charCodeAt(++i); } else if (c === 43) { c = str.charCodeAt(++i); }
    let m = 0; let scale = 0;
    while (c >= 48 && c <= 57) { m = m * 10 + (c - 48); c = str.charCodeAt(++i); }
    if (c === 46) {
      c = str.charCodeAt(++i);
      while (c >= 48 && c <= 57) { m = m * 10 + (c - 48); scale--; c = str.charCodeAt(++i); }
    }
    if (c === 101 || c === 69) {
      c = str.charCodeAt(++i);
      let eneg = false; let e = 0;
      if (c === 45) { eneg = true; c = str.charCodeAt(++i); } else if (c === 43) { c = str.charCodeAt(++i); }
      while (c >= 48 && c <= 57) { e = e * 10 + (c - 48); c = str.charCodeAt(++i); }
      scale += eneg ? -e : e;
    }
    let v = scale < 0 ? m / P10[-scale] : m * P10[scale];
    if (neg) v = -v;
    if (k === cap) { const o2 = new Float32Array(cap * 2); o2.set(out); out = o2; cap *= 2; }
    out[k++] = v;
    i++;
  }
  return k / F;
}

function timeScanner(str) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rows = jsScanner(str);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { secs, cpuSecs: (cpu.user + cpu.system) / 1e6, rows };
}

function summary(runs) {
  const secs = median(runs.map((t) => t.secs)), cpuSecs = median(runs.map((t) => t.cpuSecs));
  const rows = runs[runs.length - 1].rows;
  // cpu_per_wall well below 1 says other work took the core.
  return { mb_per_s: +(csv.length / 1e6 / secs).toFixed(1), rows_per_s: Math.round(rows / secs), rows,
    mb_per_cpu_s: +(csv.length / 1e6 / cpuSecs).toFixed(1), cpu_per_wall: +(cpuSecs / secs).toFixed(2),
    seconds_median: +secs.toFixed(4), seconds: runs.map((t) => +t.secs.toFixed(4)) };
}

const result = {
  bench: 'csv_parse', file: path.basename(args.csv), bytes: csv.length, columns: columns.length,
  node: process.version, reps: REPS, chunk_bytes: CHUNK,
  js_scanner: null, js_scanner_anchor_mb_per_s: 344, parse_only: {}, full_job: {},
};
// --wasm A.wasm,B.wasm times those engine files instead (to compare builds side by side).
const variants = args.wasm ? args.wasm.split(',') : args.variants.split(',');
const jobs = []; // [section, variant, engine, model handle, parseOnly]
for (const v of variants) {
  const file = args.wasm ? v : path.join(root, `wasm/build/${v === 'simd' ? 'localpredict' : 'localpredict-scalar'}.wasm`);
  const e = engineOf(await instantiate(file));
  jobs.push(['parse_only', v, e, e.loadModel(parseModel()), true]);
  if (args.model) jobs.push(['full_job', v, e, e.loadModel(fs.readFileSync(args.model)), false]);
}
const str = csv.toString('latin1');
const runs = new Map(jobs.map((j) => [j, []]));
const scans = [];
for (const j of jobs) j[2].runJob(j[3], j[4]); // warm-up
timeScanner(str);
for (let r = 0; r < REPS; r++) { // interleaved rep by rep
  for (const j of jobs) runs.get(j).push(j[2].runJob(j[3], j[4]));
  scans.push(timeScanner(str));
}
result.js_scanner = summary(scans);
for (const j of jobs) {
  const s = summary(runs.get(j));
  s.ratio_to_js_scanner = +(s.mb_per_s / result.js_scanner.mb_per_s).toFixed(2);
  result[j[0]][j[1]] = s;
}
const text = JSON.stringify(result, null, 1);
if (args.out) fs.writeFileSync(args.out, text + '\n');
console.log(text);
