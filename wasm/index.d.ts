/**
 * localpredict — run trained classifiers on rows of data locally, in Node 18+ or a
 * browser, with a WebAssembly engine (relaxed SIMD or SIMD where the runtime has it,
 * scalar otherwise).
 *
 * ```ts
 * import { loadModel } from 'localpredict';
 * const model = await loadModel(bytesOrFileOrUrl, { manifest });
 * model.predict([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
 * // → ['setosa']
 * const csv = await model.predictCsvText(file);   // "setosa,versicolor,virginica,Suggested Label\n…"
 * model.dispose();
 * ```
 *
 * Output contract (README "Output contract"): one probability column per class, headed by the
 * class label, plus `Suggested Label` — the most probable class (multi-class, first on a
 * tie), the positive class when its probability is greater than the threshold (binary),
 * or every label above its threshold joined by `,` (multi-label).  The engine computes
 * both the probabilities and the suggested labels; this API only converts values.
 *
 * Every failure the caller can act on is a {@link LocalPredictError}.
 *
 * @packageDocumentation
 */

/** A class label, typed as in training: string, integer or boolean. */
export type Label = string | number | boolean;

/** What the model is used for (from the model, a manifest, or the `task` option). */
export type Task = 'multiclass' | 'binary' | 'multilabel' | 'regression';

/**
 * The stable error codes.  Engine codes: `OUT_OF_MEMORY`, `USAGE`, `BAD_MODEL`,
 * `UNSUPPORTED`, `BAD_MANIFEST`, `EMPTY_INPUT`, `MISSING_COLUMN`, `BAD_NUMBER`,
 * `UNTERMINATED_QUOTE`, `RAGGED_ROW`, `BAD_CSV`, `DUPLICATE_COLUMN`, `LIMIT`, `STATE`,
 * `COLUMN_COUNT` (a positional input with the wrong number of columns), `UNKNOWN_CATEGORY` (a
 * category name the model or manifest does not know).
 * Codes of the JS layer: `USAGE` (misuse of this API; the message says how to fix it),
 * `IO` (a model, manifest or engine file that could not be read or fetched),
 * `ABORTED` (an `AbortSignal` fired) and `INTERNAL` (the engine stopped on a WebAssembly
 * trap: a bug; the engine is restarted, load the model again).
 */
export type ErrorCode =
  | 'OUT_OF_MEMORY' | 'USAGE' | 'BAD_MODEL' | 'UNSUPPORTED' | 'BAD_MANIFEST'
  | 'EMPTY_INPUT' | 'MISSING_COLUMN' | 'BAD_NUMBER' | 'UNTERMINATED_QUOTE'
  | 'RAGGED_ROW' | 'BAD_CSV' | 'DUPLICATE_COLUMN' | 'LIMIT' | 'STATE' | 'COLUMN_COUNT' | 'UNKNOWN_CATEGORY'
  | 'IO' | 'ABORTED' | 'INTERNAL';

/** Where an error is; only the parts that apply are present. */
export interface ErrorLocation {
  /** Physical line of the CSV, 1-based (the header is line 1). */
  readonly line?: number;
  /** Name of the CSV column (or table column) at fault. */
  readonly column?: string;
  /** 0-based index of that column, when the engine knows it. */
  readonly columnIndex?: number;
  /** Model or manifest field at fault, e.g. `"learner.objective"`. */
  readonly field?: string;
  /** Tree node id at fault. */
  readonly node?: number;
  /** Tree index at fault. */
  readonly tree?: number;
}

/**
 * The one error type of this API.
 *
 * `message` is one line: `line 5: column "age": not a number: "abc"` (with the
 * `source` option: `data.csv:5: column "age": …`).  A `MISSING_COLUMN` message names
 * every missing column.
 */
export declare class LocalPredictError extends Error {
  constructor(code: ErrorCode | string, message: string, where?: ErrorLocation, options?: { cause?: unknown });
  readonly name: 'LocalPredictError';
  /** Stable code of the class of error; branch on this, not on the message. */
  readonly code: ErrorCode;
  /** Where the error is (frozen; empty when no location applies). */
  readonly where: ErrorLocation;
}

