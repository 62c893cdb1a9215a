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
 * quotes or line breaks.  Only the trailing output fields are decoded: a record
 * without quotes (the common case) is found with indexOf and read from its end;
 * a record with quotes goes through a small RFC 4180 reader.
 *
 * The summary holds:
 * - `preview`: the first PREVIEW_ROWS rows (row number, probabilities, label);
 * - `lowest`: the LOWEST_ROWS rows with the lowest top-class probability;
 * - `labels`: how often each Suggested Label value occurs (a multi-label row
 *   counts once under its whole set, e.g. "a,b"; an empty set is "");
 * - `confidence`: counts of the top-class probability in CONFIDENCE_BINS equal
 *   bins of [0, 1) (bin i holds i/100 <= p < (i+1)/100) and one more bin for
 *   p = 1, so "rows below 0.7" is an exact sum of bins;
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
   * @param {boolean} hasError  the output ends with an Error column (onError 'skip'): a row
   *   with a message there has no probabilities; it is counted in `skipped`, not in the charts
   */
  constructor(nOutputs, hasLabel, hasError = false) {
    this.nOutputs = nOutputs;
    this.hasLabel = hasLabel;
    this.hasError = hasError;
    this.rowFailed = false;
    this.skipped = 0;
    this.nTrailing = nOutputs + (hasLabel ? 1 : 0) + (hasError ? 1 : 0); // fields read from the end of each record
    this.header = null;      // output column names, once the first record is read
    this.firstOutput = -1;   // index of the first output column
    this.rows = 0;
    this.preview = [];
    this.lowestHeap = [];    // max-heap by confidence: the root is the most confident of the kept rows
    this.bins = new Array(CONFIDENCE_BINS + 1).fill(0);
    this.regression = { min: Infinity, max: -Infinity, sum: 0, count: 0 };
    this.values = new Float64Array(nOutputs);
    this.label = '';
    this.carry = null;       // the start of a record that the last chunk cut off
    this.labelBuckets = new Map(); // hash of a label's bytes -> [entry]: no string made per row
    this.labelEntries = new Map(); // label text -> { bytes, text, count }
    this.otherLabels = 0;          // rows whose label is past MAX_DISTINCT_LABELS distinct values
    this.entry = null;             // the current row's label entry (null: counted under "other")
  }

  /** Feeds the next bytes of the output CSV (chunks may split records anywhere). */
  push(chunk) {
    if (this.carry) {
      const joined = new Uint8Array(this.carry.length + chunk.length);
      joined.set(this.carry);
      joined.set(chunk, this.carry.length);
      chunk = joined;
      this.carry = null;
    }
    const n = chunk.length;
    let pos = 0;
    let nextQuote = -2; // position of the next quote at or after pos (-1: none), found lazily
    while (pos < n) {
      const lf = chunk.indexOf(LF, pos);
      if (nextQuote !== -1 && nextQuote < pos) nextQuote = chunk.indexOf(QUOTE, pos);
      let end;
      if (lf >= 0 && (nextQuote === -1 || nextQuote > lf) && this.header !== null) {
        this.#fastRecord(chunk, pos, lf);
        end = lf + 1;
      } else {
        end = this.#quotedRecord(chunk, pos); // also the header, which is read whole
      }
      if (end < 0) {
        this.carry = chunk.slice(pos);
        return;
      }
      pos = end;
    }
  }

  /** Call after the last chunk: a final record without a line end still counts. */
  finish() {
    if (this.carry && this.carry.length) {
      const last = new Uint8Array(this.carry.length + 1);
      last.set(this.carry);
      last[this.carry.length] = LF;
      this.carry = null;
      this.push(last);
    }
    return this.result();
  }

  /** A record without quotes, [start, lf): its trailing fields found from the end. */
  #fastRecord(chunk, start, lf) {
    let end = lf > start && chunk[lf - 1] === CR ? lf - 1 : lf;
    const k0 = this.nTrailing - 1;
    for (let k = k0; k >= 0; k--) {
      let c = end - 1;
      while (c >= start && chunk[c] !== COMMA) c--;
      if (c < start && k > 0) return; // a short record: the engine never writes one
      this.#field(k, chunk, c + 1, end);
      end = c;
    }
    this.#count();
  }

  /**
   * A record that may hold quoted fields (the header, kept input columns, a
   * multi-label set such as "a,b"), from `start`.  Returns the index after its
   * line end, or -1 when the chunk ends first.
   */
  #quotedRecord(chunk, start) {
    const n = chunk.length;
    const fields = []; // [begin, end, quoted] of every field
    let i = start;
    for (;;) {
      let begin = i;
      let stop;
      let quoted = false;
      if (i < n && chunk[i] === QUOTE) {
        quoted = true;
        begin = ++i;
        for (;;) {
          if (i >= n) return -1;
          if (chunk[i] === QUOTE) {
            if (i + 1 >= n) return -1;
            if (chunk[i + 1] === QUOTE) {
              i += 2;
              continue;
            }
            break;
          }
          i++;
        }
        stop = i++;
      } else {
        while (i < n && chunk[i] !== COMMA && chunk[i] !== LF) i++;
        if (i >= n) return -1;
        stop = i > begin && chunk[i - 1] === CR && chunk[i] === LF ? i - 1 : i;
      }
      fields.push([begin, stop, quoted]);
      if (i >= n) return -1;
      if (chunk[i] === COMMA) {
        i++;
        continue;
      }
      if (chunk[i] === LF) break;
      i++; // a byte after a closing quote: not written by the engine; skip it
    }
    const text = (f) => {
      const raw = decodeText(chunk, f[0], f[1]);
      return f[2] ? raw.replaceAll('""', '"') : raw;
    };
    if (this.header === null) {
      this.header = fields.map(text);
      this.firstOutput = this.header.length - this.nTrailing;
    } else {
      const first = fields.length - this.nTrailing;
      for (let k = 0; k < this.nTrailing; k++) {
        const f = fields[first + k];
        if (!f) return i + 1;
        if (k < this.nOutputs) this.values[k] = parseNumber(chunk, f[0], f[1]);
        else if (k === this.nOutputs && this.hasLabel) this.#labelFromText(text(f));
        else this.rowFailed = f[1] > f[0];
      }
      this.#count();
    }
    return i + 1;
  }

  #field(k, chunk, begin, end) {
    if (k < this.nOutputs) this.values[k] = parseNumber(chunk, begin, end);
    else if (k === this.nOutputs && this.hasLabel) this.#labelFromBytes(chunk, begin, end);
    else this.rowFailed = end > begin; // the Error column
  }

  /** Sets the row's label from unquoted bytes; each distinct value is decoded once. */
  #labelFromBytes(chunk, begin, end) {
    let h = 0x811c9dc5; // FNV-1a
    for (let i = begin; i < end; i++) h = Math.imul(h ^ chunk[i], 0x01000193);
    const bucket = this.labelBuckets.get(h);
    if (bucket) {
      for (const entry of bucket) {
        const b = entry.bytes;
        if (b.length !== end - begin) continue;
        let same = true;
        for (let i = 0; same && i < b.length; i++) same = b[i] === chunk[begin + i];
        if (same) {
          this.entry = entry;
          this.label = entry.text;
          return;
        }
      }
    }
    this.#labelFromText(decodeText(chunk, begin, end));
    if (this.entry && !this.entry.bytes) {
      this.entry.bytes = chunk.slice(begin, end);
      if (bucket) bucket.push(this.entry);
      else this.labelBuckets.set(h, [this.entry]);
    }
  }

  /** Sets the row's label from its text (quoted fields; first sight of a value). */
  #labelFromText(text) {
    this.label = text;
    let entry = this.labelEntries.get(text);
    if (!entry && this.labelEntries.size < MAX_DISTINCT_LABELS) {
      entry = { bytes: null, text, count: 0 };
      this.labelEntries.set(text, entry);
    }
    this.entry = entry || null;
  }

  #count() {
    if (this.rowFailed) { // a skipped row: no probabilities to count
      this.rowFailed = false;
      this.rows++;
      this.skipped++;
      return;
    }
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

    if (this.entry) this.entry.count++;
    else this.otherLabels++;
    const label = this.label;

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
    const labels = [...this.labelEntries.values()].filter((e) => e.count > 0).map((e) => [e.text, e.count]);
    if (this.otherLabels) labels.push([OTHER_LABEL, this.otherLabels]);
    labels.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const r = this.regression;
    return {
      header,
      outputs,
      hasLabel: this.hasLabel,
      rows: this.rows,
      skipped: this.skipped,
      preview: this.preview,
      lowest: [...this.lowestHeap].sort((a, b) => a.row - b.row),
      labels,
      confidence: this.hasLabel ? this.bins.slice() : null,
      regression: this.hasLabel ? null : { min: r.min, max: r.max, mean: r.count ? r.sum / r.count : NaN, count: r.count },
    };
  }
}

