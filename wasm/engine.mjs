/* engine.mjs — instantiating the .wasm once, and the thin layer over its flat ABI.
 *
 * One init promise per engine build ("relaxed", "simd" or "scalar") per process
 * (STYLE convention 14): loadModel() awaits it, concurrent callers share it,
 * and a failed init clears it so the next call retries.  Where the bytes come
 * from is not decided here: an entry file (node.mjs, browser.mjs) registers a
 * loader from load-node.mjs / load-browser.mjs, or the page hands the bytes
 * over with setEngine({ wasm }) (convention 15).
 *
 * The Engine class only moves bytes and converts statuses (convention 13):
 * - pointers and sizes come back as i32 and are read with `>>> 0`;
 * - typed-array views are made afresh after every call that can allocate,
 *   because memory.buffer is replaced whenever the memory grows;
 * - every fallible call gets its own lp_error, freed in `finally`, and a
 *   non-zero status becomes a LocalPredictError whose message is the
 *   engine's lp_error_format() text;
 * - every export is guarded: a WebAssembly trap (an engine bug, or memory
 *   corrupted by one) becomes a LocalPredictError with code INTERNAL, the
 *   instance is retired (its memory can no longer be trusted, so every later
 *   call on it throws the same error) and the next loadModel() instantiates
 *   a fresh engine.
 *
 * The SIMD variant has two builds: localpredict-relaxed.wasm (relaxed SIMD's
 * laneselect and swizzle in the packed tree kernel; same results, bit for bit) where the
 * runtime validates relaxed SIMD (detect.mjs), else localpredict.wasm.  A model's
 * `engine` says "simd" for either; a relaxed engine that fails to compile falls
 * back to the plain SIMD one, which falls back to the scalar one under "auto".
 */
import { LocalPredictError, usageError } from './errors.mjs';
import { simdSupported, relaxedSimdSupported } from './detect.mjs';

/** The exports the shim calls; an engine file without one of them is stale. */
const REQUIRED_EXPORTS = [
  'memory', 'lp_wasm_alloc', 'lp_wasm_free', 'lp_wasm_version',
  'lp_wasm_error_new', 'lp_wasm_error_free', 'lp_wasm_error_code', 'lp_wasm_error_line',
  'lp_wasm_error_column_index', 'lp_wasm_error_column', 'lp_wasm_error_field',
  'lp_wasm_error_node', 'lp_wasm_error_tree', 'lp_wasm_error_format',
  'lp_wasm_model_load', 'lp_wasm_model_destroy', 'lp_wasm_model_info',
  'lp_wasm_model_n_features', 'lp_wasm_model_n_outputs',
  'lp_wasm_predict_matrix', 'lp_wasm_table_new', 'lp_wasm_table_set_column',
  'lp_wasm_table_free', 'lp_wasm_predict_table',
  'lp_wasm_job_create', 'lp_wasm_job_push', 'lp_wasm_job_finish', 'lp_wasm_job_output',
  'lp_wasm_job_output_len', 'lp_wasm_job_output_clear', 'lp_wasm_job_rows', 'lp_wasm_job_line_ends',
  'lp_wasm_job_destroy',
  'lp_wasm_parts_new', 'lp_wasm_parts_set', 'lp_wasm_parts_free', 'lp_wasm_model_load_parts',
  'lp_wasm_model_load_hashed',
  // dialects and the bad-row policy (issue 9)
  'lp_wasm_job_skipped', 'lp_wasm_job_skipped_line', 'lp_wasm_job_delimiter', 'lp_wasm_job_check_text',
  'lp_wasm_job_check_json', 'lp_wasm_detect_delimiter', 'lp_wasm_encoding_from_name', 'lp_wasm_job_check_done',
];

const ENOSYS = 52; // WASI errno: the engine never does I/O, so every WASI call is refused
const FORMAT_CAP = 8192; // lp_error messages hold up to 4096 bytes

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/* ---- configuration ------------------------------------------------------ */

