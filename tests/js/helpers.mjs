/* helpers.mjs — shared by tests/js/*.test.mjs (not a test file itself).
 *
 * Fixtures: tests/fixtures/xgboost/<case>/ with model.json, input.csv, expected.csv
 * (xgboost's float32 probabilities, header = class labels) and meta.json;
 * iris_example points into web/examples/ through meta.json paths.
 * A folder with model.ubj (the same model saved as UBJSON) is also the case "<case>.ubj".
 * tests/fixtures/lightgbm/<case>/ likewise with model.txt (named "lightgbm/<case>");
 * their meta.json may set relative_tolerance (large regression values),
 * double_inputs (numbers float32 cannot hold: no float32 matrix path) and
 * string_cells (category names: text cells only).
 *
 * Correctness is judged against expected.csv only: probabilities within PROBA_TOL,
 * Suggested Label recomputed from the EXPECTED probabilities by the contract rules,
 * rows closer than TIE_TOL to a threshold or to another class left out.
 */
import { readFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

import { simdSupported, LocalPredictError } from '../../wasm/node.mjs';
import { poolTuning } from '../../wasm/parallel-csv.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'wasm', 'cli.mjs');
export const NATIVE = join(ROOT, 'build', 'native', 'localpredict');
export const FIXTURES = join(ROOT, 'tests', 'fixtures', 'xgboost');
/* ONNX cases (expected outputs from onnxruntime-node); named `onnx/<case>`. */
export const ONNX_FIXTURES = join(ROOT, 'tests', 'fixtures', 'onnx');
export const LGB_FIXTURES = join(ROOT, 'tests', 'fixtures', 'lightgbm');
/* ai.onnx.ml cases (opset-5 trees, double splits, skl2onnx pipelines); named `onnx_ml/<case>`. */
export const ONNX_ML_FIXTURES = join(ROOT, 'tests', 'fixtures', 'onnx_ml');

export const PROBA_TOL = 1e-6;
export const TIE_TOL = 1e-5;

/** Engines to run every suite against; SIMD only where the runtime has it. */
export const ENGINES = [
  ...(simdSupported() ? [{ name: 'simd', simd: true }] : []),
  { name: 'scalar', simd: false },
];

/* ---- CSV ---------------------------------------------------------------- */

/** RFC 4180 records (quotes, doubled quotes, CRLF or LF); a final line end ends the last record. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else {
      field += c;
    }
    i++;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/* ---- fixtures ----------------------------------------------------------- */

/** Case folders (those with a meta.json) under a fixture root, as [name, dir]. */
function caseDirs(root, prefix) {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'meta.json')))
    .map((d) => [prefix + d.name, join(root, d.name)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Every case with absolute paths, its meta, input rows and expected probabilities. */
export function loadCases() {
  const folders = (root, prefix) => caseDirs(root, prefix).map(([name, dir]) => ({ name, dir }));
  /* An xgboost folder with model.ubj (the same model as UBJSON) is a second case. */
  const ubj = folders(FIXTURES, '').filter(({ dir }) => existsSync(join(dir, 'model.ubj')))
    .map(({ name, dir }) => ({ name: `${name}.ubj`, dir, modelFile: 'model.ubj' }));
  return [...folders(FIXTURES, ''), ...ubj, ...folders(LGB_FIXTURES, 'lightgbm/'), ...folders(ONNX_FIXTURES, 'onnx/'),
    ...folders(ONNX_ML_FIXTURES, 'onnx_ml/')]
    .map(({ name, dir, modelFile }) => {
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
      const model = meta.model_path ? join(ROOT, meta.model_path) : join(dir, modelFile || meta.model_file || 'model.json');
      const input = meta.input_path ? join(ROOT, meta.input_path) : join(dir, 'input.csv');
      const manifest = meta.manifest_path ? join(ROOT, meta.manifest_path) : null;
      const inputText = readFileSync(input, 'utf8');
      const [header, ...rows] = parseCsv(inputText);
      const [expHeader, ...expRows] = parseCsv(readFileSync(join(dir, 'expected.csv'), 'utf8'));
      return {
        name,
        dir,
        meta,
        model,
        input,
        manifest,
        inputText,
        header,
        rows,
        expected: { header: expHeader, rows: expRows.map((r) => r.map(Number)) },
      };
    });
}

/**
 * The Suggested Label the contract gives for expected probabilities, as CSV text,
 * or null for a near-tie that must not be compared.
 */
export function contractLabel(task, classes, p, threshold = 0.5) {
  const text = classes.map(String);
  /* a NaN probability (a row the model cannot score) suggests no class */
  if (p.some(Number.isNaN)) return '';
  if (task === 'multiclass') {
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
    for (let k = 0; k < p.length; k++) if (k !== best && Math.abs(p[k] - p[best]) <= TIE_TOL) return null;
    return text[best];
  }
  if (task === 'binary') {
    if (Math.abs(p[1] - threshold) <= TIE_TOL) return null;
    return p[1] > threshold ? text[1] : text[0];
  }
  if (task === 'multilabel') {
    if (p.some((x) => Math.abs(x - threshold) <= TIE_TOL)) return null;
    return text.filter((_, k) => p[k] > threshold).join(',');
  }
  throw new Error(`no label rule for task ${task}`);
}

/**
 * Typed labels (as the JS API returns them) for the same rule: null where no
 * class is suggested, undefined for a near-tie (not checked).
 */
export function contractTypedLabel(task, classes, p, threshold = 0.5) {
  const t = contractLabel(task, classes, p, threshold);
  if (t === null) return undefined;
  if (task === 'multilabel') return t === '' ? [] : classes.filter((_, k) => p[k] > threshold);
  if (t === '') return null;
  return classes[classes.map(String).indexOf(t)];
}

/** The contract's text of a float32: the shortest decimal that reads back as it, in JS notation. */
export function shortestF32(f) {
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return String(d);
  }
  return String(f);
}

/**
 * Checks a predicted CSV (text) against a case's expected.csv.  Returns a list of
 * problems (empty when all is well) so a failure shows every bad row at once.
 */
export function compareCsv(c, text, { threshold = 0.5 } = {}) {
  const problems = [];
  const regression = c.meta.task === 'regression';
  const classes = outputsOf(c);
  const [header, ...rows] = parseCsv(text);
  const want = regression ? ['Prediction'] : [...classes.map(String), 'Suggested Label'];
  if (JSON.stringify(header) !== JSON.stringify(want)) problems.push(`header ${JSON.stringify(header)} != ${JSON.stringify(want)}`);
  if (rows.length !== c.expected.rows.length) problems.push(`${rows.length} rows, expected ${c.expected.rows.length}`);
  const K = classes.length;
  for (let r = 0; r < Math.min(rows.length, c.expected.rows.length); r++) {
    const exp = c.expected.rows[r];
    const got = rows[r];
    if (got.length !== K + (regression ? 0 : 1)) {
      problems.push(`row ${r + 1}: ${got.length} fields`);
      continue;
    }
    for (let k = 0; k < K; k++) {
      const v = Number(got[k]);
      if (!close(c, v, exp[k])) problems.push(`row ${r + 1}, class ${classes[k]}: ${got[k]} vs expected ${exp[k]}`);
      if (got[k] !== shortestF32(Math.fround(v))) problems.push(`row ${r + 1}: ${got[k]} is not the shortest float32 text`);
    }
    if (regression) continue;   /* no Suggested Label */
    const label = contractLabel(c.meta.task, classes, exp, threshold);
    if (label !== null && got[K] !== label) problems.push(`row ${r + 1}: label ${JSON.stringify(got[K])} vs ${JSON.stringify(label)}`);
  }
  return problems.slice(0, 20);
}

/**
 * Within PROBA_TOL of the reference, relative for values above 1 (regressions:
 * float32 steps grow with the value), or a case's own relative_tolerance.
 */
export function close(c, got, want) {
  if (Number.isNaN(want)) return Number.isNaN(got);   // a NaN row (dense_relu_nan) stays NaN
  const rel = c.meta.relative_tolerance ?? PROBA_TOL;
  return Math.abs(got - want) <= Math.max(PROBA_TOL, rel * Math.abs(want));
}

/** The output columns of a case: its classes, or the one Prediction of a regression. */
export function outputsOf(c) {
  return c.meta.task === 'regression' ? ['Prediction'] : c.meta.classes;
}

/** The same checks for predict()'s { labels, probabilities }. */
export function compareResult(c, result) {
  const problems = [];
  const classes = outputsOf(c);
  const K = classes.length;
  const { labels, probabilities } = result;
  if (JSON.stringify(probabilities.classes) !== JSON.stringify(classes)) {
    problems.push(`classes ${JSON.stringify(probabilities.classes)} != ${JSON.stringify(classes)}`);
  }
  if (!(probabilities.data instanceof Float32Array)) problems.push('probabilities.data is not a Float32Array');
  if (labels.length !== c.expected.rows.length) problems.push(`${labels.length} labels for ${c.expected.rows.length} rows`);
  if (probabilities.data.length !== c.expected.rows.length * K) problems.push(`${probabilities.data.length} probabilities`);
  for (let r = 0; r < c.expected.rows.length; r++) {
    const exp = c.expected.rows[r];
    for (let k = 0; k < K; k++) {
      const v = probabilities.data[r * K + k];
      if (!close(c, v, exp[k])) problems.push(`row ${r + 1}, class ${classes[k]}: ${v} vs expected ${exp[k]}`);
    }
    if (c.meta.task === 'regression') {
      /* The "label" of a regression is its prediction. */
      if (!Object.is(labels[r], probabilities.data[r])) problems.push(`row ${r + 1}: label ${labels[r]} is not the prediction`);
      continue;
    }
    const want = contractTypedLabel(c.meta.task, classes, exp);
    if (want !== undefined && JSON.stringify(labels[r]) !== JSON.stringify(want)) {
      problems.push(`row ${r + 1}: label ${JSON.stringify(labels[r])} vs ${JSON.stringify(want)}`);
    }
  }
  return problems.slice(0, 20);
}

/** Spellings the engine reads as missing (ARCHITECTURE.md "Cells"), any case. */
export function isMissingCell(s) {
  return /^\s*(|na|nan|null)\s*$/i.test(s);
}

/** The case's input rows as objects of raw strings (as a CSV reader gives them). */
export function rowsAsTextObjects(c) {
  return c.rows.map((r) => Object.fromEntries(c.header.map((h, j) => [h, r[j]])));
}

/** The case's input rows as objects of numbers, null for missing cells. */
export function rowsAsNumberObjects(c) {
  return c.rows.map((r) => Object.fromEntries(c.header.map((h, j) => [h, isMissingCell(r[j]) ? null : Number(r[j])])));
}

/** Column indices of the model's features in the CSV (position when the model has no names). */
export function featureColumns(c, info) {
  const names = info.features.names;
  if (!names) return info.features.count === c.header.length ? c.header.map((_, j) => j) : null;
  return names.map((n) => c.header.indexOf(n));
}

/* ---- processes and files ----------------------------------------------- */

/** Runs a command; resolves { status, stdout (Buffer), stderr (string) }. */
export function run(cmd, args, { input, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: cwd || ROOT, env: { ...process.env, ...env } });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      resolve({ status, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {}); // the child may exit before reading everything
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** `node wasm/cli.mjs ...args` with the engine chosen by LOCALPREDICT_ENGINE. */
export function runCli(args, { engine = 'auto', ...rest } = {}) {
  return run(process.execPath, [CLI, ...args], { ...rest, env: { LOCALPREDICT_ENGINE: engine, ...(rest.env || {}) } });
}

export const hasNative = () => existsSync(NATIVE);

/**
 * Runs `fn` and returns the LocalPredictError it throws or rejects with, after
 * checking its code, that its message is one line, and that it matches
 * `message` if given (fails if nothing is thrown).
 */
export async function rejects(fn, code, message) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected ${code}, nothing was thrown`);
  assert.ok(error instanceof LocalPredictError, `not a LocalPredictError: ${error && error.stack}`);
  assert.equal(error.name, 'LocalPredictError');
  assert.equal(error.code, code, error.message);
  assert.ok(!error.message.includes('\n'), `one line: ${error.message}`);
  if (message) assert.match(error.message, message);
  return error;
}

/** The LocalPredictError `promise` rejects with, as a plain { code, message, where } (fails if it resolves). */
export async function errorOf(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof LocalPredictError, String(e));
    return { code: e.code, message: e.message, where: { ...e.where } };
  }
  assert.fail('no error');
}

/** Every CLI a test can run: the JS CLI on each engine, and the native one where it is built. */
export function everyCli() {
  return [...ENGINES.map((e) => ({ name: e.name, cli: (args, o) => runCli(args, { ...o, engine: e.name }) })),
    ...(hasNative() ? [{ name: 'native', cli: (args, o) => run(NATIVE, args, o) }] : [])];
}

/** A fresh temporary directory, removed by the returned cleanup(). */
export function tempDir() {
  const dir = mkdtempSync(join(tmpdir(), 'localpredict-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/* ---- streams ------------------------------------------------------------ */

/** A ReadableStream giving `bytes` in chunks whose sizes come from nextSize(). */
export function chunkedStream(bytes, nextSize) {
  let off = 0;
  return new ReadableStream({
    pull(controller) {
      if (off >= bytes.length) {
        controller.close();
        return;
      }
      const n = Math.max(1, nextSize());
      controller.enqueue(bytes.slice(off, off + n));
      off += n;
    },
  });
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** All bytes of a ReadableStream<Uint8Array>. */
export async function streamBytes(stream) {
  const parts = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return Buffer.concat(parts);
}

/** Runs fn with the worker pool's tuning (wasm/parallel-csv.mjs poolTuning) changed,
 * e.g. { minBytes: 0, sliceBytes: 64 } to force the pool on with tiny slices, and
 * puts it back afterwards. */
export async function withTuning(tuning, fn) {
  const saved = { ...poolTuning };
  Object.assign(poolTuning, tuning);
  try {
    return await fn();
  } finally {
    Object.assign(poolTuning, saved);
  }
}
