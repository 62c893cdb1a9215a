/* csv-split.test.mjs — the splitter that cuts a CSV for the worker pool must cut only
 * where the engine's reader (src/io/csv_reader.c) starts a new record, and give each
 * slice, through countLineEnds, the physical line the reader would be on.  The oracle is a byte-at-a-time
 * transcription of the reader's state machine (below), run over random CSVs full of
 * quotes, doubled quotes, quoted line breaks, quotes inside unquoted fields, LF, CRLF,
 * lone CR, blank lines and a BOM; the splitter is fed in one piece and in random chunks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CsvSplitter, countLineEnds } from '../../wasm/csv-split.mjs';
import { rng } from './helpers.mjs';

const enc = new TextEncoder();

/**
 * Every offset where the reader is between records (a cut there starts the next slice
 * at a record), with the reader's line number at that offset, and the offset where the
 * header record has ended.  Transcribes csv_reader.c's states.
 */
function readerBoundaries(bytes) {
  const [FIELD_START, UNQUOTED, QUOTED, QUOTE_IN_QUOTED, AFTER_CR] = [0, 1, 2, 3, 4];
  let state = FIELD_START;
  let line = 1;
  let open = false;
  let records = 0;
  let headerEnd = -1;
  let lastInField = -1; // previous byte appended to the current quoted field (-1: none)
  const at = new Map();
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const endRecord = () => {
    if (open) {
      records++;
      open = false;
    }
  };
  for (let i = start; i < bytes.length; i++) {
    if (i > start) {
      const between = (state === FIELD_START && !open) || (state === AFTER_CR && bytes[i] !== 0x0a);
      if (between) {
        at.set(i, line);
        if (headerEnd < 0 && records > 0) headerEnd = i;
      }
    }
    const c = bytes[i];
    let s = state;
    if (s === AFTER_CR) {
      state = FIELD_START;
      if (c === 0x0a) continue;
      s = FIELD_START;
    }
    if (s === FIELD_START) {
      if (!open) {
        if (c === 0x0a) { line++; continue; }
        if (c === 0x0d) { line++; state = AFTER_CR; continue; }
        open = true;
      }
      if (c === 0x22) { state = QUOTED; lastInField = -1; continue; }
      state = UNQUOTED;
      s = UNQUOTED;
    }
    if (s === UNQUOTED) {
      if (c === 0x2c) state = FIELD_START;
      else if (c === 0x0a) { line++; endRecord(); state = FIELD_START; }
      else if (c === 0x0d) { line++; endRecord(); state = AFTER_CR; }
    } else if (s === QUOTED) {
      if (c === 0x22) state = QUOTE_IN_QUOTED;
      else {
        if (c === 0x0a && lastInField !== 0x0d) line++;
        else if (c === 0x0d) line++;
        lastInField = c;
      }
    } else if (s === QUOTE_IN_QUOTED) {
      if (c === 0x22) { state = QUOTED; lastInField = 0x22; }
      else if (c === 0x2c) state = FIELD_START;
      else if (c === 0x0a || c === 0x0d) { line++; endRecord(); state = c === 0x0d ? AFTER_CR : FIELD_START; }
      else throw new Error('the generator made invalid CSV');
    }
  }
  return { at, headerEnd };
}

/** A random CSV that is valid for the reader, with every quoting and line-end form. */
function randomCsv(next) {
  const pick = (a) => a[Math.floor(next() * a.length)];
  const lineEnd = () => pick(['\n', '\n', '\r\n', '\r']);
  const unquoted = () => pick(['', 'a', '12', 'x"y', 'a b', '1.5e3', 'z""']);
  const quoted = () => `"${Array.from({ length: Math.floor(next() * 4) }, () => pick(['a', ',', '\n', '\r\n', '\r', '""', 'q'])).join('')}"`;
  const record = (n) => Array.from({ length: n }, () => (next() < 0.4 ? quoted() : unquoted())).join(',');
  let text = next() < 0.3 ? '\ufeff' : '';
  if (next() < 0.2) text += lineEnd(); // blank lines before the header
  const cols = 1 + Math.floor(next() * 4);
  text += record(cols);
  const n = Math.floor(next() * 30);
  for (let r = 0; r < n; r++) {
    text += lineEnd();
    if (next() < 0.1) text += lineEnd(); // a blank line
    text += record(cols);
  }
  if (next() < 0.7) text += lineEnd();
  return enc.encode(text);
}

