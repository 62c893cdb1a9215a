/* load-browser.mjs — where a browser (or a bundled app, Deno, a worker) finds the
 * engine and reads URLs (STYLE convention 15).
 *
 * The engine files are fetched from build/ beside this module, compiled while
 * they download when the server sends application/wasm.  A page that must not
 * fetch at all (the single-file page) hands the bytes over instead with
 * setEngine({ wasm: { simd, scalar } }) and never reaches this code.  The relaxed-SIMD
 * build is fetched only where the runtime validates relaxed SIMD (engine.mjs).
 * Models and manifests named by a string are URLs relative to the document.
 */
import { ioError } from './errors.mjs';
import { webWorker } from './pool.mjs';

export const ENGINE_FILES = Object.freeze({
  simd: 'localpredict.wasm',
  scalar: 'localpredict-scalar.wasm',
  relaxed: 'localpredict-relaxed.wasm',
});

/* Each URL is spelled `new URL('<literal>', import.meta.url)`, the form bundlers (Vite,
 * webpack 5, Parcel, Rollup's plugins) recognise: they copy the file into the app's
 * output and rewrite the URL, so a bundled app finds the engines with no configuration.
 * A string literal is the one form all of them understand.  (esbuild understands none:
 * see "Bundlers" in the README.) */
const ENGINE_URLS = Object.freeze({
  simd: () => new URL('./build/localpredict.wasm', import.meta.url),
  scalar: () => new URL('./build/localpredict-scalar.wasm', import.meta.url),
  relaxed: () => new URL('./build/localpredict-relaxed.wasm', import.meta.url),
});

/** The compiled module of one engine build ("simd", "scalar" or "relaxed"). */
export async function loadEngine(variant) {
  let url;
  try {
    url = ENGINE_URLS[variant]();
  } catch (e) {
    // import.meta.url is empty in a bundle built as a classic script (esbuild's default iife).
    throw ioError(`cannot locate the ${variant} engine: this module has no import.meta.url (bundle it as an ` +
      'ES module, e.g. esbuild --format=esm, or hand the engine over with setEngine({ wasm }))', e);
  }
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw ioError(`could not fetch the ${variant} engine ${url}: ${e.message}`, e);
  }
  if (!res.ok) throw ioError(`could not fetch the ${variant} engine ${url}: HTTP ${res.status} ` +
    '(in a checkout: make wasm; in a bundled app: serve the package\'s wasm/build/*.wasm at that URL, ' +
    'see "Bundlers" in its README)');
  const type = res.headers.get('content-type') || '';
  if (type.startsWith('text/html')) {
    // A dev server's or a single-page app's fallback page, served where the file is missing.
    throw ioError(`could not fetch the ${variant} engine ${url}: the server sent an HTML page, not the engine ` +
      '(the package\'s wasm/build/*.wasm are not served at that URL; with Vite\'s dev server add ' +
      'optimizeDeps: { exclude: [\'localpredict\'] }; see "Bundlers" in the README)');
  }
  if (typeof WebAssembly.compileStreaming === 'function' && type.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return res.arrayBuffer();
}

/** The bytes behind a URL, relative to the document (or the worker's location). */
export async function readResource(target) {
  const base = globalThis.document?.baseURI || globalThis.location?.href;
  const url = base ? new URL(String(target), base) : new URL(String(target));
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw ioError(`could not fetch ${url}: ${e.message}`, e);
  }
  if (!res.ok) throw ioError(`could not fetch ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/* predictCsv's pool workers run build/localpredict-worker.mjs: pool-worker.mjs and the
 * modules it imports as one self-contained module (scripts/bundle-worker.mjs, built by
 * `make wasm`, shipped in the package).  One fetch per worker instead of a module graph
 * (Chromium 156, the pool's 'worker start': ~63 ms against ~105 ms, tests/bench/README.md
 * "wbundle"), and a file that needs nothing beside it: Vite's build copies a
 * `new URL(…, import.meta.url)` target as an asset, alone, so pool-worker.mjs's
 * relative imports were 404s there and every run fell back to one thread.  Same literal
 * form as the engines; esbuild copies nothing (README "Bundlers": copy wasm/build/*).
 * Node keeps pool-worker.mjs (load-node.mjs). */
const WORKER_URL = () => new URL('./build/localpredict-worker.mjs', import.meta.url);

/** A Web Worker for predictCsv's pool: build/localpredict-worker.mjs beside this module,
 * or `url` from setEngine({ worker }). */
export function startWorker(url) {
  return webWorker(url || WORKER_URL());
}