const utf8 = new TextDecoder();

/** The text of bytes [begin, end): short ASCII without a decoder call. */
function decodeText(bytes, begin, end) {
  if (end - begin <= 32) {
    let s = '';
    for (let i = begin; i < end; i++) {
      const b = bytes[i];
      if (b >= 0x80) return utf8.decode(bytes.subarray(begin, end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(begin, end));
}

/**
 * The bin of a probability: i such that i/100 <= p < (i+1)/100, exactly (i/100 is
 * the double nearest the decimal, as a typed "0.7" is); 1 has bin 100 of its own.
 */
export function confidenceBin(p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return CONFIDENCE_BINS;
  let i = Math.floor(p * CONFIDENCE_BINS);
  if (i / CONFIDENCE_BINS > p) i--;
  else if ((i + 1) / CONFIDENCE_BINS <= p) i++;
  return Math.min(Math.max(i, 0), CONFIDENCE_BINS - 1);
}

/** Rows with top-class probability below `limit` (a multiple of 0.01, up to 1), from the bins. */
export function rowsBelow(bins, limit) {
  const upto = Math.min(Math.round(limit * CONFIDENCE_BINS), CONFIDENCE_BINS);
  let n = 0;
  for (let i = 0; i < Math.min(upto, bins.length); i++) n += bins[i];
  return n;
}

/**
 * A decimal as the engine writes it ("0.25", "1", "3.2e-9", "-4.5"); NaN for
 * anything else.  Close to, not always exactly, the nearest double: this is for
 * charts and sorting, never for the downloaded bytes.
 */
export function parseNumber(buf, begin, end) {
  // Fast path: "0.ddd…" with at most 15 digits, the common form of a probability.
  const len = end - begin;
  if (len > 2 && len <= 17 && buf[begin] === 0x30 && buf[begin + 1] === 0x2e) {
    let mant = 0;
    let i = begin + 2;
    for (; i < end; i++) {
      const d = buf[i] - 0x30;
      if (d < 0 || d > 9) break;
      mant = mant * 10 + d;
    }
    if (i === end) return mant / POW10[len - 2];
  } else if (len === 1) {
    const d = buf[begin] - 0x30;
    return d >= 0 && d <= 9 ? d : NaN;
  }
  let i = begin;
  let sign = 1;
  if (i < end && buf[i] === 0x2d) {
    sign = -1;
    i++;
  }
  const digitsStart = i;
  let mant = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  for (; i < end; i++) {
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
  if (i === digitsStart) return NaN;
  if (i < end) {
    if (buf[i] !== 0x65 && buf[i] !== 0x45) return NaN; // e / E
    i++;
    let esign = 1;
    if (i < end && (buf[i] === 0x2d || buf[i] === 0x2b)) {
      esign = buf[i] === 0x2d ? -1 : 1;
      i++;
    }
    if (i >= end) return NaN;
    let e = 0;
    for (; i < end; i++) {
      const b = buf[i];
      if (b < 0x30 || b > 0x39) return NaN;
      e = e * 10 + (b - 0x30);
    }
    scale += esign * e;
  }
  if (scale < 0) return sign * (-scale < POW10.length ? mant / POW10[-scale] : mant / 10 ** -scale);
  return sign * (scale < POW10.length ? mant * POW10[scale] : mant * 10 ** scale);
}

/** Exact powers of ten (a division by one is correctly rounded). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

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
