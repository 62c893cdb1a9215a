#!/usr/bin/env node
/* cli.mjs — the `localpredict` command (npm "bin"), the same flags as the native CLI
 * (ARCHITECTURE.md, "Decisions": CLI).
 *
 *     localpredict predict MODEL INPUT [-o OUT] [--manifest F] [--task T] [--classes a,b|@file]
 *                          [--threshold T] [--include-input | --keep c,c] [--jobs N] [--check] [--quiet]
 *     localpredict info MODEL [--json]
 *
 * Invariants:
 * - Failures print exactly one line on stderr, `localpredict: <file>:<line>: column "<name>":
 *   <what>` (the engine's lp_error_format with the file as source), and exit with the code
 *   of their class: 1 usage, 2 model, 3 input data, 4 I/O, 5 limit, 130 cancelled.
 * - With -o the output goes to a temporary file beside OUT, renamed on success and
 *   removed on any failure, so no partial file is ever left under OUT's name.
 * - Progress goes to stderr only when it is a terminal and --quiet is not given.
 * The engine build follows LOCALPREDICT_ENGINE=auto|relaxed|simd|scalar (engineOption).
 */
import { unlinkSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { loadModel, setEngine, LocalPredictError, version } from './node.mjs';
import { modelInfoJson, CHUNK } from './model.mjs';
import { describeFsError, enableRelaxedSimd } from './load-node.mjs';
import { isEnsembleManifest } from './zip.mjs';
import { prestartWorkers, defaultJobs } from './pool.mjs';
import { poolTuning, recycleOutput } from './parallel-csv.mjs';
import { manifestFiles } from './manifest-files.mjs';

const EXIT = {
  OK: 0,
  USAGE: 1,
  STATE: 1,
  BAD_MODEL: 2,
  UNSUPPORTED: 2,
  BAD_MANIFEST: 2,
  MISSING_COLUMN: 3,
  BAD_NUMBER: 3,
  UNTERMINATED_QUOTE: 3,
  RAGGED_ROW: 3,
  BAD_CSV: 3,
  EMPTY_INPUT: 3,
  DUPLICATE_COLUMN: 3,
  COLUMN_COUNT: 3,
  UNKNOWN_CATEGORY: 3,
  IO: 4,
  LIMIT: 5,
  OUT_OF_MEMORY: 5,
  ABORTED: 130,
  INTERNAL: 70, // an engine trap (a bug): EX_SOFTWARE of sysexits.h
};

const HELP = `Usage:
  localpredict predict MODEL INPUT [-o OUT] [options]
  localpredict info MODEL [--json] [model options]
  localpredict --help | --version

Runs a trained classifier (XGBoost JSON or UBJSON, LightGBM model.txt, ONNX) on the
rows of a CSV file and writes a CSV with one probability column per class plus
"Suggested Label". Everything
runs on this machine; nothing is uploaded.

predict:
  MODEL INPUT            the model file and the CSV file ("-" reads standard input);
                         MODEL may be a .zip bundle (model + manifest, or an
                         ensemble), or an ensemble's manifest (NAME.localpredict.json
                         with "ensemble"), whose files are read beside it
  -o, --output OUT       write to OUT instead of standard output ("-"); the file is
                         written under a temporary name and renamed on success
  --include-input        put every input column in front of the predictions
  --keep COL,COL         put only these input columns in front
  --check                check the input against the model (header, encoding,
                         delimiter, column types in the first 1000 rows); predict nothing
  --delimiter X          the input's field delimiter: , ; | or tab (default: detected
                         from the header line)
  --encoding E           the input's encoding: utf-8, windows-1252, latin1, utf-16le,
                         utf-16be (default: UTF-8, or UTF-16 by its byte-order mark)
  --decimal-comma        numbers use a decimal comma (1,5); needs a delimiter other than ,
  --no-header            the first line is data (the model takes columns by position,
                         or name them with --columns a,b,c)
  --columns a,b,c        column names of a file without a header (with --no-header)
  --excel                write for Excel: UTF-8 byte-order mark and CRLF line ends
  --on-error fail|skip   a row with a bad cell fails the run (default) or keeps its
                         place with empty probabilities and the message in an Error column
  --jobs N               predict on N workers (default: the number of cores;
                         inputs under 8 MiB run on one)
  --quiet                no progress on standard error

model options (predict and info):
  --manifest FILE        a localpredict manifest; default: MODEL without its
                         extension + ".localpredict.json", when that file exists
  --task T               multiclass | binary | multilabel | regression
  --classes a,b,c        class labels in output order (--classes @FILE: one per line)
  --threshold T          decision threshold for binary and multi-label (default 0.5)

info:
  --json                 print the model description as JSON

limits (raise them for a model or file that needs more; README "Hostile input, limits and numbers"):
  --max-model-bytes N      model file size (default 268435456)
  --max-tree-nodes N       tree nodes in the model (default 67108864)
  --max-tree-depth N       levels of one tree (default 64, at most 255)
  --max-tensor-elements N  elements of one ONNX tensor (default 268435456)
  --max-graph-nodes N      nodes an ONNX graph declares (default 1048576)
  --max-graph-ops N        operators a dense ONNX graph runs (default 10000)
  --max-field-bytes N      bytes of one CSV field (default 1048576)
  --max-columns N          fields of one CSV record (default 100000)

Exit status: 0 ok, 1 usage, 2 bad or unsupported model, 3 bad input data,
4 I/O error, 5 limit exceeded, 130 cancelled (70: an internal error, a bug to report).
Environment: LOCALPREDICT_ENGINE=auto|relaxed|simd|scalar picks the WebAssembly engine
(auto: relaxed SIMD where Node has it, else SIMD, else scalar).
`;

/** A failure with its exit status and its one-line message (without "localpredict: "). */
class CliError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const usage = (msg) => new CliError(EXIT.USAGE, `${msg} (see localpredict --help)`);

/* ---- arguments ---------------------------------------------------------- */

// The native CLI's rules: options may come anywhere, every option is known to both commands.
// The --max-* flags: each sets a loadModel `limits` member or a CSV option, with the
// API's range (the native CLI's table in src/cli/main.c, same names and ranges).
const LIMIT_FLAGS = {
  '--max-model-bytes': { limit: 'modelBytes', max: 4294967295 },
  '--max-tree-nodes': { limit: 'nodes', max: 2147483647 },
  '--max-tree-depth': { limit: 'treeDepth', max: 255 },
  '--max-tensor-elements': { limit: 'tensorElements', max: 4294967295 },
  '--max-graph-nodes': { limit: 'graphNodes', max: 4294967295 },
  '--max-graph-ops': { limit: 'graphOps', max: 4294967295 },
  '--max-field-bytes': { csv: 'maxFieldBytes', max: 4294967295 },
  '--max-columns': { csv: 'maxColumns', max: 4294967295 },
};
const VALUE_OPTIONS = ['-o', '--output', '--manifest', '--task', '--classes', '--threshold', '--keep', '--jobs',
  '--delimiter', '--encoding', '--columns', '--on-error', ...Object.keys(LIMIT_FLAGS)];
const FLAG_OPTIONS = ['--include-input', '--check', '--quiet', '--json', '--decimal-comma', '--no-header', '--excel'];

const ENCODING_NAMES = ['utf-8', 'utf8', 'windows-1252', 'cp1252', 'latin1', 'latin-1', 'iso-8859-1', 'utf-16le', 'utf-16be'];

/** --delimiter's value as one character: one ASCII character, or "tab" / "\t". */
function delimiterChar(v) {
  if (v === 'tab' || v === 'TAB' || v === '\\t') return '\t';
  if (v.length !== 1 || v.charCodeAt(0) > 127 || '"\n\r'.includes(v)) return null;
  return v;
}

/** The dialect flags (issue 9), checked before anything is read; the native CLI's messages. */
function checkDialectArgs(values, flags) {
  if ('--delimiter' in values && delimiterChar(values['--delimiter']) === null) {
    throw new CliError(EXIT.USAGE, `--delimiter must be one character such as , ; | or tab, not "${values['--delimiter']}"`);
  }
  if ('--encoding' in values && !ENCODING_NAMES.includes(values['--encoding'].toLowerCase())) {
    throw new CliError(EXIT.USAGE, `--encoding must be utf-8, windows-1252, latin1, utf-16le or utf-16be, not "${values['--encoding']}"`);
  }
  if ('--on-error' in values && !['fail', 'skip'].includes(values['--on-error'])) {
    throw new CliError(EXIT.USAGE, `--on-error must be fail or skip, not "${values['--on-error']}"`);
  }
  if ('--columns' in values && !flags.has('--no-header')) {
    throw new CliError(EXIT.USAGE, '--columns names the columns of a file without a header: add --no-header');
  }
  if (flags.has('--decimal-comma') && '--delimiter' in values && delimiterChar(values['--delimiter']) === ',') {
    throw new CliError(EXIT.USAGE, '--decimal-comma needs a delimiter other than , (a comma cannot both separate the fields and be the decimal point)');
  }
}

/** The predictCsv / check options of the dialect flags. */
function dialectOptions(values, flags) {
  const o = {};
  if ('--delimiter' in values) o.delimiter = delimiterChar(values['--delimiter']);
  if ('--encoding' in values) o.encoding = values['--encoding'];
  if (flags.has('--decimal-comma')) o.decimalComma = true;
  if (flags.has('--no-header')) o.header = false;
  if ('--columns' in values) o.columns = values['--columns'].split(',');
  if (flags.has('--excel')) o.excel = true;
  if ('--on-error' in values) o.onError = values['--on-error'];
  return o;
}

/** --on-error skip: how many rows were skipped and where (the native CLI's words, true both
 * of rows that could not be read and of rows the model could not score). */
function skippedSummary(name, count, lines) {
  const s = count === 1 ? '' : 's';
  return `localpredict: ${name}: ${count} row${s} ${count === 1 ? 'was' : 'were'} left without ` +
    `predictions (the Error column says why): line${s} ${lines.join(', ')}${count > lines.length ? ', ...' : ''}\n`;
}

function parseArgs(argv) {
  const values = {};
  const flags = new Set();
  const positional = [];
  let onlyPositional = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPositional || arg === '-' || !arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositional = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') return { command: 'help' };
    if (arg === '--version' || arg === '-V') return { command: 'version' };
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_OPTIONS.includes(name)) {
      let value;
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length) value = argv[++i];
      else throw usage(`${name} needs a value`);
      values[name === '-o' ? '--output' : name] = value;
    } else if (FLAG_OPTIONS.includes(name) && eq < 0) {
      flags.add(name);
    } else {
      throw usage(`unknown option ${name}`);
    }
  }
  if (positional.length === 0) throw usage('no command');
  const [command, ...rest] = positional;
  if (command !== 'predict' && command !== 'info') {
    throw new CliError(EXIT.USAGE, `unknown command "${command}" (commands: predict, info)`);
  }
  if (command === 'predict' && rest.length !== 2) throw new CliError(EXIT.USAGE, 'usage: localpredict predict MODEL INPUT [-o OUT]');
  if (command === 'info' && rest.length !== 1) throw new CliError(EXIT.USAGE, 'usage: localpredict info MODEL [--json]');
  if (flags.has('--include-input') && '--keep' in values) throw new CliError(EXIT.USAGE, '--include-input and --keep cannot be combined');
  if ('--jobs' in values) {
    const j = values['--jobs'];
    if (!/^[0-9]+$/.test(j) || Number(j) < 1 || Number(j) > 1024) throw new CliError(EXIT.USAGE, '--jobs must be a whole number from 1 to 1024');
  }
  const limits = {};
  const csvLimits = {};
  for (const [flag, { limit, csv, max }] of Object.entries(LIMIT_FLAGS)) {
    if (!(flag in values)) continue;
    const text = values[flag];
    const v = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!(v >= 1 && v <= max)) throw new CliError(EXIT.USAGE, `${flag} must be a whole number from 1 to ${max}, got "${text}"`);
    if (limit) limits[limit] = v;
    else csvLimits[csv] = v;
  }
  checkDialectArgs(values, flags);
  return { command, values, flags, positional: rest, limits, csvLimits };
}