let env = null;           // { loadEngine, readResource }, registered by an entry file
let wasmOverride = null;  // setEngine({ wasm })
let simdPreference = 'auto';
let relaxedPreference = 'auto'; // setEngine({ relaxed }): the SIMD variant's relaxed-SIMD build
let workerOverride = null; // setEngine({ worker }): the URL of the pool's worker module
const engines = new Map(); // build -> Promise<Engine>

/**
 * Used by the entry files (node.mjs, browser.mjs) to plug in their environment:
 * `loadEngine(variant)` gives the engine's bytes (or a compiled module),
 * `readResource(urlOrPath)` the bytes of a model or manifest named by URL,
 * `enableRelaxedSimd()` (Node) turns on relaxed SIMD where it sits behind a flag.
 */
export function registerEnvironment(environment) {
  env = environment;
}

/** What pool.mjs needs to start workers: the environment and setEngine({ worker }). */
export function workerSettings() {
  return { environment: env, url: workerOverride };
}

/** The bytes behind a URL (or, in Node, a file path), read the environment's way. */
/** The environment's raw-deflate decoder (Node: zlib), or null: bundles then use DecompressionStream. */
export function environmentInflateRaw() {
  return env?.inflateRaw ?? null;
}

export async function readResource(target) {
  if (!env) {
    throw usageError('loading by URL needs the package entry ("localpredict"); with wasm/localpredict.mjs alone pass the bytes instead');
  }
  return env.readResource(target);
}

/**
 * Chooses the engine: `simd` true / false / 'auto' (feature detection), and
 * optionally where its bytes come from.  Models already loaded keep their engine.
 */
export function setEngine(options = {}) {
  if (options === null || typeof options !== 'object') {
    throw usageError('setEngine expects an object such as { simd: false }');
  }
  const { simd, relaxed, wasm, worker } = options;
  if (worker !== undefined) {
    if (worker !== null && typeof worker !== 'string' && !(typeof URL !== 'undefined' && worker instanceof URL)) {
      throw usageError('setEngine: worker must be the URL of the worker module (a string or URL), e.g. a blob: URL');
    }
    workerOverride = worker;
  }
  if (simd !== undefined) {
    if (simd !== true && simd !== false && simd !== 'auto') {
      throw usageError(`setEngine: simd must be true, false or "auto", not ${JSON.stringify(simd)}`);
    }
    simdPreference = simd;
  }
  if (relaxed !== undefined) {
    if (relaxed !== true && relaxed !== false && relaxed !== 'auto') {
      throw usageError(`setEngine: relaxed must be true, false or "auto", not ${JSON.stringify(relaxed)}`);
    }
    relaxedPreference = relaxed;
  }
  if (wasm !== undefined) {
    if (wasm !== null && typeof wasm !== 'function' && typeof wasm !== 'object') {
      throw usageError('setEngine: wasm must be a function (variant) => bytes, or { simd, scalar, relaxed } bytes or modules');
    }
    wasmOverride = wasm;
    engines.clear();
  }
}

/* A function given to setEngine({ wasm }) is asked for "simd" and "scalar" only (one
 * written for two variants might answer "relaxed" with the scalar bytes); the
 * relaxed build comes from the object form's `relaxed` or the package's files. */
function availableVariants() {
  if (wasmOverride && typeof wasmOverride === 'object') {
    return { simd: wasmOverride.simd != null, scalar: wasmOverride.scalar != null, relaxed: wasmOverride.relaxed != null };
  }
  return { simd: true, scalar: true, relaxed: !wasmOverride };
}

/** The build of the SIMD variant: "relaxed" where it is wanted, given and validated. */
function simdBuild() {
  if (relaxedPreference === false) return 'simd';
  if (relaxedPreference === true) {
    // Node 20 has relaxed SIMD behind a flag, which asking for it turns on (load-node.mjs).
    if (!relaxedSimdSupported() && !env?.enableRelaxedSimd?.()) {
      throw new LocalPredictError('UNSUPPORTED',
        'this JavaScript runtime has no WebAssembly relaxed SIMD; use { relaxed: false } or "auto"');
    }
    if (!availableVariants().relaxed) {
      throw usageError('setEngine({ relaxed: true }) needs the relaxed engine: give setEngine({ wasm }) an object with "relaxed"');
    }
    return 'relaxed';
  }
  return relaxedSimdSupported() && availableVariants().relaxed ? 'relaxed' : 'simd';
}

