/* pool-worker.mjs — one engine instance in a worker (a Web Worker in a
 * browser, a worker_threads Worker in Node), predicting slices of a CSV for
 * pool.mjs.
 *
 * Protocol (every message is a plain object with `type`):
 *   worker → page  { type: 'hello' }            listening (sent first, so no message is lost
 *                                               while this module still evaluates)
 *   page → worker  { type: 'init', module, variant, blob }
 *                                               the compiled engine (a WebAssembly.Module:
 *                                               no fetch, no compile) and the model as its
 *                                               compact blob (lp_model_serialize: no JSON parse)
 *   worker → page  { type: 'ready' } | { type: 'failed', id: -1, error }
 *   page → worker  { type: 'slice', id, bytes, options }
 *                                               one slice: bytes (transferred) and the job
 *                                               options of csv-job.mjs (header, firstLine, ...)
 *   worker → page  { type: 'done', id, output, rows } (output transferred)
 *                | { type: 'failed', id, error: { code, message, where } }
 * Slices are done one at a time in arrival order; each gets a fresh job, so a
 * failed slice leaves nothing behind.
 */
import { instantiateEngine } from './engine.mjs';
import { CsvJob } from './csv-job.mjs';

/** Bytes handed to the engine per push, as on the page (model.mjs CHUNK). */
const PUSH_BYTES = 1 << 20;

let engine = null;
let model = 0;

function errorRecord(e) {
  if (e && typeof e.code === 'string') return { code: e.code, message: e.message, where: { ...e.where } };
  return { code: 'UNSUPPORTED', message: `a worker failed: ${e && e.message ? e.message : String(e)}`, where: {} };
}

async function init({ module, variant, blob }) {
  engine = await instantiateEngine(module, variant);
  const x = engine.x;
  const ptrs = [];
  try {
    const bp = engine.copyIn(blob);
    ptrs.push(bp);
    const out = engine.alloc(4);
    ptrs.push(out);
    engine.call((e) => x.lp_wasm_model_load(bp, blob.length, 0, 0, 0, 0, 0, e, out));
    model = engine.readU32(out);
  } finally {
    for (const p of ptrs) engine.free(p);
  }
}

function predictSlice({ bytes, options }) {
  const job = new CsvJob(engine, model, options, false, Math.max(1, Math.min(PUSH_BYTES, bytes.length)));
  try {
    job.push(bytes);
    job.finish();
    return { output: job.output() || new Uint8Array(0), rows: job.rows() };
  } finally {
    job.destroy();
  }
}

async function onMessage(msg, post) {
  if (msg.type === 'init') {
    try {
      await init(msg);
      post({ type: 'ready' });
    } catch (e) {
      post({ type: 'failed', id: -1, error: errorRecord(e) });
    }
  } else if (msg.type === 'slice') {
    let result;
    try {
      result = predictSlice(msg);
    } catch (e) {
      post({ type: 'failed', id: msg.id, error: errorRecord(e) });
      return;
    }
    post({ type: 'done', id: msg.id, output: result.output, rows: result.rows }, [result.output.buffer]);
  }
}

/** Messages are handled strictly in order: init finishes before the first slice runs. */
function listen(subscribe, post) {
  let queue = Promise.resolve();
  subscribe((msg) => {
    queue = queue.then(() => onMessage(msg, post));
  });
  post({ type: 'hello' });
}

if (typeof globalThis.WorkerGlobalScope !== 'undefined' && globalThis instanceof globalThis.WorkerGlobalScope) {
  listen((fn) => { globalThis.onmessage = (e) => fn(e.data); },
    (msg, transfer) => globalThis.postMessage(msg, transfer || []));
} else {
  import('node:worker_threads').then(({ parentPort }) => {
    listen((fn) => parentPort.on('message', fn), (msg, transfer) => parentPort.postMessage(msg, transfer || []));
  });
}
