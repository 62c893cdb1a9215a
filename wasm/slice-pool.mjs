/* slice-pool.mjs — the byte buffers that carry CSV slices to the workers and
 * back, reused instead of allocated per slice.
 *
 * Why: a slice's buffer is transferred to a worker, and a fresh buffer per
 * slice becomes garbage there once the slice is predicted.  Each thread frees
 * such buffers only at its next garbage collection, which V8 starts after
 * tens of MB of them: on a long file every thread then holds that much dead
 * input (issue 6: a 1 GB file in under 256 MB).  Here the worker gives the
 * buffer back with the slice's output (pool-worker.mjs 'done'), and the next
 * slice is copied into it.  A buffer is made only when every one is out, so
 * there are as many as were ever in flight at once, which the run's window
 * bounds (parallel-csv.mjs), whatever the file size; `keep` (at least that
 * window) is a ceiling on the free ones.
 *
 * A buffer holds `capacity` bytes: a slice is cut at the first record end
 * after sliceBytes, so nearly every slice fits; a longer one (a long record)
 * gets a buffer of its own size, kept only if it is not much larger than the
 * others (one huge record must not pin its memory for the rest of the run).
 */
import { poolStats } from './pool.mjs';

export class SlicePool {
  /**
   * @param {number} sliceBytes the run's slice size (CsvSplitter)
   * @param {number} keep how many free buffers to hold at most
   */
  constructor(sliceBytes, keep) {
    this.sliceBytes = sliceBytes;
    this.capacity = sliceBytes + Math.max(1024, sliceBytes >> 4);
    this.keep = keep;
    this.free = [];
  }

  /** A Uint8Array of length n over a buffer no one else uses. */
  take(n) {
    for (let i = this.free.length - 1; i >= 0; i--) {
      if (this.free[i].byteLength >= n) {
        const buf = this.free[i];
        this.free.splice(i, 1);
        return new Uint8Array(buf, 0, n);
      }
    }
    poolStats.sliceBuffers++;
    return new Uint8Array(new ArrayBuffer(Math.max(n, this.capacity)), 0, n);
  }

  /** Gives back a slice's bytes (a view returned by a worker); its buffer may be reused. */
  give(bytes) {
    const buf = bytes && bytes.buffer;
    if (!buf || buf.byteLength === 0 || this.free.length >= this.keep) return;
    if (buf.byteLength > 2 * this.capacity) return;
    this.free.push(buf);
  }
}