function split(bytes, sliceBytes, sizes) {
  const s = new CsvSplitter(sliceBytes);
  const slices = [];
  let off = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes());
    slices.push(...s.push(bytes.subarray(off, off + n)));
    off += n;
  }
  const last = s.finish();
  if (last) slices.push(last);
  return { slices, header: s.header };
}

/** The physical line slice i starts on, as the pool works it out: 1 + the line ends before it. */
function firstLine(slices, i) {
  return 1 + slices.slice(0, i).reduce((n, s) => n + countLineEnds(s.bytes), 0);
}

function starts(slices) {
  let off = 0;
  return slices.map((sl) => {
    const o = off;
    off += sl.bytes.length;
    return o;
  });
}

test('one piece, slices of one byte: a cut at every record boundary after the first data record', () => {
  const next = rng(7);
  for (let k = 0; k < 400; k++) {
    const bytes = randomCsv(next);
    const { at, headerEnd } = readerBoundaries(bytes);
    const { slices, header } = split(bytes, 1, () => bytes.length);
    assert.deepEqual(Buffer.concat(slices.map((s) => s.bytes)), Buffer.from(bytes), `case ${k}: the slices are the input`);
    const cuts = starts(slices).slice(1);
    // Expected: every boundary after the header's end (slice 0 = the header and the first record).
    const want = headerEnd < 0 ? [] : [...at.keys()].filter((p) => p > headerEnd);
    assert.deepEqual(cuts, want, `case ${k}: ${JSON.stringify(new TextDecoder().decode(bytes))}`);
    slices.forEach((s, i) => {
      assert.equal(s.index, i);
      if (i > 0) assert.equal(firstLine(slices, i), at.get(cuts[i - 1]), `case ${k}, slice ${i}: line`);
    });
    if (headerEnd >= 0) assert.deepEqual(Buffer.from(header), Buffer.from(bytes.subarray(0, headerEnd)), `case ${k}: header`);
    else assert.equal(slices.length, 1, `case ${k}: the header never ends before the file does`);
  }
});

test('random chunks and slice sizes: every cut is a reader boundary with the reader\'s line', () => {
  const next = rng(11);
  for (let k = 0; k < 400; k++) {
    const bytes = randomCsv(next);
    const { at, headerEnd } = readerBoundaries(bytes);
    const sliceBytes = 1 + Math.floor(next() * 40);
    const { slices } = split(bytes, sliceBytes, () => 1 + Math.floor(next() * 9));
    assert.deepEqual(Buffer.concat(slices.map((s) => s.bytes)), Buffer.from(bytes), `case ${k}`);
    const cuts = starts(slices);
    for (let i = 1; i < slices.length; i++) {
      assert.ok(at.has(cuts[i]) && cuts[i] > headerEnd, `case ${k}: cut at ${cuts[i]} is no record boundary`);
      assert.equal(firstLine(slices, i), at.get(cuts[i]), `case ${k}, slice ${i}: line`);
      assert.ok(slices[i - 1].bytes.length >= sliceBytes, `case ${k}: slice ${i - 1} is smaller than asked`);
    }
  }
});

test('a newline inside quotes is never a cut, even a quote opened in an earlier chunk', () => {
  const text = 'a,b\n1,"x\ny\nz"\n2,"p\r\nq"\n3,r\n';
  const bytes = enc.encode(text);
  for (let chunk = 1; chunk <= bytes.length; chunk++) {
    const { slices } = split(bytes, 1, () => chunk);
    assert.deepEqual(slices.map((s) => new TextDecoder().decode(s.bytes)), ['a,b\n1,"x\ny\nz"\n', '2,"p\r\nq"\n', '3,r\n'], `chunk ${chunk}`);
    assert.deepEqual(slices.map((s, i) => firstLine(slices, i)), [1, 5, 7]);
  }
});

test('a quote inside an unquoted field does not open a quoted field', () => {
  const { slices } = split(enc.encode('h\na"b\nc\n'), 1, () => 100);
  assert.deepEqual(slices.map((s) => new TextDecoder().decode(s.bytes)), ['h\na"b\n', 'c\n']);
});

test('countLineEnds counts as the reader: LF, CRLF once, lone CR', () => {
  assert.equal(countLineEnds(enc.encode('a\nb\r\nc\rd')), 3);
  assert.equal(countLineEnds(enc.encode('\r')), 1);
  assert.equal(countLineEnds(enc.encode('')), 0);
});

test('a file without a line end after the header is one slice', () => {
  const { slices, header } = split(enc.encode('\ufeffa,b'), 1, () => 1);
  assert.equal(slices.length, 1);
  assert.equal(header, null);
});
