/* output-summary.mjs — what the page shows about a run, read from the output CSV bytes.
 *
 * Runs in the worker (worker.mjs), fed every chunk of the output stream as it
 * leaves the engine, so it sees exactly the bytes the user downloads and
 * never holds more than one record.  It computes nothing about the model:
 * the probabilities and the Suggested Label are the engine's, read back; this
 * file only counts them.
 *
 * Output layout (ARCHITECTURE.md): [kept input columns…] then one column per
 * output (class probabilities, or `Prediction` for regression) then
 * `Suggested Label` (absent for regression).  Records end with LF; fields are
 * quoted (RFC 4180) only where needed, so a kept input column may hold commas,
 * quotes or line breaks.  Only the trailing output fields are decoded.
 *
 * The summary holds:
 * - `preview`: the first PREVIEW_ROWS rows (row number, probabilities, label);
 * - `lowest`: the LOWEST_ROWS rows with the lowest top-class probability;
 * - `labels`: how often each Suggested Label value occurs (a multi-label row
 *   counts once under its whole set, e.g. "a,b"; an empty set is "");
 * - `confidence`: counts of the top-class probability in CONFIDENCE_BINS equal
 *   bins of [0, 1] (bin i holds i/100 <= p < (i+1)/100, and 1 is in the last),
 *   so "rows below 0.7" is an exact sum of bins;
 * - for regression, the minimum, maximum and mean prediction instead.
 */

export const PREVIEW_ROWS = 100;
export const LOWEST_ROWS = 200;
export const CONFIDENCE_BINS = 100;
const MAX_DISTINCT_LABELS = 1000; // further distinct values count under OTHER_LABEL
export const OTHER_LABEL = '\u0000other';

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

export class OutputSummary {
  /**
   * @param {number} nOutputs   output columns of the model (info.outputs.length)
   * @param {boolean} hasLabel  false for regression (no Suggested Label column)
   */
  constructor(nOutputs, hasLabel) {
    this.nOutputs = nOutputs;
    this.hasLabel = hasLabel;
    this.header = null;      // output column names, once the first record is read
    this.firstOutput = -1;   // index of the first output column
    this.rows = 0;
    this.preview = [];
    this.lowestHeap = [];    // max-heap by confidence: the root is the most confident of the kept rows
    this.labelCounts = new Map();
    this.bins = new Array(CONFIDENCE_BINS).fill(0);
    this.regression = { min: Infinity, max: -Infinity, sum: 0, count: 0 };

    // Parser state, kept across chunks.
    this.field = 0;          // index of the field being read in the current record
    this.quoted = false;     // inside a quoted field
    this.quoteSeen = false;  // a quote inside a quoted field: either "" or the field's end
    this.buf = new Uint8Array(256);
    this.len = 0;            // bytes of the current field kept in buf (wanted fields only)
    this.headerFields = [];
    this.values = new Float64Array(nOutputs);
    this.label = '';
  }

  /** Whether the current field is one whose bytes are kept. */
  #wanted() {
    return this.header === null || this.field >= this.firstOutput;
  }

  #keep(byte) {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = byte;
  }

  /** Feeds the next bytes of the output CSV (chunks may split records anywhere). */
  push(chunk) {
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      if (this.quoted) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (b === QUOTE) {
            if (this.#wanted()) this.#keep(QUOTE);
            continue;
          }
          this.quoted = false; // the quote ended the field; read b as unquoted below
        } else if (b === QUOTE) {
          this.quoteSeen = true;
          continue;
        } else {
          if (this.#wanted()) this.#keep(b);
          continue;
        }
      }
      if (b === COMMA) {
        this.#endField();
      } else if (b === LF) {
        this.#endField();
        this.#endRecord();
      } else if (b === QUOTE) {
        this.quoted = true;
      } else if (b !== CR && this.#wanted()) {
        this.#keep(b);
      }
    }
  }

  /** Call after the last chunk: a final record without a line end still counts. */
  finish() {
    if (this.quoted && this.quoteSeen) {
      this.quoted = false;
      this.quoteSeen = false;
    }
    if (this.field > 0 || this.len > 0) {
      this.#endField();
      this.#endRecord();
    }
    return this.result();
  }

  #text() {
    const { buf, len } = this;
    let ascii = len < 256;
    for (let i = 0; ascii && i < len; i++) ascii = buf[i] < 0x80;
    return ascii ? String.fromCharCode.apply(null, buf.subarray(0, len)) : new TextDecoder().decode(buf.subarray(0, len));
  }

  #endField() {
    if (this.header === null) {
      this.headerFields.push(this.#text());
    } else if (this.field >= this.firstOutput) {
      const k = this.field - this.firstOutput;
      if (k < this.nOutputs) this.values[k] = parseNumber(this.buf, this.len);
      else if (this.hasLabel && k === this.nOutputs) this.label = this.#text();
    }
    this.field++;
    this.len = 0;
  }

  #endRecord() {
    if (this.header === null) {
      this.header = this.headerFields;
      this.headerFields = null;
      this.firstOutput = this.header.length - this.nOutputs - (this.hasLabel ? 1 : 0);
    } else {
      this.#count();
    }
    this.field = 0;
    this.len = 0;
    this.label = '';
  }

  #count() {
    const row = ++this.rows;
    const values = this.values;
    if (!this.hasLabel) {
      const v = values[0];
      const r = this.regression;
      if (Number.isFinite(v)) {
        if (v < r.min) r.min = v;
        if (v > r.max) r.max = v;
        r.sum += v;
        r.count++;
      }
      if (this.preview.length < PREVIEW_ROWS) this.preview.push({ row, values: Array.from(values), label: null, confidence: null });
      return;
    }
    let top = 0;
    for (let k = 0; k < values.length; k++) if (values[k] > top) top = values[k];
    this.bins[confidenceBin(top)]++;

    const counts = this.labelCounts;
    const label = this.label;
    const seen = counts.get(label);
    if (seen !== undefined) counts.set(label, seen + 1);
    else if (counts.size < MAX_DISTINCT_LABELS) counts.set(label, 1);
    else counts.set(OTHER_LABEL, (counts.get(OTHER_LABEL) || 0) + 1);

    if (this.preview.length < PREVIEW_ROWS) {
      this.preview.push({ row, values: Array.from(values), label, confidence: top });
    }
    const heap = this.lowestHeap;
    if (heap.length < LOWEST_ROWS) {
      heapPush(heap, { row, values: Array.from(values), label, confidence: top });
    } else if (top < heap[0].confidence) {
      heap[0] = { row, values: Array.from(values), label, confidence: top };
      heapDown(heap, 0);
    }
  }

  /** A plain, structured-cloneable description of everything read so far. */
  result() {
    const header = this.header || [];
    const outputs = header.slice(this.firstOutput, this.firstOutput + this.nOutputs);
    const labels = [...this.labelCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const r = this.regression;
    return {
      header,
      outputs,
      hasLabel: this.hasLabel,
      rows: this.rows,
      preview: this.preview,
      lowest: [...this.lowestHeap].sort((a, b) => a.row - b.row),
      labels,
      confidence: this.hasLabel ? this.bins.slice() : null,
      regression: this.hasLabel ? null : { min: r.min, max: r.max, mean: r.count ? r.sum / r.count : NaN, count: r.count },
    };
  }
}