async function modelOptions(values, modelPath) {
  const o = {};
  if ('--task' in values) {
    o.task = values['--task']; // the engine checks it (USAGE: "task" must be one of ...)
  }
  if ('--threshold' in values) {
    const text = values['--threshold'];
    const t = Number(text);
    if (text.trim() === '' || !(t >= 0 && t <= 1)) {
      throw new CliError(EXIT.USAGE, `--threshold must be a number from 0 to 1, got "${text}"`);
    }
    o.threshold = t;
  }
  if ('--classes' in values) {
    const v = values['--classes'];
    if (v.startsWith('@')) {
      // One per line (CRLF too); a final line end ends the list, as in the native CLI.
      const lines = new TextDecoder().decode(await readBytes(v.slice(1))).split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      o.classes = lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
    } else {
      o.classes = v.split(',');
    }
  }
  let manifestPath = values['--manifest'];
  if (manifestPath === undefined) {
    // <model path without its extension>.localpredict.json, spelled as the native CLI does.
    const dot = modelPath.lastIndexOf('.');
    const stem = dot > modelPath.lastIndexOf('/') ? modelPath.slice(0, dot) : modelPath;
    const auto = `${stem}.localpredict.json`;
    if (await isFile(auto)) manifestPath = auto;
  }
  if (manifestPath !== undefined) {
    o.manifest = await readBytes(manifestPath);
    o.manifestName = manifestPath;
  }
  return o;
}