/** A manifest (`{"localpredict": 1, …}`) as a value; README "Manifest", docs/manifest.schema.json. */
export interface Manifest {
  localpredict: 1;
  classes?: Label[];
  task?: Task;
  threshold?: number | Record<string, number>;
  missing?: number[];
  /** The CSV column of each model feature, or its column and type (README "Typed features and categories"). */
  features?: (string | FeatureSpec)[];
  /** Makes the manifest a model by itself: the weighted average of these members' probabilities. */
  ensemble?: EnsembleMember[];
  /** After early stopping: the trees up to the best iteration (`"best"`, default) or every tree (`"all"`). */
  iterations?: 'best' | 'all';
  /** Text preprocessing: text columns, steps, tokenizer and vocabulary (README "Text preprocessing"). */
  preprocess?: Record<string, unknown>;
  /** Sizes of an ONNX graph's symbolic input dimensions, by name (README "Symbolic dimensions"). */
  dims?: Record<string, number>;
  /** What `info` and the page show about the model, kept as given. */
  details?: ModelDetails;
  [key: string]: unknown;
}

/** One member of a manifest's `ensemble` (docs/manifest.schema.json). */
export interface EnsembleMember {
  /** The member's file: relative to the manifest, a bundle entry, or a key of `parts`. */
  model: string;
  /** Shown by `info` and in errors (default: `model`). */
  name?: string;
  /** Positive; normalised over the members (default 1). */
  weight?: number;
  /** The member's own manifest (e.g. `{ features: [...] }`), or the name of its file. */
  manifest?: Omit<Manifest, 'localpredict' | 'ensemble'> | string;
}

/**
 * The files an ensemble's manifest names, by those names: an array of Files (or
 * `{ name, bytes }`), a Map, or an object `{ "xgb.json": bytes | Blob | URL | path }`.
 */
export type Parts =
  | ReadonlyArray<File | { name: string; bytes: Bytes | Blob }>
  | ReadonlyMap<string, Bytes | Blob | URL | string>
  | Readonly<Record<string, Bytes | Blob | URL | string>>;

/** A manifest `features` entry that says how its cells read. */
export interface FeatureSpec {
  /** The CSV column (default: the model's name for the feature). */
  column?: string;
  type?: 'number' | 'integer' | 'boolean' | 'category';
  /** For `category`: names in code order, or name -> code. */
  categories?: string[] | Record<string, number>;
  /** For `category`: an unknown name is an `UNKNOWN_CATEGORY` error (default) or missing. */
  unknown?: 'error' | 'missing';
}

/** Bytes of a file, in any of the forms this API reads. */
export type Bytes = Uint8Array | ArrayBuffer | ArrayBufferView;

/** Options of {@link loadModel}.  Precedence: these options > the manifest > the model. */
export interface LoadOptions {
  /**
   * A manifest: JSON text (a string is the manifest's text, not a path), bytes, a Blob
   * or File, a `URL` object, or a plain object (serialised with JSON.stringify).
   */
  manifest?: string | Bytes | Blob | URL | Manifest;
  /** Name of the manifest in error messages (default: the File's name or URL). */
  manifestName?: string;
  /** Override the task stored in the model or manifest. */
  task?: Task;
  /** Decision threshold for binary and multi-label tasks (default 0.5), or one per label. */
  threshold?: number | Record<string, number>;
  /** Class labels in output order (override the model's `0`..`K-1` or the manifest's). */
  classes?: Label[];
  /**
   * Which engine runs the model: `true` the SIMD one, `false` the scalar one, `"auto"`
   * (default, or what {@link setEngine} chose) the SIMD one when the runtime has SIMD.
   */
  simd?: boolean | 'auto';
  /** Name of the model in error messages (default: the path, URL or File name). */
  source?: string;
  /**
   * Limits that a model exceeding fails with `LIMIT` (each optional, a whole number
   * from 1 to 2^32 - 1; the error names the limit and the option that raises it).
   */
  limits?: LoadLimits;
  /**
   * The files a manifest names, by the names it gives: the member files of an ensemble
   * (when the model, or the `manifest` option with a null model, is a manifest with
   * `"ensemble"`), or a text model's vocabulary file (`"preprocess": { "vocab":
   * "tokenizer.json" }`).  Not needed when they can be read beside the manifest (given
   * as a path or URL, or a `URL` object for the `manifest` option; a text model's file
   * is else read beside the model given as a path or URL) or are inside a `.zip`
   * bundle.  Files given here win over reading.  A missing one is an error naming it
   * (`IO` with where it was looked for, or `BAD_MANIFEST`).
   */
  parts?: Parts;
  /**
   * Workers to start now for {@link Model.predictCsv}'s `jobs` (a whole number from 1
   * to 1024; 1 or none: no worker starts here).  They start while the model loads and
   * get it as soon as it is loaded, so the first `predictCsv` with up to this many
   * jobs finds them ready instead of starting them (in a browser that saves a few
   * hundred milliseconds).  The workers stay with the model until `dispose()` (idle,
   * they do not keep Node alive); a load that fails stops them.  Where there are no
   * workers this does nothing.
   */
  jobs?: number;
}

