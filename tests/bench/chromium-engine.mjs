/* chromium-engine.mjs — interleave.mjs engines that run in headless Chromium: one
 * browser (playwright-core, /usr/bin/chromium or LOCALPREDICT_CHROMIUM, with the flags
 * of CHROMIUM_LAUNCH, which every Chromium bench uses), one page per engine
 * (chromium-page.html, from static-server.mjs), the engine, model and rows fetched
 * once per page. measure(bs, minMs) runs the timing loop inside the page (one
 * page.evaluate; this process waits meanwhile, so the two do not compete for a core):
 * rows and wall time from the page's performance.now(); CPU time: that of the page's
 * renderer process (all its threads, from /proc, proc-cpu.mjs), taken around the
 * evaluate, so it also holds the evaluate's own cost (about 0.4 ms of renderer time
 * per call, p90 0.8 ms: 0.5 % of a 75 ms slice, against the page engines). Where there
 * is no /proc, the CPU time is the wall time. Bench only. */
import fs from 'node:fs';
import path from 'node:path';
import { descendantPids, processesCpu } from './proc-cpu.mjs';
import { serveStatic } from './static-server.mjs';

export const CHROMIUM = process.env.LOCALPREDICT_CHROMIUM || '/usr/bin/chromium';
/** playwright-core's launch options of every bench that runs headless Chromium. */
export const CHROMIUM_LAUNCH = Object.freeze({
  executablePath: CHROMIUM, headless: true, timeout: 60_000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});
const RENDERER = '--type=renderer';
const RELAXED_FILE = 'localpredict-relaxed.wasm';

/**
 * Starts the server and the browser.  root: the repository (its wasm/ is the page's
 * API); work: the workloads (/workload/); anchors: onnxruntime-web's dist files
 * (/ort/) come from its node_modules; wasm: the engine file the pages load
 * (/engine/).  Resolves { version, lp(name, { model, x, F }), ort(name, { onnx, x,
 * F }), close() }; lp and ort resolve engines { name, measure, probe(off, bs),
 * close(), build } (model, onnx and x: file names in work; build: "relaxed" or "simd",
 * the engine build the lp page runs).
 */
export async function launchChromium({ root, work, anchors, wasm }) {
  const server = await serveStatic(root, {
    workload: work, ort: path.join(anchors, 'node_modules/onnxruntime-web/dist'), engine: path.dirname(path.resolve(wasm)),
  });
  let browser;
  try {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch(CHROMIUM_LAUNCH);
  } catch (e) {
    await server.close();
    throw e;
  }

  async function pageEngine(name, load, spec) {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.origin}/tests/bench/chromium-page.html`);
    await page.waitForFunction(() => window.bench !== undefined, null, { timeout: 30_000 });
    let loaded;
    try {
      loaded = await page.evaluate(([load, spec]) => window.bench[load](spec), [load, spec]);
    } catch (e) {
      throw new Error(`${name}: ${e.message.split('\n')[0]}${errors.length ? ` (page: ${errors.join('; ')})` : ''}`);
    }
    // The page's renderer: of those that are up, the one whose CPU time grows while the
    // page spins for 200 ms (pages and renderers do not map one to one: Chromium starts
    // spare and internal ones).
    const candidates = descendantPids(RENDERER);
    const c0 = candidates.map((p) => processesCpu([p]));
    await page.evaluate(() => { const t0 = performance.now(); while (performance.now() - t0 < 200); });
    const grew = candidates.map((p, i) => (processesCpu([p]) ?? 0) - (c0[i] ?? 0));
    const pids = candidates.length ? [candidates[grew.indexOf(Math.max(...grew))]] : [];
    return {
      name, pids, build: loaded?.build,
      async measure(bs, minMs) {
        const c0 = processesCpu(pids);
        const { rows, ms } = await page.evaluate(([bs, minMs]) => window.bench.measure(bs, minMs), [bs, minMs]);
        const c1 = processesCpu(pids);
        // No CPU time read, or none that grew (the renderer found was not the page's: a
        // make bench run once read 0 for most W3 rounds): the page's clock stands in.
        const cpuKnown = c0 !== null && c1 !== null && c1 > c0;
        const cpuMs = cpuKnown ? (c1 - c0) * 1000 : ms;
        return { wall: (rows / ms) * 1000, cpu: (rows / cpuMs) * 1000, rows, ms, cpuMs, cpuKnown };
      },
      probe: (off, bs) => page.evaluate(([off, bs]) => window.bench.probe(off, bs), [off, bs]),
      close: () => page.close(),
    };
  }

  const url = (f) => `/workload/${f}`;
  return {
    version: browser.version(),
    // With the relaxed-SIMD build beside the engine file, the page gets both, as a page
    // that fetches its engine does: the API picks the relaxed one where Chromium has it.
    lp: (name, { model, x, F }) => pageEngine(name, 'loadLp', {
      wasm: `/engine/${path.basename(wasm)}`, model: url(model), x: url(x), F,
      relaxed: fs.existsSync(path.join(path.dirname(path.resolve(wasm)), RELAXED_FILE)) ? `/engine/${RELAXED_FILE}` : null,
    }),
    ort: (name, { onnx, x, F }) => pageEngine(name, 'loadOrt', { ort: '/ort/ort.wasm.min.mjs', onnx: url(onnx), x: url(x), F }),
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** launchChromium, or { skipped: why } where there is no browser (no Chromium, no
 * playwright-core): the caller's rounds then go on without the page engines. */
export async function launchOrSkip(options) {
  try {
    return { browser: await launchChromium(options) };
  } catch (e) {
    const skipped = e.message.split('\n')[0];
    console.error('--chromium: no browser, skipped:', skipped);
    return { skipped };
  }
}

/** Two calls' probabilities, bit for bit, or how far apart. */
function sameBits(x, y) {
  let maxd = 0, differ = 0;
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (!Object.is(x[i], y[i])) differ++, maxd = Math.max(maxd, Math.abs(x[i] - y[i]) || Infinity);
  return { values: x.length, identical: differ === 0 && x.length === y.length, values_differing: differ, max_abs_diff: maxd };
}

const PROBE = 4096;   // rows of the one call compared with the Node engine

/**
 * One workload's page engines: chromium-lp, and chromium-ort unless ort is false, each
 * checked on one call of PROBE rows against the same engine in Node (nodeLp(off, bs) and
 * nodeOrt(off, bs) resolve that call's probabilities as an array).  Resolves { engines,
 * check, build } (build: the engine build chromium-lp runs).
 */
export async function pageEngines(browser, { model, onnx, x, F, ort }, nodeLp, nodeOrt) {
  const lp = await browser.lp('chromium-lp', { model, x, F });
  const engines = [lp];
  const check = { rows: PROBE, 'chromium-lp vs localpredict (Node)': sameBits(await lp.probe(0, PROBE), await nodeLp(0, PROBE)) };
  if (ort) {
    const ortPage = await browser.ort('chromium-ort', { onnx, x, F });
    engines.push(ortPage);
    check['chromium-ort vs ort-web (Node)'] = sameBits(await ortPage.probe(0, PROBE), await nodeOrt(0, PROBE));
  }
  return { engines, check, build: lp.build };
}
