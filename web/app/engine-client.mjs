/* engine-client.mjs — the page's side of the worker (see worker.mjs for the messages).
 *
 * The worker starts when this module is first imported, at page load, so that
 * every script and the engine are in memory before the user picks a file:
 * from then on nothing is fetched.  Requests are promises; a prediction also
 * reports progress.  The worker runs large files on a pool of workers of its own
 * (nested workers, one per core): the page only sees how many were used.
 */
import { createWorker } from './worker-source.mjs';

/** The failure of a request, with the engine's code and location. */
export class PredictionError extends Error {
  constructor({ code, message, where }) {
    super(message);
    this.name = 'PredictionError';
    this.code = code;
    this.where = where || {};
  }
}

const worker = createWorker();
const pending = new Map(); // id -> { resolve, reject, onProgress }
let nextId = 1;

worker.onmessage = (event) => {
  const { id, ok, progress, error, ...body } = event.data;
  const req = pending.get(id);
  if (!req) return;
  if (progress) {
    req.onProgress?.(progress);
    return;
  }
  pending.delete(id);
  if (ok) req.resolve(body);
  else req.reject(new PredictionError(error));
};

worker.onerror = (event) => {
  const error = new PredictionError({ code: 'INTERNAL', message: `the prediction worker failed: ${event.message || 'unknown error'}` });
  for (const req of pending.values()) req.reject(error);
  pending.clear();
};

function request(type, body = {}, onProgress = null) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, type, ...body });
  });
}

/**
 * Resolves { variant, build, version } once the engine is instantiated (or { error });
 * build is "relaxed" for the SIMD variant's relaxed-SIMD build.
 */
export const engineReady = request('hello');

/**
 * Loads a model (File: a model, a .zip bundle or an ensemble's manifest) with an
 * optional manifest (File) and an ensemble's member files; resolves { info, build }
 * (build: the engine's, "relaxed", "simd" or "scalar").
 */
export function loadModel(model, manifest, parts = []) {
  return request('load', { model, manifest: manifest || null, parts });
}

/** Checks a CSV's header against the loaded model; resolves { header, check }. */
export function checkCsv(csv, dialect = {}) {
  return request('check', { csv, dialect });
}

/**
 * Predicts a CSV File; resolves { blob, summary, bytes, workers } (workers: how many
 * predicted, 1 when the file was small or the browser has no nested workers).
 * onProgress gets { bytesRead, bytesTotal, rows, workers } about ten times a second.
 */
export function predict(csv, { includeInput, dialect = {} }, onProgress) {
  return request('predict', { csv, includeInput, dialect }, onProgress);
}

/** Stops the running prediction, whose promise then rejects with code ABORTED. */
export function cancel() {
  worker.postMessage({ type: 'cancel' });
}
