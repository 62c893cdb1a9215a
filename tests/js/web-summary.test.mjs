/* web-summary.test.mjs — the page's output summary (web/app/output-summary.mjs): what the
 * Results panel shows is read back from the output CSV bytes, so it must agree with an
 * independent reading of the same bytes (helpers.parseCsv and Number()), whatever the
 * chunking, with quoted input columns kept in front and with quoted multi-label sets.
 * The output bytes are the CLI's (node wasm/cli.mjs), for fixtures made by xgboost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { CLI, loadCases, parseCsv, run, rng, tempDir } from './helpers.mjs';
import { OutputSummary, confidenceBin, parseNumber, rowsBelow, PREVIEW_ROWS, LOWEST_ROWS, CONFIDENCE_BINS } from '../../web/app/output-summary.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));

async function cliOutput(args) {
  const r = await run(process.execPath, [CLI, 'predict', ...args]);
  assert.equal(r.status, 0, r.stderr);
  return new Uint8Array(r.stdout);
}

/** What the summary must say, from parseCsv and Number(). */
function expectedSummary(bytes, nOutputs, hasLabel) {
  const [header, ...rows] = parseCsv(new TextDecoder().decode(bytes));
  const first = header.length - nOutputs - (hasLabel ? 1 : 0);
  const counts = new Map();
  const bins = new Array(CONFIDENCE_BINS + 1).fill(0);
  const all = rows.map((r, i) => {
    const values = r.slice(first, first + nOutputs).map(Number);
    const label = hasLabel ? r[first + nOutputs] : null;
    const confidence = hasLabel ? Math.max(...values) : null;
    if (hasLabel) {
      counts.set(label, (counts.get(label) || 0) + 1);
      bins[confidenceBin(confidence)]++;
    }
    return { row: i + 1, values, label, confidence };
  });
  const lowest = [...all].sort((a, b) => a.confidence - b.confidence || a.row - b.row).slice(0, LOWEST_ROWS).sort((a, b) => a.row - b.row);
  return { header, outputs: header.slice(first, first + nOutputs), rows: all.length, preview: all.slice(0, PREVIEW_ROWS), lowest, counts, bins };
}

function summarise(bytes, nOutputs, hasLabel, sizes) {
  const s = new OutputSummary(nOutputs, hasLabel);
  let off = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes());
    s.push(bytes.subarray(off, off + n));
    off += n;
  }
  return s.finish();
}

function assertClose(got, want, what) {
  assert.equal(got.length, want.length, what);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-12 * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ${v} vs ${want[i]}`));
}

function check(bytes, nOutputs, hasLabel, name) {
  const want = expectedSummary(bytes, nOutputs, hasLabel);
  const random = rng(7);
  for (const [how, sizes] of [['one chunk', () => bytes.length], ['1-byte chunks', () => 1],
    ['random chunks', () => 1 + Math.floor(random() * 97)]]) {
    const got = summarise(bytes, nOutputs, hasLabel, sizes);
    const what = `${name}, ${how}`;
    assert.deepEqual(got.header, want.header, what);
    assert.deepEqual(got.outputs, want.outputs, what);
    assert.equal(got.rows, want.rows, what);
    assert.equal(got.preview.length, want.preview.length, what);
    got.preview.forEach((r, i) => {
      assert.equal(r.row, want.preview[i].row, what);
      assert.equal(r.label, want.preview[i].label, what);
      assertClose(r.values, want.preview[i].values, `${what}, row ${r.row}`);
    });
    if (!hasLabel) continue;
    assert.deepEqual(new Map(got.labels), want.counts, what);
    assert.deepEqual(got.confidence, want.bins, what);
    assert.deepEqual(got.lowest.map((r) => r.row), want.lowest.map((r) => r.row), what);
  }
}

test('the summary of multi-class, binary, multi-label and regression outputs agrees with parseCsv, in any chunking', async () => {
  for (const name of ['multiclass', 'binary', 'multilabel', 'regression', 'iris_example']) {
    const c = cases[name];
    const bytes = await cliOutput([c.model, c.input]);
    const regression = c.meta.task === 'regression';
    check(bytes, regression ? 1 : c.meta.classes.length, !regression, name);
  }
});

test('kept input columns with quotes, commas and line breaks do not confuse it', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const c = cases.multilabel;
    const lines = c.inputText.trimEnd().split('\n');
    const tricky = ['plain', '"a, b"', '"say ""hi"""', '"two\nlines"', '"x\r\ny"', '""'];
    const text = `note,${lines[0]}\n` + lines.slice(1).map((l, i) => `${tricky[i % tricky.length]},${l}`).join('\n') + '\n';
    const input = join(dir, 'tricky.csv');
    writeFileSync(input, text);
    const bytes = await cliOutput([c.model, input, '--include-input']);
    assert.ok(new TextDecoder().decode(bytes).includes('"say ""hi"""'), 'the fixture lost its quotes');
    check(bytes, c.meta.classes.length, true, 'multilabel with kept inputs');
  } finally {
    cleanup();
  }
});

test('parseNumber reads the engine\'s number forms as Number() does (to 1e-15)', () => {
  const random = rng(11);
  const enc = new TextEncoder();
  const samples = ['0', '1', '0.5', '3.2e-9', '1e-7', '-4.5', '123456.75', '1e+21', '0.30000001', '-0', '2.5E-3'];
  for (let i = 0; i < 5000; i++) {
    const f = Math.fround(random() ** (1 + 20 * random()));
    samples.push(String(f), String(-f * 1e6), String(Math.fround(random())));
  }
  for (const s of samples) {
    const b = enc.encode(`,${s},`);
    const got = parseNumber(b, 1, b.length - 1);
    const want = Number(s);
    assert.ok(Math.abs(got - want) <= 1e-15 * Math.abs(want) || got === want, `${s}: ${got}`);
  }
  for (const bad of ['', '-', 'abc', '1e', '0.5x', 'NaN']) {
    const b = enc.encode(bad);
    assert.ok(Number.isNaN(parseNumber(b, 0, b.length)), bad);
  }
});

test('confidence bins are exact at every 0.01 boundary, so "rows below 0.7" is exact', () => {
  for (let i = 0; i <= 100; i++) {
    const p = i / 100;
    assert.equal(confidenceBin(p), i, `${p}`);
    const below = Math.max(0, p - Number.EPSILON);
    if (i > 0) assert.equal(confidenceBin(below), Math.max(0, i - 1), `just below ${p}`);
  }
  const bins = new Array(CONFIDENCE_BINS + 1).fill(0);
  const values = [0.05, 0.69, 0.6999999, 0.7, 0.71, 1];
  for (const v of values) bins[confidenceBin(v)]++;
  assert.equal(rowsBelow(bins, 0.7), values.filter((v) => v < 0.7).length);
  assert.equal(rowsBelow(bins, 1), values.filter((v) => v < 1).length);
});
