/* pool-ab.mjs — the pool's speedup (predictCsv, jobs 1 against jobs N) of two or more
 * builds, or tunings, interleaved run by run in one process (issue 6: >= 1.8x on 2 cores).
 *
 *     node tests/bench/pool-ab.mjs MODEL CSV [--build LABEL=ROOT]... [--tune LABEL=JSON]...
 *          [--jobs 2] [--rounds 8] [--json]
 *
 * --build: another checkout's root (its wasm/node.mjs and wasm/build), e.g. main's build;
 * this tree is always the first, labelled "this".  --tune: this tree again with
 * poolTuning (wasm/parallel-csv.mjs) fields overridden, e.g. '{"sliceBytes":2097152}', with
 * a model (so a worker pool, and its buffers) of its own.
 * Each round runs every setting's jobs=1 and jobs=N back to back, in an order reversed
 * every other round; a speedup is taken per round (jobs=1 wall / jobs=N wall of the same
 * setting, seconds apart), and the table shows its median and range over the rounds.
 *
 * On a machine shared with other work, wall time says little about two threads, so each
 * run also records, from Linux's /proc (per thread, all of this process's threads):
 *   cpu    CPU time of every thread (the pool's overhead is cpu(jobs=N) - cpu(jobs=1));
 *   main   CPU time of the calling thread (splitting, copies, posts, output);
 *   queued time this process's threads were ready to run but waited for a core
 *          (schedstat): near 0 on an idle machine; with N busy workers on N cores it
 *          shows the others' load and the calling thread's competition.
 * --spin adds the machine's own ceiling to every round: a pure arithmetic loop (no memory,
 * no messages) on one worker, then on `jobs` workers at once, each doing the same work;
 * its "speedup" is jobs x one worker's time / the slowest of jobs workers' time, i.e. how
 * many cores the machine gave this process just then (2.00 on an idle 2-core machine).
 * The CSV is read into memory first; outputs are checked to be the same bytes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const argv = process.argv.slice(2);
const builds = [['this', root]];
const tunes = [];
let jobs = 2;
let rounds = 8;
let json = false;
let spin = false;
const files = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--build') {
    const [label, dir] = argv[++i].split('=');
    builds.push([label, path.resolve(dir)]);
  } else if (a === '--tune') {
    const s = argv[++i];
    const eq = s.indexOf('=');
    tunes.push([s.slice(0, eq), JSON.parse(s.slice(eq + 1))]);
  } else if (a === '--jobs') jobs = +argv[++i];
  else if (a === '--rounds') rounds = +argv[++i];
  else if (a === '--json') json = true;
  else if (a === '--spin') spin = true;
  else files.push(a);
}
const [modelPath, csvPath] = files;
if (!modelPath || !csvPath) {
  console.error('usage: node tests/bench/pool-ab.mjs MODEL CSV [--build LABEL=ROOT]... [--tune LABEL=JSON]... [--jobs N] [--rounds R] [--json]');
  process.exit(1);
}
const say = json ? console.error : console.log;

/** Per thread of this process: [cpu ns, queued ns, wake-ups, preemptions], by thread id
 * (schedstat; status: voluntary and nonvoluntary context switches). */
function threadTimes() {
  const out = new Map();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const status = fs.readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
      const num = (k) => +status.match(new RegExp(`^${k}:\\s*(\\d+)`, 'm'))[1];
      out.set(tid, [run, wait, num('voluntary_ctxt_switches'), num('nonvoluntary_ctxt_switches')]);
    } catch { /* the thread ended */ }
  }
  return out;
}
function sinceThen(before, after) {
  const sum = [0, 0, 0, 0];
  const main = [0, 0, 0, 0];
  for (const [tid, now] of after) {
    const then = before.get(tid) ?? [0, 0, 0, 0];
    for (let k = 0; k < 4; k++) {
      sum[k] += now[k] - then[k];
      if (tid === String(process.pid)) main[k] = now[k] - then[k];
    }
  }
  return { cpu: sum[0] / 1e6, queued: sum[1] / 1e6, main: main[0] / 1e6, mainWakes: main[2], preempted: sum[3] - main[3] };
}

