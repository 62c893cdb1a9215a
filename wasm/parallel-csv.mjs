/* parallel-csv.mjs — predictCsv on several cores: the input is cut into
 * slices at record boundaries (csv-split.mjs), the slices are predicted by a
 * worker pool (pool.mjs), and the outputs are emitted in input order as one
 * ReadableStream, byte for byte what a single job writes.
 *
 * - Small inputs do not pay for starting workers: when the input is (or,
 *   for a stream of unknown length, turns out to be) below `minBytes`, the
 *   run stays on the calling thread (the single-job stream of model.mjs).
 * - Memory stays bounded: at most `slicesPerWorker` slices per worker are at
 *   the workers (sent, not answered) and twice that sent and not yet emitted,
 *   and input is read only when a slice may be sent; a slow consumer of the
 *   stream slows the reading down.
 * - Errors: outputs are emitted in slice order, so the first failed slice in
 *   file order is the error the stream ends with — the one a single job
 *   reports, with the same line and column (see 'rerun' in pool-worker.mjs).
 *   Nothing after a failed slice is emitted; the stream errors, so no partial
 *   output looks complete.
 * - Abort (signal) or cancel terminates every worker at once.
 * - Progress counts the slices emitted: bytesRead and rows reach the totals
 *   when the stream closes; `workers` says how many workers predict.
 * - Output buffers are reused when the consumer says it is done with a chunk
 *   (recycleOutput, as the CLI does once a chunk is written); a consumer that
 *   keeps its chunks (a Blob of them) just does not give them back.
 */
import { abortedError } from './errors.mjs';
import { CsvSplitter, countLineEnds } from './csv-split.mjs';
import { SlicePool } from './slice-pool.mjs';
import { clock, trace } from './pool.mjs';

/** Tuning (exported for tests, which use tiny slices to cut at every record). */
export const poolTuning = {
  /** A slice grows to this many bytes before it is cut at the next record boundary.
   * Each slice costs this thread a wake-up, messages and a new job in a worker; on 2
   * cores the calling thread's time is taken from a worker (tests/bench/README.md,
   * pool-ab.mjs: 2 MiB against 1 MiB, its CPU per 98.5 MB run 88 -> 71 ms, its wake-ups
   * 161 -> 80). */
  sliceBytes: 2 << 20,
  /** Inputs smaller than this run on the calling thread (starting workers costs more). */
  minBytes: 8 << 20,
  /** Slices queued at each worker (sent, not answered; twice as many may wait to be
   * emitted, see fill()): a worker that is ahead has work while the oldest slice
   * finishes, and while this thread waits for a core (6 MiB per worker with 2 MiB
   * slices). */
  slicesPerWorker: 3,
  /** Bytes per read into a reused buffer (a source with readInto). */
  readBytes: 1 << 20,
  /** The first slice's size for input that is read; the next ones grow as big as the bytes
   * before them, up to sliceBytes (see begin()).  Why: a browser's File comes slowly at
   * first (Chromium: 1-8 ms per read of a few hundred KiB, ~20 ms to fill the first 2 MiB
   * slice), and both workers waited for it (tests/bench/README.md, session 12).  Bytes in
   * memory keep sliceBytes from the start (nothing to wait for; in Node the ramp read
   * 1.86x against 1.90x without, within the noise). */
  firstSliceBytes: 128 << 10,
  /** The least slice size near the end of an input of known size (see begin()). */
  tailSliceBytes: 64 << 10,
  /** Bytes read ahead of the splitter (a source without readInto; see readAhead()). */
  readAheadBytes: 4 << 20,
};

/** The slices' buffers of each worker pool, kept with the pool between runs. */
const slicePools = new WeakMap();

