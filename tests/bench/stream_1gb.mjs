#!/usr/bin/env node
// Streaming: a CSV of more than 1 GB predicted with bounded memory (issue 6:
// peak under 256 MB).  Writes build/bench/stream_1gb.csv (W1's w1.csv rows
// repeated up to >= 1e9 bytes, one header), runs the CLIs on it under
// /usr/bin/time and reports each one's peak RSS (the whole process: Node, the
// engine's memory and, with --jobs, its workers) and wall time; checks that
// every input row has an output row; deletes the input and outputs afterwards.
// Prints one JSON object.
//
//   node tests/bench/stream_1gb.mjs --work build/bench/anchors/work [--jobs 2] [--bytes 1000000000]
//        [--native build/bench/native/localpredict]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { work: path.join(root, 'build/bench/anchors/work'), jobs: String(os.cpus().length), bytes: '1000000000' };
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const out = path.join(root, 'build/bench');
const big = path.join(out, 'stream_1gb.csv');
const log = (...a) => console.error('==', ...a);

/** The input: w1.csv's header once, then its rows again and again up to `bytes`. */
function writeBig(src, bytes) {
  const text = fs.readFileSync(src);
  const nl = text.indexOf(10);
  const body = text.subarray(nl + 1);
  const rowsPerBody = body.reduce((n, c) => n + (c === 10), 0);
  const fd = fs.openSync(big, 'w');
  let size = fs.writeSync(fd, text.subarray(0, nl + 1)), rows = 0;
  while (size < bytes) size += fs.writeSync(fd, body), rows += rowsPerBody;
  fs.closeSync(fd);
  return { bytes: size, rows };
}

/** Runs cmd under /usr/bin/time: { seconds, peak_rss_mb, output_rows }. */
function measure(cmd, cmdArgs, outFile) {
  log(cmd, cmdArgs.join(' '));
  const r = spawnSync('/usr/bin/time', ['-f', 'LP_TIME %M %e', cmd, ...cmdArgs], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const m = /LP_TIME (\d+) ([\d.]+)/.exec(r.stderr || '');
  if (r.status !== 0 || !m) throw new Error(`${cmd} failed (${r.status}): ${(r.stderr || '').slice(-2000)}`);
  let lines = 0;
  const fd = fs.openSync(outFile, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) for (let i = 0; i < n; i++) lines += buf[i] === 10;
  fs.closeSync(fd);
  fs.rmSync(outFile, { force: true });
  return { seconds: +m[2], peak_rss_mb: +(+m[1] / 1024).toFixed(1), output_rows: lines - 1 };
}

const model = path.join(args.work, 'w1_gbdt.json');
const res = { input: null, runs: {} };
try {
  log('writing', big);
  res.input = writeBig(path.join(args.work, 'w1.csv'), +args.bytes);
  const cli = path.join(root, 'wasm/cli.mjs');
  const o = (tag) => path.join(out, `stream_1gb_${tag}.out.csv`);
  const runs = [
    ['lp_wasm_cli', process.execPath, [cli], '1'],
    ['lp_wasm_cli_all', process.execPath, [cli], args.jobs],
  ];
  if (args.native && fs.existsSync(args.native)) runs.push(['lp_native_cli', args.native, [], '1']);
  for (const [tag, cmd, pre, jobs] of runs) {
    const r = measure(cmd, [...pre, 'predict', model, big, '--jobs', jobs, '-o', o(tag)], o(tag));
    r.jobs = +jobs;
    r.MBps = +(res.input.bytes / 1e6 / r.seconds).toFixed(1);
    if (r.output_rows !== res.input.rows) throw new Error(`${tag}: ${r.output_rows} output rows for ${res.input.rows} input rows`);
    res.runs[tag] = r;
  }
} finally {
  fs.rmSync(big, { force: true });
}
console.log(JSON.stringify(res, null, 1));