/* ---- files ------------------------------------------------------------- */

/** strerror's words for a Node fs error ("No such file or directory"), as the native CLI prints. */
function sysText(e) {
  const t = describeFsError(e);
  return t.charAt(0).toUpperCase() + t.slice(1);
}

async function isFile(path) {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function readBytes(path) {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new CliError(EXIT.IO, `${path}: cannot open: ${sysText(e)}`);
  }
  try {
    return await fh.readFile();
  } catch (e) {
    throw new CliError(EXIT.IO, `${path}: read error: ${sysText(e)}`);
  } finally {
    await fh.close().catch(() => {});
  }
}

/** The input file as an async iterable of chunks; read errors become I/O failures. */
async function openInput(path) {
  if (path === '-') {
    return { name: '<stdin>', size: undefined, chunks: stdinChunks(), close: async () => {} };
  }
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new CliError(EXIT.IO, `${path}: cannot open: ${sysText(e)}`);
  }
  let size;
  try {
    const st = await fh.stat();
    size = st.isFile() ? st.size : undefined;
  } catch {
    size = undefined;
  }
  /** Reads the next bytes into buf (Uint8Array); 0 at the end. */
  async function readInto(buf) {
    try {
      return (await fh.read(buf, 0, buf.length, null)).bytesRead;
    } catch (e) {
      throw new CliError(EXIT.IO, `${path}: read error: ${sysText(e)}`);
    }
  }
  async function* chunks() {
    for (;;) {
      const buffer = Buffer.allocUnsafe(CHUNK);
      const n = await readInto(buffer);
      if (n === 0) return;
      yield buffer.subarray(0, n);
    }
  }
  // A regular file also offers readInto with its size (model.mjs openInput): a run on
  // workers then reads into buffers it reuses instead of a new one per chunk.
  const source = size === undefined ? chunks() : { size, readInto, [Symbol.asyncIterator]: chunks };
  return { name: path, size, chunks: source, close: () => fh.close() };
}