/** One member of an ensemble, as {@link ModelInfo.members} lists it. */
export interface EnsembleMemberInfo {
  readonly name: string;
  /** The file the manifest names. */
  readonly model: string;
  /** Normalised: the members' weights sum to 1. */
  readonly weight: number;
  /** The member described as any model is. */
  readonly info: ModelInfo;
}

/**
 * What a model may hold before loading it fails with `LIMIT` (README "Hostile input, limits and numbers"); the
 * CLI flag that sets each is named beside it.
 */
export interface LoadLimits {
  /** Bytes of the model file; default 268435456 (256 MiB).  `--max-model-bytes`. */
  modelBytes?: number;
  /** Tree nodes in the whole model; default 2^26, at most 2^31 - 1.  `--max-tree-nodes`. */
  nodes?: number;
  /** Levels of the deepest tree; default 64, at most 255.  `--max-tree-depth`. */
  treeDepth?: number;
  /** Elements of one ONNX tensor (an initializer); default 2^28.  `--max-tensor-elements`. */
  tensorElements?: number;
  /** Nodes an ONNX graph declares; default 2^20.  `--max-graph-nodes`. */
  graphNodes?: number;
  /** Operators a dense ONNX graph runs; default 10000.  `--max-graph-ops`. */
  graphOps?: number;
}

/** What a manifest says about the model, shown by `localpredict info` and the page. */
export interface ModelDetails {
  readonly name?: string;
  /** e.g. `"XGBoost classifier"`. */
  readonly type?: string;
  readonly version?: string;
  /** When it was trained, e.g. `"2026-11-20"` (ISO 8601). */
  readonly trained?: string;
  readonly description?: string;
  /** Label → value, in the manifest's order, e.g. `{ "held-out accuracy": 0.95 }`. */
  readonly metrics?: Readonly<Record<string, number | string>>;
}

