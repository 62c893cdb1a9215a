/* model.mjs — loadModel() and the Model class: converting JS values to the
 * engine's flat ABI and back (STYLE convention 13: convert, never compute).
 *
 * - loadModel reads the model (and manifest) bytes, builds the "overrides"
 *   manifest text from { task, threshold, classes } and calls
 *   lp_wasm_model_load.  The model is immutable afterwards.
 * - predict() lays rows out as a column table (lp_wasm_table_*) or a float32
 *   matrix (lp_wasm_predict_matrix, the fast path); the engine computes the
 *   probabilities and which outputs form the Suggested Label, and this file
 *   only maps those flags to the class labels of info.classes.
 * - predictCsv() is a pull-based ReadableStream over an lp_job: each pull
 *   reads one input chunk (at most CHUNK bytes), pushes it, and enqueues the
 *   output bytes the push produced (copied out, then cleared in the engine).
 *   A pull keeps reading until it has enqueued something or closed the stream:
 *   a pull that enqueues nothing would never be called again.
 * Every engine allocation is freed in `finally`; a job is destroyed when its
 * stream closes, errors, is cancelled or aborted, or when its model is
 * disposed.
 */
import { LocalPredictError, usageError, abortedError, blobReadError } from './errors.mjs';
import { getEngine, readResource } from './engine.mjs';
import { CsvJob, disposedError } from './csv-job.mjs';
import { parallelCsvStream } from './parallel-csv.mjs';
import { defaultJobs, workersAvailable, PoolCache, prestartWorkers, dropSpares, clock, trace } from './pool.mjs';
import { resolveModelSource, blobBytes } from './model-source.mjs';

/** Bytes handed to the engine per push (input) — bounds the engine's memory. */
export const CHUNK = 1 << 20;

const COL_F64 = 1;
const COL_STR = 3;

const encoder = new TextEncoder();
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const rawInfo = new WeakMap(); // Model -> info JSON text as the engine wrote it
const TOKEN = Symbol('Model');

/* ---- option checks ------------------------------------------------------ */

function checkKeys(options, allowed, fn) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw usageError(`${fn}: options must be an object`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k) && options[k] !== undefined) {
      throw usageError(`${fn}: unknown option "${k}" (known: ${allowed.join(', ')})`);
    }
  }
  return options;
}

/** NaN tells the engine "the model's (or manifest's) threshold". */
function thresholdArg(t, fn) {
  if (t === undefined || t === null) return NaN;
  if (typeof t !== 'number' || Number.isNaN(t)) {
    throw usageError(`${fn}: threshold must be a number such as 0.3, not ${JSON.stringify(t)}`);
  }
  return t;
}

function isBlob(v) {
  return (typeof Blob !== 'undefined' && v instanceof Blob) ||
    (v !== null && typeof v === 'object' && typeof v.arrayBuffer === 'function' &&
     typeof v.slice === 'function' && typeof v.size === 'number');
}

function asBytes(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

function deepFreeze(v) {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) deepFreeze(v[k]);
    Object.freeze(v);
  }
  return v;
}

/* ---- loading ------------------------------------------------------------ */

const LOAD_OPTIONS = ['manifest', 'manifestName', 'threshold', 'task', 'classes', 'simd', 'source', 'limits', 'parts', 'jobs'];

/** The load limits, in lp_wasm_model_load's argument order (index.d.ts; README "Hostile input, limits and numbers"). */
export const LOAD_LIMITS = ['modelBytes', 'nodes', 'treeDepth', 'tensorElements', 'graphNodes', 'graphOps'];

/** { modelBytes, nodes, ... } → the engine's limit arguments (0 = its default). */
function limitArgs(limits) {
  const l = checkKeys(limits, LOAD_LIMITS, 'loadModel: limits');
  return LOAD_LIMITS.map((k) => {
    const v = l[k];
    if (v === undefined) return 0;
    if (!Number.isSafeInteger(v) || v <= 0 || v > 0xFFFFFFFF) {
      throw usageError(`loadModel: limits.${k} must be a positive whole number below 2^32, not ${JSON.stringify(v)}`);
    }
    return v;
  });
}

