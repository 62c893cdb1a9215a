/* interleave.mjs — what the interleaved benchmarks (trees_vs_ort.mjs,
 * mlp_vs_ort.mjs, and through them `make bench`) share: engines behind one
 * measure(batch, minMs) call, the rounds, and the per-round ratios.
 *
 * On a shared machine the speed of every engine moves with the load, so
 * numbers taken minutes apart give ratios that move by 2x.  Here, per round,
 * every engine runs its calls for one batch size back to back (the order
 * reversed every other round, so that neither side is always first), a ratio
 * is taken per round, and the median of those ratios is reported with their
 * min and max: a load change hits both sides of a ratio or only one round.
 * Where calls are short, a round's time per engine is cut into slices that
 * alternate between the engines (A B C A B C ...), so that both sides of a
 * ratio sample the same second or two rather than neighbouring ones. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { rate } from './rate.mjs';

export const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

/** An engine in this process: run(offset, rows) makes one call (may return a promise). */
export function inProcessEngine(name, run, inputRows) {
  let off = 0;
  const next = (bs) => { const o = off % (inputRows - bs + 1); off = o + bs; return o; };
  return { name, run, measure: (bs, minMs) => rate(() => run(next(bs), bs), bs, minMs), close() {} };
}

/**
 * An engine in a child process that speaks the serve protocol of
 * `bench_native MODEL X F serve` and xgb_serve.py: it prints {"ready": true}
 * once loaded, then answers each "BATCH MIN_MS" line with {"wall", "cpu"}.
 * While it runs, this process waits, so the two do not compete for a core.
 */
export async function childEngine(name, cmd, args, env = {}) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  let failed = null;
  lines.on('line', (l) => waiting.shift()?.resolve(l));
  child.on('exit', (code) => {
    failed = new Error(`${name} (${path.basename(cmd)}) exited with ${code}`);
    while (waiting.length) waiting.shift().reject(failed);
  });
  const reply = () => new Promise((resolve, reject) => (failed ? reject(failed) : waiting.push({ resolve, reject })));
  const hello = JSON.parse(await reply());
  if (!hello.ready) throw new Error(`${name}: unexpected first line ${JSON.stringify(hello)}`);
  return {
    name,
    async measure(bs, minMs) {
      const r = reply();
      child.stdin.write(`${bs} ${minMs}\n`);
      const j = JSON.parse(await r);
      if (j.error) throw new Error(`${name}: ${j.error}`);
      const rows = j.calls * bs;
      return { wall: j.wall, cpu: j.cpu, rows, ms: (rows / j.wall) * 1000, cpuMs: (rows / j.cpu) * 1000 };
    },
    close() { child.stdin.end(); },
  };
}

/**
 * onnxruntime-web (wasm, one thread, as bench_ort.mjs sets it) and
 * onnxruntime-node (CPU, one intra-op and inter-op thread) from the anchors'
 * node_modules, each a session on `onnxBytes` timed as bench_ort.mjs times
 * it: session.run on a new Tensor of the rows, fetching the last output.
 */
export async function ortEngines(anchors, kinds, onnxBytes, X, F) {
  const engines = [];
  for (const kind of kinds) {
    let ort, opts;
    if (kind === 'ort-web') {
      ort = await import(pathToFileURL(path.join(anchors, 'node_modules/onnxruntime-web/dist/ort.node.min.mjs')).href);
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.proxy = false;
      opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
    } else {
      ort = createRequire(path.join(anchors, 'package.json'))('onnxruntime-node');
      opts = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
    }
    const sess = await ort.InferenceSession.create(onnxBytes, opts);
    const outName = sess.outputNames[sess.outputNames.length - 1];
    engines.push(inProcessEngine(kind, (off, bs) => sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', X.subarray(off * F, (off + bs) * F), [bs, F]) }, [outName]),
      X.length / F));
  }
  return engines;
}

/**
 * Warm-up until the rate stops moving.  V8 runs a wasm function first as
 * Liftoff code and recompiles it with TurboFan once it is hot, in the
 * background; onnxruntime-web's kernels start at a third of their final
 * speed and take seconds of calls to get there (a 0.2 s warm-up left its
 * batch-1 rate climbing through the rounds: per-round ratios 20x, 18x, 9x,
 * 7x, 4x).  Runs windows of windowMs until the last three windows' rows per
 * CPU second lie within tol of their median, or maxMs has passed; returns
 * the first window's rate, the steady one and how long it took.
 */
export async function warmUntilSteady(e, bs, { windowMs = 300, tol = 0.05, maxMs = 15000 } = {}) {
  const t0 = performance.now(), seen = [];
  const steady = () => { const last = seen.slice(-3), m = median(last); return last.length === 3 && last.every((v) => Math.abs(v - m) <= tol * m); };
  do seen.push((await e.measure(bs, windowMs)).cpu);
  while (!steady() && performance.now() - t0 <= maxMs);
  return {
    first_window_rows_per_cpu_s: Math.round(seen[0]), steady_rows_per_cpu_s: Math.round(median(seen.slice(-3))),
    windows: seen.length, seconds: +((performance.now() - t0) / 1000).toFixed(1), steady: steady(),
  };
}