/** The model as the engine describes it (frozen). */
export interface ModelInfo {
  /** e.g. `"localpredict 0.1.0"`. */
  readonly engine: string;
  /** Model format: `"xgboost-json"`, `"xgboost-ubjson"`, `"lightgbm-text"`, `"onnx"` or `"ensemble"`. */
  readonly format: string;
  /** Library that wrote the model, e.g. `"xgboost 1.7.4"`. */
  readonly producer: string;
  /** e.g. `"multi:softprob"`. */
  readonly objective: string;
  readonly task: Task;
  /**
   * `"gbtree"` or `"dart"` (XGBoost), `"gbdt"` (LightGBM), `"tree ensemble"` or
   * `"dense"` (an ONNX graph of tree ensembles, or of other operators).
   */
  readonly booster?: string;
  /** Trees used for prediction (after early stopping, those up to the best iteration). */
  readonly trees: number;
  /** Trees stored in the model file. */
  readonly treesInFile: number;
  /**
   * The best iteration recorded by early stopping when predictions stop there
   * (as XGBClassifier.predict_proba does), or null when every tree is used
   * (no early stopping, or a manifest `"iterations": "all"`).
   */
  readonly bestIteration: number | null;
  /** Nodes of the trees used. */
  readonly nodes: number;
  readonly maxDepth: number;
  /** Operators the dense ONNX graph runs; null for every other model. */
  readonly operators: number | null;
  /**
   * The ONNX value a dense graph's scores are read from (an output, or ZipMap's
   * input; README "The scores"); null for every other model.
   */
  readonly scoresFrom: string | null;
  /**
   * The ONNX graph's symbolic input dimensions bound at load (README "Symbolic
   * dimensions"): a named dimension bound wherever it appears (manifest `"dims"`:
   * `input` and `axis` null), or one input's dimension (`preprocess.max_length`);
   * empty for every other model.
   */
  readonly dims: readonly {
    readonly name: string | null;
    readonly input: string | null;
    readonly axis: number | null;
    readonly size: number;
    readonly source: 'dims' | 'preprocess.max_length';
  }[];
  readonly features: {
    readonly count: number;
    /** Feature names in the model's order, or null when the model has none (CSV columns bind by position). */
    readonly names: readonly string[] | null;
    /** Indices of categorical features. */
    readonly categorical: readonly number[];
    /**
     * How each feature reads a text cell: `"number"`, `"integer"`, `"boolean"` or
     * `"category"` (from a manifest's `features`, XGBoost 3.1+ `cats`, LightGBM's
     * pandas_categorical).
     */
    readonly types: readonly ('number' | 'integer' | 'boolean' | 'category')[];
    /** Per feature, the category names it knows (null when it names none). */
    readonly categories: readonly (readonly string[] | null)[];
  };
  /** Class labels in output order, typed as in training; null for regression. */
  readonly classes: readonly Label[] | null;
  /** Output column headers as written in CSV. */
  readonly outputs: readonly string[];
  /** Threshold per output (binary: the positive class's is the one used). */
  readonly thresholds: readonly number[];
  /** Sentinel values that also mean "missing". */
  readonly missing: readonly number[];
  /** The manifest's `details`, as given (docs/manifest.schema.json), or null. */
  readonly details: ModelDetails | null;
  /** Hex sha256 of the model bytes as loaded. */
  readonly sha256: string;
  /** Size of the model bytes. */
  readonly bytes: number;
  /**
   * An ensemble's members (format `"ensemble"`; its sha256 and bytes are the
   * manifest's, its features the members' input columns, each once).
   */
  readonly members?: readonly EnsembleMemberInfo[];
  readonly [key: string]: unknown;
}

/** A cell value of {@link Model.predict}: null, undefined and NaN are missing values. */
export type Cell = number | string | boolean | bigint | null | undefined;

/** A numeric matrix, row-major, columns in the model's feature order; NaN is missing. */
export interface Matrix {
  /** rows × cols values (other numeric arrays are converted to float32). */
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Options of {@link Model.predict}. */
export interface PredictOptions {
  /** Return `{ labels, probabilities }` instead of the labels alone. */
  returnPredProba?: boolean;
  /** Decision threshold for this call (binary and multi-label). */
  threshold?: number;
  /**
   * For array rows: the column name of each array element; the columns then bind by
   * name like CSV headers.  Without it, array element i is the model's feature i.
   */
  columns?: string[];
}

/**
 * Labels of a prediction, one per row: a label (binary, multi-class), an array of labels
 * (multi-label, in class order, possibly empty) or the predicted value (regression).
 */
export type Labels = Array<Label | Label[] | number | null>;

/** What predict returns with `returnPredProba`. */
export interface PredictResult {
  labels: Labels;
  probabilities: {
    /** Class labels, the columns of `data`. */
    classes: readonly Label[];
    /** rows × classes probabilities, row-major. */
    data: Float32Array;
  };
}

/** Progress of a CSV run. */
export interface Progress {
  /** Input bytes handed to the engine so far. */
  bytesRead: number;
  /** Size of the input when known (string, bytes, Blob). */
  bytesTotal?: number;
  /** Data rows predicted so far (with `onError: 'skip'`, skipped rows included). */
  rows: number;
  /** Rows skipped so far by `onError: 'skip'` (0 otherwise); at the end, the run's total. */
  skipped: number;
  /** Physical lines (the header is line 1) of the first 10 skipped rows, in file order. */
  skippedLines: number[];
  /** How many workers predict this run: 1 when it runs on the calling thread (see `jobs`). */
  workers: number;
}

/** A CSV input: text, bytes, a Blob or File, or a stream / async iterable of bytes (any chunking). */
export type CsvInput = string | Bytes | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

/** Options of {@link Model.predictCsv}. */
export interface CsvOptions {
  /** Put every input column in front of the predictions. */
  includeInput?: boolean;
  /** Put only these input columns in front (exclusive with includeInput). */
  keep?: string[];
  /** Decision threshold for this run (binary and multi-label). */
  threshold?: number;
  /** Called after every chunk (with workers: every slice) and at the end. */
  onProgress?: (progress: Progress) => void;
  /** Aborting errors the stream with a LocalPredictError of code ABORTED. */
  signal?: AbortSignal;
  /** File name for error messages: `data.csv:5: …` instead of `line 5: …`. */
  source?: string;
  /**
   * Longest CSV field in bytes (quotes not counted); default 1048576 (1 MiB).  A longer
   * field is a LocalPredictError of code `LIMIT` naming its line and column.
   * (`--max-field-bytes` in the CLI.)
   */
  maxFieldBytes?: number;
  /** Most fields in one CSV record; default 100000.  More is a `LIMIT` error (`--max-columns`). */
  maxColumns?: number;
  /**
   * Workers to predict on (1 to 1024; default: the number of cores,
   * `navigator.hardwareConcurrency` / `os.availableParallelism()`).  The input is cut
   * into slices at record boundaries (quote-aware) and each worker (Web Worker,
   * worker_threads) runs its own engine instance; the output is byte for byte that of
   * one job, errors name the same line and column.  Inputs under 8 MiB, `jobs: 1`, and
   * environments without workers run on the calling thread.  A model keeps its workers
   * for the next run until dispose().  No SharedArrayBuffer or cross-origin isolation
   * is needed.
   */
  jobs?: number;