/**
 * The slice buffers of a run on `pool`: the ones its last run left when the slice size is
 * the same, else new ones.  Keeps as many as may be in flight: a buffer is made only when
 * all are out.  Why between runs: a fresh 2 MiB buffer costs this thread its zeroing,
 * page faults and a share of a GC, and a run on W1 made 10-12 of them, ~30 ms of this
 * thread's ~80 ms of CPU, taken from a worker on 2 cores (tests/bench/README.md, pool5,
 * perf profiles: ~48 ms with the buffers kept).  The cost: an idle pool holds as many
 * as a run had out at once (W1 on 2 workers: 12, 25 MB), freed with the pool.
 */
function slicePoolOf(pool, sliceBytes, keep) {
  let sp = slicePools.get(pool);
  if (!sp || sp.sliceBytes !== sliceBytes) {
    sp = new SlicePool(sliceBytes, keep);
    slicePools.set(pool, sp);
  }
  sp.keep = Math.max(sp.keep, keep);
  return sp;
}

/** Per stream, the function that takes back a chunk its consumer is done with. */
const recyclers = new WeakMap();

/**
 * Gives a chunk of a predictCsv stream back once its bytes are no longer needed (e.g.
 * written to a file): a worker then writes a later slice's output into its buffer
 * instead of a new one, which would be garbage that every thread frees only at its
 * next collection (with `includeInput`, the whole file's size again).  The chunk
 * must not be used afterwards.  Anything else (a chunk of a single-job run, of another
 * stream, one given twice) is ignored.
 */
export function recycleOutput(stream, chunk) {
  recyclers.get(stream)?.(chunk);
}

/** Reads up to `limit` bytes of `src` ahead; the chunks are replayed by the returned source. */
async function peek(src, limit) {
  const chunks = [];
  let have = 0;
  let ended = false;
  while (have < limit) {
    const c = await src.read();
    if (c === null) {
      ended = true;
      break;
    }
    chunks.push(c);
    have += c.length;
  }
  let i = 0;
  const replay = {
    total: src.total,
    read: async () => (i < chunks.length ? chunks[i++] : ended ? null : src.read()),
    // Reading into the caller's buffer (see nextChunk) once the peeked chunks are out.
    readInto: src.readInto && ((buf) => src.readInto(buf)),
    inMemory: src.inMemory,
    held: () => chunks.length - i,
    cancel: (reason) => src.cancel(reason),
  };
  return { ended, replay, first: chunks[0] };
}

/**
 * `src` read ahead, one read at a time, until `limit` bytes are held: the input keeps
 * coming while this thread waits for the workers.  Why: a browser's File.stream()
 * fills a small pipe (64 KiB to 1 MiB pieces of a file on disk) and then waits for
 * its reader, so reading only when a slice may be sent left the pool waiting for
 * round trips to the browser's file thread, each late on busy cores (the page on 2
 * workers was slower with stream() than with 1 MiB slice() reads until this).
 */
function readAhead(src, limit) {
  const queue = [];
  let held = 0;
  let pending = null;
  let ended = false;
  let failure = null;
  /** Starts the next read, if none is pending and the input goes on: a read asked for
   * (`wanted`) always, else only while fewer than `limit` bytes are held. */
  const pump = (wanted = false) => {
    if (pending || ended || failure || (held >= limit && !wanted)) return;
    pending = src.read().then((chunk) => {
      pending = null;
      if (chunk === null) ended = true;
      else {
        queue.push(chunk);
        held += chunk.length;
      }
      pump();
    }, (e) => {
      pending = null;
      failure = e;
    });
  };
  return {
    total: src.total,
    async read() {
      for (;;) {
        if (queue.length) {
          const chunk = queue.shift();
          held -= chunk.length;
          pump();
          return chunk;
        }
        if (failure) throw failure;
        if (ended) return null;
        pump(true);
        await pending;
      }
    },
    cancel(reason) {
      ended = true;
      queue.length = 0;
      src.cancel(reason);
    },
  };
}

/** Whether the input's first chunk starts with a UTF-16 byte-order mark (read on one job). */
function startsWithUtf16Mark(first) {
  return !!first && first.length >= 2 && ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff));
}