/** Resolves which variant a call wants: option > setEngine() > detection. */
function chooseVariant(simdOption) {
  const want = simdOption === undefined ? simdPreference : simdOption;
  if (want !== true && want !== false && want !== 'auto') {
    throw usageError(`the simd option must be true, false or "auto", not ${JSON.stringify(want)}`);
  }
  const avail = availableVariants();
  if (want === true) {
    if (!simdSupported()) {
      throw new LocalPredictError('UNSUPPORTED',
        'this JavaScript runtime has no WebAssembly SIMD; use { simd: false } or "auto"');
    }
    return 'simd';
  }
  if (want === false) return 'scalar';
  if (simdSupported() && avail.simd) return 'simd';
  if (avail.scalar) return 'scalar';
  return 'simd';
}

/** The Engine for a variant, instantiated once (shared by every model that uses it). */
export function getEngine(simdOption) {
  const variant = chooseVariant(simdOption);
  const auto = (simdOption === undefined ? simdPreference : simdOption) === 'auto';
  return engineOf(variant === 'simd' ? simdBuild() : 'scalar', auto);
}

const isCompileError = (e) => e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError;

function engineOf(build, auto) {
  let p = engines.get(build);
  if (!p) {
    p = instantiate(build);
    if (build === 'relaxed' && relaxedPreference === 'auto') {
      // The probe said relaxed SIMD, but a runtime that still cannot compile the
      // relaxed engine, or an app that serves only the two older files, gets the plain
      // SIMD one (and, under "auto", maybe the scalar one).
      p = p.catch((e) => {
        if (isCompileError(e) || (e instanceof LocalPredictError && e.code === 'IO')) return engineOf('simd', auto);
        throw e;
      });
    } else if (auto && build === 'simd' && availableVariants().scalar) {
      // The probe said SIMD, but a runtime that still cannot compile the SIMD engine
      // gets the scalar one rather than an error.
      p = p.catch((e) => {
        if (isCompileError(e)) return getEngine(false);
        throw e;
      });
    }
    engines.set(build, p);
    // A trapped engine is retired: the next getEngine() builds a new instance.  A fallback
    // engine sits under two builds ("relaxed" and "simd", or "simd" and "scalar"): each clears its own.
    p.then((engine) => {
      const previous = engine.onRetire;
      engine.onRetire = () => {
        if (engines.get(build) === p) engines.delete(build);
        if (previous) previous();
      };
    }, () => {});
    // Clear a failed init so that the next call tries again (convention 14).
    p.catch(() => {
      if (engines.get(build) === p) engines.delete(build);
    });
  }
  return p;
}

async function engineSource(variant) {
  if (wasmOverride) {
    if (typeof wasmOverride === 'function') return wasmOverride(variant);
    const src = wasmOverride[variant];
    if (src == null) {
      throw usageError(`setEngine({ wasm }) gave no "${variant}" engine; add it or choose the other with { simd }`);
    }
    return src;
  }
  if (!env) {
    throw usageError('no engine bytes: import the package entry ("localpredict") instead of wasm/localpredict.mjs, ' +
      'or call setEngine({ wasm: { simd, scalar } }) with the .wasm bytes');
  }
  return env.loadEngine(variant);
}

async function compile(source, variant) {
  try {
    return await compileSource(source, variant);
  } catch (e) {
    if (e instanceof WebAssembly.CompileError && !(await wasmAllowed())) {
      throw new LocalPredictError('UNSUPPORTED',
        'this page does not allow WebAssembly: its Content-Security-Policy needs \'wasm-unsafe-eval\' in script-src ' +
        `(${e.message})`);
    }
    throw e;
  }
}