/*
 * The model bytes' SHA-256 (the model's "sha256" in info), computed by the
 * platform's WebCrypto — native code, off the JS thread — while the engine
 * compiles, instead of in wasm (issue 6: hashing W1's 6.6 MB in the engine
 * was ~15 % of loading it).  null where WebCrypto is missing (a page served
 * over plain http from another host) or fails: the engine hashes the bytes.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
function sha256Hex(bytes) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle || !bytes?.length) return Promise.resolve(null);
  return subtle.digest('SHA-256', bytes).then((d) => Array.from(new Uint8Array(d), (b) => HEX[b]).join(''), () => null);
}

async function modelBytes(input) {
  if (typeof input === 'string' || input instanceof URL) {
    if (typeof input === 'string' && /^\s*[{[]/.test(input)) {
      throw usageError('loadModel got JSON text where it expects a URL or path; pass new TextEncoder().encode(text) instead');
    }
    return { bytes: await readResource(input), name: String(input) };
  }
  const bytes = asBytes(input);
  if (bytes) return { bytes, name: null };
  if (isBlob(input)) return { bytes: await blobBytes(input, 'the model'), name: input.name || null };
  throw usageError('loadModel expects the model as bytes (Uint8Array, ArrayBuffer), a Blob or File, or a URL');
}

async function manifestBytes(m) {
  if (m === undefined || m === null) return null;
  if (typeof m === 'string') return { bytes: encoder.encode(m), name: null }; // JSON text
  if (m instanceof URL) return { bytes: await readResource(m), name: String(m), located: true };   // files it names are beside it
  const bytes = asBytes(m);
  if (bytes) return { bytes, name: null };
  if (isBlob(m)) return { bytes: await blobBytes(m, 'the manifest'), name: m.name || null };
  if (typeof m === 'object' && !Array.isArray(m)) return { bytes: encoder.encode(JSON.stringify(m)), name: null };
  throw usageError('the manifest option must be JSON text, bytes, a Blob or File, a URL object or a plain object');
}

/** The manifest-schema text of the JS options / CLI flags; null when none is set. */
export function overridesText({ task, threshold, classes }) {
  const o = { localpredict: 1 };
  let any = false;
  if (task !== undefined && task !== null) {
    if (typeof task !== 'string') throw usageError('loadModel: task must be "multiclass", "binary", "multilabel" or "regression"');
    o.task = task;
    any = true;
  }
  if (threshold !== undefined && threshold !== null) {
    const ok = (typeof threshold === 'number' && !Number.isNaN(threshold)) ||
      (typeof threshold === 'object' && !Array.isArray(threshold));
    if (!ok) throw usageError('loadModel: threshold must be a number, or an object { label: number }');
    o.threshold = threshold;
    any = true;
  }
  if (classes !== undefined && classes !== null) {
    if (!Array.isArray(classes)) throw usageError('loadModel: classes must be an array of labels, e.g. ["cat", "dog"]');
    o.classes = classes;
    any = true;
  }
  return any ? JSON.stringify(o) : null;
}

/**
 * Loads a model; see index.d.ts.  The engine is instantiated on first use
 * (once per process and variant).
 *
 * With `jobs` (2 or more, where workers exist) the workers predictCsv will use
 * start first, so that their start (a thread, their modules: 60-100 ms of CPU
 * each in Node, more in a browser) runs while this thread reads and parses the
 * model; each gets the model's blob as soon as it is loaded, and the first
 * predictCsv finds them ready.  A load that fails stops them.
 */
export async function loadModel(input, options) {
  const opts = checkKeys(options, LOAD_OPTIONS, 'loadModel');
  if (opts.jobs !== undefined && opts.jobs !== null &&
      !(Number.isInteger(opts.jobs) && opts.jobs >= 1 && opts.jobs <= MAX_JOBS)) {
    throw usageError(`loadModel: jobs must be a whole number from 1 to ${MAX_JOBS} (workers to start for predictCsv)`);
  }
  const warmJobs = opts.jobs > 1 && workersAvailable() ? opts.jobs : 0;
  if (!warmJobs) return loadModelHere(input, opts, 0);
  prestartWorkers(warmJobs);
  try {
    return await loadModelHere(input, opts, warmJobs);
  } catch (e) {
    dropSpares();
    throw e;
  }
}

async function loadModelHere(input, opts, warmJobs) {
  const overrides = overridesText(opts);
  const limitValues = limitArgs(opts.limits);
  let givenHash = null;   // started as soon as the bytes are there, while the engine compiles
  const [engine, given, givenManifest] = await Promise.all([
    // No model with a manifest: the manifest is an ensemble's, the whole model.
    getEngine(opts.simd),
    input == null && opts.manifest != null ? null : modelBytes(input).then((g) => ((givenHash = sha256Hex(g.bytes)), g)),
    manifestBytes(opts.manifest),
  ]);
  // A bundle (.zip) is unpacked, an ensemble's member files gathered.
  const { model, manifest, parts } = await resolveModelSource(input, given, givenManifest, opts.parts);
  const sha256 = await (model.bytes === given?.bytes ? givenHash : sha256Hex(model.bytes));
  const source = opts.source ?? model.name;
  const manifestName = opts.manifestName ?? manifest?.name ?? null;
  // Errors in the model name the model file; manifest and option errors name their
  // origin in the engine's message already ("iris.localpredict.json: ...", "the options: ...").
  const blame = (code) => (code === 'BAD_MANIFEST' || code === 'USAGE' ? null : source);

  const x = engine.x;
  const ptrs = [];
  const keep = (p) => (ptrs.push(p), p);
  let handle = 0;
  try {
    const mp = keep(engine.copyIn(model.bytes));
    const manp = manifest ? keep(engine.copyIn(manifest.bytes)) : 0;
    const ovBytes = overrides ? encoder.encode(overrides) : null;
    const ovp = ovBytes ? keep(engine.copyIn(ovBytes)) : 0;
    const namep = manifestName ? keep(engine.cstringIn(manifestName)) : 0;
    const shap = sha256 ? keep(engine.cstringIn(sha256)) : 0;
    const out = keep(engine.alloc(4));
    new DataView(x.memory.buffer).setUint32(out, 0, true);
    let partsp = 0;
    if (parts.length) {   // an ensemble's member files, by the names its manifest gives
      partsp = x.lp_wasm_parts_new(parts.length) >>> 0;
      if (!partsp) throw new LocalPredictError('OUT_OF_MEMORY', 'out of memory');
      ptrs.push({ parts: partsp });
      parts.forEach((p, i) => x.lp_wasm_parts_set(partsp, i, keep(engine.cstringIn(p.name)), keep(engine.copyIn(p.bytes)), p.bytes.length));
    }
    engine.call((e) => x.lp_wasm_model_load_hashed(mp, model.bytes.length, manp, manifest ? manifest.bytes.length : 0,
      ovp, ovBytes ? ovBytes.length : 0, namep, ...limitValues, partsp, parts.length, shap, e, out), blame);
    handle = engine.readU32(out);
  } finally {
    for (const p of ptrs) {
      if (typeof p === 'object') x.lp_wasm_parts_free(p.parts);
      else engine.free(p);
    }
  }
  try {
    return new Model(TOKEN, engine, handle, warmJobs);
  } catch (e) {
    x.lp_wasm_model_destroy(handle);
    throw e;
  }
}

