/* rate.mjs — the timing loop the interleaved benches (trees_vs_ort.mjs,
 * mlp_vs_ort.mjs) share. */
import { performance } from 'node:perf_hooks';

/**
 * Runs fn (one call of `bs` rows) until minT ms have passed; rows per
 * wall-clock second and rows per second of this process's CPU time (on a
 * loaded machine the latter is the steadier, as time spent descheduled is
 * left out); also the rows, milliseconds and CPU milliseconds behind them.
 */
export async function rate(fn, bs, minT) {
  let calls = 0, el = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (calls < 1 || el < minT) { await fn(); calls++; el = performance.now() - t0; }
  const cu = process.cpuUsage(c0);
  const cpuMs = (cu.user + cu.system) / 1000;
  return { wall: (calls * bs) / (el / 1000), cpu: (calls * bs) / (cpuMs / 1000), rows: calls * bs, ms: el, cpuMs };
}
