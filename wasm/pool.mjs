/* pool.mjs — a pool of workers, each with its own engine instance and a copy
 * of one model, that predicts CSV slices (pool-worker.mjs).
 *
 * No SharedArrayBuffer and no cross-origin isolation: a worker gets the
 * compiled engine (a WebAssembly.Module, which postMessage can carry) and the
 * model's compact blob once, then slices as transferred byte buffers, and
 * sends each slice's output back the same way.
 *
 * Where workers come from: the environment registered by the package entry
 * (load-node.mjs: worker_threads running pool-worker.mjs; load-browser.mjs: Web Workers
 * running build/localpredict-worker.mjs, the same worker as one self-contained module
 * (scripts/bundle-worker.mjs), beside the shim), with the URL given to setEngine({ worker })
 * if any — e.g. a blob: URL of wasm/build/localpredict-worker.mjs for a page
 * that fetches nothing (CSP `worker-src 'self' blob:`).  With the
 * environment-free entry (localpredict.mjs, as bundled into the single-file
 * page) workers run only from such a URL; without one, runs stay on the
 * calling thread.  (No module-relative URL here: this module is bundled too.)
 */
import { LocalPredictError } from './errors.mjs';
import { workerSettings } from './engine.mjs';

/** A Web Worker (module) behind the small interface load-node.mjs gives for worker_threads.
 * type 'classic' runs a script without imports (the bundled worker) where a module
 * worker cannot start: a page opened from file:// has an opaque origin, and module
 * workers are fetched with CORS, which a blob: URL of that origin fails. */
export function webWorker(url, type = 'module') {
  const w = new Worker(url, { type });
  return {
    post: (msg, transfer) => w.postMessage(msg, transfer || []),
    onMessage: (fn) => { w.onmessage = (e) => fn(e.data); },
    onError: (fn) => {
      w.onerror = (e) => {
        e.preventDefault?.();
        fn(new Error(e.message || 'the worker script could not be loaded'));
      };
      w.onmessageerror = () => fn(new Error('a message from the worker could not be read'));
    },
    terminate: () => w.terminate(),
  };
}

/** The worker constructor of this environment, or null where there is none. */
function spawner() {
  const { environment, url } = workerSettings();
  if (environment && typeof environment.startWorker === 'function') return () => environment.startWorker(url);
  if (url && typeof Worker === 'function') return () => webWorker(url);
  return null;
}

/** How many workers `jobs: undefined` means: the number of cores. */
export function defaultJobs() {
  const { environment } = workerSettings();
  const n = environment && typeof environment.cores === 'function'
    ? environment.cores()
    : globalThis.navigator?.hardwareConcurrency;
  return Number.isInteger(n) && n > 0 ? n : 1;
}

export function workersAvailable() {
  return spawner() !== null;
}

/** Counters for tests and curious callers: workers started, slice buffers made
 * (slice-pool.mjs) and output buffers the workers made (not reused: recycleOutput in
 * parallel-csv.mjs) so far in this realm; workersStopped: workers this module
 * terminated (a pool's end, spares dropped). */
export const poolStats = { workersStarted: 0, sliceBuffers: 0, outputBuffers: 0, workersStopped: 0 };

/**
 * Phase marks for benchmarks (tests/bench/browser_e2e.mjs --phases): when a caller sets
 * `poolTrace.events` to an array, the pool and parallel-csv.mjs append
 * { name, start, end, worker } to it, times in ms since the epoch (clock()), which a page
 * and its workers share.  Off (null) by default: nothing is recorded.
 */
export const poolTrace = { events: null };

/** Now, in ms since the epoch at sub-ms resolution, the same in every worker. */
export const clock = () => performance.timeOrigin + performance.now();

/** Notes one phase (see poolTrace). */
export function trace(name, start, end = clock(), worker = -1) {
  poolTrace.events?.push({ name, start, end, worker });
}

function toError(record) {
  return new LocalPredictError(record.code, record.message, record.where);
}

let workerNumber = 0;

/** One worker: its port, the slices it was sent and not yet answered. */
class PoolWorker {
  constructor(port) {
    this.port = port;
    this.number = workerNumber++; // names it in poolTrace
    this.spawned = clock();
    this.waiting = new Map(); // id -> { resolve, reject }
    this.ready = null;
    // Listened to from the start, so that a worker started ahead (prestartWorkers)
    // loses neither its 'hello' nor an early failure before a pool takes it.
    this.listening = false;
    this.failure = null;
    this.onHello = null;
    this.onReply = null;
    this.onFailure = null;
    port.onMessage((msg) => {
      if (msg.type === 'hello') {
        trace('worker start', this.spawned, clock(), this.number);
        this.listening = true;
        this.onHello?.();
      } else {
        this.onReply?.(msg);
      }
    });
    port.onError((e) => {
      this.failure ??= e;
      this.onFailure?.(e);
    });
  }
}