/** The info JSON text exactly as the engine wrote it (for the CLI's `info --json`). */
export function modelInfoJson(model) {
  return rawInfo.get(model);
}

/* ---- rows -> column table ----------------------------------------------- */

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/**
 * One column as the engine takes it: numeric (f64 + missing mask) when every
 * present value is a number, boolean or bigint; otherwise text (each value
 * as String(v)) that the engine parses with its own rules, as CSV cells.
 * null and undefined are missing in both; NaN is missing in numeric columns.
 */
function encodeColumn(values, label) {
  const n = values.length;
  let text = false;
  for (let r = 0; r < n; r++) {
    const v = values[r];
    if (typeof v === 'string') text = true;
    else if (v !== null && v !== undefined && typeof v === 'object') {
      throw usageError(`row ${r}, ${label}: ${describe(v)} is not a cell value; pass a number, string, boolean or null`);
    } else if (typeof v === 'function' || typeof v === 'symbol') {
      throw usageError(`row ${r}, ${label}: a ${typeof v} is not a cell value`);
    }
  }
  let missing = null;
  const markMissing = (r) => {
    missing ||= new Uint8Array(n);
    missing[r] = 1;
  };
  if (!text) {
    const data = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const v = values[r];
      if (v === null || v === undefined) {
        data[r] = NaN;
        markMissing(r);
      } else {
        data[r] = Number(v);
        if (Number.isNaN(data[r])) markMissing(r);
      }
    }
    return { type: COL_F64, data: new Uint8Array(data.buffer), offsets: null, missing };
  }
  const parts = new Array(n);
  const offsets = new Uint32Array(n + 1);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const v = values[r];
    if (v === null || v === undefined) {
      parts[r] = null;
      markMissing(r);
    } else {
      parts[r] = encoder.encode(typeof v === 'string' ? v : String(v));
      total += parts[r].length;
    }
    offsets[r + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let r = 0; r < n; r++) if (parts[r]) data.set(parts[r], offsets[r]);
  return { type: COL_STR, data, offsets, missing };
}

/**
 * Columns 0 .. width-1 of the rows, cell (r, j) = get(rows[r], j), each as
 * encodeColumn(cells, label(j)) encodes it (the same checks, in the same order:
 * column by column, row by row); the numeric columns share one Float64Array and
 * one array of missing flags, so a call with many columns and few rows (one row
 * of 50 features) allocates a few arrays, not a few per column.
 */
function encodeColumns(rows, width, get, label) {
  const n = rows.length;
  const text = new Uint8Array(width);
  let numeric = 0;
  for (let j = 0; j < width; j++) {
    for (let r = 0; r < n; r++) {
      const v = get(rows[r], j);
      if (typeof v === 'string') text[j] = 1;
      else if (v !== null && v !== undefined && typeof v === 'object') {
        throw usageError(`row ${r}, ${label(j)}: ${describe(v)} is not a cell value; pass a number, string, boolean or null`);
      } else if (typeof v === 'function' || typeof v === 'symbol') {
        throw usageError(`row ${r}, ${label(j)}: a ${typeof v} is not a cell value`);
      }
    }
    if (!text[j]) numeric++;
  }
  const data = new Float64Array(numeric * n);
  let missing = null;
  const out = new Array(width);
  const hasMissing = new Uint8Array(width);
  for (let j = 0, k = 0; j < width; j++) {
    if (text[j]) {
      out[j] = encodeColumn(rows.map((row) => get(row, j)), label(j));
      continue;
    }
    const base = k++ * n;
    for (let r = 0; r < n; r++) {
      const v = get(rows[r], j);
      const d = v === null || v === undefined ? NaN : Number(v);
      data[base + r] = d;
      if (Number.isNaN(d)) {
        missing ||= new Uint8Array(numeric * n);
        missing[base + r] = 1;
        hasMissing[j] = 1;
      }
    }
    out[j] = { type: COL_F64, data: new Uint8Array(data.buffer, base * 8, n * 8), offsets: null, missing: base };
  }
  for (let j = 0; j < width; j++) {
    if (!text[j]) out[j].missing = hasMissing[j] ? missing.subarray(out[j].missing, out[j].missing + n) : null;
  }
  return out;
}

