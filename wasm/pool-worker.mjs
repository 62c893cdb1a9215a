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
 *   page → worker  { type: 'slice', id, bytes, options, reuse }
 *                                               one slice: bytes (transferred) and the job
 *                                               options of csv-job.mjs (header, writeHeader);
 *                                               reuse: an earlier output's ArrayBuffer
 *                                               (transferred) to write this output into, if
 *                                               it fits, or undefined
 *   worker → page  { type: 'done', id, output, rows, lineEnds, skipped, input, fresh }
 *                                               output and input (the slice's own bytes,
 *                                               given back for reuse) transferred; fresh:
 *                                               the output is in a new buffer (not reuse)
 *                | { type: 'failed', id, error: { code, message, where } }
 *   page → worker  { type: 'rerun', id, firstLine }
 *                                               the failed slice `id` again, its lines
 *                                               numbered from firstLine: replies 'failed'
 *                                               with the error as one job words it
 * Slices are done one at a time in arrival order; each gets a fresh job.
 *
 * Why 'rerun': the physical line a slice starts on depends on every slice before
 * it, and counting line ends on the page would cost the page a pass over the
 * whole file.  So a slice is predicted with its lines numbered from 1, and its
 * line ends are counted here by the job's reader (in parallel, while it reads
 * the slice: lp_job_line_ends) and reported; only when a slice
 * fails, and is the first failure in file order, does the page know its first
 * line and ask for the error again, exactly.  A failed slice's bytes are kept
 * for that until the pool is terminated (a failed run ends the pool).
 */
import { instantiateEngine } from './engine.mjs';
import { CsvJob } from './csv-job.mjs';

/** Bytes handed to the engine per push, as on the page (model.mjs CHUNK). */
const PUSH_BYTES = 1 << 20;

/** Now, in ms since the epoch (as pool.mjs clock(), not imported: the worker's bundle stays small). */
const clock = () => performance.timeOrigin + performance.now();

let engine = null;
let model = 0;
const failed = new Map(); // id -> { bytes, options } of slices that failed

function errorRecord(e) {
  if (e && typeof e.code === 'string') return { code: e.code, message: e.message, where: { ...e.where } };
  return { code: 'UNSUPPORTED', message: `a worker failed: ${e && e.message ? e.message : String(e)}`, where: {} };
}

/** When init began, the engine was instantiated, the model loaded (poolTrace in pool.mjs). */
async function init({ module, variant, blob }, times) {
  engine = await instantiateEngine(module, variant);
  times.instantiated = clock();
  const x = engine.x;
  const ptrs = [];
  try {
    const bp = engine.copyIn(blob);
    ptrs.push(bp);
    const out = engine.alloc(4);
    ptrs.push(out);
    // The caller's thread loaded the model under the caller's limits; its blob
    // is taken as it is (the ceilings: 4 GiB, 2^31 - 1 nodes, depth 255; a
    // dense graph's tensors, nodes and operators up to 2^32 - 1).
    engine.call((e) => x.lp_wasm_model_load(bp, blob.length, 0, 0, 0, 0, 0, 4294967295, 2147483647, 255,
      4294967295, 4294967295, 4294967295, e, out));
    model = engine.readU32(out);
    times.loaded = clock();
  } finally {
    for (const p of ptrs) engine.free(p);
  }
}

/**
 * Where a slice's output goes: into `reuse` (an output buffer the page is done with)
 * when it fits, else a new buffer.  A run that gives buffers back gets new ones with
 * room to spare, so that the next slice's slightly longer output fits them too.
 */
function outputBuffer(reuse, made) {
  return (n) => {
    if (reuse && reuse.byteLength >= n) return new Uint8Array(reuse, 0, n);
    made.fresh = true;
    return new Uint8Array(new ArrayBuffer(reuse ? n + (n >> 3) : n), 0, n);
  };
}

function predictSlice(bytes, options, reuse) {
  const job = new CsvJob(engine, model, options, false, Math.max(1, Math.min(PUSH_BYTES, bytes.length)));
  try {
    job.push(bytes);
    job.finish();
    const made = { fresh: false };
    const output = job.output(outputBuffer(reuse, made)) || new Uint8Array(reuse || new ArrayBuffer(0), 0, 0);
    return { output, fresh: made.fresh, rows: job.rows(), lineEnds: job.lineEnds(), skipped: job.skipped() };
  } finally {
    job.destroy();
  }
}

async function onMessage(msg, post) {
  if (msg.type === 'init') {
    try {
      const times = { received: clock() };
      await init(msg, times);
      post({ type: 'ready', times });
    } catch (e) {
      post({ type: 'failed', id: -1, error: errorRecord(e) });
    }
  } else if (msg.type === 'slice') {
    let result;
    const start = clock();
    try {
      result = predictSlice(msg.bytes, msg.options, msg.reuse);
    } catch (e) {
      failed.set(msg.id, { bytes: msg.bytes, options: msg.options });
      post({ type: 'failed', id: msg.id, error: errorRecord(e) });
      return;
    }
    // The slice's buffer goes back with the output, so the page can fill it with the
    // next slice (no garbage per slice on either side: see SlicePool in parallel-csv.mjs).
    const input = msg.bytes;
    post({ type: 'done', id: msg.id, output: result.output, rows: result.rows, lineEnds: result.lineEnds,
      skipped: result.skipped, input, fresh: result.fresh, times: { start, end: clock() } },
      [result.output.buffer, input.buffer]);
  } else if (msg.type === 'rerun') {
    const slice = failed.get(msg.id);
    failed.delete(msg.id);
    try {
      predictSlice(slice.bytes, { ...slice.options, firstLine: msg.firstLine });
      post({ type: 'failed', id: msg.id, error: errorRecord(new Error('a slice failed once but not when run again')) });
    } catch (e) {
      post({ type: 'failed', id: msg.id, error: errorRecord(e) });
    }
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
