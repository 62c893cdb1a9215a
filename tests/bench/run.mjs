#!/usr/bin/env node
// make bench: localpredict side by side with the anchors of ../shared/bench, on
// the same inputs and with the same protocol, in one invocation.  Prints a
// markdown table with ratios and writes build/bench/results.json and
// build/bench/RESULTS.md.  See tests/bench/README.md.
//
//   node tests/bench/run.mjs [--quick]      (--quick: 3 rounds, W1 only, no CSV/e2e)
//                            [--no-stream]  (skip the > 1 GB streaming row)
//                            [--table-only] (render the table from results.json)
//
// Rows/s and the ratios come from interleaved rounds (trees_vs_ort.mjs,
// mlp_vs_ort.mjs): per round every engine runs the same batch size back to
// back, a ratio is taken per round, the table shows the median of the
// per-round ratios with their min-max.
//
// Environment: LP_SHARED_BENCH = the anchors' folder (default ../shared/bench
// next to the repository), LP_BENCH_ROUNDS = rounds (default 7),
// LP_BENCH_REPS = repetitions of the text benchmark (default 5).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'build/bench');
const anchors = path.join(out, 'anchors');
const work = path.join(anchors, 'work');
const quick = process.argv.includes('--quick');
// --table-only: render RESULTS.md again from build/bench/results.json (no run).
const tableOnly = process.argv.includes('--table-only');
const REPS = process.env.LP_BENCH_REPS || (quick ? '3' : '5');
const PY = '/usr/bin/python3';
const log = (...a) => console.error('==', ...a);

if (tableOnly) {
  const table = makeTable(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')));
  fs.writeFileSync(path.join(out, 'RESULTS.md'), table);
  process.stdout.write(table);
  process.exit(0);
}

// ---- setup: the anchors' copy, its node_modules and workloads (cached) ----
fs.mkdirSync(out, { recursive: true });
if (!fs.existsSync(path.join(anchors, 'bench_ort.mjs'))) {
  const shared = process.env.LP_SHARED_BENCH || path.resolve(root, '../shared/bench');
  if (!fs.existsSync(path.join(shared, 'bench_ort.mjs'))) {
    console.error(`bench: the anchor benchmarks are not at ${shared}; set LP_SHARED_BENCH to the shared/bench folder`);
    process.exit(2);
  }
  log('copying', shared, 'to', anchors);
  fs.cpSync(shared, anchors, { recursive: true, filter: (p) => !/\/(results|work|node_modules)$/.test(p) });
  fs.chmodSync(anchors, 0o755);
}
if (!fs.existsSync(path.join(anchors, 'node_modules'))) {
  log('npm ci in', anchors);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: anchors, stdio: ['ignore', 2, 2], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
}
if (!fs.existsSync(path.join(work, 'manifest.json'))) {
  log('generating the workloads (once; cached in', work + ')');
  execFileSync(PY, ['gen_workloads.py', '--out', 'work'], { cwd: anchors, stdio: ['ignore', 2, 2] });
}

// ---- runners ----
function runJson(cmd, args, opts = {}) {
  log(cmd, args.map((a) => (a.startsWith(root) ? path.relative(root, a) : a)).join(' '));
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, OMP_NUM_THREADS: '1' }, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const text = r.stdout.trim();
  return JSON.parse(text.slice(text.indexOf('{')));
}
const node = process.execPath;
const w = (f) => path.join(work, f);
const BATCHES = '1,64,4096,100000';
const nativeBench = path.join(out, 'native/bench_native');

const workloads = [
  { id: 'W1', name: 'W1 gbdt 3-class (900 trees, depth 6)', json: 'w1_gbdt.json', onnx: 'w1_gbdt.onnx', x: 'w1_X.f32', p: 'w1_proba_xgb.f32', k: 3 },
  { id: 'W2', name: 'W2 binary gbdt (500 trees, depth 8)', json: 'w2_binary_gbdt.json', onnx: 'w2_binary_gbdt.onnx', x: 'w2_X.f32', p: 'w2_proba_xgb.f32', k: 2 },
  // The MLP: we run the same ONNX file onnxruntime does (no xgboost anchor).
  { id: 'W3', name: 'W3 MLP 50-256-256-3 (ONNX)', json: 'w3_mlp.onnx', onnx: 'w3_mlp.onnx', x: 'w1_X.f32', p: 'w3_proba_torch.f32', k: 3, xgboost: false },
].filter((wl) => !quick || wl.id === 'W1');

