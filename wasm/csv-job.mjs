/* csv-job.mjs — one streaming lp_job (CSV bytes in, prediction CSV bytes out)
 * over the engine's flat ABI.  Used by Model.predictCsv on the calling thread
 * and by pool-worker.mjs for one slice of a file in a worker.
 *
 * A slice job reads the file's header record from `header` instead of its
 * input, numbers lines from `firstLine` (so errors name the file's physical
 * line) and leaves the output header to the first slice (`writeHeader`).
 */
import { usageError } from './errors.mjs';

const encoder = new TextEncoder();

export function disposedError() {
  return usageError('this model was disposed; load it again with loadModel() to keep predicting');
}

/** One lp_job with its input buffer; destroy() is idempotent. */
export class CsvJob {
  /**
   * @param {object} o { threshold, includeInput, keep, source, maxColumns, maxFieldBytes, delimiter, encoding
   *   (the engine's number), decimalComma, noHeader, columns, excel, onError } and, for a slice,
   *   { header: Uint8Array, firstLine, writeHeader }
   */
  constructor(engine, modelHandle, o, checkOnly, bufSize) {
    this.engine = engine;
    this.source = o.source;
    this.handle = 0;
    this.buf = 0;
    this.bufSize = bufSize;
    const x = engine.x;
    const ptrs = [];
    try {
      let keepPtr = 0;
      let keepLen = 0;
      if (o.keep) {
        const b = encoder.encode(o.keep.join('\0'));
        keepPtr = engine.copyIn(b);
        keepLen = b.length;
        ptrs.push(keepPtr);
      }
      let headerPtr = 0;
      if (o.header) {
        headerPtr = engine.copyIn(o.header);
        ptrs.push(headerPtr);
      }
      const headerLen = o.header ? o.header.length : 0;
      // Dialects (issue 9): column names of a headerless file, NUL-separated as `keep`.
      let columnsPtr = 0;
      let columnsLen = 0;
      if (o.columns) {
        const b = encoder.encode(o.columns.join('\0'));
        columnsPtr = engine.copyIn(b);
        columnsLen = b.length;
        ptrs.push(columnsPtr);
      }
      const firstLine = o.firstLine ?? 1;
      const writeHeader = o.writeHeader ?? true;
      const out = engine.alloc(4);
      ptrs.push(out);
      new DataView(x.memory.buffer).setUint32(out, 0, true);
      engine.call((e) => x.lp_wasm_job_create(modelHandle, o.threshold, o.includeInput ? 1 : 0, keepPtr, keepLen,
        headerPtr, headerLen, firstLine, writeHeader ? 1 : 0, checkOnly ? 1 : 0, e, out, 0, o.maxColumns ?? 0,
        o.maxFieldBytes ?? 0, o.delimiter ? o.delimiter.charCodeAt(0) : 0, o.encoding ?? 0,
        o.decimalComma ? 1 : 0, o.noHeader ? 1 : 0, columnsPtr, columnsLen, o.excel ? 1 : 0,
        o.onError === 'skip' ? 1 : 0), this.source);
      this.handle = engine.readU32(out);
      this.buf = engine.alloc(bufSize);
    } catch (e) {
      this.destroy();
      throw e;
    } finally {
      for (const p of ptrs) engine.free(p);
    }
  }

  push(chunk) {
    const x = this.engine.x;
    for (let off = 0; off < chunk.length; off += this.bufSize) {
      if (!this.handle) throw disposedError();
      const piece = chunk.subarray(off, off + this.bufSize);
      this.engine.u8.set(piece, this.buf);
      this.engine.call((e) => x.lp_wasm_job_push(this.handle, this.buf, piece.length, e), this.source);
    }
  }

  finish() {
    if (!this.handle) throw disposedError();
    this.engine.call((e) => this.engine.x.lp_wasm_job_finish(this.handle, e), this.source);
  }

  /** The output produced since the last call (copied out of the engine), or null.
   * `into(n)`, when given, supplies the Uint8Array of length n to copy it to (a reused
   * buffer: pool-worker.mjs); otherwise the copy is a fresh one. */
  output(into = null) {
    if (!this.handle) throw disposedError();
    const x = this.engine.x;
    const len = x.lp_wasm_job_output_len(this.handle) >>> 0;
    if (!len) return null;
    const at = x.lp_wasm_job_output(this.handle) >>> 0;
    let out;
    if (into) {
      out = into(len);
      out.set(this.engine.u8.subarray(at, at + len));
    } else {
      out = this.engine.copyOut(at, len);
    }
    x.lp_wasm_job_output_clear(this.handle);
    return out;
  }

  rows() {
    return this.handle ? this.engine.x.lp_wasm_job_rows(this.handle) : 0;
  }

  /** Physical line ends read (after finish(): the slice's lines, counted as csv-split.mjs
   * countLineEnds does, by the reader that read them: no second pass over the bytes). */
  lineEnds() {
    return this.handle ? this.engine.x.lp_wasm_job_line_ends(this.handle) : 0;
  }

  /** Rows skipped by onError 'skip', and the physical lines of the first ones. */
  skipped() {
    if (!this.handle) return { count: 0, lines: [] };
    const x = this.engine.x;
    const lines = [];
    for (let i = 0; ; i++) {
      const line = x.lp_wasm_job_skipped_line(this.handle, i);
      if (!line) break;
      lines.push(line);
    }
    return { count: x.lp_wasm_job_skipped(this.handle), lines };
  }

  /** A check job has read its sample: the rest of the input need not be read. */
  checkDone() {
    return !!this.handle && this.engine.x.lp_wasm_job_check_done(this.handle) === 1;
  }

  /** After finish() of a check job: what the engine found (the JSON and the CLI's text). */
  checkReport() {
    if (!this.handle) throw disposedError();
    const x = this.engine.x;
    const report = JSON.parse(this.engine.cstring(x.lp_wasm_job_check_json(this.handle)));
    report.text = this.engine.cstring(x.lp_wasm_job_check_text(this.handle));
    return report;
  }

  destroy() {
    if (this.handle) this.engine.x.lp_wasm_job_destroy(this.handle);
    this.handle = 0;
    this.engine.free(this.buf);
    this.buf = 0;
  }
}
