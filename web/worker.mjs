/* worker.mjs — the page's one Web Worker: it holds the model and runs predictions,
 * so the page never freezes, whatever the file size.
 *
 * Started at page load (app/engine-client.mjs); it instantiates the engine
 * right away from bytes inlined in a generated module (build/engine-bytes.mjs),
 * so neither loading a model nor predicting ever makes a request.  Where the
 * browser validates relaxed SIMD, the engine is the relaxed-SIMD build, rebuilt
 * here from the SIMD engine and a patch of its few differing function bodies
 * (app/engine-patch.mjs); elsewhere the SIMD build, or the scalar one.
 *
 * Messages (page → worker), each with an `id` echoed in the reply:
 *   { type: 'load', model: File, manifest: File|null, parts: File[] }
 *       → { ok: true, info, build } | { ok: false, error }   (build: the engine's)
 *   { type: 'check', csv: File, dialect }
 *       → { ok: true, header: string[], check: { ok, encoding, delimiter, rows, skipped } | { ok: false, error } }
 *   { type: 'predict', csv: File, includeInput: boolean, dialect }
 *   (dialect: the predictCsv options encoding, decimalComma, onError)
 *       → any number of { progress: { bytesRead, bytesTotal, rows, workers } }, then
 *         { ok: true, blob, summary, bytes, workers } | { ok: false, error } (code ABORTED when cancelled)
 *         (workers: how many workers predicted; 1 = this worker alone)
 *   { type: 'cancel' }  (no reply; the running prediction ends with ABORTED)
 * `error` is { code, message, where } of a LocalPredictError.
 *
 * The run reads the CSV File as a stream (Model.predictCsv: File.stream()), so memory stays
 * bounded: each output chunk goes to the summary (app/output-summary.mjs) and into
 * a Blob, which the browser keeps outside the JS heap (on disk when large).
 *
 * All cores: this worker starts the JS API's worker pool (wasm/pool.mjs) as nested
 * workers, one per core (defaultJobs(), at most MAX_WORKERS), and predictCsv cuts
 * a file of 8 MiB or more into slices they predict (wasm/parallel-csv.mjs: output
 * byte for byte one job's, the first error with its line, abort stops them all).
 * Their script is the bundled pool worker inlined in a generated module
 * (build/pool-worker-bytes.mjs), started as classic workers from a blob: URL made
 * here (worker-src blob:, in the served and the single-file page alike): starting
 * them, at page load and again after a cancelled or failed run, never fetches
 * anything.  They get the compiled engine and the model's blob by message.  Where a
 * worker cannot start workers (no nested Worker), runs stay on this thread.
 */
import { loadModel, setEngine, LocalPredictError } from '../wasm/localpredict.mjs';
import { getEngine, registerEnvironment } from '../wasm/engine.mjs';
import { defaultJobs, prestartWorkers, poolStats, webWorker } from '../wasm/pool.mjs';
import { relaxedSimdSupported } from '../wasm/detect.mjs';
import { simd, scalar, relaxedPatch } from './build/engine-bytes.mjs';
import { poolWorker } from './build/pool-worker-bytes.mjs';
import { readHeader } from './app/csv-header.mjs';
import { OutputSummary } from './app/output-summary.mjs';
import { applyCodePatch } from './app/engine-patch.mjs';

const PROGRESS_EVERY_MS = 100;
const BLOB_PART_BYTES = 8 * 1024 * 1024; // output chunks are merged into Blobs of about this size
// Each worker holds an engine and a copy of the model: beyond a few, a many-core
// machine would pay memory for little, since this thread reads, cuts and collects
// every slice.
const MAX_WORKERS = 8;

setEngine({ wasm: { simd, scalar, relaxed: relaxedEngine() } });
const jobs = startPool();
// Instantiate now, at page load, so the first model loads at once.
const ready = getEngine().then(
  (engine) => ({ variant: engine.variant, build: engine.build, version: engine.version }),
  (e) => ({ error: describeError(e) }),
);

let model = null;
let running = null; // AbortController of the prediction in progress

/** The relaxed-SIMD engine's bytes where this browser validates relaxed SIMD, else null. */
function relaxedEngine() {
  if (!relaxedSimdSupported()) return null;
  try {
    return applyCodePatch(simd, relaxedPatch);
  } catch {
    return null; // cannot happen: make page checks the patch; the SIMD engine still runs
  }
}

/**
 * The pool's workers, started now (page load) so that loading a model and predicting
 * find them running; returns how many a run uses (1: this thread only).
 */
function startPool() {
  // Feature detection: nested workers (a Worker inside a worker) and blob: URLs.
  if (typeof Worker !== 'function' || typeof URL.createObjectURL !== 'function') return 1;
  const n = Math.min(defaultJobs(), MAX_WORKERS);
  if (n < 2) return 1;
  try {
    const url = URL.createObjectURL(new Blob([poolWorker], { type: 'text/javascript' }));
    // Classic workers: the single-file page, opened from file://, has an opaque origin,
    // where a module worker from a blob: URL cannot start (it is fetched with CORS).
    // This environment only starts workers: the engine's bytes come from setEngine.
    registerEnvironment({ startWorker: () => webWorker(url, 'classic') });
    prestartWorkers(n);
    return n;
  } catch {
    // A browser that refuses the blob: worker outright (e.g. a stricter CSP): one thread.
    registerEnvironment(null);
    return 1;
  }
}