  /* ---- CSV dialects (README "CSV dialects") ---- */
  /**
   * The field delimiter, one character (`','`, `';'`, `'\t'`, `'|'`, …).  Default:
   * detected from the header line among , ; TAB | (quote-aware; the most frequent
   * outside quotes, ties in that order; none: `,`).  The output always uses `,`.
   */
  delimiter?: string;
  /**
   * The input's encoding: `'utf-8'`, `'windows-1252'` (alias `'cp1252'`), `'latin1'`
   * (`'iso-8859-1'`), `'utf-16le'`, `'utf-16be'` (any case).  Default: UTF-8 (a UTF-8
   * byte-order mark is skipped), and UTF-16 that starts with its byte-order mark is
   * converted.  Bytes that are not UTF-8 are a `BAD_CSV` error naming the line, column
   * and byte, and this option.  UTF-16 runs on one thread whatever `jobs` says.
   */
  encoding?: string;
  /** Numbers use a decimal comma (`1,5` is 1.5; a `.` in a number is then an error).
   * Needs a delimiter other than `,` (`USAGE` otherwise). */
  decimalComma?: boolean;
  /** `false`: the first line is data.  Columns are named by `columns`, or `1`…`N`
   * (a model with unnamed features takes them by position). */
  header?: boolean;
  /** Column names of a file without a header (with `header: false`). */
  columns?: string[];
  /** Write for Excel: a UTF-8 byte-order mark and CRLF line ends (default: neither). */
  excel?: boolean;
  /**
   * `'fail'` (default): the first row that cannot be read (a bad number, the wrong
   * number of fields, a kept field that is not UTF-8) errors the stream.  `'skip'`: such
   * a row keeps its place with empty probabilities, the output gets a last column
   * `Error` with the message (`line 12: column "age": not a number: …`; empty for good
   * rows), and {@link Progress.skipped} / {@link Progress.skippedLines} count them.
   * Errors of the file itself (quotes, encoding, header) still fail.
   */
  onError?: 'fail' | 'skip';
}

/** What {@link Model.check} found in the input (the JSON of the engine's check report). */
export interface CheckReport {
  /** The encoding read: `'utf-8'`, `'windows-1252'`, `'latin1'`, `'utf-16le'`, `'utf-16be'`. */
  encoding: string;
  encodingSource: 'default' | 'given' | 'byte-order mark';
  /** The delimiter used, and whether it was detected (or given). */
  delimiter: string;
  delimiterDetected: boolean;
  decimalComma: boolean;
  /** false for `header: false`. */
  header: boolean;
  /** Data rows read: at most `sampleRows` (1000), the first ones of the file. */
  rows: number;
  sampleRows: number;
  /** Rows of the sample that could not be read (only with `onError: 'skip'`; otherwise the
   * first one makes the check fail) and the lines of the first 10. */
  skipped: number;
  skippedLines: number[];
  /** Every input column: its type in the sample (`number`, `text`, or `empty`: only
   * missing values), the counts of each kind of cell, and the model feature it feeds
   * (an index into `info.features`, or null when the model does not read it). */
  columns: Array<{ name: string; type: 'number' | 'text' | 'empty'; numbers: number; missing: number; text: number; feature: number | null }>;
  /** The same, as the CLI's `--check` prints it. */
  text: string;
}

/** Result of {@link Model.check}. */
export type CheckResult = ({ ok: true } & CheckReport) | { ok: false; error: LocalPredictError };

/** A loaded model.  Immutable; any number of predictions may use it.  Free it with dispose(). */
export declare class Model {
  private constructor();
  /** The model's description (frozen). */
  readonly info: ModelInfo;
  /** Which engine runs this model. */
  readonly engine: 'simd' | 'scalar';
  /** True after dispose(). */
  readonly disposed: boolean;