const modelBytes = fs.readFileSync(modelPath);
const input = fs.readFileSync(csvPath);
const settings = [];
for (const [label, dir] of builds) {
  const api = await import(pathToFileURL(path.join(dir, 'wasm/node.mjs')).href);
  const pcsv = await import(pathToFileURL(path.join(dir, 'wasm/parallel-csv.mjs')).href);
  const { poolTrace } = await import(pathToFileURL(path.join(dir, 'wasm/pool.mjs')).href);
  const model = await api.loadModel(modelBytes);
  settings.push({ label, model, tuning: pcsv.poolTuning, override: null, poolTrace });
  // A model (and so a worker pool, with its buffers) of its own per tuning.
  if (label === 'this') for (const [tl, o] of tunes) settings.push({ label: tl, model: await api.loadModel(modelBytes), tuning: pcsv.poolTuning, override: o, poolTrace });
}

async function once(s, j) {
  const saved = { ...s.tuning };
  if (s.override && j > 1) Object.assign(s.tuning, s.override);
  try {
    const t0 = threadTimes();
    if (j > 1) s.poolTrace.events = [];
    const start = performance.now();
    const reader = s.model.predictCsv(input, { jobs: j }).getReader();
    const hash = createHash('sha256');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      hash.update(value);
    }
    const ms = performance.now() - start;
    const times = sinceThen(t0, threadTimes());
    const events = s.poolTrace.events;
    s.poolTrace.events = null;
    return { ms, ...times, ...(events && workerIdle(events, start + performance.timeOrigin)), sha: hash.digest('hex') };
  } finally {
    Object.assign(s.tuning, saved);
  }
}

/** --spin: one pure arithmetic loop on each of n new workers at once; ms until all are done.
 * The workers listen (on, not once) until terminated: a worker with nothing left to do
 * ends, and its thread's CPU time leaves /proc with it. */
