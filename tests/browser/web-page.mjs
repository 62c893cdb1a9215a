/* web-page.mjs — the prediction page (web/) in Debian's headless Chromium, driven as a
 * person would drive it: through its labelled file inputs and its buttons named
 * Predict, Cancel, Download CSV.  Run with `make test-browser` (after `make`), or
 * `node --test tests/browser/web-page.mjs`; see README.md beside this file.
 *
 * The page is served by scripts/serve.mjs (the `make serve` server, with the CSP
 * header), and the single-file build is opened from a file:// URL with the network
 * off.  Expected values come from outside the browser: the CLI's output bytes
 * (`node wasm/cli.mjs predict …`) and xgboost's probabilities (tests/fixtures).
 * Screenshots of each main state, at a laptop and a phone width, are written to
 * build/screenshots/ (not committed) for a person to look at.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { ROOT, CLI, loadCases, compareCsv, parseCsv, run } from '../js/helpers.mjs';
import { startServer } from '../../scripts/serve.mjs';
import { makeZip } from '../js/zip-writer.mjs';

const CHROMIUM = process.env.LOCALPREDICT_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const SHOTS = join(ROOT, 'build', 'screenshots');
const SINGLE_FILE = join(ROOT, 'web', 'build', 'localpredict.html');
const T = 60_000; // per test: the machine may be busy

const IRIS = {
  model: join(ROOT, 'web/examples/iris.json'),
  manifest: join(ROOT, 'web/examples/iris.localpredict.json'),
  csv: join(ROOT, 'web/examples/iris.csv'),
};
const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));

/** `node wasm/cli.mjs predict ...args` → the output bytes. */
async function cli(...args) {
  const r = await run(process.execPath, [CLI, 'predict', ...args]);
  assert.equal(r.status, 0, `the CLI failed: ${r.stderr}`);
  return r.stdout;
}

/** Requests other than blob: and data: URLs. */
const networkRequests = (urls) => urls.filter((u) => !/^(blob|data):/.test(u));

async function launch(userDataDir) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: scripts/install-deps.sh --browser installs Debian's chromium`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: LAPTOP, acceptDownloads: true, timeout: 30_000,
  });
}