function tableFromObjects(rows) {
  const keys = new Set();
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw usageError(`row ${r} is ${describe(row)}; pass every row as an object { column: value } (or every row as an array)`);
    }
    for (const k of Object.keys(row)) keys.add(k);
  }
  // Every key goes to the engine, which binds them (and ignores the extra ones) exactly
  // as it binds a CSV header; a model without names takes them by position.
  const names = [...keys];
  const out = encodeColumns(rows, names.length, (row, j) => (hasOwn(row, names[j]) ? row[names[j]] : undefined),
    (j) => `column "${names[j]}"`);
  out.forEach((col, j) => { col.name = names[j]; });
  return out;
}

function tableFromArrays(rows, columns) {
  const width = rows[0].length;
  for (let r = 0; r < rows.length; r++) {
    if (!Array.isArray(rows[r])) {
      throw usageError(`row ${r} is ${describe(rows[r])}; pass every row as an array (or every row as an object)`);
    }
    if (rows[r].length !== width) {
      throw usageError(`row ${r} has ${rows[r].length} values but row 0 has ${width}; every array row needs the same length`);
    }
  }
  if (columns !== undefined && columns !== null) {
    if (!Array.isArray(columns) || columns.length !== width || columns.some((c) => typeof c !== 'string')) {
      throw usageError(`predict: columns must be an array of ${width} column names, one per array element`);
    }
  }
  const nameOf = (j) => (columns ? columns[j] : null); // null: bind by position
  const out = encodeColumns(rows, width, (row, j) => row[j], (j) => (nameOf(j) ? `column "${nameOf(j)}"` : `column ${j}`));
  out.forEach((col, j) => { col.name = nameOf(j); });
  return out;
}

function isMatrix(rows) {
  return rows !== null && typeof rows === 'object' && !Array.isArray(rows) && 'data' in rows;
}

/* ---- CSV input sources -------------------------------------------------- */

/** A uniform reader over the input kinds predictCsv accepts. */
function openInput(input) {
  if (typeof input === 'string') input = encoder.encode(input);
  const bytes = asBytes(input);
  if (bytes) {
    let off = 0;
    return {
      total: bytes.length,
      // Nothing to wait for: a run on workers reads it on demand (parallel-csv.mjs).
      inMemory: true,
      async read() {
        if (off >= bytes.length) return null;
        const piece = bytes.subarray(off, off + CHUNK);
        off += piece.length;
        return piece;
      },
      cancel() {},
    };
  }
  if (isBlob(input) && typeof input.stream === 'function') return blobSource(input);
  if (isBlob(input)) {
    let off = 0;
    return {
      total: input.size,
      async read() {
        if (off >= input.size) return null;
        const end = Math.min(off + CHUNK, input.size);
        const piece = new Uint8Array(await input.slice(off, end).arrayBuffer().catch(readFailed(input)));
        off = end;
        return piece;
      },
      cancel() {},
    };
  }
  if (input && typeof input.readInto === 'function' && Number.isSafeInteger(input.size)) {
    // A file that reads into the caller's buffer (the CLI's input, cli.mjs; its readInto
    // gives the number of bytes read): its size is known, and a run reads into buffers
    // it reuses (parallel-csv.mjs, #singleStream).
    const readInto = async (buf) => {
      const n = await input.readInto(buf);
      return n > 0 ? buf.subarray(0, n) : null;
    };
    return { total: input.size, read: () => readInto(new Uint8Array(CHUNK)), readInto, cancel() {} };
  }
  if (input && typeof input.getReader === 'function') return streamSource(input.getReader());
  if (input && typeof input[Symbol.asyncIterator] === 'function') {
    const it = input[Symbol.asyncIterator]();
    return chunkSource(() => it.next(),
      () => { if (typeof it.return === 'function') Promise.resolve(it.return()).catch(() => {}); });
  }
  throw usageError('predictCsv expects the CSV as a string, bytes (Uint8Array, ArrayBuffer), a Blob or File, or a ReadableStream of bytes');
}

/**
 * A Blob or File, read with stream(), not one slice().arrayBuffer() per chunk (a browser
 * then reads the file ahead in large pieces), and where the stream is a byte stream
 * (Chromium, Node) into the caller's buffers (readInto): a new ArrayBuffer per chunk
 * costs its zeroing and page faults.  Chromium 156, W1's 98.5 MB File: 350-450 ms and
 * 0.4-0.5 s of the renderer's CPU in new 2 MiB chunks, 60-90 ms and 0.05-0.08 s into
 * reused 1-2 MiB buffers; that CPU was taken from the workers on 2 cores
 * (tests/bench/README.md, issue 6).
 *
 * readInto(buf), as every source's: resolves to the bytes read, at the start of buf's
 * memory, or null at the end.  A byte stream takes buf's ArrayBuffer over (buf is
 * detached): the bytes come back over the same memory in a new ArrayBuffer, which the
 * caller reuses instead of buf.
 */