/** Workers started ahead of a run, not yet given an engine and a model. */
const spares = [];

/**
 * Starts up to n workers now, before the model they will predict with is loaded:
 * a worker's start (a new thread, its modules) then runs while this thread reads and
 * parses the model, and the next WorkerPool.start takes them (the CLI calls this when
 * a run will use workers; see ARCHITECTURE "Decisions").  Idle spares do not keep a
 * Node process alive.  Without worker support this does nothing.
 */
export function prestartWorkers(n) {
  const spawn = spawner();
  if (!spawn) return;
  while (spares.length < n) {
    const w = new PoolWorker(spawn());
    poolStats.workersStarted++;
    w.port.hold?.(false);
    spares.push(w);
  }
}

/** Stops the spares prestartWorkers left: a model load they were started for failed,
 * so nothing will take them (a later run starts its own). */
export function dropSpares() {
  for (const w of spares.splice(0)) {
    w.port.terminate();
    poolStats.workersStopped++;
  }
}

export class WorkerPool {
  #workers = [];
  #active = 0;  // how many of the workers predict (use(n))
  #nextId = 0;
  #dead = null; // the error that stopped the pool

  /**
   * Starts `n` workers and gives each the engine and the model; resolves when all are
   * ready.  Rejects (and leaves nothing running) when a worker cannot start.
   */
  static async start(n, engine, blob) {
    const spawn = spawner();
    if (!spawn) throw new LocalPredictError('UNSUPPORTED', 'this environment has no workers');
    const pool = new WorkerPool();
    try {
      for (let i = 0; i < n; i++) pool.#workers.push(pool.#startOne(spawn, engine, blob));
      await Promise.all(pool.#workers.map((w) => w.ready));
      pool.#active = n;
    } catch (e) {
      pool.terminate();
      throw e;
    }
    return pool;
  }

  #startOne(spawn, engine, blob) {
    let w = spares.shift();
    if (w) w.port.hold?.(true); // a pool waits for it now
    else {
      w = new PoolWorker(spawn());
      poolStats.workersStarted++;
    }
    let settle;
    w.ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
    // Each worker gets its own copy of the blob (a Module is shared, not copied).
    let initSent;
    const init = () => {
      initSent = clock();
      w.port.post({ type: 'init', module: engine.module, variant: engine.variant, blob });
    };
    if (w.listening) init();
    else w.onHello = init;
    w.onReply = (msg) => {
      if (msg.type === 'ready') {
        if (poolTrace.events && msg.times) {
          const { received, instantiated, loaded } = msg.times;
          trace('init message', initSent, received, w.number);
          trace('instantiate', received, instantiated, w.number);
          trace('model blob load', instantiated, loaded, w.number);
        }
        settle.resolve();
      } else if (msg.type === 'failed' && msg.id === -1) {
        settle.reject(toError(msg.error));
      } else {
        const p = w.waiting.get(msg.id);
        if (!p) return;
        w.waiting.delete(msg.id);
        if (msg.type === 'done' && msg.fresh) poolStats.outputBuffers++;
        if (msg.type === 'done' && poolTrace.events && msg.times) trace('slice', msg.times.start, msg.times.end, w.number);
        if (msg.type === 'done') p.resolve({ output: msg.output, rows: msg.rows, lineEnds: msg.lineEnds, skipped: msg.skipped, input: msg.input });
        else p.reject(toError(msg.error));
      }
    };
    w.onFailure = (e) => {
      const err = new LocalPredictError('UNSUPPORTED', `a prediction worker stopped: ${e.message}`, undefined, { cause: e });
      settle.reject(err);
      this.#fail(err);
    };
    if (w.failure) w.onFailure(w.failure);
    return w;
  }

  #fail(err) {
    if (!this.#dead) this.#dead = err;
    for (const w of this.#workers) {
      for (const p of w.waiting.values()) p.reject(err);
      w.waiting.clear();
    }
  }

  get size() {
    return this.#active;
  }

  get capacity() {
    return this.#workers.length;
  }

  get dead() {
    return this.#dead !== null;
  }