/**
 * The bin of a probability: i such that i/100 <= p < (i+1)/100, exactly (i/100 is
 * the double nearest the decimal, as a typed "0.7" is), with 1 in the last bin.
 */
export function confidenceBin(p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return CONFIDENCE_BINS - 1;
  let i = Math.floor(p * CONFIDENCE_BINS);
  if (i / CONFIDENCE_BINS > p) i--;
  else if ((i + 1) / CONFIDENCE_BINS <= p) i++;
  return Math.min(Math.max(i, 0), CONFIDENCE_BINS - 1);
}

/** Rows with top-class probability below `limit` (a multiple of 0.01), from the bins. */
export function rowsBelow(bins, limit) {
  const upto = Math.round(limit * CONFIDENCE_BINS);
  let n = 0;
  for (let i = 0; i < Math.min(upto, bins.length); i++) n += bins[i];
  return n;
}

/**
 * A decimal as the engine writes it ("0.25", "1", "3.2e-9", "-4.5"); NaN for
 * anything else.  Close to, not always exactly, the nearest double: this is for
 * charts and sorting, never for the downloaded bytes.
 */
export function parseNumber(buf, len) {
  let i = 0;
  let sign = 1;
  if (buf[0] === 0x2d) {
    sign = -1;
    i = 1;
  }
  let mant = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  for (; i < len; i++) {
    const b = buf[i];
    if (b >= 0x30 && b <= 0x39) {
      if (digits < 17) {
        mant = mant * 10 + (b - 0x30);
        if (dot) scale--;
      } else if (!dot) {
        scale++;
      }
      if (mant > 0) digits++;
    } else if (b === 0x2e && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (i < len) {
    if (buf[i] !== 0x65 && buf[i] !== 0x45) return NaN; // e / E
    i++;
    let esign = 1;
    if (buf[i] === 0x2d || buf[i] === 0x2b) {
      esign = buf[i] === 0x2d ? -1 : 1;
      i++;
    }
    let e = 0;
    if (i >= len) return NaN;
    for (; i < len; i++) {
      const b = buf[i];
      if (b < 0x30 || b > 0x39) return NaN;
      e = e * 10 + (b - 0x30);
    }
    scale += esign * e;
  }
  if (len === 0 || (len === 1 && sign < 0)) return NaN;
  return sign * (scale < 0 ? mant / 10 ** -scale : mant * 10 ** scale);
}

function heapPush(heap, item) {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!above(heap[i], heap[parent])) break;
    [heap[i], heap[parent]] = [heap[parent], heap[i]];
    i = parent;
  }
}

function heapDown(heap, i) {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let top = i;
    if (l < heap.length && above(heap[l], heap[top])) top = l;
    if (r < heap.length && above(heap[r], heap[top])) top = r;
    if (top === i) return;
    [heap[i], heap[top]] = [heap[top], heap[i]];
    i = top;
  }
}

/** Heap order: more confident first; on a tie the later row (so earlier rows are kept). */
function above(a, b) {
  return a.confidence > b.confidence || (a.confidence === b.confidence && a.row > b.row);
}