/** The engine's delimiter detection (lp_csv_detect_delimiter) on a header's bytes. */
function detectDelimiter(engine, header) {
  const p = engine.copyIn(header);
  try {
    return String.fromCharCode(engine.x.lp_wasm_detect_delimiter(p, header.length));
  } finally {
    engine.free(p);
  }
}

/**
 * The output stream of a run on `jobs` workers.
 *
 * @param {object} run
 *   src       the input (model.mjs openInput: { total, read(), cancel() })
 *   o         the checked predictCsv options (threshold, includeInput, keep, source,
 *             onProgress, signal)
 *   jobs      number of workers (> 1)
 *   pools     the model's PoolCache (pool.mjs)
 *   engine    the calling thread's Engine (its compiled module goes to the workers)
 *   blob      () => the model's compact blob (Uint8Array)
 *   single    (src) => the single-job ReadableStream over `src` (the fallback)
 *   register  (handle) => unregister: lets Model.dispose() stop the run
 */
export function parallelCsvStream({ src, o, jobs, pools, engine, blob, single, register }) {
  const { signal, onProgress } = o;
  const tuning = { ...poolTuning };
  let inner = null;      // the single-job reader, when the run stays on this thread
  let pool = null;
  let splitter = null;
  let slicePool = null;  // the slices' buffers, given back by the workers (slice-pool.mjs)
  let inputEnded = false;
  const inFlight = [];   // { result: Promise, rerun, index, length } in slice order
  let atWorkers = 0;     // slices sent and not yet answered
  let filling = null;    // the fill() under way, if any
  let fillError = null;  // what a fill() started by a worker's answer threw, for pull()
  const outFree = [];    // output buffers given back (recycleOutput), for the next slices
  const outIssued = new WeakSet(); // output buffers enqueued and not given back yet
  let outKeep = 0;       // how many free output buffers to hold at most
  let lineEnds = 0;      // line ends in the slices emitted so far
  let bytesRead = 0;
  let rows = 0;
  let closed = false;
  let controller;
  let unregister = () => {};

  /** Ends the run; a pool that finished cleanly goes back to the model for the next run. */
  const cleanup = (reason, ok = false) => {
    closed = true;
    unregister();
    if (pool && ok) pools.release(pool);
    else if (pool) pool.terminate(reason);
    pool = null;
    inFlight.length = 0;
    if (signal) signal.removeEventListener('abort', onAbort);
  };
  function onAbort() {
    if (closed) return;
    const err = abortedError(signal);
    cleanup(err);
    if (inner) inner.cancel(signal.reason).catch(() => {});
    src.cancel(signal.reason);
    controller.error(err);
  }

  // onError 'skip' writes line numbers into the output (the Error column), so each
  // slice is given its first physical line up front (one more pass over the input
  // on this thread, only then); otherwise lines are only needed for an error.
  const skipRows = o.onError === 'skip';
  let sentLineEnds = 0;
  const skippedLines = [];
  let skipped = 0;
  const options = (slice, firstLine) => ({
    threshold: o.threshold,
    includeInput: o.includeInput,
    keep: o.keep,
    source: o.source,
    maxColumns: o.maxColumns,
    maxFieldBytes: o.maxFieldBytes,
    delimiter: o.delimiter,
    encoding: o.encoding,
    decimalComma: o.decimalComma,
    noHeader: o.noHeader,
    columns: o.columns,
    excel: o.excel,
    onError: o.onError,
    header: slice.index === 0 ? null : splitter.header,
    writeHeader: slice.index === 0,
    firstLine,
  });

  function send(slice) {
    let firstLine;
    if (skipRows) {
      firstLine = sentLineEnds + 1;
      sentLineEnds += countLineEnds(slice.bytes);
    }
    const length = slice.bytes.length;
    const { result, rerun } = pool.predict(slice.bytes, options(slice, firstLine), outFree.pop());
    atWorkers++;
    // Awaited in order by pull(); here the buffer comes back as soon as the worker is
    // done, and the worker gets more work then, not only when the oldest slice is
    // emitted (catch: this only silences early rejections).
    result.then((done) => {
      atWorkers--;
      slicePool.give(done.input);
      refill();
    }, () => { atWorkers--; });
    inFlight.push({ result, rerun, index: slice.index, length });
  }

  // Read buffers reused (a source with readInto: the CLI's file, a Blob): a chunk's
  // bytes are referenced by the splitter until the slice holding its last byte is
  // cut (and copied), i.e. until the splitter's current slice starts after it.
  // Then the buffer takes the next chunk: no garbage per chunk (slice-pool.mjs).
  const readRing = [];   // { buf, end } chunks read into reused buffers, in file order
  const readFree = [];
  let readOffset = 0;    // bytes given to the splitter so far
  async function nextChunk() {
    if (!src.readInto || src.held?.()) {
      const chunk = await src.read();
      if (chunk) readOffset += chunk.length;
      return chunk;
    }
    while (readRing.length && readRing[0].end <= splitter.sliceStart) readFree.push(readRing.shift().buf);
    const bytes = await src.readInto(readFree.pop() ?? new Uint8Array(tuning.readBytes));
    if (bytes === null) return null;
    readOffset += bytes.length;
    // The buffer the bytes are in: the one given, or the one a byte stream gave back
    // (model.mjs blobSource).
    readRing.push({ buf: new Uint8Array(bytes.buffer), end: readOffset });
    return bytes;
  }

  /**
   * Reads and sends slices until the window is full or the input has ended.  The window:
   * `slicesPerWorker` slices per worker at the workers (sent, not answered), and twice
   * that sent and not yet emitted.  Why both: outputs leave in file order, so a worker
   * that finished its slices while another still predicts the oldest one would wait
   * for it if only the slices not yet emitted counted (on a busy machine the other
   * worker's thread may be waiting for a core: W1 on 2 workers lost 0-85 ms a run so,
   * tests/bench/README.md, pool5).  The second bound keeps memory bounded: outputs
   * wait for their turn, slices' buffers come back when answered.
   */
  async function fill() {
    const window = tuning.slicesPerWorker * pool.size;
    while (!inputEnded && !closed && atWorkers < window && inFlight.length < 2 * window) {
      const t0 = clock();
      const chunk = await nextChunk();
      const t1 = clock();
      trace('read', t0, t1);
      if (closed) return;
      if (chunk === null) {
        inputEnded = true;
        const last = splitter.finish();
        if (last) send(last);
      } else {
        for (const slice of splitter.push(chunk)) send(slice);
        trace('split+send', t1);
      }
    }
  }

  /** fill() unless one is under way; returns the fill under way (or null). */
  function refill() {
    if (!filling && pool && !closed && !inputEnded && !fillError) {
      filling = fill().catch((e) => { fillError ??= e; }).finally(() => { filling = null; });
    }
    return filling;
  }

  /** Decides where the run goes: this thread for small inputs, else a new pool. */
  async function begin() {
    let input = src;
    if (src.total === undefined || src.total >= tuning.minBytes) {
      const p = await peek(src, src.total === undefined ? tuning.minBytes : 2);
      input = p.replay;
      if (src.total === undefined && p.ended) return delegate(input);
      if (!o.encoding && startsWithUtf16Mark(p.first)) return delegate(input);
      try {
        const t0 = clock();
        pool = await pools.acquire(jobs, engine, blob);
        trace('acquire', t0);
      } catch (e) {
        if (closed) return undefined;
        // Workers refused (no worker support, a CSP without worker-src): one thread it is.
        return delegate(input);
      }
      if (closed) {
        pools.release(pool);
        pool = null;
        return undefined;
      }
      // Near the end, one read may cut several small slices, each sent at once: up to
      // twice the window's buffers are out then (W1 on 2 workers: 10-12).
      slicePool = slicePoolOf(pool, tuning.sliceBytes, 2 * (tuning.slicesPerWorker * pool.size + 2));
      outKeep = tuning.slicesPerWorker * pool.size + 2;
      splitter = new CsvSplitter(tuning.sliceBytes, {
        delimiter: o.delimiter,
        detectDelimiter: (header) => detectDelimiter(engine, header),
      }, (n) => slicePool.take(n));
      // Input that is read (not bytes in memory): the first slices are small, each as big
      // as the bytes before it, so that every worker starts while the first reads are
      // slow (see firstSliceBytes).  Near the end of an input of known size, slices
      // shrink so that the last ones spread over every worker (no worker idles while
      // another finishes a big one).
      const { total } = src;
      const workers = pool.size;
      const first = input.inMemory ? tuning.sliceBytes : tuning.firstSliceBytes;
      splitter.sliceSize = (start) => Math.min(tuning.sliceBytes, Math.max(first, start),
        total === undefined ? Infinity : Math.max(tuning.tailSliceBytes, Math.floor((total - start) / (2 * workers))));
      // A source that reads into reused buffers (the CLI's file, a Blob) or whose bytes are in
      // memory already is read on demand: read-ahead only adds a promise per chunk there.
      src = input.readInto || input.inMemory ? input : readAhead(input, tuning.readAheadBytes);
      return undefined;
    }
    return delegate(input);
  }

  /** Takes back an output buffer: one the consumer gave back, or an empty output's. */
  function reuseOutput(buf) {
    if (!closed && buf.byteLength > 0 && outFree.length < outKeep) outFree.push(buf);
  }

  function delegate(input) {
    unregister();
    inner = single(input).getReader();
    return undefined;
  }

  const stream = new ReadableStream({
    start(c) {
      controller = c;
      unregister = register({ destroy: (err) => { if (!closed) { cleanup(err); controller.error(err); } } });
      if (signal) {
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort);
      }
    },
    async pull(c) {
      if (closed) return;
      try {
        if (!inner && !pool) await begin();
        if (closed) return;
        if (inner) {
          const { done, value } = await inner.read();
          if (closed) return;
          if (done) {
            cleanup();
            c.close();
          } else {
            c.enqueue(value);
          }
          return;
        }
        for (;;) {
          await refill();
          if (fillError) throw fillError;
          if (closed) return;
          if (inFlight.length === 0) {
            cleanup(undefined, true);
            c.close();
            return;
          }
          const next = inFlight.shift();
          let done;
          const t0 = clock();
          try {
            done = await next.result;
            trace('wait', t0);
          } catch (err) {
            // The first failure in file order.  Slices are numbered from line 1; every
            // slice before this one succeeded and counted its lines, so now its first
            // line is known: ask for the error again, worded as one job would.
            if (closed || next.index === 0) throw err;
            throw await next.rerun(lineEnds + 1).then(() => err, (exact) => exact);
          }
          const { output, rows: n } = done;
          if (closed) return;
          lineEnds += done.lineEnds;
          bytesRead += next.length;
          rows += n;
          if (done.skipped) {
            skipped += done.skipped.count;
            for (const line of done.skipped.lines) if (skippedLines.length < 10) skippedLines.push(line);
          }
          if (onProgress) onProgress({ bytesRead, bytesTotal: src.total, rows, skipped, skippedLines: [...skippedLines], workers: pool.size });
          if (output.length) {
            outIssued.add(output.buffer);
            c.enqueue(output);
            return;
          }
          reuseOutput(output.buffer);
        }
      } catch (err) {
        const wasClosed = closed;
        cleanup(err);
        src.cancel(err);
        if (!wasClosed) throw err;
      }
    },
    cancel(reason) {
      cleanup();
      if (inner) inner.cancel(reason).catch(() => {});
      src.cancel(reason);
    },
  });
  recyclers.set(stream, (chunk) => {
    const buf = chunk?.buffer;
    if (!buf || !outIssued.has(buf)) return;
    outIssued.delete(buf);
    reuseOutput(buf);
  });
  return stream;
}