/** A page, its requests and problems (page errors, console errors, CSP violations) recorded. */
async function open(context, url) {
  const page = await context.newPage();
  const st = { page, requests: [], problems: [], workersClosed: 0 };
  page.on('request', (r) => st.requests.push(r.url()));
  // Dedicated workers, nested ones (the worker pool's) included.
  page.on('worker', (w) => w.on('close', () => st.workersClosed++));
  page.on('pageerror', (e) => st.problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') st.problems.push(`console.error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    if (!/^blob:/.test(r.url())) st.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  await page.goto(url);
  await page.locator('#engine-status').filter({ hasText: 'ready' }).waitFor({ timeout: 20_000 });
  return st;
}

async function noProblems(st) {
  const csp = await st.page.evaluate(() => window.cspViolations);
  assert.deepEqual([...st.problems, ...csp], []);
}

/** Screenshots of the whole page at laptop and phone width, into build/screenshots/. */
async function shoot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  for (const [size, viewport] of [['laptop', LAPTOP], ['phone', PHONE]]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(SHOTS, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(LAPTOP);
}

const modelInput = (page) => page.getByLabel('Model file', { exact: true });
const manifestInput = (page) => page.getByLabel('Manifest (optional)');
const csvInput = (page) => page.getByLabel('Data file (CSV)');
const predictButton = (page) => page.getByRole('button', { name: 'Predict', exact: true });
const cancelButton = (page) => page.getByRole('button', { name: 'Cancel', exact: true });
const downloadButton = (page) => page.getByRole('button', { name: 'Download CSV', exact: true });

/** Picks the files with the labelled inputs and waits until Predict is enabled (or the CSV is refused). */
async function choose(page, { model, manifest, csv }, { expectOk = true } = {}) {
  // A manifest chosen before (say by the example) would apply to the next model too.
  if (model) await manifestInput(page).setInputFiles(manifest || []);
  if (model) await modelInput(page).setInputFiles(model);
  if (model) await page.locator('#model-status .note:not(.busy)').waitFor();
  if (csv) await csvInput(page).setInputFiles(csv);
  if (expectOk) await predictEnabled(page);
}

/** Waits until Predict is enabled; on a timeout, says what the page shows about the model and the CSV. */
async function predictEnabled(page) {
  try {
    await page.waitForFunction(() => !document.getElementById('predict').disabled, null, { timeout: 20_000 });
  } catch (e) {
    const status = await page.evaluate(() => ['model-status', 'csv-status', 'engine-status']
      .map((id) => `${id}: ${document.getElementById(id).innerText}`).join('\n')).catch(() => '(the page cannot be read)');
    throw new Error(`Predict was not enabled within 20 s; the page shows:\n${status}`, { cause: e });
  }
}

/**
 * What Chromium does when the same file is chosen again: the file input `id` gets a new
 * File (`text` named `name`, or a copy of the File it has) and no change event.  With
 * changeFirst, a change event just before, so that the File is replaced while the page
 * checks it.
 */
async function replaceSilently(page, id, { name, text } = {}, { changeFirst = false } = {}) {
  await page.evaluate(({ id, name, text, changeFirst }) => {
    const input = document.getElementById(id);
    const [had] = input.files;
    const again = new DataTransfer();
    again.items.add(text === undefined ? new File([had], had.name, { type: had.type, lastModified: had.lastModified }) : new File([text], name));
    if (changeFirst) input.dispatchEvent(new Event('change'));
    input.files = again.files;
  }, { id, name, text, changeFirst });
}

/** Presses Predict and waits for the results. */
async function predict(page) {
  await predictButton(page).click();
  await page.locator('#run-status .note').waitFor({ timeout: 45_000 });
  const status = await page.locator('#run-status').textContent();
  assert.match(status, /^Done\./, status);
}

/** Clicks a download button; resolves { name, bytes }. */
async function download(page, button) {
  const [dl] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return { name: dl.suggestedFilename(), bytes: await readFile(await dl.path()) };
}

/** About `bytes` of iris rows: its header, then its 30 rows over and over. */
function irisFile(bytes) {
  const [head, ...body] = readFileSync(IRIS.csv, 'utf8').trimEnd().split('\n');
  const block = `${body.join('\n')}\n`;
  return `${head}\n${block.repeat(Math.ceil(bytes / block.length))}`;
}

/**
 * All cores (web/worker.mjs starts the JS API's worker pool as nested workers): on
 * the page `st` (served or the single file), a file of several 1 MiB slices and over
 * the pool's 8 MiB threshold is predicted on min(cores, 8) workers, byte for byte as
 * one job writes it (the CLI with --jobs 1); Cancel stops a run of `huge` midway and
 * keeps nothing; a bad number late in the file is reported with its line; and the workers,
 * started again after the cancel and the error, still predict.  Returns the requests
 * the page made meanwhile (`st.requests` from the first file chosen on).
 */
async function allCores(st, { big, want, huge, bad, badLine }) {
  const { page } = st;
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const workers = Math.min(cores, 8);
  const mark = st.requests.length;
  await choose(page, { ...IRIS, csv: big });
  await predict(page);
  assert.match(await page.locator('#run-status').innerText(), new RegExp(`^Done\\. [\\d,]+ rows predicted in .* on ${workers} cores\\.`));
  assert.ok((await download(page, downloadButton(page))).bytes.equals(want), 'the pooled CSV differs from the CLI\'s --jobs 1 output');

  // Cancel midway (a file long enough for that): the pool is terminated, nothing is kept.
  const runsBefore = await page.locator('#history-list li').count();
  await csvInput(page).setInputFiles(huge);
  await predictEnabled(page);
  await predictButton(page).click();
  await page.locator('#progress-text').filter({ hasText: /[1-9][\d,]* rows done/ }).waitFor({ timeout: 30_000 });
  const value = await page.locator('#progress').evaluate((p) => p.value / p.max);
  const closed = st.workersClosed;
  await cancelButton(page).click();
  await page.locator('#run-status .note').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('#run-status').innerText(), /^Cancelled\. Stopped after [\d,]+ rows/);
  assert.ok(value > 0 && value < 1, `progress ${value} when cancelled`);
  // The run's workers were terminated (mid-slice), not left to finish.
  for (let i = 0; i < 50 && st.workersClosed - closed < workers; i++) await page.waitForTimeout(100);
  assert.equal(st.workersClosed - closed, workers, 'the cancelled run\'s workers were not all stopped');
  assert.equal(await page.locator('#results').isHidden(), true);
  assert.equal(await page.locator('#history-list li').count(), runsBefore);

  // The first error in file order, with its line, as one job reports it.
  await csvInput(page).setInputFiles(bad);
  await predictEnabled(page);
  await predictButton(page).click();
  await page.locator('#run-status .note').waitFor({ timeout: 45_000 });
  const failed = await page.locator('#run-status').innerText();
  assert.ok(failed.startsWith(`The prediction failed. bad.csv:${badLine}: column "sepal_length": not a number: "oops"`), failed);

  // Workers started again after both: the next run is pooled and exact.
  await csvInput(page).setInputFiles(big);
  await predictEnabled(page);
  await predict(page);
  assert.match(await page.locator('#run-status').innerText(), new RegExp(` on ${workers} cores\\.`));
  assert.ok((await download(page, downloadButton(page))).bytes.equals(want), 'the second pooled CSV differs');
  return st.requests.slice(mark);
}

describe('the prediction page in headless Chromium', { timeout: 600_000 }, () => {
  let server;
  let serverLog;
  let context;
  let userDataDir;
  let tmp;
  let pageUrl;

  before(async () => {
    assert.ok(existsSync(SINGLE_FILE), 'web/build/localpredict.html is missing: run make');
    serverLog = [];
    server = await startServer({ root: ROOT, onRequest: (method, path, status) => serverLog.push(`${method} ${path} ${status}`) });
    pageUrl = `${server.origin}/web/`;
    userDataDir = mkdtempSync(join(tmpdir(), 'localpredict-page-'));
    tmp = mkdtempSync(join(tmpdir(), 'localpredict-page-files-'));
    context = await launch(userDataDir);
  });

  after(async () => {
    await context?.close();
    await server?.close();
    for (const d of [userDataDir, tmp]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('the page is served with its CSP, the right types, and loads every script before any file is chosen', { timeout: T }, async () => {
    const res = await fetch(pageUrl);
    const html = await res.text();
    const policy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self'; img-src 'self' blob: data:; connect-src 'none'";
    assert.equal(res.headers.get('content-security-policy'), policy);
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${policy}">`), 'the page lacks its CSP meta tag');
    for (const [path, type] of [['/web/worker.mjs', 'text/javascript; charset=utf-8'], ['/wasm/build/localpredict.wasm', 'application/wasm']]) {
      const r = await fetch(server.origin + path);
      await r.arrayBuffer();
      assert.equal(r.headers.get('content-type'), type, path);
    }
    const mark = serverLog.length;
    const st = await open(context, pageUrl);
    try {
      const loaded = serverLog.slice(mark);
      assert.ok(loaded.some((l) => l.startsWith('GET /web/worker.mjs 200')), 'the worker did not start at page load');
      assert.ok(!loaded.some((l) => l.includes('.wasm')), 'the page fetched an engine file; it must use the inlined bytes');
      assert.deepEqual(loaded.filter((l) => !l.endsWith(' 200')), [], 'requests that failed');
      // Every control is a labelled control.
      for (const locator of [modelInput(st.page), manifestInput(st.page), csvInput(st.page), predictButton(st.page),
        st.page.getByRole('button', { name: 'Try an example' }), st.page.getByLabel('Keep results in this browser after the page is closed'),
        st.page.getByLabel('Keep the input columns in the CSV')]) {
        assert.equal(await locator.count(), 1);
      }
      assert.equal(await predictButton(st.page).isDisabled(), true);
      // Chromium validates relaxed SIMD: the engine is the relaxed build, from the inlined patch.
      assert.match(await st.page.locator('#engine-status').textContent(), / · WebAssembly with relaxed SIMD · ready$/);
      await shoot(st.page, '1-empty');
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('iris by file input: model details, preview, and Download CSV byte for byte the CLI\'s output', { timeout: T }, async () => {
    const want = await cli(IRIS.model, IRIS.csv); // the manifest beside the model is picked up
    const st = await open(context, pageUrl);
    const { page } = st;
    try {
      await choose(page, IRIS);
      const details = await page.getByRole('region', { name: 'Model details' }).innerText();
      for (const text of ['xgboost-json', 'Multi-class', '60 trees', 'sepal_length', 'petal_width', 'setosa', 'virginica',
        'Iris species', 'training accuracy (150 rows, xgboost 1.7.4)',
        '32bebf135b8857ab42d3fc0b8d797959f112e19b14ff05797e8fd7e1d140c18a', 'WebAssembly with relaxed SIMD']) {
        assert.ok(details.includes(text), `Model details lack "${text}":\n${details}`);
      }
      assert.match(await page.locator('#csv-status').innerText(), /fits the model/);
      await shoot(page, '2-ready');
      await predict(page);

      // The preview: the first rows as the CLI wrote them, rounded for the screen.
      const [header, ...rows] = parseCsv(want.toString('utf8'));
      const table = page.getByRole('table').filter({ has: page.locator('#preview-caption') });   // not the details' facts
      const headCells = await table.locator('thead th').allInnerTexts();
      assert.deepEqual(headCells, ['Row', 'Suggested Label', ...header.slice(0, 3)]);
      const firstRows = await table.locator('tbody tr').evaluateAll((trs) => trs.slice(0, 5).map((tr) =>
        [...tr.children].map((c) => c.innerText.trim())));
      firstRows.forEach((cells, r) => {
        assert.equal(cells[0], String(r + 1));
        assert.equal(cells[1], rows[r][3]);
        rows[r].slice(0, 3).forEach((p, k) => assert.equal(cells[2 + k], Number(p).toFixed(3), `row ${r + 1}, ${header[k]}`));
      });
      assert.equal(await table.locator('tbody tr').count(), rows.length);
      assert.equal(await page.locator('td.suggested .badge').first().innerText(), rows[0][3]);
      // The label chart counts the CLI's Suggested Labels.
      const counts = {};
      for (const r of rows) counts[r[3]] = (counts[r[3]] || 0) + 1;
      const bars = await page.locator('.bars li').evaluateAll((lis) => lis.map((li) => [li.querySelector('.bar-label').textContent,
        li.querySelector('.bar-value').textContent]));
      for (const [label, value] of bars) assert.match(value, new RegExp(`^${counts[label]} `), `${label}: ${value}`);
      await shoot(page, '4-results');

      const got = await download(page, downloadButton(page));
      assert.equal(got.name, 'iris.predictions.csv');
      assert.ok(got.bytes.equals(want), 'the downloaded CSV differs from the CLI\'s output');

      // The low-confidence filter: rows below 0.97 by the CLI's numbers.
      await page.getByLabel('Show only low-confidence rows').check();
      await page.getByLabel('Top-class probability below').fill('0.97');
      await page.getByLabel('Top-class probability below').press('Enter');
      const below = rows.map((r, i) => [i + 1, Math.max(...r.slice(0, 3).map(Number))]).filter(([, p]) => p < 0.97).map(([i]) => String(i));
      const shown = await table.locator('tbody tr th').allInnerTexts();
      assert.deepEqual(shown, below);
      assert.match(await table.locator('caption').innerText(), new RegExp(`${below.length} in the file`));
      await shoot(page, '5-low-confidence');
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('files dropped on the boxes fill the labelled inputs (model and manifest together)', { timeout: T }, async () => {
    const st = await open(context, pageUrl);
    const { page } = st;
    try {
      const files = Object.fromEntries(Object.entries(IRIS).map(([k, path]) => [k, { name: path.split('/').pop(), text: readFileSync(path, 'utf8') }]));
      await page.evaluate(({ model, manifest, csv }) => {
        const drop = (id, list) => {
          const dt = new DataTransfer();
          for (const f of list) dt.items.add(new File([f.text], f.name));
          document.getElementById(id).dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        };
        drop('model-drop', [manifest, model]);
        drop('csv-drop', [csv]);
      }, files);
      await predictEnabled(page);
      const names = await page.evaluate(() => ['model-file', 'manifest-file', 'csv-file'].map((id) => document.getElementById(id).files[0]?.name));
      assert.deepEqual(names, ['iris.json', 'iris.localpredict.json', 'iris.csv']);
      assert.match(await page.getByRole('region', { name: 'Model details' }).innerText(), /setosa/);
      await noProblems(st);
    } finally {
      await page.close();
    }
  });

  test('"Keep the input columns" gives the CLI\'s --include-input bytes', { timeout: T }, async () => {
    const want = await cli(IRIS.model, IRIS.csv, '--include-input');
    const st = await open(context, pageUrl);
    try {
      await choose(st.page, IRIS);
      await st.page.getByLabel('Keep the input columns in the CSV').check();
      await predict(st.page);
      const got = await download(st.page, downloadButton(st.page));
      assert.ok(got.bytes.equals(want), 'the downloaded CSV differs from `localpredict predict --include-input`');
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('CSV dialects: a Windows-1252, ;-separated, decimal-comma file with a bad row, skipped as on the CLI', { timeout: T }, async () => {
    // The iris rows as a European Excel export (issue 9), with a bad cell in data row 15.
    const rows = readFileSync(IRIS.csv, 'utf8').trim().split('\n');
    const lines = rows.map((r, i) => {
      const f = r.split(',');
      if (i === 0) return [...f, 'Bemerkung'].join(';');
      const cells = [f[0], ...f.slice(1).map((x) => x.replace('.', ','))];
      if (i === 15) cells[2] = 'n/a?';
      return [...cells, 'caf\xe9'].join(';');
    });
    const file = join(tmp, 'excel_de.csv');
    writeFileSync(file, Buffer.from(`${lines.join('\r\n')}\r\n`, 'latin1'));
    const want = await cli(IRIS.model, file, '--encoding', 'windows-1252', '--decimal-comma', '--on-error', 'skip');
    const st = await open(context, pageUrl);
    try {
      // Unnamed, the encoding is refused with the way out.
      await choose(st.page, { model: IRIS.model, manifest: IRIS.manifest, csv: file }, { expectOk: false });
      await st.page.locator('#csv-status .note.error').waitFor();
      assert.match(await st.page.locator('#csv-status').textContent(), /--encoding windows-1252/);
      await st.page.getByLabel('Text encoding').selectOption('windows-1252');
      await st.page.getByLabel('Numbers use a decimal comma (1,5)').check();
      await st.page.getByLabel('Rows that cannot be predicted').selectOption('skip');
      await predictEnabled(st.page);
      assert.match(await st.page.locator('#csv-status').textContent(), /Read as windows-1252, fields separated by semicolons/);
      await predict(st.page);
      assert.match(await st.page.locator('#run-status').textContent(), /1 row was skipped \(line 16\)/);
      const got = await download(st.page, downloadButton(st.page));
      assert.ok(got.bytes.equals(want), 'the downloaded CSV differs from the CLI\'s --on-error skip output');
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('xgboost fixtures: the downloaded CSV has xgboost\'s probabilities (≤ 1e-6) and the CLI\'s bytes', { timeout: 3 * T }, async () => {
    const st = await open(context, pageUrl);
    try {
      for (const name of ['multiclass', 'binary', 'multilabel', 'missing', 'categorical', 'regression']) {
        const c = cases[name];
        await choose(st.page, { model: c.model, csv: c.input });
        await predict(st.page);
        const got = await download(st.page, downloadButton(st.page));
        assert.deepEqual(compareCsv(c, got.bytes.toString('utf8')), [], name);
        assert.ok(got.bytes.equals(await cli(c.model, c.input)), `${name}: the page and the CLI disagree`);
      }
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('an ensemble, as several files and as one .zip bundle: its members in Model details, the CLI\'s bytes', { timeout: 2 * T }, async () => {
    const dir = join(ROOT, 'tests', 'fixtures', 'ensemble', 'xgb_onnx');
    const files = ['ensemble.localpredict.json', 'xgb.json', 'mlp.onnx'].map((f) => join(dir, f));
    const input = join(dir, 'input.csv');
    const want = await cli(files[0], input);
    const bundle = join(tmp, 'ensemble.zip');
    writeFileSync(bundle, makeZip(files.map((f) => ({ name: f.slice(dir.length + 1), bytes: readFileSync(f) }))));
    const st = await open(context, pageUrl);
    try {
      for (const model of [files, bundle]) {
        await choose(st.page, { model, csv: input });
        const details = await st.page.getByRole('region', { name: 'Model details' }).innerText();
        for (const text of ['Ensemble', 'XGBoost', 'MLP', 'mlp.onnx', '0.75', 'torch MLP', 'XGBoost + MLP']) {
          assert.ok(details.includes(text), `Model details lack "${text}":\n${details}`);
        }
        await predict(st.page);
        const got = await download(st.page, downloadButton(st.page));
        assert.ok(got.bytes.equals(want), `${Array.isArray(model) ? 'several files' : 'the bundle'}: the page and the CLI disagree`);
      }
      await shoot(st.page, '7-ensemble');
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('a text model: model and manifest dropped together, then with a vocabulary file the manifest names: the CLI\'s bytes', { timeout: 2 * T }, async () => {
    const dir = join(ROOT, 'tests', 'fixtures', 'text_model', 'keras_embedding');
    const model = join(dir, 'model.onnx');
    const input = join(dir, 'input.csv');
    const want = await cli(model, input);
    // The same preprocessing with its Keras tokenizer JSON as a file ("vocab": "tokenizer.json").
    const inline = JSON.parse(readFileSync(join(dir, 'model.localpredict.json'), 'utf8'));
    const vdir = join(tmp, 'text-vocab');
    mkdirSync(vdir, { recursive: true });
    writeFileSync(join(vdir, 'tokenizer.json'), JSON.stringify(inline.preprocess.vocab));
    writeFileSync(join(vdir, 'model.localpredict.json'), JSON.stringify({ ...inline, preprocess: { ...inline.preprocess, vocab: 'tokenizer.json' } }));
    const st = await open(context, pageUrl);
    try {
      for (const files of [[model, join(dir, 'model.localpredict.json')], [model, join(vdir, 'model.localpredict.json'), join(vdir, 'tokenizer.json')]]) {
        await choose(st.page, { model: files, csv: input });
        await predict(st.page);
        const got = await download(st.page, downloadButton(st.page));
        assert.ok(got.bytes.equals(want), `${files.length} files: the page and the CLI disagree`);
      }
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  // The sizes are the manifests' own numbers; the input and dimension names are the ONNX files'.
  test('Model details show the symbolic dimensions the load bound (manifest "dims", preprocess.max_length)', { timeout: T }, async () => {
    const fixture = (name) => {
      const dir = join(ROOT, 'tests', 'fixtures', 'text_dynamic', name);
      const manifest = join(dir, 'model.localpredict.json');
      const model = join(dir, 'model.onnx');
      return { model, manifest, json: JSON.parse(readFileSync(manifest, 'utf8')),
        sha256: createHash('sha256').update(readFileSync(model)).digest('hex') };
    };
    const dims = fixture('mlp_dims');
    const seq = fixture('torch_mean_seq');
    const st = await open(context, pageUrl);
    try {
      const region = st.page.getByRole('region', { name: 'Model details' });
      /** The details once they are the model's (its SHA-256 shown). */
      const details = async (m) => {
        await region.filter({ hasText: m.sha256 }).waitFor({ timeout: 20_000 });
        return region.innerText();
      };
      await choose(st.page, IRIS, { expectOk: false });
      assert.doesNotMatch(await details({ sha256: '32bebf135b8857ab42d3fc0b8d797959f112e19b14ff05797e8fd7e1d140c18a' }),
        /Symbolic dimensions/, 'a tree model binds none');
      await choose(st.page, dims, { expectOk: false });
      assert.match(await details(dims), new RegExp(`Symbolic dimensions\\s+"features" = ${dims.json.dims.features}, from the manifest's "dims"`));
      await choose(st.page, seq, { expectOk: false });
      assert.match(await details(seq), new RegExp(`Symbolic dimensions\\s+tokens dimension 1 \\("sequence"\\) = ` +
        `${seq.json.preprocess.max_length}, from the manifest's preprocess\\.max_length`));
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('a CSV without the model\'s columns is refused before predicting, naming them with near misses', { timeout: T }, async () => {
    const bad = join(tmp, 'visits.csv');
    writeFileSync(bad, 'id,Sepal_length,sepal_width ,petal_length\n1,5.1,3.5,1.4\n');
    const st = await open(context, pageUrl);
    const { page } = st;
    try {
      await choose(page, { ...IRIS, csv: bad }, { expectOk: false });
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = await alert.innerText();
      assert.match(text, /3 columns the model needs are missing/);
      assert.match(text, /sepal_length — the file has Sepal_length\nsepal_width — the file has sepal_width\u2423\npetal_width — not in the file/);
      assert.ok(text.includes('visits.csv:1: the input lacks 3 columns the model needs: "sepal_length" (the input has "Sepal_length"), ' +
        '"sepal_width" (the input has "sepal_width "), "petal_width"'), text);
      assert.equal(await predictButton(page).isDisabled(), true, 'Predict is enabled for a run that must fail');
      await shoot(page, '3-missing-columns');
      await noProblems(st);
    } finally {
      await page.close();
    }
  });

  // Chromium, when the same file is chosen again, gives the input a new File and fires no
  // change event; a check under way must still count (it was the flaky text-model test).
  test('the same CSV chosen again while its columns are being checked: Predict is enabled', { timeout: T }, async () => {
    const st = await open(context, pageUrl);
    try {
      await choose(st.page, IRIS);
      await replaceSilently(st.page, 'csv-file', {}, { changeFirst: true });
      await predictEnabled(st.page);
      assert.match(await st.page.locator('#csv-status').innerText(), /fits the model/);
      await predict(st.page);
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  // The same case after the change: a model and a CSV chosen again, edited since. Chromium
  // gives the inputs new Files and fires no change event; Predict reads them again.
  test('a model and a CSV chosen again after they were edited (no change event): Predict uses the new ones', { timeout: T }, async () => {
    const dir = join(tmp, 'edited');
    mkdirSync(dir, { recursive: true });
    const edited = JSON.parse(readFileSync(IRIS.model, 'utf8'));
    for (const tree of edited.learner.gradient_booster.model.trees) {
      tree.split_conditions = tree.split_conditions.map((v, i) => (tree.left_children[i] === -1 ? 2 * v : v)); // leaves doubled
    }
    const model = join(dir, 'iris.json');
    writeFileSync(model, JSON.stringify(edited));
    writeFileSync(join(dir, 'iris.localpredict.json'), readFileSync(IRIS.manifest));
    const csv = join(dir, 'iris.csv');
    writeFileSync(csv, readFileSync(IRIS.csv, 'utf8').split('\n').slice(0, 11).join('\n') + '\n'); // 10 rows
    const want = await cli(model, csv);
    assert.ok(!want.equals(await cli(IRIS.model, csv)), 'the edit does not change the probabilities');
    const st = await open(context, pageUrl);
    try {
      await choose(st.page, IRIS);
      await predict(st.page); // a run before: its results must not pass for the next one's
      await replaceSilently(st.page, 'model-file', { name: 'iris.json', text: readFileSync(model, 'utf8') });
      await replaceSilently(st.page, 'csv-file', { name: 'iris.csv', text: readFileSync(csv, 'utf8') });
      await predict(st.page);
      const got = await download(st.page, downloadButton(st.page));
      assert.ok(got.bytes.equals(want), `the page predicted with the files chosen first:\n${got.bytes.toString().slice(0, 300)}`);
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('a broken model file is refused with the engine\'s message naming the file', { timeout: T }, async () => {
    const broken = join(tmp, 'broken.json');
    writeFileSync(broken, readFileSync(IRIS.model, 'utf8').slice(0, 5000));
    const st = await open(context, pageUrl);
    const { page } = st;
    try {
      await modelInput(page).setInputFiles(broken);
      const alert = page.getByRole('alert');
      await alert.waitFor();
      const text = await alert.innerText();
      assert.match(text, /^This model cannot be used\. broken\.json: the model JSON is malformed at its last byte .*is the file truncated\?/, text);
      assert.equal(await page.getByRole('region', { name: 'Model details' }).count(), 0);
      assert.equal(await predictButton(page).isDisabled(), true);
      await noProblems(st);
    } finally {
      await page.close();
    }
  });

  test('Cancel stops a large run midway; the page stays usable and nothing is kept', { timeout: 2 * T }, async () => {
    // About 40 MB of iris rows: long enough that Cancel lands mid-run.
    const [head, ...body] = readFileSync(IRIS.csv, 'utf8').trimEnd().split('\n');
    const block = `${body.join('\n')}\n`;
    const big = join(tmp, 'big.csv');
    writeFileSync(big, head + '\n' + block.repeat(Math.ceil(40e6 / block.length)));
    const st = await open(context, pageUrl);
    const { page } = st;
    try {
      await choose(page, { ...IRIS, csv: big });
      await predictButton(page).click();
      const progress = page.locator('#progress-text');
      await progress.filter({ hasText: /[1-9][\d,]* rows done · [\d,]+ rows\/s · (about .* left|estimating time left)/ }).waitFor({ timeout: 30_000 });
      assert.equal(await predictButton(page).isDisabled(), true);
      await shoot(page, '6-running');
      const value = await page.locator('#progress').evaluate((p) => p.value / p.max);
      assert.ok(value > 0 && value < 1, `progress ${value}`);
      await cancelButton(page).click();
      await page.locator('#run-status .note').waitFor({ timeout: 30_000 });
      assert.match(await page.locator('#run-status').innerText(), /^Cancelled\. Stopped after [\d,]+ rows/);
      assert.equal(await page.locator('#results').isHidden(), true);
      assert.equal(await page.locator('#history-list li').count(), 0);
      // The worker is still there: a small run works.
      await csvInput(page).setInputFiles(IRIS.csv);
      await predictEnabled(page);
      await predict(page);
      assert.ok((await download(page, downloadButton(page))).bytes.equals(await cli(IRIS.model, IRIS.csv)));
      await noProblems(st);
    } finally {
      await page.close();
    }
  });

  test('Inference results: listed per visit, kept across a reload only when asked, deletable', { timeout: 2 * T }, async () => {
    const want = await cli(IRIS.model, IRIS.csv);
    let st = await open(context, pageUrl);
    try {
      await choose(st.page, IRIS);
      await predict(st.page);
      const list = st.page.getByRole('list', { name: 'Inference results' });
      assert.equal(await list.getByRole('listitem').count(), 1);
      const item = await list.getByRole('listitem').first().innerText();
      for (const text of ['iris.csv', '30 rows', 'iris.json', '32bebf135b8857ab42d3fc0b8d797959f112e19b14ff05797e8fd7e1d140c18a']) {
        assert.ok(item.includes(text), `the result lacks "${text}": ${item}`);
      }
      // Not kept: a reload forgets it.
      await st.page.reload();
      await st.page.locator('#engine-status').filter({ hasText: 'ready' }).waitFor();
      assert.equal(await list.getByRole('listitem').count(), 0);

      // Kept: it survives a reload, can be exported again and deleted.
      await st.page.getByLabel('Keep results in this browser after the page is closed').check();
      assert.match(await st.page.locator('#storage-badge').innerText(), /kept/);
      await choose(st.page, IRIS);
      await predict(st.page);
      await st.page.locator('#history-list .tag').waitFor();
      await st.page.close();
      st = await open(context, pageUrl);
      const listAfter = st.page.getByRole('list', { name: 'Inference results' });
      await listAfter.getByRole('listitem').first().waitFor();
      assert.equal(await listAfter.getByRole('listitem').count(), 1);
      assert.equal(await st.page.getByLabel('Keep results in this browser after the page is closed').isChecked(), true);
      assert.match(await st.page.locator('#storage-indicator').innerText(), /1 run, 1\.4 KB of 50 MB/);
      await shoot(st.page, '7-results-kept');
      const again = await download(st.page, st.page.getByRole('button', { name: /^Download predictions for iris\.csv/ }));
      assert.ok(again.bytes.equals(want), 'the kept CSV differs from the CLI\'s output');
      await st.page.getByRole('button', { name: /^Delete the result for iris\.csv/ }).click();
      // The item leaves the list once the deletion is committed; then a reload must not bring it back.
      await listAfter.getByRole('listitem').first().waitFor({ state: 'detached' });
      assert.equal(await listAfter.getByRole('listitem').count(), 0);
      await st.page.reload();
      await st.page.locator('#engine-status').filter({ hasText: 'ready' }).waitFor();
      assert.equal(await listAfter.getByRole('listitem').count(), 0, 'a deleted result came back after a reload');

      // Delete all, then turning keeping off leaves nothing stored.
      await choose(st.page, IRIS);
      await predict(st.page);
      await st.page.locator('#history-list .tag').waitFor();
      await st.page.getByRole('button', { name: 'Delete all' }).click();
      await listAfter.getByRole('listitem').first().waitFor({ state: 'detached' });
      await st.page.getByLabel('Keep results in this browser after the page is closed').uncheck();
      const stored = await st.page.evaluate(() => new Promise((resolve, reject) => {
        const req = indexedDB.open('localpredict');
        req.onsuccess = () => {
          const tx = req.result.transaction('runs', 'readonly');
          const all = tx.objectStore('runs').count();
          all.onsuccess = () => resolve(all.result);
        };
        req.onerror = () => reject(req.error);
      }));
      assert.equal(stored, 0);
      await noProblems(st);
    } finally {
      await st.page.close();
    }
  });

  test('privacy: after load, choosing files, predicting and downloading make no request', { timeout: T }, async () => {
    const st = await open(context, pageUrl);
    const { page } = st;
    try {
      const mark = { server: serverLog.length, page: st.requests.length };
      await choose(page, IRIS);
      await predict(page);
      await download(page, downloadButton(page));
      await page.getByRole('button', { name: 'Try an example' }).click();
      await predictEnabled(page);
      await predict(page);
      await page.waitForTimeout(250); // let any late request show
      assert.deepEqual(serverLog.slice(mark.server), [], 'the server saw requests');
      assert.deepEqual(networkRequests(st.requests.slice(mark.page)), [], 'the page made requests');
      await noProblems(st);
    } finally {
      await page.close();
    }
  });

  /**
   * The single file from file:// with the network off: its engine (the status line's
   * words), the example's and a fixture's downloads checked, and no request but itself.
   */
  async function singleFile(file, engineWords) {
    const want = await cli(IRIS.model, IRIS.csv);
    await context.setOffline(true);
    const url = pathToFileURL(file).href;
    const st = await open(context, url);
    const { page } = st;
    try {
      assert.match(await page.locator('#engine-status').textContent(), new RegExp(` · WebAssembly ${engineWords} · ready$`));
      await page.getByRole('button', { name: 'Try an example' }).click();
      await predictEnabled(page);
      await predict(page);
      const got = await download(page, downloadButton(page));
      assert.ok(got.bytes.equals(want), 'the single file\'s CSV differs from the CLI\'s output');
      // And with the file inputs: a fixture.
      const c = cases.binary;
      await choose(page, { model: c.model, csv: c.input });
      await predict(page);
      assert.deepEqual(compareCsv(c, (await download(page, downloadButton(page))).bytes.toString('utf8')), []);
      assert.deepEqual(networkRequests(st.requests).filter((u) => u !== url), []);
      await noProblems(st);
    } finally {
      await page.close();
      await context.setOffline(false);
    }
  }

  test('the single-file page works from file:// with the network off, on the relaxed-SIMD engine, and requests nothing but itself', { timeout: T }, async () => {
    const html = readFileSync(SINGLE_FILE, 'utf8');
    assert.ok(!/<script[^>]+src=|<link[^>]+href="(?!data:)/.test(html), 'the single file refers to other files');
    assert.match(html, /connect-src 'none'/);
    await singleFile(SINGLE_FILE, 'with relaxed SIMD');
  });

  test('the single-file page where relaxed SIMD does not validate: the plain SIMD engine, the same bytes', { timeout: T }, async () => {
    // A copy whose worker sees a runtime without relaxed SIMD: WebAssembly.validate refuses
    // any module with i8x16.relaxed_laneselect (0xfd 0x89 0x02), as detect.mjs's probe is.
    // Chromium 156 has no flag to turn relaxed SIMD off.  The inline script changes, so
    // its hash in the CSP is recomputed.
    const html = readFileSync(SINGLE_FILE, 'utf8');
    const script = html.match(/<script>([\s\S]*)<\/script>\n<\/body>/)[1];
    const noRelaxed = 'const validate = WebAssembly.validate; WebAssembly.validate = (bytes) => { ' +
      'const b = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes); ' +
      'for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0xfd && b[i + 1] === 0x89 && b[i + 2] === 0x02) return false; ' +
      'return validate(bytes); };\n';
    const marker = 'const WORKER_SCRIPT = "';
    assert.equal(script.split(marker).length, 2, 'the page script has no (or several) WORKER_SCRIPT');
    const changed = script.replace(marker, () => marker + JSON.stringify(`{ ${noRelaxed}}\n`).slice(1, -1));
    const hash = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    assert.ok(html.includes(hash(script)), 'the CSP lacks the page script\'s hash');
    const file = join(tmp, 'localpredict-no-relaxed.html');
    writeFileSync(file, html.replace(hash(script), () => hash(changed)).replace(script, () => changed));
    await singleFile(file, 'with SIMD');
  });

  describe('all cores: a large file on the worker pool', { skip: availableParallelism() < 2 && 'needs 2 cores', timeout: 600_000 }, () => {
    const files = {};
    before(async () => {
      // ~10 slices of 1 MiB: over the pool's 8 MiB threshold, so the run is pooled.
      const text = irisFile(10.5e6);
      files.big = join(tmp, 'big-pool.csv');
      writeFileSync(files.big, text);
      files.want = await cli(IRIS.model, files.big, '--jobs', '1');
      // A bad number in a late slice: its line is the header's 1 plus the row's index.
      const lines = text.split('\n');
      files.badLine = lines.length - 40;
      lines[files.badLine - 1] = lines[files.badLine - 1].replace(/^([^,]*),[^,]*/, '$1,oops');
      files.bad = join(tmp, 'bad.csv');
      writeFileSync(files.bad, lines.join('\n'));
      files.huge = join(tmp, 'huge-pool.csv');
      writeFileSync(files.huge, irisFile(60e6));
    });

    test('served page: one job\'s bytes on every core, cancel, the error\'s line; no request after load', { timeout: 4 * T }, async () => {
      const st = await open(context, pageUrl);
      try {
        const mark = serverLog.length;
        const requests = await allCores(st, files);
        assert.deepEqual(serverLog.slice(mark), [], 'the server saw requests');
        assert.deepEqual(networkRequests(requests), [], 'the page made requests');
        await noProblems(st);
      } finally {
        await st.page.close();
      }
    });

    test('single-file page from file://, network off: the same', { timeout: 4 * T }, async () => {
      await context.setOffline(true);
      const url = pathToFileURL(SINGLE_FILE).href;
      const st = await open(context, url);
      try {
        const requests = await allCores(st, files);
        assert.deepEqual(networkRequests(requests), []);
        await noProblems(st);
      } finally {
        await st.page.close();
        await context.setOffline(false);
      }
    });
  });
});
