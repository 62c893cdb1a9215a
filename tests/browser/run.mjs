/* run.mjs — the JS API in a real browser: Debian's headless Chromium, driven by
 * playwright-core, loads tests/browser/page.html from a local static server; the page
 * imports /wasm/browser.mjs, which fetches the engine from /wasm/build/ as a bundled
 * app's copy would.  Run with `make test-browser` (or `node --test tests/browser/run.mjs`
 * after `make wasm`); see README.md beside this file.
 *
 * Every test runs twice, each time in a fresh page: once with the engine the page picks
 * by itself (SIMD in Chromium) and once after setEngine({ simd: false }).
 * Expected values come from the CLI (bytes) and from xgboost (tests/fixtures, ≤ 1e-6),
 * never from the browser run itself.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, mkdtempSync, rmSync, realpathSync, readFileSync } from 'node:fs';
import { readFile, stat, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, extname, sep } from 'node:path';

import { ROOT, CLI, NATIVE, loadCases, compareCsv, compareResult, rowsAsNumberObjects,
  rowsAsTextObjects, run, hasNative } from '../js/helpers.mjs';

const CHROMIUM = process.env.LOCALPREDICT_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];
const TEST_TIMEOUT = 20_000;

const ENGINE_FILES = { simd: '/wasm/build/localpredict.wasm', scalar: '/wasm/build/localpredict-scalar.wasm',
  relaxed: '/wasm/build/localpredict-relaxed.wasm' };
const IRIS = { model: 'web/examples/iris.json', manifest: 'web/examples/iris.localpredict.json', csv: 'web/examples/iris.csv' };

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const iris = cases.iris_example;
const multiclass = cases.multiclass;

/* ---- the static server ---------------------------------------------------- */