async function* stdinChunks() {
  try {
    for await (const chunk of process.stdin) yield chunk;
  } catch (e) {
    throw new CliError(EXIT.IO, `<stdin>: read error: ${sysText(e)}`);
  }
}

/** The temporary output file while it exists (removed even on a forced exit). */
let pendingTemp = null;

/** Where output goes: stdout, or a temporary file beside OUT that commit() renames over it.
 * write(chunk, release) calls release() once the chunk's bytes are written (or handed
 * to the system), so that its buffer may be reused. */
async function openOutput(path) {
  if (path === undefined || path === '-') {
    let failed = null;
    process.stdout.on('error', (e) => { failed = e; });
    const check = () => {
      if (failed) throw new CliError(EXIT.IO, `<stdout>: write error: ${sysText(failed)}`);
    };
    return {
      async write(chunk, release) {
        check();
        // The callback: a pipe may queue the chunk past this call's return.
        if (!process.stdout.write(chunk, release && (() => release()))) {
          await new Promise((resolve) => {
            const done = () => {
              process.stdout.off('drain', done);
              process.stdout.off('error', done);
              resolve();
            };
            process.stdout.on('drain', done);
            process.stdout.on('error', done);
          });
        }
        check();
      },
      async commit() { check(); },
      async discard() {},
    };
  }
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fh;
  try {
    fh = await open(tmp, 'wx');
  } catch (e) {
    throw new CliError(EXIT.IO, `${path}: cannot write: ${sysText(e)}`);
  }
  pendingTemp = tmp;
  let closed = false;
  const close = async () => {
    if (!closed) {
      closed = true;
      await fh.close();
    }
  };
  return {
    async write(chunk, release) {
      try {
        await fh.write(chunk);
      } catch (e) {
        throw new CliError(EXIT.IO, `${path}: write error: ${sysText(e)}`);
      }
      release?.();
    },
    async commit() {
      try {
        await close();
      } catch (e) {
        throw new CliError(EXIT.IO, `${path}: write error: ${sysText(e)}`);
      }
      try {
        await rename(tmp, path);
        pendingTemp = null;
      } catch (e) {
        throw new CliError(EXIT.IO, `${path}: cannot write: ${sysText(e)}`);
      }
    },
    async discard() {
      await close().catch(() => {});
      await unlink(tmp).catch(() => {});
      pendingTemp = null;
    },
  };
}

