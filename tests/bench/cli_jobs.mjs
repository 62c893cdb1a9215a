#!/usr/bin/env node
// The CLI's worker-pool scaling end to end (issue 6: >= 1.8x on 2 cores):
// `localpredict predict W1 w1.csv --jobs 1` and `--jobs N` run alternately,
// `reps` times each, as whole processes (start, model load, prediction,
// output) under /usr/bin/time.  Reports per setting the median wall time,
// the median CPU time (user + sys: on a shared machine a slow wall time with
// the same CPU time is the machine, not us), the peak RSS and the load average
// seen before each run; then the ratio of the medians.  --cli adds another
// build's cli.mjs (e.g. an older checkout) to the rotation, labelled by path.
// Prints one JSON object; the outputs are checked to be the same bytes.
//
//   node tests/bench/cli_jobs.mjs [--work build/bench/anchors/work] [--jobs 2] [--reps 5] [--cli other/wasm/cli.mjs]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { work: path.join(root, 'build/bench/anchors/work'), jobs: '2', reps: '5', cli: null };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const model = path.join(args.work, 'w1_gbdt.json');
const input = path.join(args.work, 'w1.csv');
const outDir = path.join(root, 'build/bench');
fs.mkdirSync(outDir, { recursive: true });

const clis = [['this', path.join(root, 'wasm/cli.mjs')]];
if (args.cli) clis.push([args.cli, path.resolve(args.cli)]);
const settings = [];
for (const [label, cli] of clis) for (const jobs of ['1', args.jobs]) settings.push({ label: `${label} --jobs ${jobs}`, cli, jobs, runs: [] });

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

let reference = null;
for (let rep = 0; rep < +args.reps; rep++) {
  for (const s of settings) {
    const out = path.join(outDir, 'cli_jobs.out.csv');
    const load = os.loadavg()[0];
    const r = spawnSync('/usr/bin/time', ['-f', 'LP_TIME %e %U %S %M', process.execPath, s.cli, 'predict', model, input,
      '--jobs', s.jobs, '--quiet', '-o', out], { encoding: 'utf8' });
    const m = /LP_TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr || '');
    if (r.status !== 0 || !m) throw new Error(`${s.label} failed (${r.status}): ${(r.stderr || '').slice(-2000)}`);
    const bytes = fs.readFileSync(out);
    fs.rmSync(out);
    if (!reference) reference = bytes;
    else if (!bytes.equals(reference)) throw new Error(`${s.label}: the output differs from the first run's`);
    s.runs.push({ wall: +m[1], cpu: +(+m[2] + +m[3]).toFixed(2), rss_mb: +(+m[4] / 1024).toFixed(1), load1: +load.toFixed(2) });
    console.error(`== ${s.label}: ${m[1]} s wall, ${(+m[2] + +m[3]).toFixed(2)} s cpu, load ${load.toFixed(2)}`);
  }
}
const res = { model: 'w1_gbdt.json', input: 'w1.csv', cores: os.cpus().length, reps: +args.reps, settings: {} };
for (const s of settings) {
  res.settings[s.label] = {
    wall_median_s: median(s.runs.map((r) => r.wall)),
    cpu_median_s: median(s.runs.map((r) => r.cpu)),
    rss_max_mb: Math.max(...s.runs.map((r) => r.rss_mb)),
    load1: s.runs.map((r) => r.load1),
  };
}
res.speedup = {};
for (const [label] of clis) {
  const one = res.settings[`${label} --jobs 1`];
  const many = res.settings[`${label} --jobs ${args.jobs}`];
  res.speedup[label] = +(one.wall_median_s / many.wall_median_s).toFixed(2);
}
console.log(JSON.stringify(res, null, 1));