const SPIN = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => { let x = 0; for (let i = 0; i < n; i++) x = (x + i * 7) % 1000003; parentPort.postMessage(x); });`;
async function spinOnce(n, iterations) {
  const { Worker } = await import('node:worker_threads');
  const workers = Array.from({ length: n }, () => new Worker(SPIN, { eval: true }));
  await new Promise((r) => setTimeout(r, 50)); // started
  const t0 = threadTimes();
  const start = performance.now();
  await Promise.all(workers.map((w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(iterations); })));
  const ms = performance.now() - start;
  const times = sinceThen(t0, threadTimes());
  await Promise.all(workers.map((w) => w.terminate()));
  return { ms, ...times, sha: null };
}

/** From a run's pool trace (wasm/pool.mjs poolTrace): the workers' time without a slice
 * between the run's start and its last slice's end, in all (idle), and the part of it
 * after one worker's last slice while another still predicts (tail). */
function workerIdle(events, start) {
  const byWorker = new Map();
  for (const e of events) {
    if (e.name !== 'slice') continue;
    const w = byWorker.get(e.worker) ?? { busy: 0, last: 0 };
    w.busy += e.end - e.start;
    w.last = Math.max(w.last, e.end);
    byWorker.set(e.worker, w);
  }
  const end = Math.max(...[...byWorker.values()].map((w) => w.last));
  let idle = 0;
  let tail = 0;
  for (const w of byWorker.values()) {
    idle += end - start - w.busy;
    tail += end - w.last;
  }
  return { idle, tail };
}

const median = (v) => { const a = [...v].sort((x, y) => x - y); const n = a.length; return n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2; };
const loads = [os.loadavg()[0]];
let sha = null;
for (const s of settings) {
  s.runs = { 1: [], [jobs]: [] };
  await once(s, jobs); // starts the workers (later runs reuse them) and warms up
}
if (spin) {
  // As long as one jobs=1 prediction, roughly.
  const t = performance.now();
  await spinOnce(1, 1e8);
  const per = (performance.now() - t) / 1e8;
  const iterations = Math.round(Math.min(1e9, 1000 / per));
  settings.push({ label: 'spin', spin: iterations, runs: { 1: [], [jobs]: [] } });
}
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? [...settings].reverse() : settings;
  for (const s of order) {
    for (const j of r % 2 ? [jobs, 1] : [1, jobs]) {
      const res = s.spin ? await spinOnce(j, s.spin) : await once(s, j);
      if (s.spin) {
        if (j > 1) res.ms /= j; // j times the work: its wall column is per worker's share
        s.runs[j].push(res);
        continue;
      }
      if (sha && res.sha !== sha) throw new Error(`${s.label} jobs=${j}: the output differs`);
      sha = res.sha;
      s.runs[j].push(res);
    }
  }
  loads.push(os.loadavg()[0]);
  say(`round ${r + 1}: ` + settings.map((s) => `${s.label} ${(s.runs[1].at(-1).ms / s.runs[jobs].at(-1).ms).toFixed(2)}x`).join(', ') +
    ` (load ${os.loadavg()[0].toFixed(2)})`);
}

const f0 = (x) => x.toFixed(0);
const summary = {};
say(`\n${(input.length / 1e6).toFixed(1)} MB, ${rounds} rounds, load average ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}`);
say('setting       speedup (range)      wall j1 / jN ms   cpu j1 / jN ms   main jN ms  queued j1 / jN ms  main wakes, workers preempted, idle, tail jN');
for (const s of settings) {
  const sp = s.runs[1].map((a, i) => a.ms / s.runs[jobs][i].ms);
  const m = (j, k) => median(s.runs[j].map((x) => x[k]));
  summary[s.label] = {
    speedup: +median(sp).toFixed(3), speedup_min: +Math.min(...sp).toFixed(3), speedup_max: +Math.max(...sp).toFixed(3),
    wall_ms: { 1: m(1, 'ms'), [jobs]: m(jobs, 'ms') }, cpu_ms: { 1: m(1, 'cpu'), [jobs]: m(jobs, 'cpu') },
    main_ms: m(jobs, 'main'), queued_ms: { 1: m(1, 'queued'), [jobs]: m(jobs, 'queued') },
    main_wakes: m(jobs, 'mainWakes'), workers_preempted: m(jobs, 'preempted'),
    ...(s.spin ? {} : { workers_idle_ms: m(jobs, 'idle'), workers_tail_ms: m(jobs, 'tail') }),
  };
  say(`${s.label.padEnd(12)}  ${median(sp).toFixed(2)}x (${Math.min(...sp).toFixed(2)}-${Math.max(...sp).toFixed(2)})` +
    `   ${f0(m(1, 'ms')).padStart(5)} / ${f0(m(jobs, 'ms')).padStart(5)}    ${f0(m(1, 'cpu')).padStart(5)} / ${f0(m(jobs, 'cpu')).padStart(5)}` +
    `    ${f0(m(jobs, 'main')).padStart(5)}      ${f0(m(1, 'queued')).padStart(4)} / ${f0(m(jobs, 'queued')).padStart(4)}` +
    `       ${f0(m(jobs, 'mainWakes')).padStart(4)}, ${f0(m(jobs, 'preempted')).padStart(4)}` +
    (s.spin ? '' : `, ${f0(m(jobs, 'idle')).padStart(4)}, ${f0(m(jobs, 'tail')).padStart(3)}`));
}
if (json) console.log(JSON.stringify({ jobs, rounds, loadavg: [Math.min(...loads), Math.max(...loads)], settings: summary }));
for (const s of settings) s.model?.dispose();