/* ---- progress ----------------------------------------------------------- */

function progressReporter(enabled, total) {
  const started = Date.now();
  if (!enabled) return { update() {}, clear() {}, done() {} };
  let last = started;
  let shown = false;
  return {
    update({ bytesRead, rows }) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const mb = bytesRead / 1e6;
      const rate = mb / ((now - started) / 1000);
      const pct = total ? ` (${Math.floor((100 * bytesRead) / total)}%)` : '';
      process.stderr.write(`\r\x1b[K${rows} rows, ${mb.toFixed(1)} MB read${pct}, ${rate.toFixed(1)} MB/s`);
      shown = true;
    },
    clear() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
    done(rows) {
      this.clear();
      process.stderr.write(`localpredict: ${rows} rows predicted in ${((Date.now() - started) / 1000).toFixed(2)} s\n`);
    },
  };
}

/* ---- commands ----------------------------------------------------------- */

/**
 * LOCALPREDICT_ENGINE: auto (the default: the relaxed-SIMD build where Node can
 * run it, else the SIMD one, else the scalar one), relaxed, simd or scalar.
 * This process is the CLI's own, so under auto and relaxed it turns on Node
 * 20's relaxed SIMD, which sits behind a V8 flag there (load-node.mjs).
 */
function engineOption() {
  const v = (process.env.LOCALPREDICT_ENGINE || 'auto').toLowerCase();
  if (v === 'auto') {
    enableRelaxedSimd();
    return { simd: 'auto', relaxed: 'auto' };
  }
  if (v === 'relaxed') {
    if (!enableRelaxedSimd()) {
      throw new CliError(EXIT.USAGE, `LOCALPREDICT_ENGINE=relaxed: this Node (${process.version}) has no WebAssembly relaxed SIMD; use simd or auto`);
    }
    return { simd: true, relaxed: true };
  }
  if (v === 'simd') return { simd: true, relaxed: false };
  if (v === 'scalar') return { simd: false, relaxed: 'auto' };
  throw new CliError(EXIT.USAGE, `LOCALPREDICT_ENGINE must be auto, relaxed, simd or scalar, not "${process.env.LOCALPREDICT_ENGINE}"`);
}

async function load(modelPath, values, limits) {
  const { simd, relaxed } = engineOption();
  setEngine({ relaxed });
  const bytes = await readBytes(modelPath);
  const options = await modelOptions(values, modelPath);
  if (!('--manifest' in values) && isEnsembleManifest(bytes)) {
    // MODEL is an ensemble's manifest: read the files it names, relative to it (as the native CLI does).
    const parts = await readNamedFiles(modelPath, bytes);
    return loadModel(bytes, { ...options, parts, manifestName: modelPath, source: modelPath, simd, limits });
  }
  // A manifest's vocabulary file ("preprocess.vocab"), read beside the manifest.
  const parts = options.manifest ? await readNamedFiles(options.manifestName, options.manifest) : undefined;
  return loadModel(bytes, { ...options, parts, source: modelPath, simd, limits });
}

/** The files a manifest names (manifest-files.mjs), relative to its path; one missing is named with where it was looked for. */
async function readNamedFiles(manifestPath, manifestBytes) {
  const parts = [];
  for (const { key, name } of manifestFiles(manifestBytes)) {
    const path = name.startsWith('/') ? name : join(dirname(manifestPath), name);
    if (!(await isFile(path))) {
      throw new CliError(EXIT.IO, `${manifestPath}: "${key}" names the file "${name}", which is not there (looked for ${path})`);
    }
    parts.push({ name, bytes: await readBytes(path) });
  }
  return parts;
}