function blobSource(blob) {
  const stream = blob.stream();
  let byob = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream (an older browser's Blob, a Blob-like object): plain chunks.
    const plain = streamSource(stream.getReader());
    return { ...plain, total: blob.size, read: () => plain.read().catch(readFailed(blob)) };
  }
  let ended = false;
  const readInto = async (buf) => {
    if (ended) return null;
    const { done, value } = await byob.read(buf).catch(readFailed(blob));
    if (done) ended = true;
    return done ? null : value;
  };
  return {
    total: blob.size,
    read: () => readInto(new Uint8Array(CHUNK)),
    readInto,
    cancel(reason) {
      ended = true;
      byob.cancel(reason).catch(() => {});
    },
  };
}

/** A rejection handler for reads of `blob`: its failure as blobReadError's IO error. */
const readFailed = (blob) => (e) => { throw blobReadError(blob, e); };

/** A source over a ReadableStream's reader (of unknown length). */
function streamSource(reader) {
  return chunkSource(() => reader.read(), (reason) => { reader.cancel(reason).catch(() => {}); });
}

/** A source over `next()` (an iterator's { done, value }): chunks handed out at most CHUNK
 * bytes at a time, strings encoded as UTF-8. */
function chunkSource(next, cancel) {
  let rest = null; // the part of a large chunk not handed out yet
  let ended = false;
  return {
    total: undefined,
    async read() {
      for (;;) {
        if (rest && rest.length) {
          const piece = rest.subarray(0, CHUNK);
          rest = rest.length > CHUNK ? rest.subarray(CHUNK) : null;
          return piece;
        }
        if (ended) return null;
        const { done, value } = await next();
        if (done) {
          ended = true;
          return null;
        }
        const chunk = typeof value === 'string' ? encoder.encode(value) : asBytes(value);
        if (!chunk) throw usageError(`predictCsv: the input stream gave ${describe(value)}; it must give Uint8Array chunks`);
        rest = chunk;
      }
    },
    cancel(reason) {
      ended = true;
      rest = null;
      cancel(reason);
    },
  };
}

/* ---- the streaming job -------------------------------------------------- */

const CSV_OPTIONS = ['includeInput', 'keep', 'threshold', 'onProgress', 'signal', 'source', 'maxFieldBytes',
  'maxColumns', 'jobs', 'delimiter', 'encoding', 'decimalComma', 'header', 'columns', 'excel', 'onError'];

/** Encoding names (any case) and the engine's lp_encoding numbers (localpredict.h; the
 * same names and aliases as lp_encoding_from_name and the CLIs' --encoding). */
const ENCODINGS = {
  'utf-8': 1, utf8: 1, 'windows-1252': 2, cp1252: 2, latin1: 3, 'latin-1': 3, 'iso-8859-1': 3,
  'utf-16le': 4, 'utf-16be': 5,
};
export const UTF16_ENCODINGS = [4, 5];

/** The dialect options (issue 9), checked; the engine's forms. */
function dialectOptions(o, fn) {
  const d = o.delimiter;
  if (d !== undefined && d !== null &&
      (typeof d !== 'string' || d.length !== 1 || d.charCodeAt(0) > 127 || '"\r\n'.includes(d))) {
    throw usageError(`${fn}: delimiter must be one character such as ",", ";", "|" or "\\t", not ${JSON.stringify(d)}`);
  }
  let encoding = 0;
  if (o.encoding !== undefined && o.encoding !== null) {
    encoding = typeof o.encoding === 'string' ? ENCODINGS[o.encoding.toLowerCase()] : undefined;
    if (!encoding) {
      throw usageError(`${fn}: encoding must be 'utf-8', 'windows-1252', 'latin1', 'utf-16le' or 'utf-16be', not ${JSON.stringify(o.encoding)}`);
    }
  }
  for (const k of ['decimalComma', 'excel', 'header']) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'boolean') throw usageError(`${fn}: ${k} must be true or false`);
  }
  if (o.decimalComma && d === ',') {
    throw usageError(`${fn}: decimalComma needs a delimiter other than "," (a comma cannot both separate the fields and be the decimal point)`);
  }
  const noHeader = o.header === false;
  if (o.columns !== undefined && o.columns !== null) {
    if (!Array.isArray(o.columns) || o.columns.some((c) => typeof c !== 'string' || c.includes('\0'))) {
      throw usageError(`${fn}: columns must be an array of column names, e.g. ["a", "b"]`);
    }
    if (!noHeader) throw usageError(`${fn}: columns names the columns of a file without a header: add header: false`);
  }
  if (o.onError !== undefined && o.onError !== null && o.onError !== 'fail' && o.onError !== 'skip') {
    throw usageError(`${fn}: onError must be 'fail' or 'skip', not ${JSON.stringify(o.onError)}`);
  }
  return {
    delimiter: d || null,
    encoding,
    decimalComma: !!o.decimalComma,
    noHeader,
    columns: o.columns && o.columns.length ? o.columns : null,
    excel: !!o.excel,
    onError: o.onError === 'skip' ? 'skip' : 'fail',
  };
}
const MAX_JOBS = 1024;

