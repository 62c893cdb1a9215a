/* bundlers.test.mjs — the installed package bundled into an app (tests/package/app/) by
 * Vite and by esbuild, each with no configuration beyond the entry point, then the built
 * app served statically and run in Debian's headless Chromium on both engines.
 *
 * - Vite recognises new URL('./build/….wasm', import.meta.url) in wasm/load-browser.mjs:
 *   `vite build` emits the engines and the pool's worker (build/localpredict-worker.mjs,
 *   self-contained) as assets and rewrites the URLs.  Nothing to do.
 *   `vite` (the dev server) needs optimizeDeps.exclude: ['localpredict'] (vitejs/vite#8427).
 * - esbuild does not (evanw/esbuild#795): the bundle asks for build/… beside itself.
 *   The test shows the clear error when the engines are missing and that the documented
 *   one-line step (copy the package's wasm/build/* to <outdir>/build/) makes it work.
 * Each app also runs predictCsv on 2 workers (the pool): before the worker was the
 * self-contained file, Vite's build copied pool-worker.mjs alone (its imports 404) and
 * esbuild's bundle asked for ./pool-worker.mjs, and both silently ran on one thread.
 * Both must resolve the package through its "browser" export (wasm/browser.mjs), never
 * the Node loader.  Expected output: the repository CLI's bytes and xgboost's values.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CLI, loadCases, compareCsv, run } from '../js/helpers.mjs';
import { packAndInstall, serveDirectory, launchChromium } from './package.mjs';

const APP = fileURLToPath(new URL('./app/', import.meta.url));
const iris = loadCases().find((c) => c.name === 'iris_example');
const pkgVersion = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
const TIMEOUT = 60_000;

// Vite 7 runs on Node 20.19+ or 22.12+ (Debian 12's own nodejs is 18): say so rather than crash.
const [major, minor] = process.versions.node.split('.').map(Number);
const viteRuns = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
const VITE_SKIP = !viteRuns && `Vite 7 needs Node.js 20.19+ or 22.12+; this is ${process.version}`;

/** Loads the app at `origin` in a fresh page and predicts the iris example on one engine. */
async function predictInPage(context, origin, simd) {
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  try {
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => typeof window.predictIris === 'function', null, { timeout: 20_000 });
    const result = await page.evaluate(async (s) => {
      try {
        return await window.predictIris(s);
      } catch (e) {
        return { error: { name: e.name, code: e.code, message: e.message } };
      }
    }, simd);
    return { ...result, wasm: requests.filter((p) => p.endsWith('.wasm')), problems };
  } finally {
    await page.close();
  }
}

/** Inputs under this many bytes run on the calling thread (poolTuning.minBytes in
 * wasm/parallel-csv.mjs, which the package does not export): the pool check's input is just over it. */
const POOL_MIN_BYTES = 8 << 20;

/**
 * The worker pool in the app at `origin`: predictPool (app/main.js) runs a File just over
 * POOL_MIN_BYTES on 2 workers.  Resolves what it reported plus the workers' script URLs
 * (paths) and every request that failed.
 */