async function compileSource(source, variant) {
  source = await source; // a loader may already be compiling (compileStreaming)
  if (source instanceof WebAssembly.Module) return source;
  // Bytes before Response: in Node the first use of the global Response loads its
  // fetch implementation (~60 ms of CPU at every CLI start).
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new LocalPredictError('IO', `could not load the ${variant} engine: HTTP ${source.status}`);
    source = await source.arrayBuffer();
  }
  if (!(source instanceof ArrayBuffer || ArrayBuffer.isView(source))) {
    throw usageError(`the ${variant} engine source must be bytes, a Response or a WebAssembly.Module`);
  }
  return WebAssembly.compile(source);
}

/** Whether WebAssembly can compile at all here: a CSP without 'wasm-unsafe-eval'
 * makes even the empty module fail, which no engine variant can get around. */
async function wasmAllowed() {
  try {
    await WebAssembly.compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    return true;
  } catch {
    return false;
  }
}

function importStub(module, name) {
  if (module === 'env' && name === 'emscripten_notify_memory_growth') {
    return () => {}; // views are rebuilt after every call anyway
  }
  if (module === 'wasi_snapshot_preview1') {
    if (name === 'proc_exit') {
      return (code) => {
        throw new LocalPredictError('UNSUPPORTED', `the engine called proc_exit(${code}); this is an engine bug, please report it`);
      };
    }
    return () => ENOSYS;
  }
  return () => {
    throw new LocalPredictError('UNSUPPORTED', `the engine called the unexpected import ${module}.${name}; rebuild it with make wasm`);
  };
}

function buildImports(mod) {
  const imports = {};
  for (const { module, name, kind } of WebAssembly.Module.imports(mod)) {
    if (kind !== 'function') {
      throw new LocalPredictError('UNSUPPORTED', `the engine imports a ${kind} (${module}.${name}); only function imports are provided, rebuild it with make wasm`);
    }
    (imports[module] ||= {})[name] = importStub(module, name);
  }
  return imports;
}

async function instantiate(build) {
  const variant = build === 'relaxed' ? 'simd' : build;
  const engine = await instantiateEngine(await compile(engineSource(build), build), variant);
  engine.build = build;
  return engine;
}

/**
 * A new Engine instance (own memory) of an already compiled engine module: how a
 * worker gets its engine from the page (a WebAssembly.Module can be posted to a
 * worker), with no second download or compile.
 */
export async function instantiateEngine(mod, variant) {
  const instance = await WebAssembly.instantiate(mod, buildImports(mod));
  const x = instance.exports;
  const missing = REQUIRED_EXPORTS.filter((n) => !(n in x));
  if (missing.length) {
    throw new LocalPredictError('UNSUPPORTED', `the ${variant} engine lacks ${missing.join(', ')}; rebuild it with make wasm`);
  }
  if (typeof x._initialize === 'function') x._initialize(); // static constructors
  return new Engine(x, variant, mod);
}

/* ---- the flat ABI ------------------------------------------------------- */

/** The exports with each function guarded against traps (see the top of the file). */
function guardExports(exports, engine) {
  const guarded = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value !== 'function') {
      guarded[name] = value;
      continue;
    }
    guarded[name] = (...args) => {
      if (engine.trap) throw engine.trappedError();
      try {
        return value(...args);
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError) {
          engine.retire(e);
          throw engine.trappedError();
        }
        throw e;
      }
    };
  }
  return guarded;
}

export class Engine {
  #spareError = 0; // an lp_error kept between calls (see call())

  constructor(exports, variant, module) {
    this.trap = null;          // the RuntimeError that retired this instance
    this.onRetire = null;      // set by getEngine()
    this.x = guardExports(exports, this);
    this.variant = variant;    // "simd" or "scalar"
    this.build = variant;      // "relaxed" for the SIMD variant's relaxed build (instantiate())
    this.module = module;      // the compiled WebAssembly.Module, for workers
    this.version = this.cstring(this.x.lp_wasm_version());
  }

  /** Marks the instance unusable after a trap; later calls throw trappedError(). */
  retire(trap) {
    if (this.trap) return;
    this.trap = trap;
    if (this.onRetire) this.onRetire();
  }

  trappedError() {
    return new LocalPredictError('INTERNAL',
      `the engine stopped on a WebAssembly trap (${this.trap.message}); this is a bug in localpredict, please ` +
      'report it. The engine has been restarted: load the model again to continue', undefined, { cause: this.trap });
  }