/** A CSV limit (index.d.ts): undefined = the engine's default (0). */
function limitArg(v, name, fn) {
  if (v === undefined || v === null) return 0;
  if (!Number.isSafeInteger(v) || v < 1) throw usageError(`${fn}: ${name} must be a positive integer, not ${JSON.stringify(v)}`);
  return v;
}

function csvOptions(options, fn) {
  const o = checkKeys(options, CSV_OPTIONS, fn);
  const threshold = thresholdArg(o.threshold, fn);
  if (o.keep !== undefined && o.keep !== null &&
      (!Array.isArray(o.keep) || o.keep.some((k) => typeof k !== 'string' || k.includes('\0')))) {
    throw usageError(`${fn}: keep must be an array of input column names, e.g. ["id"]`);
  }
  if (o.includeInput && o.keep) throw usageError(`${fn}: use either includeInput (every input column) or keep (only those), not both`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw usageError(`${fn}: onProgress must be a function`);
  if (o.signal !== undefined && o.signal !== null && typeof o.signal.aborted !== 'boolean') {
    throw usageError(`${fn}: signal must be an AbortSignal`);
  }
  if (o.source !== undefined && typeof o.source !== 'string') throw usageError(`${fn}: source must be a file name`);
  if (o.jobs !== undefined && o.jobs !== null &&
      !(Number.isInteger(o.jobs) && o.jobs >= 1 && o.jobs <= MAX_JOBS)) {
    throw usageError(`${fn}: jobs must be a whole number from 1 to ${MAX_JOBS} (workers; default: the number of cores)`);
  }
  return {
    jobs: o.jobs ?? null,
    threshold,
    includeInput: !!o.includeInput,
    keep: o.keep && o.keep.length ? o.keep : null,
    onProgress: o.onProgress || null,
    signal: o.signal || null,
    source: o.source || null,
    maxFieldBytes: limitArg(o.maxFieldBytes, 'maxFieldBytes', fn),
    maxColumns: limitArg(o.maxColumns, 'maxColumns', fn),
    ...dialectOptions(o, fn),
  };
}

/**
 * Lets timers and I/O callbacks run.  Input that is already in memory resolves every
 * read as a microtask, so a long run would otherwise starve the macrotask queue, and an
 * AbortSignal.timeout() or a UI update could not fire until the end.
 */
const YIELD_MS = 50;
const yieldToEventLoop = () => new Promise((resolve) => {
  if (typeof setImmediate === 'function') setImmediate(resolve);
  else setTimeout(resolve, 0);
});

/* ---- Model -------------------------------------------------------------- */

export class Model {
  #engine;
  #handle;
  #info;
  #nOutputs;
  #jobs = new Set(); // live CsvJobs and parallel runs (each with destroy())
  #blobBytes = null;
  #pools = new PoolCache(); // workers kept between predictCsv runs

  /** Use loadModel(); the constructor is not public. */
  constructor(token, engine, handle, warmJobs = 0) {
    if (token !== TOKEN) throw usageError('create a Model with loadModel(bytes | url, options)');
    this.#engine = engine;
    this.#handle = handle;
    const text = engine.cstring(engine.x.lp_wasm_model_info(handle));
    rawInfo.set(this, text);
    this.#info = deepFreeze(JSON.parse(text));
    this.#nOutputs = engine.x.lp_wasm_model_n_outputs(handle) >>> 0;
    if (warmJobs) this.#pools.warm(warmJobs, engine, () => this.#blob());
  }

  /** The model's description (engine JSON, frozen). */
  get info() {
    return this.#info;
  }

  /** Which engine runs this model: "simd" or "scalar". */
  get engine() {
    return this.#engine.variant;
  }

  get disposed() {
    return this.#handle === 0;
  }

  #live() {
    if (!this.#handle) throw disposedError();
  }

  predict(rows, options) {
    this.#live();
    const o = checkKeys(options, ['returnPredProba', 'threshold', 'columns'], 'predict');
    const threshold = thresholdArg(o.threshold, 'predict');
    const engine = this.#engine;
    const x = engine.x;
    const nOut = this.#nOutputs;

    let nRows;
    let matrix = null;
    let columns = null;
    if (isMatrix(rows)) {
      let { data } = rows;
      const { rows: r, cols: c } = rows;
      if (!Number.isInteger(r) || r < 0 || !Number.isInteger(c) || c < 0) {
        throw usageError('predict: a matrix needs integer rows and cols: { data: Float32Array, rows, cols }');
      }
      if (!(data instanceof Float32Array)) {
        if (!ArrayBuffer.isView(data) && !Array.isArray(data)) {
          throw usageError('predict: matrix data must be a Float32Array (row-major, rows × cols)');
        }
        data = Float32Array.from(data);
      }
      if (data.length !== r * c) {
        throw usageError(`predict: matrix data has ${data.length} values but rows × cols = ${r * c}`);
      }
      nRows = r;
      matrix = { data, cols: c };
    } else if (Array.isArray(rows)) {
      nRows = rows.length;
      if (nRows === 0) return this.#result(0, new Float32Array(0), new Uint8Array(0), o.returnPredProba);
      if (Array.isArray(rows[0])) {
        columns = tableFromArrays(rows, o.columns);
      } else {
        if (o.columns !== undefined) throw usageError('predict: columns applies to array rows; object rows name their own columns');
        columns = tableFromObjects(rows);
      }
    } else {
      throw usageError('predict expects an array of rows (objects or arrays) or a matrix { data: Float32Array, rows, cols }');
    }

    const ptrs = [];
    const keep = (p) => (ptrs.push(p), p);
    let table = 0;
    try {
      const n = nRows * nOut;
      // One allocation holds the matrix, the probabilities and the flags
      // (a small batch's call is short enough for each allocation to show).
      const dataBytes = matrix ? matrix.data.length * 4 : 0;
      const dp = keep(engine.alloc(dataBytes + n * 4 + n));
      const proba = dp + dataBytes;
      const chosen = proba + n * 4;
      if (matrix) {
        new Float32Array(x.memory.buffer, dp, matrix.data.length).set(matrix.data);
        engine.call((e) => x.lp_wasm_predict_matrix(this.#handle, dp, nRows, matrix.cols, threshold, proba, chosen, e));
      } else {
        table = x.lp_wasm_table_new(nRows, columns.length) >>> 0;
        if (!table) throw new LocalPredictError('OUT_OF_MEMORY', 'out of memory: the engine could not allocate a table');
        // One allocation holds every column's name, data, offsets and missing
        // flags, each part at a multiple of 8 bytes (a row of 50 columns was
        // 150 allocations, several times the prediction itself).
        let size = 0;
        const parts = [];
        const place = (bytes) => {
          const at = size;
          size += Math.max(8, (bytes.length + 7) & ~7);
          parts.push([at, bytes]);
          return at;
        };
        const layout = columns.map((col) => ({
          name: col.name !== null ? place(encoder.encode(`${col.name}\0`)) : -1,
          data: place(col.data),
          offsets: col.offsets ? place(new Uint8Array(col.offsets.buffer)) : -1,
          missing: col.missing ? place(col.missing) : -1,
        }));
        const base = keep(engine.alloc(size));
        const u8 = engine.u8;
        for (const [at, bytes] of parts) u8.set(bytes, base + at);
        const at = (offset) => (offset < 0 ? 0 : base + offset);
        layout.forEach((l, i) => {
          const status = x.lp_wasm_table_set_column(table, i, at(l.name), columns[i].type, at(l.data), at(l.offsets),
            at(l.missing));
          if (status !== 0) throw usageError(`the engine refused column ${i} (status ${status})`);
        });
        engine.call((e) => x.lp_wasm_predict_table(this.#handle, table, threshold, proba, chosen, e));
      }
      const probabilities = new Float32Array(x.memory.buffer, proba, n).slice();
      const flags = engine.copyOut(chosen, n);
      return this.#result(nRows, probabilities, flags, o.returnPredProba);
    } finally {
      if (table) x.lp_wasm_table_free(table);
      for (const p of ptrs) engine.free(p);
    }
  }

  /** Labels from the engine's Suggested Label flags (no decision is made here). */
  #result(nRows, proba, chosen, withProba) {
    const nOut = this.#nOutputs;
    const { task } = this.#info;
    const classes = this.#info.classes;
    const labels = new Array(nRows);
    for (let r = 0; r < nRows; r++) {
      const base = r * nOut;
      if (task === 'regression' || !classes) {
        labels[r] = proba[base];
      } else if (task === 'multilabel') {
        const row = [];
        for (let k = 0; k < nOut; k++) if (chosen[base + k]) row.push(classes[k]);
        labels[r] = row;
      } else {
        let label = null;
        for (let k = 0; k < nOut; k++) {
          if (chosen[base + k]) {
            label = classes[k];
            break;
          }
        }
        labels[r] = label;
      }
    }
    if (!withProba) return labels;
    return { labels, probabilities: { classes: classes || this.#info.outputs, data: proba } };
  }

  /** The model as its compact blob (lp_model_serialize), for workers; copied once. */
  #blob() {
    if (!this.#blobBytes) {
      this.#live();
      const t0 = clock();
      const engine = this.#engine;
      const slots = engine.alloc(8); // const uint8_t *out; size_t out_len
      try {
        engine.call((e) => engine.x.lp_wasm_model_serialize(this.#handle, slots, slots + 4, e));
        this.#blobBytes = engine.copyOut(engine.readU32(slots), engine.readU32(slots + 4));
      } finally {
        engine.free(slots);
      }
      trace('model blob serialize', t0);
    }
    return this.#blobBytes;
  }

  #stream(input, options, checkOnly, fn, onReport = null) {
    this.#live();
    const o = csvOptions(options, fn);
    const src = openInput(input);
    const jobs = o.jobs ?? defaultJobs();
    // UTF-16 is read by one job (a cut could split a code unit; parallel-csv.mjs also
    // keeps input that starts with a UTF-16 byte-order mark on one job).
    if (checkOnly || jobs === 1 || !workersAvailable() || UTF16_ENCODINGS.includes(o.encoding)) {
      return this.#singleStream(src, o, checkOnly, onReport);
    }
    const jobSet = this.#jobs;
    return parallelCsvStream({
      src,
      o,
      jobs,
      pools: this.#pools,
      engine: this.#engine,
      blob: () => this.#blob(),
      single: (s) => this.#singleStream(s, o, false),
      register: (handle) => {
        jobSet.add(handle);
        return () => jobSet.delete(handle);
      },
    });
  }

  /** One job on this thread: a pull-based stream over `src`.  A check job hands its
   * report to onReport before the stream closes. */
  #singleStream(src, o, checkOnly, onReport = null) {
    const engine = this.#engine;
    const jobs = this.#jobs;
    const handle = this.#handle;
    const model = this;
    const { signal, onProgress } = o;
    let job = null;
    let closed = false;
    let bytesRead = 0;
    let lastYield = Date.now();
    let controller;

    const cleanup = () => {
      closed = true;
      if (job) {
        jobs.delete(job);
        job.destroy();
        job = null;
      }
      if (signal) signal.removeEventListener('abort', onAbort);
    };
    function onAbort() {
      if (closed) return;
      cleanup();
      src.cancel(signal.reason);
      controller.error(abortedError(signal));
    }
    // A source that reads into the caller's buffer (openInput) gets two, reused: while the
    // engine predicts one chunk, the next is read into the other (one read ahead), so a
    // file's reads overlap the predicting (a File on disk: a round trip to the browser's
    // file thread per read).  job.push copies a chunk into the engine before the next
    // nextChunk(), which then reads into that chunk's buffer.
    const bufSize = Math.max(1, Math.min(CHUNK, src.total ?? CHUNK));
    let ahead = null;   // the read under way, into the buffer not handed out
    let spare = null;   // the buffer of the chunk handed out last
    const readAhead = (buf) => {
      ahead = src.readInto(buf);
      ahead.catch(() => {});   // awaited by the next nextChunk(); none after a cancel
    };
    const nextChunk = async () => {
      if (!src.readInto || src.held?.()) return src.read();
      if (!ahead) readAhead(new Uint8Array(bufSize));
      const bytes = await ahead;
      ahead = null;
      if (bytes === null) return null;
      if (!closed) readAhead(spare ?? new Uint8Array(bufSize));
      spare = new Uint8Array(bytes.buffer);
      return bytes;
    };
    const progress = () => {
      if (!onProgress) return;
      const skipped = job ? job.skipped() : { count: 0, lines: [] };
      onProgress({ bytesRead, bytesTotal: src.total, rows: job ? job.rows() : 0, skipped: skipped.count,
        skippedLines: skipped.lines, workers: 1 });
    };

    return new ReadableStream({
      start(c) {
        controller = c;
        if (signal) {
          if (signal.aborted) onAbort();
          else signal.addEventListener('abort', onAbort);
        }
      },
      async pull(c) {
        if (closed) return;
        try {
          if (!job) {
            if (model.disposed) throw disposedError();
            // A small input needs no 1 MiB buffer (check() of a header line, say).
            const bufSize = Math.max(1, Math.min(CHUNK, src.total ?? CHUNK));
            job = new CsvJob(engine, handle, o, checkOnly, bufSize);
            jobs.add(job);
          }
          for (;;) {
            if (Date.now() - lastYield > YIELD_MS) {
              await yieldToEventLoop();
              lastYield = Date.now();
              if (closed) return;
            }
            const chunk = await nextChunk();
            if (closed) return; // aborted or cancelled meanwhile
            if (chunk === null) {
              job.finish();
              const out = job.output();
              progress();
              if (checkOnly && onReport) onReport(job.checkReport());
              cleanup();
              if (out && !checkOnly) c.enqueue(out);
              c.close();
              return;
            }
            job.push(chunk);
            bytesRead += chunk.length;
            if (checkOnly && job.checkDone()) {
              // The check has its sample: the rest of a large file is not read.
              job.finish();
              progress();
              if (onReport) onReport(job.checkReport());
              cleanup();
              src.cancel();
              c.close();
              return;
            }
            const out = job.output();
            progress();
            if (out && !checkOnly) {
              c.enqueue(out);
              return;
            }
          }
        } catch (err) {
          const wasClosed = closed;
          cleanup();
          src.cancel(err);
          if (!wasClosed) throw err;
        }
      },
      cancel(reason) {
        cleanup();
        src.cancel(reason);
      },
    });
  }

  predictCsv(input, options) {
    return this.#stream(input, options, false, 'predictCsv');
  }

  async predictCsvText(input, options) {
    const reader = this.predictCsv(input, options).getReader();
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return text + decoder.decode();
  }

  async check(input, options) {
    let report = {};
    const reader = this.#stream(input, options, true, 'check', (r) => { report = r; }).getReader();
    try {
      for (;;) {
        const { done } = await reader.read();
        if (done) return { ok: true, ...report };
      }
    } catch (e) {
      if (e instanceof LocalPredictError && !['USAGE', 'IO', 'ABORTED'].includes(e.code)) {
        return { ok: false, error: e };
      }
      throw e;
    }
  }

  dispose() {
    if (!this.#handle) return;
    for (const job of [...this.#jobs]) job.destroy(disposedError());
    this.#jobs.clear();
    this.#pools.close();
    this.#engine.x.lp_wasm_model_destroy(this.#handle);
    this.#handle = 0;
  }
}