async function predictCommand({ values, flags, positional, limits, csvLimits }, ui) {
  const [modelPath, inputPath] = positional;
  const keep = '--keep' in values ? values['--keep'].split(',') : undefined;
  const quiet = flags.has('--quiet');
  const check = flags.has('--check');
  const jobs = '--jobs' in values ? Number(values['--jobs']) : undefined; // default: cores

  if (!check) await startWorkersEarly(inputPath, jobs, values['--encoding']);
  // The input is opened while the model loads (its open and stat then wait on the I/O
  // threads during the load, not after it); a bad model is still the error reported first.
  const opening = openInput(inputPath);
  opening.catch(() => {}); // awaited (and reported) below
  let model;
  try {
    model = await load(modelPath, values, limits);
  } catch (e) {
    opening.then((i) => i.close(), () => {});
    throw e;
  }
  let input;
  try {
    input = await opening;
  } catch (e) {
    model.dispose();
    throw e;
  }
  const progress = progressReporter(!!process.stderr.isTTY && !quiet, input.size);
  ui.progress = progress;
  let rows = 0;
  let skipped = { count: 0, lines: [] };
  const common = {
    ...csvLimits,
    source: input.name,
    signal: ui.signal,
    onProgress: (p) => {
      rows = p.rows;
      skipped = { count: p.skipped, lines: p.skippedLines };
      progress.update(p);
    },
    ...dialectOptions(values, flags),
  };
  try {
    if (check) {
      const result = await model.check(input.chunks, common);
      progress.clear();
      if (!result.ok) throw result.error;
      if (!quiet) process.stderr.write(`localpredict: ${input.name}: the header has every column the model needs\n`);
      process.stdout.write(result.text);
      return;
    }
    const out = await openOutput(values['--output']);
    try {
      const stream = model.predictCsv(input.chunks, { ...common, includeInput: flags.has('--include-input'), keep, jobs });
      const reader = stream.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          // Written: the worker pool may write a later slice's output into its buffer.
          await out.write(value, () => recycleOutput(stream, value));
        }
      } catch (e) {
        reader.cancel().catch(() => {});
        throw e;
      }
      await out.commit();
    } catch (e) {
      await out.discard();
      throw e;
    }
    if (process.stderr.isTTY && !quiet) progress.done(rows);
    if (skipped.count && !quiet) process.stderr.write(skippedSummary(input.name, skipped.count, skipped.lines));
  } finally {
    progress.clear();
    await input.close().catch(() => {});
    if (inputPath === '-') process.stdin.destroy();
    model.dispose();
  }
}

/**
 * A file big enough for the worker pool (parallel-csv.mjs) gets its workers started
 * now: their start (a thread, its modules) then overlaps the model's load on this
 * thread instead of following it.  Anything unusual (stdin, UTF-16, a file that
 * cannot be read) leaves the decision to predictCsv, as without this.
 */
async function startWorkersEarly(inputPath, jobs, encoding) {
  const n = jobs ?? defaultJobs();
  if (n < 2 || inputPath === '-' || (encoding && /^utf-16/i.test(encoding))) return;
  try {
    const st = await stat(inputPath);
    if (st.isFile() && st.size >= poolTuning.minBytes) prestartWorkers(n);
  } catch {
    // openInput reports it
  }
}

/** The native CLI's `info` layout, line for line. */
function describeInfo(info, modelPath) {
  const list = (a) => (a || []).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  const f = info.features || {};
  const lines = [
    `model      ${modelPath}`,
    `format     ${info.format} (${info.producer})`,
    `objective  ${info.objective}`,
    `task       ${info.task}`,
    Array.isArray(info.members)
      ? `members    ${info.members.length}: ${info.members.map((m) => `${m.name} (weight ${m.weight})`).join(', ')}`
      : computationLine(info),
    `features   ${f.count}${Array.isArray(f.names) ? `: ${list(f.names)}` : ' (unnamed: taken by position)'}`,
    ...dimsLines(info.dims),
  ];
  if (Array.isArray(info.classes)) {
    lines.push(`classes    ${info.classes.length}: ${list(info.classes)}`);
    lines.push(`thresholds ${list(info.thresholds)}`);
  }
  lines.push(...detailLines(info.details, ''));
  lines.push(`sha256     ${info.sha256}`);
  lines.push(`engine     ${info.engine}`);
  // An ensemble's members, one block each (the native CLI's layout).
  (info.members || []).forEach((m, i) => {
    const mi = m.info;
    lines.push(`member ${String(i + 1).padEnd(3)} ${m.name}`, `  model      ${m.model}`,
      `  format     ${mi.format} (${mi.producer})`, `  weight     ${m.weight}`, `  objective  ${mi.objective}`,
      `  ${computationLine(mi, '  ')}`,
      `  features   ${mi.features.count}${Array.isArray(mi.features.names) ? `: ${list(mi.features.names)}` : ''}`,
      ...detailLines(mi.details, '  '), `  sha256     ${mi.sha256}`);
  });
  return `${lines.join('\n')}\n`;
}

