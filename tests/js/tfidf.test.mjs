/* tfidf.test.mjs — TF-IDF and bag-of-words ONNX graphs (StringNormalizer,
 * com.microsoft.Tokenizer, TfIdfVectorizer) in the form skl2onnx writes
 * (tests/fixtures/tfidf/, made by gen_tfidf.py; expected outputs by
 * onnxruntime-node, expect_tfidf.mjs): the CSV's "text" column feeds the
 * string input, with no manifest.  Through the JS CLI on both engines (the
 * native CLI writes the same bytes), predictCsvText, predict on row
 * objects, the worker pool, and a manifest naming another column; a row
 * that is a stop word is the empty text; a model with an unsupported regex is refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import { ROOT, ENGINES, runCli, hasNative, parseCsv, run, NATIVE, withTuning } from './helpers.mjs';

const BASE = join(ROOT, 'tests', 'fixtures', 'tfidf');
const CASES = ['tfidf_bigrams_multiclass', 'count_separators_binary', 'tf_l2_separators_multiclass', 'tfidf_forest_multiclass'];

function fixture(name) {
  const dir = join(BASE, name);
  const [classes, ...expected] = parseCsv(readFileSync(join(dir, 'expected.csv'), 'utf8'));
  return { dir, model: join(dir, 'model.onnx'), input: join(dir, 'input.csv'), classes, expected: expected.map((r) => r.map(Number)) };
}

/* Each probability within 1e-4 of onnxruntime's; the label its argmax, unless
 * two classes are within 1e-4. */
function checkRows(f, probs, labels) {
  assert.equal(probs.length, f.expected.length);
  f.expected.forEach((want, r) => {
    want.forEach((p, k) => assert.ok(Math.abs(probs[r][k] - p) <= 1e-4, `row ${r + 1} class ${k}: ${probs[r][k]} vs ${p}`));
    const best = want.indexOf(Math.max(...want));
    const near = want.some((p, k) => k !== best && want[best] - p <= 1e-4);
    if (!near) assert.equal(String(labels[r]), String(f.classes[best]), `row ${r + 1}`);
  });
}

function checkCsv(f, text) {
  const [header, ...rows] = parseCsv(text);
  assert.deepEqual(header, [...f.classes.map(String), 'Suggested Label']);
  const k = f.classes.length;
  checkRows(f, rows.map((row) => row.slice(0, k).map(Number)), rows.map((row) => row[k]));
}

for (const name of CASES) {
  const f = fixture(name);
  for (const { name: engine } of ENGINES) {
    test(`${name}: JS CLI (${engine}) equal to onnxruntime`, async () => {
      const r = await runCli(['predict', f.model, f.input, '--jobs', '1'], { engine });
      assert.equal(r.status, 0, r.stderr.toString());
      checkCsv(f, r.stdout.toString());
      if (hasNative()) {
        const native = await run(NATIVE, ['predict', f.model, f.input]);
        assert.equal(native.status, 0, native.stderr.toString());
        if (engine === 'simd') assert.equal(native.stdout.toString(), r.stdout.toString());
      }
    });
  }
}

for (const name of ['tfidf_bigrams_multiclass', 'tfidf_forest_multiclass'])
test(`${name}: predictCsvText, predict on row objects and the worker pool agree with onnxruntime`, async () => {
  const f = fixture(name);
  const model = await loadModel(readFileSync(f.model));
  try {
    assert.deepEqual(model.info.features.names, ['text']);
    const csv = readFileSync(f.input, 'utf8');
    const text = await model.predictCsvText(csv);
    checkCsv(f, text);
    // two workers on small slices: the blob rebuilds the same model
    assert.equal(await withTuning({ minBytes: 0, sliceBytes: 997 }, () => model.predictCsvText(csv, { jobs: 2 })), text);
    const [header, ...rows] = parseCsv(csv);
    const objects = rows.map((row) => Object.fromEntries(header.map((h, i) => [h, row[i]])));
    const res = model.predict(objects, { returnPredProba: true });
    const k = f.classes.length;
    checkRows(f, res.labels.map((_, r) => Array.from(res.probabilities.data.slice(r * k, (r + 1) * k))), res.labels);
  } finally {
    model.dispose();
  }
  const r = await runCli(['predict', f.model, f.input, '--jobs', '3']);
  assert.equal(r.status, 0, r.stderr.toString());
  checkCsv(f, r.stdout.toString());
});

test('a manifest names another text column and adds steps', async () => {
  const f = fixture('count_separators_binary');
  const manifest = JSON.stringify({ localpredict: 1, preprocess: { text: 'body', tokenizer: 'graph', steps: ['collapse_whitespace'] } });
  const model = await loadModel(readFileSync(f.model), { manifest });
  try {
    assert.deepEqual(model.info.features.names, ['body']);
    const out = parseCsv(await model.predictCsvText('body\n"server  cloud"\nserver cloud\n'));
    assert.deepEqual(out[1], out[2]);   // the double space collapsed before the graph splits on ' '
    await assert.rejects(async () => model.predictCsvText('text\nserver\n'), (e) => e.code === 'MISSING_COLUMN');
  } finally {
    model.dispose();
  }
});

test('a row that is a stop word is the empty text (onnxruntime alone); an unsupported regex is refused (exit 2)', async () => {
  const f = fixture('count_separators_binary');
  const model = await loadModel(readFileSync(f.model));
  try {
    const out = parseCsv(await model.predictCsvText('id,text\n1,cloud server\n2,The\n3,\n4,cloud server\n'));
    assert.deepEqual(out[2], out[3]);
    assert.deepEqual(out[4], out[1]);
    assert.notDeepEqual(out[1], out[3]);
  } finally {
    model.dispose();
  }
  const bad = join(BASE, 'bad', 'separator_alternation.onnx');
  for (const { name: engine } of ENGINES) {
    const r = await runCli(['predict', bad, f.input], { engine });
    assert.equal(r.status, 2);
    assert.match(r.stderr.toString(), /ONNX node "Tokenizer" \(Tokenizer\): attribute separators: the regular expression "a\|b": alternation/);
  }
});