const MIME = {
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/**
 * Serves `root` read-only (GET and HEAD; no listings, nothing outside root, symlinks
 * included) on 127.0.0.1 and an ephemeral port.  `log` records every request as
 * "METHOD /path".  Nothing is cached, so every page load really fetches.
 */
async function startServer(root) {
  const realRoot = realpathSync(root);
  const log = [];
  const server = http.createServer(async (req, res) => {
    let status = 200;
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      log.push(`${req.method} ${url.pathname}`);
      const send = (code, body, type = 'text/plain; charset=utf-8', headers = {}) => {
        status = code;
        res.writeHead(code, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff', ...headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, Buffer.from('read-only\n'), undefined, { Allow: 'GET, HEAD' });
      let rel;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        return send(400, Buffer.from('bad path\n'));
      }
      if (rel.includes('\0')) return send(400, Buffer.from('bad path\n'));
      let file;
      try {
        file = await realpath(join(realRoot, rel));
      } catch {
        return send(404, Buffer.from('not found\n'));
      }
      if (!file.startsWith(realRoot + sep) || !(await stat(file)).isFile()) return send(404, Buffer.from('not found\n'));
      const body = await readFile(file);
      return send(200, body, MIME[extname(file)] || 'application/octet-stream');
    } catch (e) {
      if (!res.headersSent) {
        status = 500;
        res.writeHead(500, { 'Content-Type': 'text/plain' });
      }
      res.end(String(e));
    } finally {
      if (status >= 400) log.push(`  -> ${status}`);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    log,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

/* ---- the browser ---------------------------------------------------------- */

async function launchChromium(userDataDir) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: the browser tests need Debian's chromium ` +
      '(scripts/install-deps.sh installs it; or apt-get install --no-install-recommends chromium)');
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is not installed (${e.message}): run scripts/install-deps.sh or npm ci`);
  }
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}

/** A fresh page of page.html, its requests and errors recorded; window.localpredict is the module. */
async function openPage(context, server, pagePath = '/tests/browser/page.html') {
  const page = await context.newPage();
  const state = { page, requests: [], problems: [], serverStart: server.log.length };
  page.on('request', (r) => state.requests.push(r.url()));
  page.on('pageerror', (e) => state.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') state.problems.push(`console.error: ${m.text()}`);
  });
  page.on('crash', () => state.problems.push('the page crashed'));
  page.on('requestfailed', (r) => state.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  const res = await page.goto(server.origin + pagePath);
  assert.equal(res.status(), 200);
  await page.waitForFunction(() => window.localpredict !== undefined, null, { timeout: 10_000 });
  return state;
}

/** The status of a request sent with its path exactly as given. */
function rawStatus(origin, method, path) {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, method, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Requests other than blob: and data: URLs. */
const networkRequests = (urls) => urls.filter((u) => !/^(blob|data):/.test(u));

/* ---- the suite ------------------------------------------------------------ */

describe('the JS API in headless Chromium', () => {
  let server;
  let context;
  let userDataDir;
  let cliBytes; // `node wasm/cli.mjs predict iris.json iris.csv`, the bytes every run must give

  before(async () => {
    const cli = await run(process.execPath, [CLI, 'predict', IRIS.model, IRIS.csv]);
    assert.equal(cli.status, 0, `the CLI failed: ${cli.stderr}`);
    cliBytes = cli.stdout;
    if (hasNative()) {
      const native = await run(NATIVE, ['predict', IRIS.model, IRIS.csv]);
      assert.equal(native.status, 0, native.stderr);
      assert.ok(native.stdout.equals(cliBytes), 'the native CLI and the JS CLI disagree on the iris example');
    }
    for (const f of Object.values(ENGINE_FILES)) {
      assert.ok(existsSync(join(ROOT, f)), `${f.slice(1)} is missing: run make wasm`);
    }
    server = await startServer(ROOT);
    userDataDir = mkdtempSync(join(tmpdir(), 'localpredict-chromium-'));
    context = await launchChromium(userDataDir);
  });

  after(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  test('the server serves the engine and the modules with the right types, read-only', async () => {
    const types = {};
    for (const path of ['/wasm/build/localpredict.wasm', '/wasm/browser.mjs', '/tests/browser/page.html']) {
      const res = await fetch(server.origin + path);
      await res.arrayBuffer();
      types[path] = `${res.status} ${res.headers.get('content-type')}`;
    }
    assert.deepEqual(types, {
      '/wasm/build/localpredict.wasm': '200 application/wasm',
      '/wasm/browser.mjs': '200 text/javascript; charset=utf-8',
      '/tests/browser/page.html': '200 text/html; charset=utf-8',
    });
    // Raw paths (fetch() would normalise the dots away).
    for (const [method, path, want] of [['GET', '/../../etc/passwd', 404], ['GET', '/%2e%2e/%2e%2e/etc/passwd', 404],
      ['GET', '/wasm/', 404], ['PUT', '/wasm/browser.mjs', 405], ['DELETE', '/package.json', 405]]) {
      assert.equal(await rawStatus(server.origin, method, path), want, `${method} ${path}`);
    }
  });

  test('a page whose CSP forbids WebAssembly gets UNSUPPORTED naming \'wasm-unsafe-eval\', after one engine fetch', { timeout: TEST_TIMEOUT }, async () => {
    const st = await openPage(context, server, '/tests/browser/page-no-wasm.html');
    try {
      const r = await st.page.evaluate(async () => {
        try {
          await window.localpredict.loadModel(new URL('/web/examples/iris.json', location));
          return { loaded: true };
        } catch (e) {
          return { isLocalPredictError: e instanceof window.localpredict.LocalPredictError, code: e.code, message: e.message };
        }
      });
      assert.equal(r.isLocalPredictError, true, JSON.stringify(r));
      assert.equal(r.code, 'UNSUPPORTED');
      assert.match(r.message, /wasm-unsafe-eval/);
      assert.deepEqual(st.requests.filter((u) => u.endsWith('.wasm')).map((u) => new URL(u).pathname),
        [ENGINE_FILES.relaxed], 'another engine was fetched although no engine can compile');
    } finally {
      await st.page.close();
    }
  });

  for (const variant of ['simd', 'scalar']) {
    describe(`${variant} engine (fresh page${variant === 'scalar' ? ', setEngine({ simd: false })' : ', engine picked by feature detection'})`, { timeout: 60_000 }, () => {
      let st;
      let page;

      before(async () => {
        st = await openPage(context, server);
        page = st.page;
        if (variant === 'scalar') await page.evaluate(() => window.localpredict.setEngine({ simd: false }));
      });

      after(async () => {
        await page?.close();
      });

      test('(1, 5) loadModel(URL) with the manifest as an object; predictCsvText = the CLI\'s bytes and xgboost\'s probabilities', { timeout: TEST_TIMEOUT }, async () => {
        const r = await page.evaluate(async ({ model, manifest, csv }) => {
          const lp = window.localpredict;
          const m = await (await fetch(`/${manifest}`)).json();
          const irisModel = await lp.loadModel(new URL(`/${model}`, location), { manifest: m });
          const text = await irisModel.predictCsvText(await (await fetch(`/${csv}`)).text());
          const out = { classes: irisModel.info.classes, engine: irisModel.engine, simdSupported: lp.simdSupported(),
            version: lp.version, infoEngine: irisModel.info.engine, frozen: Object.isFrozen(irisModel.info), text };
          irisModel.dispose();
          out.disposed = irisModel.disposed;
          return out;
        }, IRIS);
        assert.deepEqual(r.classes, ['setosa', 'versicolor', 'virginica']);
        assert.equal(r.simdSupported, true, 'Chromium supports WebAssembly SIMD; detection says it does not');
        assert.equal(r.engine, variant);
        assert.equal(r.infoEngine, `localpredict ${r.version}`);
        assert.ok(r.frozen && r.disposed);
        // Byte for byte what the CLI writes (a valid UTF-8 string encodes back to the same bytes).
        assert.equal(r.text, cliBytes.toString('utf8'));
        assert.ok(Buffer.from(r.text, 'utf8').equals(cliBytes));
        assert.deepEqual(compareCsv(iris, r.text), []);
        // The engine came from /wasm/build/ beside browser.mjs: this variant's file only, once
        // (SIMD: its relaxed-SIMD build, which Chromium validates).
        const fetched = st.requests.filter((u) => u.endsWith('.wasm')).map((u) => new URL(u).pathname);
        assert.deepEqual(fetched, [ENGINE_FILES[variant === 'simd' ? 'relaxed' : variant]]);
      });

      test('(2) predictCsv(File) read as a ReadableStream: several chunks, onProgress up to the total', { timeout: TEST_TIMEOUT }, async () => {
        const copies = 120; // about 2.3 MB, so more than two 1 MiB input chunks
        const r = await page.evaluate(async ({ dir, copies }) => {
          const lp = window.localpredict;
          const fetchBytes = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
          const modelBytes = await fetchBytes(`/${dir}/model.json`);
          const input = await fetchBytes(`/${dir}/input.csv`);
          // The model as a File too, as from an <input type=file>.
          const model = await lp.loadModel(new File([modelBytes], 'model.json', { type: 'application/json' }));
          const small = await model.predictCsvText(new Blob([input], { type: 'text/csv' }));

          const nl = input.indexOf(10);
          const header = input.subarray(0, nl + 1);
          const body = input.subarray(nl + 1);
          const file = new File([header, ...Array(copies).fill(body)], 'input.csv', { type: 'text/csv' });
          const events = [];
          const stream = model.predictCsv(file, { onProgress: (p) => events.push({ ...p }) });
          const isStream = stream instanceof ReadableStream;
          const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
          let chunks = 0;
          let out = '';
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            chunks++;
            out += value;
          }
          const outNl = small.indexOf('\n');
          const expected = small.slice(0, outNl + 1) + small.slice(outNl + 1).repeat(copies);
          model.dispose();
          return { small, size: file.size, isStream, chunks, events, same: out === expected, outLength: out.length,
            expectedLength: expected.length };
        }, { dir: 'tests/fixtures/xgboost/multiclass', copies });
        assert.deepEqual(compareCsv(multiclass, r.small), []);
        assert.ok(r.isStream, 'predictCsv did not return the page\'s own ReadableStream');
        assert.ok(r.same, `streamed output (${r.outLength} chars) != the small output repeated (${r.expectedLength})`);
        assert.ok(r.chunks >= 2, `${r.chunks} output chunk(s)`);
        const rows = multiclass.rows.length * copies;
        assert.ok(r.events.length >= 3, `${r.events.length} progress call(s)`);
        let last = { bytesRead: 0, rows: 0 };
        for (const e of r.events) {
          assert.equal(e.bytesTotal, r.size);
          assert.ok(e.bytesRead >= last.bytesRead && e.bytesRead <= r.size, JSON.stringify(e));
          assert.ok(e.rows >= last.rows && e.rows <= rows, JSON.stringify(e));
          last = e;
        }
        assert.deepEqual(last, { bytesRead: r.size, bytesTotal: r.size, rows, skipped: 0, skippedLines: [], workers: 1 }); // (skipped: onError 'skip')
      });

      test('(3) predict() with objects and with a Float32Array matrix matches xgboost', { timeout: TEST_TIMEOUT }, async () => {
        const c = multiclass;
        const featureIdx = c.meta.feature_names.map((n) => c.header.indexOf(n));
        assert.ok(featureIdx.every((j) => j >= 0));
        const matrix = c.rows.map((row) => featureIdx.map((j) => Number(row[j])));
        const r = await page.evaluate(async ({ path, numbers, texts, matrix, cols }) => {
          const lp = window.localpredict;
          const model = await lp.loadModel(new URL(path, location));
          const plain = (res) => ({ labels: res.labels, classes: res.probabilities.classes,
            isF32: res.probabilities.data instanceof Float32Array, data: Array.from(res.probabilities.data) });
          const data = new Float32Array(matrix.length * cols);
          matrix.forEach((row, i) => data.set(row, i * cols));
          const out = {
            numbers: plain(model.predict(numbers, { returnPredProba: true })),
            texts: plain(model.predict(texts, { returnPredProba: true })),
            matrix: plain(model.predict({ data, rows: matrix.length, cols }, { returnPredProba: true })),
            labelsOnly: model.predict({ data, rows: matrix.length, cols }),
          };
          model.dispose();
          return out;
        }, { path: `/tests/fixtures/xgboost/multiclass/model.json`, numbers: rowsAsNumberObjects(c),
          texts: rowsAsTextObjects(c), matrix, cols: featureIdx.length });
        for (const kind of ['numbers', 'texts', 'matrix']) {
          const res = r[kind];
          assert.ok(res.isF32, `${kind}: probabilities.data is not a Float32Array`);
          const result = { labels: res.labels, probabilities: { classes: res.classes, data: Float32Array.from(res.data) } };
          assert.deepEqual(compareResult(c, result), [], kind);
        }
        assert.deepEqual(r.labelsOnly, r.matrix.labels);
      });

      test('(4) a ragged CSV rejects with LocalPredictError RAGGED_ROW at the right line', { timeout: TEST_TIMEOUT }, async () => {
        const r = await page.evaluate(async ({ model, manifest }) => {
          const lp = window.localpredict;
          const irisModel = await lp.loadModel(new URL(`/${model}`, location), { manifest: new URL(`/${manifest}`, location) });
          const describeError = (e) => ({ isLPE: e instanceof lp.LocalPredictError, isError: e instanceof Error,
            name: e.name, code: e.code, where: { ...e.where }, message: e.message });
          const H = 'id,sepal_length,sepal_width,petal_length,petal_width\n';
          const out = {};
          // Short row on line 3.
          try {
            await irisModel.predictCsvText(`${H}1,5.1,3.5,1.4,0.2\n2,4.9,3.0,1.4\n3,4.7,3.2,1.3,0.2\n`);
            out.short = 'resolved';
          } catch (e) {
            out.short = describeError(e);
          }
          // A quoted cell spanning lines 3-4, then a long row on physical line 5.
          try {
            await irisModel.predictCsvText(`${H}1,5.1,3.5,1.4,0.2\n"2\nb",4.9,3.0,1.4,0.2\n3,4.7,3.2,1.3,0.2,9\n`);
            out.quoted = 'resolved';
          } catch (e) {
            out.quoted = describeError(e);
          }
          // Mid-stream: past the first 1 MiB chunk, after output was delivered; a Blob with a source name.
          const good = '4,4.7,3.2,1.3,0.2\n';
          const n = 70000; // about 1.2 MB
          const blob = new Blob([H, good.repeat(n), '5,5.0\n']);
          const reader = irisModel.predictCsv(blob, { source: 'big.csv' }).getReader();
          let chunks = 0;
          try {
            for (;;) {
              const { done } = await reader.read();
              if (done) break;
              chunks++;
            }
            out.stream = 'resolved';
          } catch (e) {
            out.stream = { ...describeError(e), chunks, expectedLine: n + 2 };
          }
          irisModel.dispose();
          return out;
        }, IRIS);
        const want = (line, message) => ({ isLPE: true, isError: true, name: 'LocalPredictError', code: 'RAGGED_ROW', where: { line }, message });
        assert.deepEqual(r.short, want(3, 'line 3: the row has 4 fields but the header has 5'));
        assert.deepEqual(r.quoted, want(5, 'line 5: the row has 6 fields but the header has 5'));
        const { chunks, expectedLine, ...streamErr } = r.stream;
        assert.ok(chunks >= 1, 'no output before the error');
        assert.deepEqual(streamErr, want(expectedLine, `big.csv:${expectedLine}: the row has 2 fields but the header has 5`));
      });

      test('(6) privacy: once the engine and model are loaded, predicting makes no request', { timeout: TEST_TIMEOUT }, async () => {
        await page.evaluate(async ({ model, manifest, csv }) => {
          const lp = window.localpredict;
          window.privacyModel = await lp.loadModel(new URL(`/${model}`, location),
            { manifest: await (await fetch(`/${manifest}`)).json() });
          window.privacyCsv = await (await fetch(`/${csv}`)).text();
        }, IRIS);
        // A request that the page's CSP blocks never reaches 'request' events or the server,
        // so the attempts (CSP violations, failed requests) count too.
        const violations = () => page.evaluate(() => window.cspViolations.length);
        const mark = { server: server.log.length, page: st.requests.length, problems: st.problems.length,
          csp: await violations() };
        const r = await page.evaluate(async () => {
          const m = window.privacyModel;
          const text = await m.predictCsvText(window.privacyCsv);
          const fromBlob = await new Response(m.predictCsv(new Blob([window.privacyCsv]))).text();
          const labels = m.predict([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
          m.dispose();
          await new Promise((resolve) => setTimeout(resolve, 250)); // let any late request show
          return { text, fromBlob, labels };
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(r.text, cliBytes.toString('utf8'));
        assert.equal(r.fromBlob, r.text);
        assert.deepEqual(r.labels, ['setosa']);
        assert.deepEqual(server.log.slice(mark.server), [], 'the server saw requests while predicting');
        assert.deepEqual(networkRequests(st.requests.slice(mark.page)), [], 'the page made requests while predicting');
        assert.deepEqual(st.problems.slice(mark.problems), [], 'the page tried to make requests while predicting');
        assert.equal(await violations(), mark.csp, 'the page tried to make requests while predicting (CSP violations)');
      });

      test('no page errors, console errors, failed requests or CSP violations', { timeout: TEST_TIMEOUT }, async () => {
        const csp = await page.evaluate(() => window.cspViolations);
        assert.deepEqual([...st.problems, ...csp], []);
        // Everything the page fetched came from the test server.
        const foreign = networkRequests(st.requests).filter((u) => !u.startsWith(`${server.origin}/`));
        assert.deepEqual(foreign, []);
      });
    });
  }
  /* The worker pool (Web Workers): the engine handed over with setEngine (no fetch by the
   * shim), the page's CSP allowing workers from 'self' and blob: only.  Slices are made
   * tiny so a fixture is cut at every few records; every pooled run must give the bytes
   * of one job, which match xgboost. */
  describe('worker pool (Web Workers, CSP worker-src \'self\' blob:)', { timeout: 60_000 }, () => {
    let st;
    let page;
    const c = cases.multiclass;

    before(async () => {
      st = await openPage(context, server, '/tests/browser/pool-page.html');
      page = st.page;
      await page.evaluate(async () => {
        const lp = window.localpredict;
        const bytes = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
        lp.setEngine({ wasm: { simd: await bytes('/wasm/build/localpredict.wasm'), scalar: await bytes('/wasm/build/localpredict-scalar.wasm') } });
        window.workerBundle = await (await fetch('/wasm/build/localpredict-worker.mjs')).text();
      });
    });

    after(async () => {
      await page?.close();
    });

    /** Runs the multiclass fixture with jobs 1, 2, 3 in the page; returns texts and errors. */
    const runPooled = (modelPath, csv) => page.evaluate(async ({ modelPath, csv }) => {
      const lp = window.localpredict;
      const model = await lp.loadModel(new Uint8Array(await (await fetch(modelPath)).arrayBuffer()));
      const started = lp.poolStats.workersStarted;
      const savedTuning = { ...lp.poolTuning };
      Object.assign(lp.poolTuning, { minBytes: 0, sliceBytes: 300 });
      const out = { texts: {}, errors: {} };
      try {
        for (const jobs of [1, 3, 2]) out.texts[jobs] = await model.predictCsvText(csv, { jobs });
        // A bad number late in the file: the same error as one job.
        const lines = csv.split('\n');
        lines[lines.length - 3] = lines[lines.length - 3].replace(/,[^,]*/, ',oops'); // ratio, a feature
        const bad = lines.join('\n');
        for (const jobs of [1, 2]) {
          try {
            await model.predictCsvText(bad, { jobs, source: 'bad.csv' });
            out.errors[jobs] = 'resolved';
          } catch (e) {
            out.errors[jobs] = { code: e.code, message: e.message, line: e.where.line };
          }
        }
        // Abort mid-run.
        const ac = new AbortController();
        let calls = 0;
        try {
          await model.predictCsvText(csv, { jobs: 2, signal: ac.signal, onProgress: () => { if (++calls === 2) ac.abort(); } });
          out.aborted = 'resolved';
        } catch (e) {
          out.aborted = e.code;
        }
      } finally {
        Object.assign(lp.poolTuning, savedTuning);
        model.dispose();
      }
      out.workersStarted = lp.poolStats.workersStarted - started;
      return out;
    }, { modelPath, csv });

    const check = (r) => {
      assert.deepEqual(compareCsv(c, r.texts[1]), []);
      assert.equal(r.texts[2], r.texts[1], 'jobs 2 differs from one job');
      assert.equal(r.texts[3], r.texts[1], 'jobs 3 differs from one job');
      assert.equal(r.errors[1].code, 'BAD_NUMBER');
      assert.deepEqual(r.errors[2], r.errors[1]);
      assert.equal(r.aborted, 'ABORTED');
      assert.ok(r.workersStarted >= 3, `${r.workersStarted} workers started`);
    };

    test('workers from the default URL: the self-contained worker beside the shim', { timeout: TEST_TIMEOUT }, async () => {
      const mark = server.log.length;
      check(await runPooled('/tests/fixtures/xgboost/multiclass/model.json', c.inputText));
      const log = server.log.slice(mark);
      assert.ok(log.includes('GET /wasm/build/localpredict-worker.mjs'), 'the worker module was not fetched');
      // One file per worker: none of the shim's modules (the model came as bytes).
      assert.deepEqual(log.filter((l) => !l.startsWith('GET /wasm/build/localpredict-worker.mjs') && !l.startsWith('GET /tests/fixtures/')), []);
    });

    test('workers from a blob: URL of the bundled worker: no request while predicting', { timeout: TEST_TIMEOUT }, async () => {
      const modelBytes = Array.from(readFileSync(c.model));
      await page.evaluate((bytes) => {
        window.poolModelBytes = new Uint8Array(bytes);
        const url = URL.createObjectURL(new Blob([window.workerBundle], { type: 'text/javascript' }));
        window.localpredict.setEngine({ worker: url });
      }, modelBytes);
      const mark = { server: server.log.length, page: st.requests.length };
      const r = await page.evaluate(async (csv) => {
        const lp = window.localpredict;
        const model = await lp.loadModel(window.poolModelBytes);
        const started = lp.poolStats.workersStarted;
        const savedTuning = { ...lp.poolTuning };
        Object.assign(lp.poolTuning, { minBytes: 0, sliceBytes: 300 });
        try {
          const one = await model.predictCsvText(csv, { jobs: 1 });
          const two = await model.predictCsvText(csv, { jobs: 2 });
          const three = await model.predictCsvText(csv, { jobs: 3 });
          return { one, two, three, workersStarted: lp.poolStats.workersStarted - started };
        } finally {
          Object.assign(lp.poolTuning, savedTuning);
          model.dispose();
          lp.setEngine({ worker: null });
        }
      }, c.inputText);
      assert.deepEqual(compareCsv(c, r.one), []);
      assert.equal(r.two, r.one);
      assert.equal(r.three, r.one);
      assert.ok(r.workersStarted >= 3, `${r.workersStarted} workers started`);
      assert.deepEqual(server.log.slice(mark.server), [], 'the server saw requests while predicting');
      assert.deepEqual(networkRequests(st.requests.slice(mark.page)), [], 'the page made requests while predicting');
    });

    test('loadModel({ jobs }) starts the workers ahead; the first run takes them and writes one job\'s bytes', { timeout: TEST_TIMEOUT }, async () => {
      const modelBytes = Array.from(readFileSync(c.model));
      const r = await page.evaluate(async ({ bytes, csv }) => {
        const lp = window.localpredict;
        const started = lp.poolStats.workersStarted;
        const stopped = lp.poolStats.workersStopped;
        const model = await lp.loadModel(new Uint8Array(bytes), { jobs: 2 });
        const atLoad = lp.poolStats.workersStarted - started;
        const savedTuning = { ...lp.poolTuning };
        Object.assign(lp.poolTuning, { minBytes: 0, sliceBytes: 300 });
        try {
          const one = await model.predictCsvText(csv, { jobs: 1 });
          const two = await model.predictCsvText(csv, { jobs: 2 });
          return { one, two, atLoad, afterRun: lp.poolStats.workersStarted - started };
        } finally {
          Object.assign(lp.poolTuning, savedTuning);
          model.dispose();
          // dispose terminates the idle pool at once
          if (lp.poolStats.workersStopped - stopped !== 2) throw new Error('dispose left workers running');
        }
      }, { bytes: modelBytes, csv: c.inputText });
      assert.equal(r.atLoad, 2, 'loadModel did not start 2 workers');
      assert.equal(r.afterRun, 2, 'the run started workers of its own');
      assert.deepEqual(compareCsv(c, r.one), []);
      assert.equal(r.two, r.one);
    });

    test('no page errors, console errors, failed requests or CSP violations', { timeout: TEST_TIMEOUT }, async () => {
      const csp = await page.evaluate(() => window.cspViolations);
      assert.deepEqual([...st.problems, ...csp], []);
    });
  });
});
