/* worker.mjs — the page's one Web Worker: it holds the model and runs predictions,
 * so the page never freezes, whatever the file size.
 *
 * Started at page load (app/engine-client.mjs); it instantiates the engine
 * right away from bytes inlined in a generated module (build/engine-bytes.mjs),
 * so neither loading a model nor predicting ever makes a request.
 *
 * Messages (page → worker), each with an `id` echoed in the reply:
 *   { type: 'load', model: File, manifest: File|null, parts: File[] }
 *       → { ok: true, info } | { ok: false, error }
 *   { type: 'check', csv: File, dialect }
 *       → { ok: true, header: string[], check: { ok, encoding, delimiter, rows, skipped } | { ok: false, error } }
 *   { type: 'predict', csv: File, includeInput: boolean, dialect }
 *   (dialect: the predictCsv options encoding, decimalComma, onError)
 *       → any number of { progress: { bytesRead, bytesTotal, rows } }, then
 *         { ok: true, blob, summary, bytes } | { ok: false, error } (code ABORTED when cancelled)
 *   { type: 'cancel' }  (no reply; the running prediction ends with ABORTED)
 * `error` is { code, message, where } of a LocalPredictError.
 *
 * The run reads the CSV File in 1 MiB slices (Model.predictCsv), so memory stays
 * bounded: each output chunk goes to the summary (app/output-summary.mjs) and into
 * a Blob, which the browser keeps outside the JS heap (on disk when large).
 * A multi-core pool can replace `model.predictCsv` in runPrediction(): all it needs
 * is a ReadableStream of the output bytes and onProgress.
 */
import { loadModel, setEngine, LocalPredictError } from '../wasm/localpredict.mjs';
import { getEngine } from '../wasm/engine.mjs';
import { simd, scalar } from './build/engine-bytes.mjs';
import { readHeader } from './app/csv-header.mjs';
import { OutputSummary } from './app/output-summary.mjs';

const PROGRESS_EVERY_MS = 100;
const BLOB_PART_BYTES = 8 * 1024 * 1024; // output chunks are merged into Blobs of about this size

setEngine({ wasm: { simd, scalar } });
// Instantiate now, at page load, so the first model loads at once.
const ready = getEngine().then(
  (engine) => ({ variant: engine.variant, version: engine.version }),
  (e) => ({ error: describeError(e) }),
);

let model = null;
let running = null; // AbortController of the prediction in progress

function describeError(e) {
  if (e instanceof LocalPredictError) return { code: e.code, message: e.message, where: { ...e.where } };
  return { code: 'INTERNAL', message: String(e && e.message ? e.message : e), where: {} };
}

async function load({ model: modelFile, manifest, parts }) {
  const engine = await ready;
  if (engine.error) throw new LocalPredictError(engine.error.code, engine.error.message);
  const next = await loadModel(modelFile, {
    manifest: manifest || undefined,
    source: modelFile.name,
    manifestName: manifest ? manifest.name : modelFile.name,
    // An ensemble's member files (the model is then its manifest).
    parts: parts && parts.length ? parts : undefined,
  });
  if (model) model.dispose();
  model = next;
  return { info: model.info, engine: model.engine };
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
  const summary = new OutputSummary(m.info.outputs.length, m.info.task !== 'regression', dialect.onError === 'skip');
  let lastProgress = 0;
  let last = null;
  try {
    const stream = m.predictCsv(csv, {
      includeInput,
      ...dialect,
      signal: controller.signal,
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
    return { blob: new Blob(blobs, { type: 'text/csv' }), summary: summary.finish(), bytes };
  } finally {
    running = null;
  }
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