  /**
   * Predicts rows given as
   * - objects `{ column: value }` — bound to the model's features by name (extra keys
   *   are ignored, a feature absent from every row is a MISSING_COLUMN error, a key
   *   absent from some rows is a missing value there); for a model without feature
   *   names, keys are taken in first-seen order;
   * - arrays — element i is the model's feature i, or named by `options.columns`;
   * - a {@link Matrix} — the fast path.
   *
   * A column holding any string is handed to the engine as text and parsed with the
   * CSV rules (so `"NA"` is missing, `"abc"` is a BAD_NUMBER error naming row and column);
   * other columns as numbers.  Synchronous.
   *
   * A text model (a manifest with `preprocess`) takes its text columns as strings
   * (`{ review: 'great' }`, or arrays in the order of `preprocess.text`), tokenized
   * as in a CSV; `null` is the empty text, a number is a USAGE error naming the
   * column, and a matrix is UNSUPPORTED.
   *
   * @returns the labels, or with `returnPredProba` `{ labels, probabilities }`.
   * @throws LocalPredictError (USAGE for misuse or a disposed model; engine codes).
   */
  predict(rows: Array<Record<string, Cell>> | Cell[][] | Matrix, options?: PredictOptions & { returnPredProba?: false }): Labels;
  predict(rows: Array<Record<string, Cell>> | Cell[][] | Matrix, options: PredictOptions & { returnPredProba: true }): PredictResult;
  predict(rows: Array<Record<string, Cell>> | Cell[][] | Matrix, options?: PredictOptions): Labels | PredictResult;

  /**
   * Predicts a CSV file (header line first), streaming: the output CSV (UTF-8, no BOM,
   * LF line ends) arrives as a pull-based stream, and the input is read as the output is
   * consumed.  A header-only input gives a header-only output; an empty input is an
   * EMPTY_INPUT error.  Failures error the stream with a LocalPredictError.  Cancel the
   * stream if you stop reading it early, or its job stays allocated until dispose().
   *
   * @throws LocalPredictError synchronously for misuse (USAGE).
   */
  predictCsv(input: CsvInput, options?: CsvOptions): ReadableStream<Uint8Array>;

  /** {@link Model.predictCsv}, collected into a string. */
  predictCsvText(input: CsvInput, options?: CsvOptions): Promise<string>;

  /**
   * Checks a CSV (or just its header line, as a string) against the model without
   * predicting: reads the header and the first 1000 data rows (the rest of the input is
   * not read) as predictCsv would, and resolves `{ ok: true, ...report }` with the
   * encoding, delimiter and column types found ({@link CheckReport}), or
   * `{ ok: false, error }` when the input cannot be predicted (MISSING_COLUMN naming every
   * missing column, DUPLICATE_COLUMN, RAGGED_ROW or BAD_NUMBER in the sample, an
   * encoding error, …).  Rejects only for misuse (USAGE), unreadable input (IO) or ABORTED.
   */
  check(input: CsvInput, options?: Pick<CsvOptions, 'includeInput' | 'keep' | 'signal' | 'onProgress' | 'source' |
    'delimiter' | 'encoding' | 'decimalComma' | 'header' | 'columns' | 'onError'>): Promise<CheckResult>;