  /** Predicts on the first n workers only (a run with fewer jobs than the pool has). */
  use(n) {
    this.#active = Math.min(n, this.#workers.length);
  }

  /** Whether an idle pool may keep its process alive (Node); busy pools always do. */
  hold(busy) {
    for (const w of this.#workers) w.port.hold?.(busy);
  }

  /**
   * Predicts one slice on the least busy worker, its lines numbered from 1.  `bytes`
   * is transferred (the caller must not use it afterwards).  Returns { result, rerun }:
   * result resolves to { output: Uint8Array, rows, lineEnds, skipped: { count, lines }, input } (input:
   * `bytes` given back by the worker, its buffer free for the next slice); when it rejects,
   * rerun(firstLine) gives the slice's error with the file's line numbers.  `reuse`, if
   * given, is an ArrayBuffer (transferred) the output may be written into.
   */
  predict(bytes, options, reuse) {
    let best = this.#workers[0];
    for (let i = 1; i < this.#active; i++) {
      if (this.#workers[i].waiting.size < best.waiting.size) best = this.#workers[i];
    }
    const id = this.#nextId++;
    if (poolTrace.events) trace('send', clock(), clock(), best.number);
    const ask = (msg, transfer) => {
      if (this.#dead) return Promise.reject(this.#dead);
      return new Promise((resolve, reject) => {
        best.waiting.set(id, { resolve, reject });
        best.port.post(msg, transfer);
      });
    };
    return {
      result: ask({ type: 'slice', id, bytes, options: { ...options, firstLine: options.firstLine ?? 1 }, reuse },
        reuse ? [bytes.buffer, reuse] : [bytes.buffer]),
      rerun: (firstLine) => ask({ type: 'rerun', id, firstLine }),
    };
  }

  /** Stops every worker at once (mid-slice too); pending slices reject with `reason`. */
  terminate(reason) {
    this.#fail(reason || new LocalPredictError('ABORTED', 'the worker pool was stopped'));
    for (const w of this.#workers) {
      w.port.terminate();
      poolStats.workersStopped++;
    }
    this.#workers = [];
  }
}

/**
 * The pool a model keeps between runs, so that a second predictCsv does not start
 * workers again.  A run takes it (acquire) and gives it back when it ends well
 * (release); a failed or aborted run terminates it instead, since its workers may
 * still be busy.  An idle pool does not keep a Node process alive.
 */
export class PoolCache {
  #idle = null;
  #closed = false;
  #warming = null; // a pool being started ahead by warm(): a promise of it, or of null

  /**
   * Starts a pool of n workers now, without a run (loadModel's `jobs`): the workers
   * load the model while the caller goes on, and the next acquire takes the pool.  A
   * pool that fails to start is dropped here; the run that needs workers then starts
   * its own, and its failure is that run's error, as without warm().
   */
  warm(n, engine, blob) {
    if (this.#closed || this.#idle || this.#warming) return;
    // blob() may throw (a model that cannot be serialised): that is then the run's error.
    const warming = Promise.resolve().then(() => WorkerPool.start(n, engine, blob())).then((pool) => {
      pool.hold(false); // an idle pool does not keep Node alive
      return pool;
    }, () => null);
    this.#warming = warming;
    warming.then((pool) => {
      if (this.#warming !== warming) return; // an acquire took it
      this.#warming = null;
      if (!pool) return;
      if (this.#closed || this.#idle) pool.terminate();
      else this.#idle = pool;
    });
  }

  /** A ready pool predicting on n workers: the idle (or warming) one when it is big enough. */
  async acquire(n, engine, blob) {
    let pool = this.#idle;
    this.#idle = null;
    if (!pool && this.#warming) {
      const warming = this.#warming;
      this.#warming = null;
      pool = await warming;
      if (pool && this.#closed) {
        pool.terminate();
        pool = null;
      }
    }
    if (pool && (pool.dead || pool.capacity < n)) {
      pool.terminate();
      pool = null;
    }
    if (!pool) pool = await WorkerPool.start(n, engine, blob());
    pool.use(n);
    pool.hold(true);
    return pool;
  }

  release(pool) {
    if (this.#closed || this.#idle || pool.dead) {
      pool.terminate();
      return;
    }
    pool.hold(false);
    this.#idle = pool;
  }

  /** Terminates the idle pool; later releases terminate theirs (the model is gone). */
  close() {
    this.#closed = true;
    if (this.#idle) this.#idle.terminate();
    this.#idle = null;
  }
}