  /** A fresh view of all of memory (memory.buffer changes when memory grows). */
  get u8() {
    return new Uint8Array(this.x.memory.buffer);
  }

  alloc(n) {
    const p = this.x.lp_wasm_alloc(n) >>> 0;
    if (!p) throw new LocalPredictError('OUT_OF_MEMORY', `out of memory: the engine could not allocate ${n} bytes`);
    return p;
  }

  free(p) {
    if (p) this.x.lp_wasm_free(p);
  }

  /** Copies bytes into a new allocation; the caller frees it. */
  copyIn(bytes) {
    const p = this.alloc(bytes.length);
    this.u8.set(bytes, p);
    return p;
  }

  /** A NUL-terminated UTF-8 copy of a string; the caller frees it. */
  cstringIn(str) {
    const b = encoder.encode(str);
    const p = this.alloc(b.length + 1);
    const u = this.u8;
    u.set(b, p);
    u[p + b.length] = 0;
    return p;
  }

  cstring(p) {
    p >>>= 0;
    if (!p) return '';
    const u = this.u8;
    let e = p;
    while (u[e] !== 0) e++;
    return decoder.decode(u.subarray(p, e));
  }

  readU32(p) {
    return new DataView(this.x.memory.buffer).getUint32(p, true);
  }

  /** Copies `len` bytes out of memory. */
  copyOut(p, len) {
    return this.u8.slice(p, p + len);
  }

  /**
   * Runs fn(errPtr) with a fresh lp_error; a non-zero status throws the
   * LocalPredictError it describes.  `source` names the file at fault in the
   * message ("data.csv:5: ..."): a string, or a function of the error code
   * (a model load blames the manifest for BAD_MANIFEST, the model otherwise).
   */
  call(fn, source) {
    // One record serves call after call (a small batch's predict() is a few
    // microseconds, and allocating, clearing and freeing 4 KB per call was a
    // visible share of it).  The engine fills a record on failure only, and
    // clears it first (lp__fail), so a record that saw successes only is as
    // good as a fresh one; after a failure it is freed and the next call
    // allocates another.  A call made while another is running (fn calling
    // back into call) gets its own.
    let e = this.#spareError;
    this.#spareError = 0;
    if (!e) e = this.x.lp_wasm_error_new() >>> 0;
    if (!e) throw new LocalPredictError('OUT_OF_MEMORY', 'out of memory: the engine could not allocate an error record');
    let ok = false;
    try {
      const status = fn(e);
      if (status !== 0) throw this.error(e, source);
      ok = true;
      return status;
    } finally {
      if (ok && !this.#spareError) this.#spareError = e;
      else this.x.lp_wasm_error_free(e);
    }
  }

  /** The LocalPredictError that an lp_error describes. */
  error(e, source) {
    const x = this.x;
    const code = this.cstring(x.lp_wasm_error_code(e));
    if (typeof source === 'function') source = source(code);
    const where = {};
    const line = x.lp_wasm_error_line(e);
    if (line > 0) where.line = line;
    const column = this.cstring(x.lp_wasm_error_column(e));
    if (column) where.column = column;
    const columnIndex = x.lp_wasm_error_column_index(e);
    if (columnIndex >= 0) where.columnIndex = columnIndex;
    const field = this.cstring(x.lp_wasm_error_field(e));
    if (field) where.field = field;
    const node = x.lp_wasm_error_node(e);
    if (node >= 0) where.node = node;
    const tree = x.lp_wasm_error_tree(e);
    if (tree >= 0) where.tree = tree;
    return new LocalPredictError(code, this.format(e, source), where);
  }

  format(e, source) {
    let src = 0;
    let buf = 0;
    try {
      if (source) src = this.cstringIn(source);
      const cap = FORMAT_CAP + (source ? encoder.encode(source).length : 0);
      buf = this.alloc(cap);
      const n = this.x.lp_wasm_error_format(e, src, buf, cap) >>> 0;
      return decoder.decode(this.u8.subarray(buf, buf + n));
    } finally {
      this.free(buf);
      this.free(src);
    }
  }
}