  /**
   * Frees the model (and any CSV job still running on it).  Using the model afterwards
   * throws a LocalPredictError with code USAGE.  Calling it twice is harmless.
   */
  dispose(): void;
}

/**
 * Loads a model (XGBoost JSON or UBJSON, LightGBM model.txt, ONNX) as bytes, a Blob or File, or a URL (in Node a file path,
 * file:, http(s): or data: URL; in a browser a URL relative to the document).  A string
 * is always a URL or path, never the model's text.  The engine is instantiated on first
 * use, once per process and variant.
 *
 * The model may also be a `.zip` bundle (the model and its manifest, or an ensemble's
 * manifest and its members: unpacked with the platform's inflate), or an ensemble's
 * manifest (its members from `options.parts`, or read beside it when given as a path
 * or URL).  `model` may be null when `options.manifest` is an ensemble's manifest.
 *
 * @throws LocalPredictError: BAD_MODEL, UNSUPPORTED, BAD_MANIFEST (naming the field, tree
 *   or node at fault), IO, USAGE.
 */
export declare function loadModel(model: Bytes | Blob | URL | string | null, options?: LoadOptions): Promise<Model>;

/** Where the engine's bytes come from, for {@link setEngine}. */
export type EngineSource =
  | ((variant: 'simd' | 'scalar') => Bytes | WebAssembly.Module | Response | Promise<Bytes | WebAssembly.Module | Response>)
  | {
      simd?: Bytes | WebAssembly.Module | Response | Promise<Bytes | WebAssembly.Module | Response>;
      scalar?: Bytes | WebAssembly.Module | Response | Promise<Bytes | WebAssembly.Module | Response>;
      /** The SIMD engine's relaxed-SIMD build (wasm/build/localpredict-relaxed.wasm), used
       * instead of `simd` where the runtime validates relaxed SIMD.  A function source is
       * asked for "simd" and "scalar" only. */
      relaxed?: Bytes | WebAssembly.Module | Response | Promise<Bytes | WebAssembly.Module | Response>;
    };

/**
 * Chooses the engine for later loadModel() calls: `simd` true / false / "auto" (default:
 * feature detection), and `wasm`, the engine's bytes — for a page that inlines them
 * instead of fetching (the only way when importing `localpredict/core`, i.e.
 * wasm/localpredict.mjs, directly).  Models already loaded keep their engine.
 * `worker`: the URL of the worker module predictCsv's workers run (default: in a browser,
 * the self-contained wasm/build/localpredict-worker.mjs beside the shim, one file that
 * bundlers copy as it is; in Node, wasm/pool-worker.mjs; with `localpredict/core`
 * there is no default, and runs stay on the calling thread) — e.g. a blob: URL of
 * wasm/build/localpredict-worker.mjs, for a page that fetches nothing (CSP
 * `worker-src 'self' blob:`), or its URL where a bundler did not copy it.  Workers get the compiled engine from the page,
 * never fetch it.  null restores the default.
 * `relaxed` true / false / "auto" (default): whether the SIMD engine is its relaxed-SIMD
 * build (the packed tree kernel's selects and lookups as relaxed SIMD: faster in V8, same
 * results bit for bit), which "auto" takes where the runtime validates relaxed SIMD
 * (Chrome 114+, Node 22+; Node 20 with --experimental-wasm-relaxed-simd).  In Node 20
 * and 21, `true` turns that V8 flag on for the process (as the CLI does); "auto" never does.
 */
export declare function setEngine(options: {
  simd?: boolean | 'auto';
  relaxed?: boolean | 'auto';
  wasm?: EngineSource | null;
  worker?: string | URL | null;
}): void;

/** True when this runtime supports WebAssembly SIMD (what "auto" uses). */
export declare function simdSupported(): boolean;

/** The package version, e.g. "0.1.0". */
export declare const version: string;