/** The "dims" line: the symbolic input dimensions the load bound (the native CLI's words). */
function dimsLines(dims) {
  if (!Array.isArray(dims) || dims.length === 0) return [];
  const one = (d) => `${d.input !== null ? `${d.input} dimension ${d.axis}${d.name !== null ? ` ("${d.name}")` : ''}`
    : `"${d.name ?? ''}"`} = ${d.size} (${d.source})`;
  return [`dims       ${dims.map(one).join(', ')}`];
}

/** The "trees" line of a tree model, or the "graph" line of a dense one. */
function computationLine(info, indent = '') {
  const trees = `trees      ${info.trees} (${info.booster} booster, ${info.nodes} nodes, max depth ${info.maxDepth})` +
      (info.bestIteration === null ? '' : `; early stopping: iterations 0-${info.bestIteration}, ${info.trees} of the file's ${info.treesInFile} trees`);
  if (typeof info.operators !== 'number') return trees;
  if (!(info.trees > 0)) {
    return `graph      ${info.operators} operators (dense layers and activations)` +
      (info.scoresFrom === null ? '' : `, scores from "${info.scoresFrom}"`);
  }
  // ONNX trees after encoders: the graph computes their features.
  return `graph      ${info.operators} operators (the trees' features)\n${indent}${trees}`;
}

/** A manifest's details, one line each. */
function detailLines(d, indent) {
  const lines = [];
  if (!d) return lines;
  for (const key of ['name', 'type', 'version', 'trained', 'description']) {
    if (typeof d[key] === 'string') lines.push(`${indent}${key.padEnd(10)} ${d[key]}`);
  }
  for (const [label, value] of Object.entries(d.metrics || {})) lines.push(`${indent}metric     ${label}: ${value}`);
  return lines;
}

async function infoCommand({ values, flags, positional, limits }) {
  const model = await load(positional[0], values, limits);
  try {
    process.stdout.write(flags.has('--json') ? `${modelInfoJson(model)}\n` : describeInfo(model.info, positional[0]));
  } finally {
    model.dispose();
  }
}

/* ---- main --------------------------------------------------------------- */

async function main(argv) {
  const controller = new AbortController();
  const ui = { signal: controller.signal, progress: null };
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) { // a second Ctrl-C: leave now, but leave no partial file
      if (pendingTemp) {
        try {
          unlinkSync(pendingTemp);
        } catch { /* gone already */ }
      }
      process.stderr.write('localpredict: cancelled\n');
      process.exit(EXIT.ABORTED);
    }
    interrupted = true;
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const args = parseArgs(argv);
    if (args.command === 'help') process.stdout.write(HELP);
    else if (args.command === 'version') process.stdout.write(`localpredict ${version}\n`);
    else if (args.command === 'predict') await predictCommand(args, ui);
    else await infoCommand(args);
    return EXIT.OK;
  } catch (e) {
    ui.progress?.clear();
    let status;
    let message;
    if (e instanceof CliError) {
      status = e.status;
      message = e.message;
    } else if (e instanceof LocalPredictError) {
      status = EXIT[e.code] ?? EXIT.USAGE;
      message = e.code === 'ABORTED' ? 'cancelled' : e.message;
    } else {
      status = 70; // EX_SOFTWARE: a bug in localpredict itself
      message = `internal error: ${e && e.stack ? e.stack.split('\n').slice(0, 2).join(' ') : e}`;
    }
    process.stderr.write(`localpredict: ${message.replace(/[\r\n]+/g, ' ')}\n`);
    return status;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

process.exitCode = await main(process.argv.slice(2));