// Rounds of the interleaved step 2 (trees_vs_ort.mjs, mlp_vs_ort.mjs): per
// round and batch size every engine runs back to back, for MIN_T s (MIN_T1 at
// batch 1, where calls are short and the rate the noisiest).
const ROUNDS = process.env.LP_BENCH_ROUNDS || (quick ? '3' : '7');
// At batch 100000 a call takes seconds (onnxruntime-web: 3-10 s on W1): fewer
// rounds, spread over the run.  5, not 3: with 3, one slow round moved W3's
// median from 1.77x (5 rounds alone) to 1.33x.
const ROUNDS_100000 = quick ? '3' : '5';
const MIN_T = '0.3', MIN_T1 = '0.6', STEADY_TOL = '0.1', STEADY_MAX = '4';
const hasXgboost = spawnSync(PY, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0;

const results = {
  machine: {
    cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version,
    date: new Date().toISOString(), loadavg_at_start: os.loadavg().map((v) => +v.toFixed(2)),
  },
  settings: {
    method: 'interleaved', rounds: +ROUNDS, rounds_batch100000: Math.min(+ROUNDS, +ROUNDS_100000), min_time_s: +MIN_T, min_time_batch1_s: +MIN_T1, slices_below_100000: 4,
    warmup: `until steady: 3 windows of 0.3 s within ${+STEADY_TOL * 100} % (at most ${STEADY_MAX} s), b < 100000`,
    batches: BATCHES.split(',').map(Number),
  },
  workloads: {},
};

for (const wl of workloads) {
  const r = (results.workloads[wl.id] = { name: wl.name });
  // Load times, accuracy and the handoff: each engine's own script, one process
  // each (the anchors' bench_ort.mjs and bench_xgb.py as ../shared/bench runs
  // them), with no timed batches or a single one-call batch (not used).
  r.lp_wasm = runJson(node, [path.join(root, 'tests/bench/bench_lp.mjs'), '--model', w(wl.json), '--input', w(wl.x),
    '--expected', w(wl.p), '--classes', String(wl.k), '--batches', '']).localpredict;
  r.lp_native = runJson(nativeBench, [w(wl.json), w(wl.x), '50', '', '1', w(wl.p)]);
  const ort = runJson(node, [path.join(anchors, 'bench_ort.mjs'), '--model', w(wl.onnx), '--input', w(wl.x),
    '--expected', w(wl.p), '--classes', String(wl.k), '--batches', '1', '--reps', '1', '--min-time', '0', '--warmup', '0'], { cwd: anchors });
  r.ort_web = ort.backends.web;
  r.ort_node = ort.backends.node;
  r.xgboost = null;
  if (wl.xgboost !== false && hasXgboost) {
    const xgb = runJson(PY, [path.join(anchors, 'bench_xgb.py'), '--model', w(wl.json), '--input', w(wl.x),
      '--expected', w(wl.p), '--methods', 'inplace', '--batches', '1', '--reps', '1', '--min-time', '0', '--warmup', '0'], { cwd: anchors });
    r.xgboost = { ...xgb.methods.inplace, load_ms_cold: xgb.load_ms_cold, load_ms_warm_median: xgb.load_ms_warm_median };
  }
  fs.writeFileSync(path.join(out, 'results.partial.json'), JSON.stringify(results, null, 1) + '\n');
}

// Rows/s and ratios: every engine in the same time window, round after round;
// W1 and W2 in one process whose rounds alternate between them.
const common = ['--batches', BATCHES, '--rounds', ROUNDS, '--rounds-100000', ROUNDS_100000, '--min-time', MIN_T, '--min-time-1', MIN_T1,
  '--work', work, '--anchors', anchors, '--ort-node', '--native', nativeBench,
  // Before the rounds, each engine warms until its rate stops moving: V8's
  // tier-up takes onnxruntime-web seconds (its batch-1 rate climbs ~9x).
  '--steady', '--steady-tol', STEADY_TOL, '--steady-max', STEADY_MAX];
const trees = workloads.filter((wl) => wl.id !== 'W3').map((wl) => wl.id.toLowerCase());
if (trees.length) {
  // --chromium: the same kernels in headless Chromium (ours and onnxruntime-web, a page
  // each) in the same rounds; without a browser trees_vs_ort.mjs says so and goes on.
  // Both SIMD builds in Node: the plain one (Node 20 as a library gets it) and the
  // relaxed one, as the CLI runs it (it turns on Node 20's relaxed SIMD).
  const simdBuilds = ['localpredict.wasm', 'localpredict-relaxed.wasm'].map((f) => path.join(root, 'wasm/build', f)).join(',');
  const j = runJson(node, [path.join(root, 'tests/bench/trees_vs_ort.mjs'), '--workloads', trees.join(','), '--wasm', simdBuilds, ...common,
    ...(hasXgboost ? ['--xgboost'] : []), ...(quick ? [] : ['--chromium'])]);
  for (const id of trees)
    results.workloads[id.toUpperCase()].interleaved = { settings: j.settings, machine: j.machine, warmup: j.warmup?.[id], batches: j.workloads[id] };
  if (j.chromium) {
    results.chromium = j.chromium;
    if (j.chromium.skipped) log('the Chromium kernel rows were skipped:', j.chromium.skipped);
  }
}
if (results.workloads.W3) {
  const j = runJson(node, [path.join(root, 'tests/bench/mlp_vs_ort.mjs'), ...common, ...(quick ? [] : ['--chromium'])]);
  results.workloads.W3.interleaved = { settings: j.settings, machine: j.machine, warmup: j.warmup, batches: j.batches };
  if (j.chromium?.skipped) log('the Chromium W3 rows were skipped:', j.chromium.skipped);
  else if (j.chromium) results.chromium = { version: j.chromium.version, ...results.chromium, check: { ...results.chromium?.check, ...j.chromium.check } };
}
fs.writeFileSync(path.join(out, 'results.partial.json'), JSON.stringify(results, null, 1) + '\n');

// ---- peak memory: W1 model load + one 100000-row batch, one process each ----
if (!quick) {
  const mem = (results.peak_rss_mb = {});
  mem.lp_wasm = runJson(node, [path.join(root, 'tests/bench/bench_lp.mjs'), '--model', w('w1_gbdt.json'),
    '--input', w('w1_X.f32'), '--rss-only', '--load-reps', '0']);
  mem.ort_web = runJson(node, [path.join(anchors, 'bench_ort.mjs'), '--model', w('w1_gbdt.onnx'), '--input', w('w1_X.f32'),
    '--backends', 'web', '--batches', '100000', '--reps', '1', '--load-reps', '0', '--warmup', '0'], { cwd: anchors });
  for (const k of Object.keys(mem)) mem[k] = { before_load: mem[k].rss_before_load_mb, peak: mem[k].max_rss_mb };
}

// ---- end to end: W1's CSV (200k rows) -> predictions CSV ----
function timed(cmd, args, opts = {}) {
  log(cmd, args.join(' '));
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr}`);
  return s;
}
if (!quick) {
  const csv = w('w1.csv');
  const mb = fs.statSync(csv).size / 1e6;
  const e2e = (results.end_to_end = { input: 'w1.csv', mb: +mb.toFixed(1), rows: 200000 });
  const cores = String(os.cpus().length);
  const lp = (cmd, jobs, tag) => timed(cmd[0], [...cmd.slice(1), 'predict', w('w1_gbdt.json'), csv, '--jobs', jobs, '-o',
    path.join(out, `e2e_${tag}.csv`)]);
  // Three interleaved reps of each, medians: one rep of a 1-3 s run is at the
  // mercy of whatever else the machine does in those seconds.
  const E2E_REPS = 3;
  const runs = { cli: [], nat: [], cliAll: [], natAll: [] };
  for (let r = 0; r < E2E_REPS; r++) {
    runs.cli.push(lp([node, path.join(root, 'wasm/cli.mjs')], '1', 'lp_wasm'));
    runs.cliAll.push(lp([node, path.join(root, 'wasm/cli.mjs')], cores, 'lp_wasm_all'));
    runs.nat.push(lp([path.join(out, 'native/localpredict')], '1', 'lp_native'));
    runs.natAll.push(lp([path.join(out, 'native/localpredict')], cores, 'lp_native_all'));
  }
  const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const [cli, nat, cliAll, natAll] = [med(runs.cli), med(runs.nat), med(runs.cliAll), med(runs.natAll)];
  e2e.reps = E2E_REPS;
  const ortS = timed(node, ['pipeline_ort.mjs', anchors, w('w1_gbdt.onnx'), csv, path.join(out, 'e2e_ort.csv'), '3'], { cwd: anchors });
  e2e.lp_wasm_cli = { seconds: +cli.toFixed(2), MBps: +(mb / cli).toFixed(1) };
  e2e.lp_native_cli = { seconds: +nat.toFixed(2), MBps: +(mb / nat).toFixed(1) };
  e2e.lp_wasm_cli_all = { seconds: +cliAll.toFixed(2), MBps: +(mb / cliAll).toFixed(1), jobs: +cores };
  e2e.lp_native_cli_all = { seconds: +natAll.toFixed(2), MBps: +(mb / natAll).toFixed(1), jobs: +cores };
  e2e.pipeline_ort = { seconds: +ortS.toFixed(2), MBps: +(mb / ortS).toFixed(1) };
  // The pool alone: predictCsv of the file in memory with the model loaded and
  // the workers started, jobs 1 and all cores alternated (pool-speedup.mjs).
  results.pool_loaded = runJson(node, [path.join(root, 'tests/bench/pool-speedup.mjs'), w('w1_gbdt.json'), csv,
    '--jobs', cores, '--runs', '5', '--json']);
}

// ---- end to end in Chromium (predictCsv on the page's worker pool) and model load, both
// interleaved with their anchors in the same run (tests/bench/browser_e2e.mjs, load_interleaved.mjs) ----
if (!quick) {
  try {
    results.end_to_end_browser = runJson(node, [path.join(root, 'tests/bench/browser_e2e.mjs'), '--anchors', anchors, '--reps', '3']);
  } catch (e) {
    log('the Chromium end-to-end row was skipped:', e.message.split('\n')[0]);
    results.end_to_end_browser = null;
  }
}
results.load_interleaved = runJson(node, [path.join(root, 'tests/bench/load_interleaved.mjs'), '--anchors', anchors,
  '--reps', quick ? '3' : '7']);

// ---- streaming: a > 1 GB CSV (W1's rows repeated) with its peak memory (tests/bench/stream_1gb.mjs) ----
if (!quick && !process.argv.includes('--no-stream')) {
  results.streaming = runJson(node, [path.join(root, 'tests/bench/stream_1gb.mjs'), '--work', work,
    '--jobs', String(os.cpus().length), '--native', path.join(out, 'native/localpredict')]);
}

// ---- CSV parsing: our reader (the CSV helper's script, when present) vs papaparse ----
const csvScript = path.join(root, 'tests/bench/csv_parse.mjs');
if (!quick && fs.existsSync(csvScript)) {
  results.csv_parse = {
    lp: runJson(node, [csvScript, '--csv', w('w1.csv'), '--reps', '3']),
    anchors: runJson(node, ['--max-old-space-size=8192', '--expose-gc', 'bench_csv.mjs', '--csv', w('w1.csv'),
      '--warm', w('w1_10k.csv'), '--reps', '3'], { cwd: anchors }),
  };
} else {
  results.csv_parse = null;
}

// ---- text: the transformer classifier, sentences/s vs onnxruntime-web (tests/bench/bench_text.mjs) ----
results.text = quick ? null : runJson(node, [path.join(root, 'tests/bench/bench_text.mjs'), '--anchors', anchors, '--reps', REPS]);

// ---- what a page downloads ----
const gz = (f) => zlib.gzipSync(fs.readFileSync(f), { level: 9 }).length;
function bundle(files) {
  let raw = 0, gzip = 0;
  for (const f of files) raw += fs.statSync(f).size, gzip += gz(f);
  return { files: files.map((f) => path.relative(root, f)), raw, gzip };
}
const shim = ['browser.mjs', 'localpredict.mjs', 'engine.mjs', 'model.mjs', 'errors.mjs', 'detect.mjs', 'load-browser.mjs']
  .map((f) => path.join(root, 'wasm', f)).filter((f) => fs.existsSync(f));
const ortDist = path.join(anchors, 'node_modules/onnxruntime-web/dist');
results.download = {
  lp: bundle([path.join(root, 'wasm/build/localpredict.wasm'), ...shim]),
  lp_scalar_wasm: bundle([path.join(root, 'wasm/build/localpredict-scalar.wasm')]),
  ort_web: bundle([path.join(ortDist, 'ort-wasm-simd-threaded.wasm'), path.join(ortDist, 'ort.wasm.bundle.min.mjs')]),
};

fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify(results, null, 1) + '\n');
const table = makeTable(results);
fs.writeFileSync(path.join(out, 'RESULTS.md'), table);
console.log(table);

// ---- the table ----

/** The kernels in headless Chromium (results.chromium; trees_vs_ort.mjs --chromium,
 * mlp_vs_ort.mjs --chromium): rows/s of the page engines and their per-round ratios,
 * from the same rounds as the Node table. */
function chromiumTable(res, k) {
  const c = res.chromium;
  const B = [1, 64, 4096, 100000];
  const ids = Object.keys(res.workloads).filter((id) => res.workloads[id].interleaved?.batches?.[B.find((b) => res.workloads[id].interleaved.batches[b])]?.rows_per_s?.['chromium-lp']);
  if (!ids.length) return [];
  const s = res.settings;
  const cell = (r, b, key, cpu) => {
    const x = r.interleaved.batches[b]?.[cpu ? 'ratio_spread_cpu' : 'ratio_spread']?.[key];
    return x?.median != null ? `${x.median.toFixed(2)}× (${x.min.toFixed(2)}–${x.max.toFixed(2)})` : 'n/a';
  };
  // One call's probabilities in the page against the same engine in Node (bit for bit, or how far).
  const checks = Object.entries(c.check || {}).flatMap(([id, x]) => Object.entries(x).filter(([n]) => n !== 'rows').map(([n, v]) => ({ id, n, v, rows: x.rows })));
  const checkText = !checks.length ? ''
    : checks.every((x) => x.v.identical)
      ? `One call's probabilities (${checks[0].rows} rows) are the same bit for bit as the same engine's in Node (${[...new Set(checks.map((x) => x.id.toUpperCase()))].join(', ')}, both engines).`
      : `One call's probabilities against the same engine in Node: ${checks.map(({ id, n, v }) => `${id.toUpperCase()} ${n}: ${v.identical ? 'bit for bit' : `${v.values_differing} of ${v.values} differ (max ${v.max_abs_diff.toExponential(1)})`}`).join('; ')}.`;
  const nodeName = `Node ${res.machine.node?.replace(/^v/, '').split('.')[0] ?? ''}`;
  const L = [];
  L.push(`The same kernels in headless Chromium ${c.version} (tests/bench/chromium-engine.mjs), in the same interleaved rounds as the table above: ` +
    `our browser API (loadModel, model.predict${c.build === 'relaxed' ? '; the API picked the relaxed-SIMD engine, localpredict-relaxed.wasm, as a page that fetches its engine does' : ''}) and onnxruntime-web (wasm SIMD, one thread, the same ONNX files), a page each, the timing loop ` +
    'inside the page (rows/s: the page\'s clock; per CPU second: its renderer process, from /proc). ' +
    `Each ratio cell is the median of the ${s.rounds} per-round ratios${s.rounds_batch100000 && s.rounds_batch100000 < s.rounds ? ` (${s.rounds_batch100000} at b=100000)` : ''}, wall clock unless said, with their min–max. ` +
    checkText);
  L.push('');
  L.push('| workload | engine in Chromium | b=1 | b=64 | b=4096 | b=100000 | cpu/wall at b=4096 |');
  L.push('|---|---|---:|---:|---:|---:|---:|');
  for (const id of ids) {
    const x = res.workloads[id].interleaved.batches;
    const lpName = `localpredict WASM SIMD${c.build === 'relaxed' ? ' (the relaxed-SIMD engine)' : ''}`;
    for (const [name, e] of [[lpName, 'chromium-lp'], ['onnxruntime-web (wasm SIMD)', 'chromium-ort']]) {
      if (!B.some((b) => x[b]?.rows_per_s?.[e])) continue;
      const cw = x[4096]?.rows_per_cpu_s?.[e] ? (x[4096].rows_per_s[e] / x[4096].rows_per_cpu_s[e]).toFixed(2) : '';
      L.push(`| ${id} | ${name} | ${B.map((b) => k(x[b]?.rows_per_s?.[e])).join(' | ')} | ${cw} |`);
    }
  }
  L.push('');
  L.push('| workload | localpredict in Chromium over | b=1 | b=64 | b=4096 | b=100000 |');
  L.push('|---|---|---:|---:|---:|---:|');
  for (const id of ids) {
    const r = res.workloads[id];
    for (const [name, key, cpu] of [['onnxruntime-web in Chromium', 'chromium-lp/chromium-ort'], ['our native build', 'chromium-lp/native'],
      ['our native build, per CPU second', 'chromium-lp/native', true], [`localpredict in ${nodeName}`, 'chromium-lp/localpredict.wasm']])
      if (B.some((b) => r.interleaved.batches[b]?.ratio_spread?.[key])) L.push(`| ${id} | ${name} | ${B.map((b) => cell(r, b, key, cpu)).join(' | ')} |`);
    if (B.some((b) => r.interleaved.batches[b]?.ratio_spread?.['chromium-ort/ort-web']))
      L.push(`| ${id} | (onnxruntime-web in Chromium over onnxruntime-web in ${nodeName}) | ${B.map((b) => cell(r, b, 'chromium-ort/ort-web')).join(' | ')} |`);
  }
  return L;
}