async function poolInPage(context, origin, cliText) {
  const page = await context.newPage();
  const workers = [];
  const failed = [];
  const problems = [];
  page.on('worker', (w) => workers.push(new URL(w.url()).pathname));
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${new URL(r.url()).pathname} -> ${r.status()}`); });
  page.on('requestfailed', (r) => failed.push(`${new URL(r.url()).pathname} failed`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  try {
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => typeof window.predictPool === 'function', null, { timeout: 20_000 });
    const result = await page.evaluate(async ({ expected, minBytes }) => {
      try {
        return await window.predictPool(2, expected, minBytes);
      } catch (e) {
        return { error: { name: e.name, code: e.code, message: e.message } };
      }
    }, { expected: cliText, minBytes: POOL_MIN_BYTES });
    return { ...result, workerScripts: workers, failed, problems };
  } finally {
    await page.close();
  }
}

/** Module ids as paths relative to the installed package ("wasm/browser.mjs"). */
const packageModules = (ids, pkgDir) => ids.map((id) => relative(pkgDir, id)).filter((p) => !p.startsWith('..')).sort();

describe('bundled apps in headless Chromium', { timeout: 180_000 }, () => {
  let installed;
  let userDataDir;
  let context;
  let cliBytes;

  before(async () => {
    installed = await packAndInstall('localpredict-bundlers-');
    const { project } = installed;
    cpSync(join(APP, 'index.html'), join(project, 'index.html'));
    cpSync(join(APP, 'main.js'), join(project, 'main.js'));
    // Static files beside the app; Vite copies public/ into its output.
    mkdirSync(join(project, 'public'));
    for (const f of ['iris.json', 'iris.localpredict.json', 'iris.csv']) {
      cpSync(join(installed.pkg, 'web', 'examples', f), join(project, 'public', f));
    }
    const cli = await run(process.execPath, [CLI, 'predict', iris.model, iris.input]);
    assert.equal(cli.status, 0, cli.stderr);
    cliBytes = cli.stdout;
    assert.deepEqual(compareCsv(iris, cliBytes.toString('utf8')), []);
    userDataDir = mkdtempSync(join(tmpdir(), 'localpredict-chromium-'));
    context = await launchChromium(userDataDir);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    installed?.cleanup();
  });

  /** The app at `origin` run on both engines: the CLI's bytes each time, each engine fetched from its path
   * (SIMD: the relaxed-SIMD build, which Chromium validates). */
  async function checkApp(origin, wasmPaths) {
    for (const simd of [true, false]) {
      const r = await predictInPage(context, origin, simd);
      assert.deepEqual(r.problems, []);
      assert.equal(r.error, undefined, JSON.stringify(r.error));
      assert.equal(r.engine, simd ? 'simd' : 'scalar');
      assert.equal(r.version, pkgVersion);
      assert.ok(Buffer.from(r.text, 'utf8').equals(cliBytes), `${simd ? 'simd' : 'scalar'}: not the CLI's bytes`);
      assert.deepEqual(r.wasm, [wasmPaths[simd ? 'relaxed' : 'scalar']]);
    }
  }

  /** The app at `origin` predicting on 2 workers (the pool), each started from `workerPath`
   * (the self-contained wasm/build/localpredict-worker.mjs where the bundler put it): the
   * CLI's rows, repeated. */
  async function checkPool(origin, workerPath) {
    const r = await poolInPage(context, origin, cliBytes.toString('utf8'));
    assert.deepEqual(r.problems, []);
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.deepEqual(r.failed, [], 'requests failed (a worker\'s script or its imports?)');
    assert.deepEqual(r.workerScripts, [workerPath, workerPath]);
    assert.equal(r.workers, 2, `the run reported ${r.workers} worker(s)`);
    assert.ok(r.size > POOL_MIN_BYTES);
    assert.ok(r.equal, `not the CLI's rows repeated ${r.repeat} times: first difference at ${r.firstDiff} ` +
      `(${r.length} vs ${r.wantLength} characters)`);
  }

  /** The built app in `dist`, served statically, through checkApp and checkPool. */
  async function checkBuiltApp(dist, wasmPaths, workerPath) {
    const server = await serveDirectory(dist);
    try {
      await checkApp(server.origin, wasmPaths);
      await checkPool(server.origin, workerPath);
    } finally {
      await server.close();
    }
  }

  test('Vite 7, zero configuration: the browser export, both engines emitted as assets, predictions = CLI', { timeout: TIMEOUT, skip: VITE_SKIP }, async () => {
    const { build, version } = await import('vite');
    assert.match(version, /^7\./);
    let moduleIds = [];
    await build({
      root: installed.project,
      configFile: false,
      logLevel: 'silent',
      build: { outDir: 'dist-vite', emptyOutDir: true },
      // Only to observe which modules went in; it changes nothing in the build.
      plugins: [{ name: 'record-modules', buildEnd() { moduleIds = [...this.getModuleIds()]; } }],
    });
    const modules = packageModules(moduleIds, installed.pkg);
    assert.ok(modules.includes('wasm/browser.mjs') && modules.includes('wasm/load-browser.mjs'), modules.join(', '));
    assert.ok(!modules.includes('wasm/node.mjs') && !modules.includes('wasm/load-node.mjs'), modules.join(', '));

    const dist = join(installed.project, 'dist-vite');
    const assets = readdirSync(join(dist, 'assets'));
    const simd = assets.find((f) => /^localpredict-(?!scalar|relaxed)[\w-]+\.wasm$/.test(f));
    const scalar = assets.find((f) => /^localpredict-scalar-[\w-]+\.wasm$/.test(f));
    const relaxed = assets.find((f) => /^localpredict-relaxed-[\w-]+\.wasm$/.test(f));
    assert.ok(simd && scalar && relaxed, `engines not emitted: ${assets.join(', ')}`);
    assert.ok(readFileSync(join(dist, 'assets', simd)).equals(readFileSync(join(installed.pkg, 'wasm/build/localpredict.wasm'))));
    // The pool's worker: the self-contained module, copied as an asset as it is (it imports nothing).
    const worker = assets.find((f) => /^localpredict-worker-[\w-]+\.m?js$/.test(f));
    assert.ok(worker, `worker not emitted: ${assets.join(', ')}`);
    assert.ok(readFileSync(join(dist, 'assets', worker)).equals(readFileSync(join(installed.pkg, 'wasm/build/localpredict-worker.mjs'))));
    await checkBuiltApp(dist, { simd: `/assets/${simd}`, scalar: `/assets/${scalar}`, relaxed: `/assets/${relaxed}` },
      `/assets/${worker}`);
  });

  test('Vite 7 dev server, with the one line its pre-bundling needs: optimizeDeps.exclude [\'localpredict\']', { timeout: TIMEOUT, skip: VITE_SKIP }, async () => {
    // Without it, Vite copies the package's modules into node_modules/.vite/deps and the
    // engine URLs point there, where no engine is (vitejs/vite#8427): loadModel then fails
    // with an IO error that names this setting.
    const { createServer } = await import('vite');
    const server = await createServer({
      root: installed.project,
      configFile: false,
      logLevel: 'silent',
      optimizeDeps: { exclude: ['localpredict'] },
      server: { host: '127.0.0.1', port: 5173, hmr: false, watch: null },
    });
    try {
      await server.listen();
      const origin = new URL(server.resolvedUrls.local[0]).origin;
      const engines = '/node_modules/localpredict/wasm/build';
      await checkApp(origin, { simd: `${engines}/localpredict.wasm`, scalar: `${engines}/localpredict-scalar.wasm`,
        relaxed: `${engines}/localpredict-relaxed.wasm` });
      await checkPool(origin, `${engines}/localpredict-worker.mjs`);
    } finally {
      await server.close();
    }
  });

  test('esbuild: the browser export; the bundle fetches build/*.wasm beside itself, found once copied there', { timeout: TIMEOUT }, async () => {
    const esbuild = await import('esbuild');
    const dist = join(installed.project, 'dist-esbuild');
    const result = await esbuild.build({
      absWorkingDir: installed.project,
      entryPoints: ['main.js'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      outdir: 'dist-esbuild',
      metafile: true,
      logLevel: 'silent',
    });
    const modules = packageModules(Object.keys(result.metafile.inputs).map((p) => join(installed.project, p)), installed.pkg);
    assert.ok(modules.includes('wasm/browser.mjs') && modules.includes('wasm/load-browser.mjs'), modules.join(', '));
    assert.ok(!modules.includes('wasm/node.mjs') && !modules.includes('wasm/load-node.mjs'), modules.join(', '));
    cpSync(join(installed.project, 'index.html'), join(dist, 'index.html'));
    cpSync(join(installed.project, 'public'), dist, { recursive: true });

    // Without the engine files: a LocalPredictError that names the URL and what to serve
    // (the missing relaxed build first falls back to the plain SIMD one).
    const server = await serveDirectory(dist);
    try {
      const r = await predictInPage(context, server.origin, true);
      assert.equal(r.error?.code, 'IO', JSON.stringify(r));
      assert.match(r.error.message, new RegExp(`${server.origin}/build/localpredict\\.wasm: HTTP 404 .*wasm/build/\\*\\.wasm`));
    } finally {
      await server.close();
    }

    // The documented step: cp node_modules/localpredict/wasm/build/* dist-esbuild/build/
    // (the three engines and the pool's worker, localpredict-worker.mjs).
    const shipped = readdirSync(join(installed.pkg, 'wasm/build')).sort();
    assert.deepEqual(shipped, ['localpredict-relaxed.wasm', 'localpredict-scalar.wasm', 'localpredict-worker.mjs', 'localpredict.wasm']);
    mkdirSync(join(dist, 'build'));
    for (const f of shipped) cpSync(join(installed.pkg, 'wasm/build', f), join(dist, 'build', f));
    await checkBuiltApp(dist, { simd: '/build/localpredict.wasm', scalar: '/build/localpredict-scalar.wasm',
      relaxed: '/build/localpredict-relaxed.wasm' }, '/build/localpredict-worker.mjs');

    // esbuild's default format (iife) has no import.meta.url: an error that says to bundle as ESM.
    const classic = join(installed.project, 'dist-esbuild-iife');
    await esbuild.build({ absWorkingDir: installed.project, entryPoints: ['main.js'], bundle: true, platform: 'browser',
      outdir: 'dist-esbuild-iife', logLevel: 'silent' });
    cpSync(join(dist, 'build'), join(classic, 'build'), { recursive: true });
    cpSync(join(installed.project, 'public'), classic, { recursive: true });
    writeFileSync(join(classic, 'index.html'), '<!doctype html>\n<script src="./main.js"></script>\n');
    const server2 = await serveDirectory(classic);
    try {
      const r = await predictInPage(context, server2.origin, true);
      assert.equal(r.error?.code, 'IO', JSON.stringify(r));
      assert.match(r.error.message, /no import\.meta\.url \(bundle it as an ES module, e\.g\. esbuild --format=esm/);
    } finally {
      await server2.close();
    }
  });
});
