/* csv-split.mjs — cutting a CSV byte stream into slices at record boundaries,
 * so that several engine instances can each predict one slice.
 *
 * A slice must begin exactly where the engine's own reader
 * (src/io/csv_reader.c) would begin a new record, or a worker would read a
 * different file than a single job does.  So the splitter follows the
 * reader's quoting rules — and only those that decide "inside quotes or not":
 *   - outside quotes, a `"` opens a quoted field only at the start of a field:
 *     at the start of the data (after a UTF-8 BOM), or after the delimiter,
 *     LF or CR; anywhere else it is an ordinary byte of an unquoted field.
 *     The delimiter is the one given, or the engine's detection on the header
 *     (lp_csv_detect_delimiter); until the header has ended, any of , ; TAB |
 *     opens a field, as that detection scans the header;
 *   - inside quotes, `""` is an escaped quote and any other `"` closes the
 *     field.
 * Scanning is exact from the file's first byte, never a guess from the middle.
 * The fast path jumps from quote to quote with a byte search (indexOfByte), so
 * a file without quotes costs one search per chunk.
 *
 * A cut goes right after a line end outside quotes: after an LF, or after a
 * lone CR whose next byte is known not to be an LF (a CRLF is never split).
 * countLineEnds() counts a slice's physical lines as the reader does (every
 * LF, and every CR not followed by an LF, quoted or not), for the runs that
 * need line numbers up front (onError 'skip'); otherwise the workers' jobs
 * report the line ends their reader passed (lp_job_line_ends), so that this
 * thread makes one pass over the input only.
 *
 * The first slice starts at byte 0 and holds the header; `header` is the
 * bytes from the file start to the end of the header record (BOM and blank
 * lines included: the engine skips them), which the later slices' jobs read
 * as their header.  When the header or a record never ends, everything stays
 * in one slice: memory then grows with that record, as it would in one job.
 * Invalid quoting (text after a closing quote) makes the reader fail at that
 * byte; the splitter's cuts up to there are still exact, so the first error
 * in file order is the one a single job reports.
 */

import { simdIndexOf } from './byte-search.mjs';

const QUOTE = 0x22;
const CANDIDATES = [0x2c, 0x3b, 0x09, 0x7c]; // , ; TAB |
const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Node's Buffer search, where it works on any Uint8Array: memchr, 4-5× faster than
 * Uint8Array.prototype.indexOf (a byte-by-byte loop in V8, about 1 GB/s).  The quote
 * search runs over the whole input on the calling thread, and on 2 cores every
 * millisecond of it is one the workers lack (about 0.1 s per 100 MB).  Checked once,
 * so that a bundler's Buffer polyfill that behaves otherwise is not used.
 */
const bufferIndexOf = (() => {
  try {
    const f = globalThis.Buffer?.prototype?.indexOf;
    const probe = new Uint8Array([QUOTE, LF, QUOTE, LF]);
    return typeof f === 'function' && f.call(probe, LF, 2) === 3 && f.call(probe, CR, 0) === -1 ? f : null;
  } catch {
    return null;
  }
})();

/** Where there is no Buffer (a browser): the SIMD search of byte-search.mjs, ~3× faster
 * than indexOf; chosen on the first search, indexOf where it cannot run. */
let wasmIndexOf;

/** The index of the first `byte` in bytes at or after `from` (>= 0), or -1. */
export function indexOfByte(bytes, byte, from = 0) {
  if (bufferIndexOf) return bufferIndexOf.call(bytes, byte, from);
  if (wasmIndexOf === undefined) wasmIndexOf = simdIndexOf();
  return wasmIndexOf ? wasmIndexOf(bytes, byte, from) : bytes.indexOf(byte, from);
}

/** Line ends in a slice as the engine's reader counts them (every LF, every CR not followed by LF). */
export function countLineEnds(bytes) {
  let n = 0;
  for (let p = indexOfByte(bytes, LF); p >= 0; p = indexOfByte(bytes, LF, p + 1)) n++;
  for (let p = indexOfByte(bytes, CR); p >= 0; p = indexOfByte(bytes, CR, p + 1)) if (bytes[p + 1] !== LF) n++;
  return n;
}