/**
 * Runs `work`; if it stopped workers (a failed load drops the spares; a cancelled or
 * failed run terminates its pool, whose workers may have been mid-slice), starts as
 * many again as spares, while the page shows the outcome, so that the next load or
 * run finds them running.
 */
async function keepingWorkers(work) {
  const stopped = poolStats.workersStopped;
  try {
    return await work();
  } finally {
    if (jobs > 1 && poolStats.workersStopped > stopped) prestartWorkers(jobs);
  }
}

function describeError(e) {
  if (e instanceof LocalPredictError) return { code: e.code, message: e.message, where: { ...e.where } };
  return { code: 'INTERNAL', message: String(e && e.message ? e.message : e), where: {} };
}

async function load({ model: modelFile, manifest, parts }) {
  const engine = await ready;
  if (engine.error) throw new LocalPredictError(engine.error.code, engine.error.message);
  const next = await keepingWorkers(() => loadModel(modelFile, {
    manifest: manifest || undefined,
    source: modelFile.name,
    manifestName: manifest ? manifest.name : modelFile.name,
    // An ensemble's member files (the model is then its manifest).
    parts: parts && parts.length ? parts : undefined,
    // The pool's workers get this model's blob now, not at its first run.
    jobs: jobs > 1 ? jobs : undefined,
  }));
  if (model) model.dispose();
  model = next;
  return { info: model.info, build: engine.build };
}

function requireModel() {
  if (!model) throw new LocalPredictError('USAGE', 'choose a model file first');
  return model;
}

async function check({ csv, dialect }) {
  const m = requireModel();
  const header = await readHeader(csv);
  if (csv.size === 0) {
    return { header: [], check: { ok: false, error: { code: 'EMPTY_INPUT', message: `${csv.name}: the file is empty: a CSV needs at least a header line`, where: {} } } };
  }
  // The engine reads the header and a sample of rows in the file's own dialect (the
  // rest of a large file is not read) and says which encoding and delimiter it used.
  const result = await m.check(csv, { source: csv.name, ...dialect });
  if (!result.ok) return { header: header.names, check: { ok: false, error: describeError(result.error) } };
  const { ok, encoding, delimiter, rows, skipped, columns } = result;
  return { header: columns.map((c) => c.name), check: { ok, encoding, delimiter, rows, skipped } };
}

async function runPrediction({ csv, includeInput, dialect = {} }, reply) {
  const m = requireModel();
  if (running) throw new LocalPredictError('USAGE', 'a prediction is already running');
  const controller = new AbortController();
  running = controller;
  try {
    return await keepingWorkers(() => predictToBlob(m, csv, includeInput, dialect, controller.signal, reply));
  } finally {
    running = null;
  }
}

/** The run of runPrediction: the output collected into a Blob, and its summary. */
async function predictToBlob(m, csv, includeInput, dialect, signal, reply) {
  const summary = new OutputSummary(m.info.outputs.length, m.info.task !== 'regression', dialect.onError === 'skip');
  let lastProgress = 0;
  let last = null;
  const stream = m.predictCsv(csv, {
    includeInput,
    ...dialect,
    jobs,
    signal,
    source: csv.name,
    onProgress(p) {
      last = p;
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now;
        reply({ progress: p });
      }
    },
  });
  const blobs = [];
  let parts = [];
  let partBytes = 0;
  let bytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    summary.push(value);
    parts.push(value);
    partBytes += value.length;
    bytes += value.length;
    if (partBytes >= BLOB_PART_BYTES) {
      blobs.push(new Blob(parts));
      parts = [];
      partBytes = 0;
    }
  }
  blobs.push(new Blob(parts));
  if (last) reply({ progress: last });
  return { blob: new Blob(blobs, { type: 'text/csv' }), summary: summary.finish(), bytes, workers: last ? last.workers : 1 };
}

const handlers = { hello: () => ready, load, check, predict: runPrediction };

async function handle(msg) {
  const reply = (body) => self.postMessage({ id: msg.id, ...body });
  try {
    const handler = handlers[msg.type];
    if (!handler) throw new LocalPredictError('USAGE', `unknown request ${msg.type}`);
    reply({ ok: true, ...(await handler(msg, reply)) });
  } catch (e) {
    reply({ ok: false, error: describeError(e) });
  }
}

// Requests run one after another, in the order sent (a model chosen twice quickly
// ends up as the second one); only cancel acts at once.
let queue = Promise.resolve();
self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === 'cancel') {
    if (running) running.abort();
    return;
  }
  queue = queue.then(() => handle(msg));
};