/**
 * The rounds: a warm-up of warmMs per engine and batch size, then per round,
 * per batch size, every engine for minMs(bs) in all, in slices(bs) slices
 * that alternate between the engines (each slice at least one call, so big
 * batches, whose calls take seconds, want one slice; they may also get
 * fewer rounds, roundsOf(bs), see interleaveGroups).  Returns
 * rates[bs][engine] = [{ wall, cpu }, ...] in round order.
 */
export async function interleave(engines, batches, rounds, minMs, opts) {
  return (await interleaveGroups({ only: engines }, batches, rounds, minMs, opts)).only;
}

/**
 * interleave() for several groups of engines that are compared within a
 * group (a workload each: its model in every engine): each round goes
 * through every group, so one group's rounds are spread over the whole run
 * and sample more of the machine's moods (on this VM a neighbour's job can
 * slow one engine more than another for half a minute).  groups: { id:
 * engines }; returns { id: rates }.
 */
export async function interleaveGroups(groups, batches, rounds, minMs, { warmMs = 200, slices = () => 1, roundsOf = () => rounds } = {}) {
  // A batch size given fewer rounds (roundsOf: the big ones, whose calls take
  // seconds) runs in rounds spread evenly over the run: 0, 3, 6 of 7 for 3;
  // 0, 2, 3, 5, 6 for 5.
  const spreadRounds = (n) => new Set(Array.from({ length: n }, (_, i) => (n === 1 ? 0 : Math.round((i * (rounds - 1)) / (n - 1)))));
  const roundsOfBatch = new Map(batches.map((bs) => [bs, spreadRounds(Math.min(rounds, roundsOf(bs)))]));
  const inRound = (bs, round) => roundsOfBatch.get(bs).has(round);
  const rates = {};
  for (const [id, engines] of Object.entries(groups)) {
    rates[id] = {};
    for (const bs of batches) for (const e of engines) (rates[id][bs] ||= {})[e.name] = [];
    for (const bs of batches) for (const e of engines) await e.measure(bs, warmMs);
  }
  for (let round = 0; round < rounds; round++)
    for (const [id, engines] of Object.entries(groups)) {
      const order = round % 2 ? [...engines].reverse() : engines;
      for (const bs of batches.filter((b) => inRound(b, round))) {
        const n = slices(bs), sum = {};
        for (const e of order) sum[e.name] = { rows: 0, ms: 0, cpuMs: 0 };
        for (let i = 0; i < n; i++)
          for (const e of order) {
            const r = await e.measure(bs, minMs(bs) / n), t = sum[e.name];
            t.rows += r.rows, t.ms += r.ms, t.cpuMs += r.cpuMs;
          }
        for (const e of order) {
          const t = sum[e.name];
          rates[id][bs][e.name].push({ wall: (t.rows / t.ms) * 1000, cpu: (t.rows / t.cpuMs) * 1000 });
        }
      }
    }
  return rates;
}

/**
 * Per batch size: each engine's median rows/s (wall clock and per CPU
 * second), and for each of `ours` against each other engine (another of
 * `ours` only if given before it: `ours[1]/ours[0]`) the per-round
 * ratios with their median, min and max (ratio_spread: wall clock;
 * ratio_spread_cpu: rows per CPU second).  `ratios` holds the medians (the
 * CPU-time ones as "a/b (cpu)").
 */
export function summarize(rates, ours) {
  const out = {};
  for (const [bs, byEngine] of Object.entries(rates)) {
    const names = Object.keys(byEngine);
    const m = {}, c = {}, ratios = {}, spread = {}, spreadCpu = {};
    for (const n of names) {
      m[n] = Math.round(median(byEngine[n].map((x) => x.wall)));
      c[n] = Math.round(median(byEngine[n].map((x) => x.cpu)));
    }
    for (const a of ours)
      for (const b of names) {
        // Variants against the ones given before them (--wasm old.wasm,new.wasm: new/old).
        if (ours.includes(b) && ours.indexOf(b) >= ours.indexOf(a)) continue;
        const per = byEngine[a].map((x, i) => x.wall / byEngine[b][i].wall);
        const perCpu = byEngine[a].map((x, i) => x.cpu / byEngine[b][i].cpu);
        const r2 = (v) => +v.toFixed(2);
        const stats = (v) => ({ median: r2(median(v)), min: r2(Math.min(...v)), max: r2(Math.max(...v)), rounds: v.length, per_round: v.map(r2) });
        ratios[`${a}/${b}`] = r2(median(per));
        ratios[`${a}/${b} (cpu)`] = r2(median(perCpu));
        spread[`${a}/${b}`] = stats(per);
        spreadCpu[`${a}/${b}`] = stats(perCpu);
      }
    out[bs] = { rows_per_s: m, rows_per_cpu_s: c, ratios, ratio_spread: spread, ratio_spread_cpu: spreadCpu };
  }
  return out;
}