/** A copy in a buffer of its own (so a worker can take it over; a Node Buffer's slice()
 * would be a view of the caller's memory): a fresh one, or `out` (from alloc). */
function concat(pieces, total, out = new Uint8Array(total)) {
  let off = 0;
  for (const p of pieces) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export class CsvSplitter {
  /**
   * @param {number} sliceBytes the size a slice grows to before it is cut at the next
   *   record boundary (every slice but the last is at least this big)
   * @param {object} [dialect] { delimiter: the given one-character delimiter, or null;
   *   detectDelimiter(headerBytes) => the delimiter, when none is given } (default: ',')
   * @param {(n: number) => Uint8Array} [alloc] where a slice's n bytes go: a Uint8Array of
   *   length n that is the only view of its ArrayBuffer's bytes in use (e.g. a recycled
   *   buffer, parallel-csv.mjs SlicePool); default: a fresh one
   */
  constructor(sliceBytes, dialect = {}, alloc = (n) => new Uint8Array(n)) {
    this.alloc = alloc;
    this.givenDelimiter = dialect.delimiter || null;
    this.detectDelimiter = dialect.detectDelimiter || (() => ',');
    this.delim = -1;           // the delimiter's byte once the header has ended (-1: any candidate)
    this.sliceBytes = Math.max(1, sliceBytes);
    /** The size of the slice that starts at global offset `start`; parallel-csv.mjs
     * replaces it to shrink the last slices of an input of known size. */
    this.sliceSize = () => this.sliceBytes;
    this.header = null;        // Uint8Array, once the header record has ended
    this.slices = 0;           // slices emitted so far
    this.offset = 0;           // global offset of the next byte pushed
    this.dataStart = -1;       // global offset after a BOM (-1: not known yet)
    this.firstRecord = -1;     // global offset of the header's first byte (-1: not seen)
    this.inQuotes = false;
    this.quotePending = false; // inside quotes, the last byte was `"`: the next byte decides
    this.lastByte = LF;        // the byte before the next one pushed
    this.pieces = [];          // bytes of the current slice
    this.pieceLen = 0;
    this.sliceStart = 0;       // global offset where the current slice starts
    this.head = [];            // the first bytes until the BOM question is settled
  }

  /** Feeds the next bytes; returns the slices completed by them ({ bytes, index }). */
  push(chunk) {
    const out = [];
    if (this.dataStart < 0) {
      // A BOM can only be judged with three bytes in hand.
      this.head.push(chunk);
      const have = this.head.reduce((n, c) => n + c.length, 0);
      if (have < BOM.length) return out;
      chunk = concat(this.head, have);
      this.head = null;
      this.dataStart = BOM.every((b, i) => chunk[i] === b) ? BOM.length : 0;
    }
    this.#scan(chunk, out);
    return out;
  }

  /** Ends the input; returns the last slice (or null when nothing is left). */
  finish() {
    if (this.dataStart < 0) {
      // Fewer than three bytes in all: they are data.
      const have = this.head.reduce((n, c) => n + c.length, 0);
      const chunk = concat(this.head, have);
      this.head = null;
      this.dataStart = 0;
      this.#scan(chunk, []);
    }
    if (this.pieceLen === 0) return null;
    return this.#emit();
  }

  #emit() {
    const bytes = concat(this.pieces, this.pieceLen, this.alloc(this.pieceLen));
    const slice = { bytes, index: this.slices++ };
    this.sliceStart += bytes.length;
    this.pieces = [];
    this.pieceLen = 0;
    return slice;
  }

  /** Where (chunk-relative, chunk at global offset `base`) a line end may end the
   * current slice; Infinity: not yet known. */
  #wantFrom(base) {
    if (this.header === null) {
      // The header ends at the first line end after its first byte.
      return this.firstRecord < 0 ? Infinity : this.firstRecord - base;
    }
    // A line end at this byte makes a slice of exactly sliceSize().
    return this.sliceStart + Math.max(1, this.sliceSize(this.sliceStart)) - 1 - base;
  }

  /** The first cut position in c[from, end) (after a line end), or -1. */
  static #lineEnd(c, from, end) {
    const lf = indexOfByte(c, LF, from);
    const lfAt = lf >= 0 && lf < end ? lf : Infinity;
    // A CR only matters before that LF: search no further (a file without CRs is not
    // scanned to the end of the chunk at every cut).
    const cr = indexOfByte(c.subarray(from, Math.min(lfAt, end)), CR);
    let crAt = cr < 0 ? Infinity : from + cr;
    if (crAt < lfAt) {
      if (crAt + 1 >= c.length) crAt = Infinity;           // the next byte is not known yet
      else if (c[crAt + 1] === LF) return crAt + 2;        // CRLF: after both
      else return crAt + 1;                                // a lone CR
    }
    return lfAt === Infinity ? -1 : lfAt + 1;
  }

  /** Finds the header's first byte (skipping the BOM and blank lines) in c from i. */
  #findFirstRecord(c, base, i) {
    for (let p = Math.max(i, this.dataStart - base); p < c.length; p++) {
      if (c[p] !== LF && c[p] !== CR) {
        this.firstRecord = base + p;
        return;
      }
    }
  }

  #cut(c, base, at, out) {
    // The slice so far plus c[sliceStartInChunk, at).
    const from = Math.max(0, this.sliceStart + this.pieceLen - base);
    this.pieces.push(c.subarray(from, at));
    this.pieceLen += at - from;
    if (this.header === null) {
      this.header = concat(this.pieces, this.pieceLen); // the first slice goes on
      this.delim = (this.givenDelimiter ?? this.detectDelimiter(this.header)).charCodeAt(0);
      return;
    }
    out.push(this.#emit());
  }

  #scan(c, out) {
    const base = this.offset;
    const n = c.length;
    let i = 0;
    while (i < n) {
      if (this.quotePending) {
        this.quotePending = false;
        if (c[i] === QUOTE) { // "" inside quotes
          i++;
          continue;
        }
        this.inQuotes = false; // the pending quote closed the field; c[i] is outside
      }
      if (this.inQuotes) {
        const q = indexOfByte(c, QUOTE, i);
        if (q < 0) break;
        if (q + 1 >= n) {
          this.quotePending = true;
          break;
        }
        if (c[q + 1] === QUOTE) i = q + 2;
        else {
          this.inQuotes = false;
          i = q + 1;
        }
        continue;
      }
      // Outside quotes up to the next quote: every line end here is a record boundary.
      const q = indexOfByte(c, QUOTE, i);
      const end = q < 0 ? n : q;
      if (this.firstRecord < 0) this.#findFirstRecord(c, base, i);
      for (;;) {
        const want = this.#wantFrom(base);
        if (want >= end) break;
        const at = CsvSplitter.#lineEnd(c, Math.max(i, want), end);
        if (at < 0) break;
        this.#cut(c, base, at, out);
        i = at;
      }
      if (q < 0) break;
      const prev = q > 0 ? c[q - 1] : this.lastByte;
      const afterDelim = this.delim < 0 ? CANDIDATES.includes(prev) : prev === this.delim;
      const fieldStart = base + q === this.dataStart || afterDelim || prev === LF || prev === CR;
      if (fieldStart) this.inQuotes = true;
      i = q + 1;
    }
    // The rest of the chunk belongs to the current slice.
    const from = Math.max(0, this.sliceStart + this.pieceLen - base);
    if (from < n) {
      this.pieces.push(c.subarray(from));
      this.pieceLen += n - from;
    }
    if (n) this.lastByte = c[n - 1];
    this.offset += n;
  }
}