function makeTable(res) {
  const k = (v) => (v == null ? 'n/a' : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${Math.round(v / 1e3)}k` : String(Math.round(v)));
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : 'n/a');
  const bs = (x, b) => x?.batches?.[b]?.rows_per_s_median;
  const ms = (v) => (v == null ? 'n/a' : `${Math.round(v)}`);
  const L = [];
  const m = res.machine;
  // Rows/s: the medians of the interleaved rounds (results.json's
  // workloads.*.interleaved); a results.json from before them has each
  // engine's own median under workloads.*.<engine>.batches.
  const key = { lp_wasm: 'localpredict.wasm', lp_relaxed: 'localpredict-relaxed.wasm', lp_native: 'native', ort_web: 'ort-web', ort_node: 'ort-node', xgboost: 'xgboost' };
  const rate = (r, eng, b) => (r.interleaved ? r.interleaved.batches[b]?.rows_per_s?.[key[eng]] : bs(r[eng], b));
  const cpuWall = (r, eng, b) => {
    if (!r.interleaved) return r[eng]?.batches?.[b]?.cpu_per_wall_median ?? '';
    const x = r.interleaved.batches[b];
    return x?.rows_per_cpu_s?.[key[eng]] ? (x.rows_per_s[key[eng]] / x.rows_per_cpu_s[key[eng]]).toFixed(2) : '';
  };
  const s = res.settings;
  const interleaved = s.method === 'interleaved';
  L.push(`Machine: ${m.cpu}, ${m.cores} cores (shared, noisy: compare ratios), Node ${m.node}, ${m.date.slice(0, 10)}; ` +
    `load average at start ${m.loadavg_at_start.join(' / ')}.  ` +
    (interleaved
      ? `Rows/s, single thread unless said: interleaved rounds (tests/bench/trees_vs_ort.mjs, mlp_vs_ort.mjs): per round and batch size every engine ` +
        `runs calls for >= ${s.min_time_s} s (${s.min_time_batch1_s} s at b=1) in ${s.slices_below_100000 ?? 1} slices alternating between the engines ` +
        `(one slice at b=100000), the order reversed every other round, after a warm-up ${s.warmup ?? 'of 0.2 s'}; ` +
        `each cell is the median of ${s.rounds} rounds${s.rounds_batch100000 && s.rounds_batch100000 < s.rounds ? ` (${s.rounds_batch100000} at b=100000, spread over the run)` : ''}. `
      : `Rows/s, single thread unless said, median of ${s.reps} reps of >= 0.3 s, each engine in its own process one after another. `) +
    'cpu/wall below 1 means the process waited for a core (other jobs on the machine): that cell is pessimistic.');
  L.push('');
  L.push('| workload | engine | b=1 | b=64 | b=4096 | b=100000 | cpu/wall at b=4096 | load ms cold / warm | max abs diff vs the reference (xgboost; torch for W3) |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [id, r] of Object.entries(res.workloads)) {
    const rows = [
      ['localpredict WASM SIMD (JS API)', 'lp_wasm'],
      ['localpredict WASM relaxed SIMD (JS API; the CLI\'s engine)', 'lp_relaxed'],
      ['localpredict native -O3 -march=native', 'lp_native'],
      ['onnxruntime-web (wasm SIMD, Node)', 'ort_web'],
      ['onnxruntime-node', 'ort_node'],
      ['xgboost inplace_predict', 'xgboost'],
    ];
    for (const [name, eng] of rows) {
      // The relaxed build has rates only (its load and accuracy are the plain build's, the same bytes out).
      const x = eng === 'lp_relaxed' ? (rate(r, eng, 4096) ? {} : null) : r[eng];
      if (!x) { if (eng !== 'lp_relaxed') L.push(`| ${id} | ${name} | n/a | n/a | n/a | n/a | | | |`); continue; }
      L.push(`| ${id} | ${name} | ${[1, 64, 4096, 100000].map((b) => k(rate(r, eng, b))).join(' | ')} | ` +
        `${cpuWall(r, eng, 4096)} | ` +
        `${ms(x.load_ms_cold)} / ${ms(x.load_ms_warm_median)} | ${x.check ? x.check.max_abs_diff_vs_expected.toExponential(1) : ''} |`);
    }
  }
  L.push('');
  L.push('The native rows are the reference for our own code: the same C at -O3 -march=native (its dense ' +
    'layers use src/kernels/gemm_vec.c, the WASM build gemm_simd128.c: the same blocking, 4×8, and 1×32 / 2×16 for the last 1-3 rows).');
  L.push('');
  // A ratio cell: the median of the per-round ratios, with their min-max.
  const ratioCell = (r, eng, b, ours = 'lp_wasm') => {
    if (!r.interleaved) return ratio(bs(r.lp_wasm, b), bs(r[eng], b));
    const x = r.interleaved.batches[b]?.ratio_spread?.[`${key[ours]}/${key[eng]}`];
    return x ? `${x.median.toFixed(2)}× (${x.min.toFixed(2)}–${x.max.toFixed(2)})` : 'n/a';
  };
  L.push(interleaved
    ? `Ratios (localpredict WASM SIMD, 1 thread, over each other engine): the median of the ${s.rounds} per-round ratios` +
      `${s.rounds_batch100000 && s.rounds_batch100000 < s.rounds ? ` (${s.rounds_batch100000} at b=100000)` : ''} (min–max over the rounds); ` +
      'each round times both engines in the same window (alternating slices), so a load change hits both sides.'
    : 'Ratios (localpredict WASM SIMD, 1 thread), of medians taken in separate processes one after another:');
  L.push('');
  L.push('| workload | vs ORT-web b=1 | b=64 | b=4096 | b=100000 | vs ORT-node b=4096 | vs xgboost b=4096 | vs our native b=4096 | load cold vs ORT-web cold |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [id, r] of Object.entries(res.workloads)) {
    for (const [ours, label] of [['lp_wasm', id], ['lp_relaxed', `${id}, relaxed SIMD`]]) {
      if (ours === 'lp_relaxed' && !rate(r, ours, 4096)) continue;
      L.push(`| ${label} | ${[1, 64, 4096, 100000].map((b) => ratioCell(r, 'ort_web', b, ours)).join(' | ')} | ` +
        `${ratioCell(r, 'ort_node', 4096, ours)} | ${r.xgboost ? ratioCell(r, 'xgboost', 4096, ours) : 'n/a'} | ` +
        `${ratioCell(r, 'lp_native', 4096, ours)} | ` +
        `${ours === 'lp_wasm' ? `${r.lp_wasm.load_ms_cold.toFixed(0)} vs ${r.ort_web.load_ms_cold.toFixed(0)} ms` : ''} |`);
    }
  }
  if (res.chromium?.version) L.push('', ...chromiumTable(res, k));
  const h = res.workloads.W1?.lp_wasm?.handoff;
  if (h) {
    L.push('');
    L.push(`Model handoff to a second engine instance (W1, the compact blob): serialise ${h.serialize_ms} ms, ` +
      `blob ${(h.blob_bytes / 1e6).toFixed(2)} MB, load from blob ${h.blob_load_ms_median} ms (ORT-web warm session: ` +
      `${res.workloads.W1.ort_web.load_ms_warm_median.toFixed(0)} ms); instantiating the engine ${h.instantiate_ms} ms; ` +
      `JSON load inside the engine ${h.json_load_ms_engine_only} ms.`);
  }
  if (res.end_to_end) {
    const e = res.end_to_end;
    L.push('');
    L.push(`End to end, CSV file -> predictions CSV, W1 (${e.mb} MB, ${e.rows} rows), wall time incl. process start and model load` +
      (e.reps ? ` (our rows: median of ${e.reps} interleaved runs; the pipeline: one run):` : ':'));
    L.push('');
    L.push('| pipeline | seconds | MB/s | vs papaparse + ORT-web |');
    L.push('|---|---:|---:|---:|');
    for (const [name, x] of [['localpredict CLI (node wasm/cli.mjs, WASM SIMD, --jobs 1)', e.lp_wasm_cli],
      [`localpredict CLI (WASM SIMD, --jobs ${e.lp_wasm_cli_all.jobs}: the worker pool)`, e.lp_wasm_cli_all],
      ['localpredict native CLI (--jobs 1)', e.lp_native_cli],
      [`localpredict native CLI (--jobs ${e.lp_native_cli_all.jobs})`, e.lp_native_cli_all],
      ['papaparse + onnxruntime-web (pipeline_ort.mjs)', e.pipeline_ort]])
      L.push(`| ${name} | ${x.seconds} | ${x.MBps} | ${(e.pipeline_ort.seconds / x.seconds).toFixed(1)}× |`);
  }
  if (res.end_to_end_browser) {
    const b = res.end_to_end_browser;
    L.push('');
    L.push(`End to end in headless Chromium ${b.chromium}: predictCsv(File of w1.csv, chosen in a file input) -> output Blob on the page's worker pool, ` +
      `${b.engine_build ? `on the ${b.engine_build === 'relaxed' ? 'relaxed-SIMD' : 'plain SIMD'} engine (as the web page), ` : ''}` +
      `incl. loadModel (median of ${b.reps}, interleaved with pipeline_ort.mjs: ${b.pipeline_ort.seconds_median} s; ` +
      `load average ${b.loadavg_at_start.join(' / ')}):`);
    L.push('');
    L.push('| page | seconds | MB/s | vs papaparse + ORT-web |');
    L.push('|---|---:|---:|---:|');
    for (const [k, x] of Object.entries(b)) {
      if (k.startsWith('lp_chromium_jobs_')) L.push(`| predictCsv, jobs ${x.jobs}${x.warm ? ' (workers started by loadModel({ jobs }))' : ''} | ${x.seconds_median} | ${x.MBps} | ${x.vs_pipeline_ort}× |`);
    }
    if (b.pool_speedup) L.push(`\nEnd-to-end speedup of the pool in Chromium (incl. loadModel, which one core does, and the workers' start): ${b.pool_speedup}×${b.pool_speedup_warm ? ` (${b.pool_speedup_warm}× with the workers started by loadModel)` : ''}.`);
    if (b.pool_alone?.file) {
      const p = b.pool_alone;
      const pair = (x) => `${x.median_ms[1]} ms vs ${x.median_ms[p.jobs]} ms, speedup ${x.speedup}×`;
      L.push(`\nThe worker pool alone in Chromium (as in Node below): predictCsv with the model loaded and the workers ` +
        `started, jobs 1 and ${p.jobs} alternated, median of ${p.runs}: the File ${pair(p.file)}; its bytes in memory ` +
        `(a Uint8Array) ${pair(p.bytes)}.`);
    }
  }
  if (res.pool_loaded) {
    const p = res.pool_loaded;
    L.push('');
    L.push(`The worker pool alone (Node, tests/bench/pool-speedup.mjs): predictCsv of w1.csv in memory with the model ` +
      `loaded and the workers started, jobs 1 and ${p.jobs} alternated, median of ${p.runs}: ${p.median_ms[1]} ms vs ` +
      `${p.median_ms[p.jobs]} ms, speedup ${p.speedup}× (the end-to-end rows above also pay process start and the ` +
      `model load, which one core does); load average ${p.loadavg_at_start.join(' / ')}.`);
  }
  if (res.load_interleaved) {
    const l = res.load_interleaved;
    L.push('');
    L.push(`Model load, fresh process per rep, interleaved (median of ${l.reps}; load average ${l.loadavg_at_start.join(' / ')}): ` +
      `localpredict loadModel(W1 JSON) cold ${l.localpredict.cold_ms_median} ms / warm ${l.localpredict.warm_ms_median} ms; ` +
      `ORT-web session create (W1 ONNX) cold ${l.ort_web.cold_ms_median} ms / warm ${l.ort_web.warm_ms_median} ms ` +
      `(ours ${l.ratio_cold}× faster cold, ${l.ratio_warm}× warm).`);
  }
  if (res.streaming) {
    const st = res.streaming;
    L.push('');
    L.push(`Streaming ${(st.input.bytes / 1e9).toFixed(2)} GB (${st.input.rows} rows, W1's CSV repeated) to predictions, ` +
      'peak RSS of the whole process (target: under 256 MB): ' +
      Object.entries(st.runs).map(([name, x]) => `${name} --jobs ${x.jobs}: ${x.peak_rss_mb} MB, ${x.seconds} s (${x.MBps} MB/s)`).join('; ') + '.');
  }
  if (res.peak_rss_mb) {
    L.push('');
    L.push(`Peak RSS, W1 load + one 100000-row batch (includes the 40 MB input): localpredict ` +
      `${res.peak_rss_mb.lp_wasm.before_load} -> ${res.peak_rss_mb.lp_wasm.peak} MB, ORT-web ` +
      `${res.peak_rss_mb.ort_web.before_load} -> ${res.peak_rss_mb.ort_web.peak} MB.`);
  }
  L.push('');
  if (res.csv_parse) {
    const a = res.csv_parse.anchors.methods;
    const ours = res.csv_parse.lp.parse_only?.simd ?? res.csv_parse.lp.parse_only?.scalar;
    L.push(`CSV parsing (w1.csv into float32 columns, WASM): localpredict ${ours ? ours.mb_per_s : 'n/a'} MB/s ` +
      `(${ours ? ours.ratio_to_js_scanner : 'n/a'}× the hand-written JS scanner in the same run); ` +
      `papaparse ${a.papaparse_dyn_false.MBps_median} MB/s untyped, ${a.papaparse_dyn_true.MBps_median} MB/s typed; ` +
      `hand-written JS scanner ${a.scan_charcodes.MBps_median} MB/s.`);
  } else {
    L.push('CSV parsing: skipped (tests/bench/csv_parse.mjs, from the CSV reader work, is not in this tree).');
  }
  if (res.text) L.push('', res.text.row);   // written by bench_text.mjs
  const d = res.download;
  L.push('');
  L.push('What a page downloads (gzip -9):');
  L.push('');
  L.push('| | raw bytes | gzip bytes |');
  L.push('|---|---:|---:|');
  L.push(`| localpredict (SIMD .wasm + JS shim) | ${d.lp.raw} | ${d.lp.gzip} |`);
  L.push(`| localpredict scalar .wasm (fallback) | ${d.lp_scalar_wasm.raw} | ${d.lp_scalar_wasm.gzip} |`);
  L.push(`| onnxruntime-web (ort-wasm-simd-threaded.wasm + ort.wasm.bundle.min.mjs) | ${d.ort_web.raw} | ${d.ort_web.gzip} |`);
  L.push(`| ratio | ${(d.ort_web.raw / d.lp.raw).toFixed(0)}× smaller | ${(d.ort_web.gzip / d.lp.gzip).toFixed(0)}× smaller |`);
  return L.join('\n') + '\n';
}

