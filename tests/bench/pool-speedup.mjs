/* pool-speedup.mjs — predictCsv wall time with jobs=1 and jobs=N, run back to back
 * several times (the machine may be shared: alternate, take medians, show CPU time).
 *
 *     node tests/bench/pool-speedup.mjs MODEL CSV [--jobs N] [--runs R] [--json]
 *
 * The CSV is read into memory first, so disk speed is not measured.  Output is
 * checked to be byte-identical between the two settings.  Besides wall time it
 * prints the process's CPU time (all threads) and how long the calling thread was
 * busy (event-loop utilisation): on a machine whose cores other work is using,
 * wall time cannot show a speedup, but these show the pool's overhead.
 * --json: the medians as one JSON object on stdout (make bench reads it).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createHash } from 'node:crypto';
import { loadModel } from '../../wasm/node.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : dflt;
};
const json = args.includes('--json');
if (json) args.splice(args.indexOf('--json'), 1);
const say = json ? console.error : console.log;   // with --json, stdout holds only the JSON
const loadavg = os.loadavg().map((x) => +x.toFixed(2));
const jobs = opt('--jobs', 2);
const runs = opt('--runs', 3);
const [modelPath, csvPath] = args;
if (!modelPath || !csvPath) {
  console.error('usage: node tests/bench/pool-speedup.mjs MODEL CSV [--jobs N] [--runs R]');
  process.exit(1);
}

const t0 = performance.now();
const model = await loadModel(readFileSync(modelPath));
const loadMs = performance.now() - t0;
const input = readFileSync(csvPath);

async function once(j) {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const start = performance.now();
  const reader = model.predictCsv(input, { jobs: j }).getReader();
  const hash = createHash('sha256');
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, mainMs: elu.active, sha: hash.digest('hex') };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const times = { 1: [], [jobs]: [] };
let sha = null;
await once(jobs); // the first pooled run starts the workers; later runs reuse them
for (let r = 0; r < runs; r++) {
  for (const j of [1, jobs]) {
    const res = await once(j);
    if (sha && res.sha !== sha) throw new Error(`jobs=${j}: output differs`);
    sha = res.sha;
    times[j].push(res.ms);
    say(`run ${r + 1} jobs=${j}: ${res.ms.toFixed(0)} ms wall, ${res.cpuMs.toFixed(0)} ms CPU ` +
      `(all threads), calling thread busy ${res.mainMs.toFixed(0)} ms`);
  }
}
const m1 = median(times[1]);
const mN = median(times[jobs]);
say(`model load ${loadMs.toFixed(0)} ms; input ${(input.length / 1e6).toFixed(1)} MB`);
say(`median jobs=1 ${m1.toFixed(0)} ms (${(input.length / 1e3 / m1).toFixed(1)} MB/s), ` +
  `jobs=${jobs} ${mN.toFixed(0)} ms (${(input.length / 1e3 / mN).toFixed(1)} MB/s): speedup ${(m1 / mN).toFixed(2)}x`);
if (json) {
  console.log(JSON.stringify({ jobs, runs, loadavg_at_start: loadavg, load_ms: +loadMs.toFixed(1),
    median_ms: { 1: +m1.toFixed(0), [jobs]: +mN.toFixed(0) }, speedup: +(m1 / mN).toFixed(2) }));
}
model.dispose();
