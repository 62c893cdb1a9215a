/* text-model.test.mjs — a text model end to end in Node: the Keras tokenizer
 * + word-embedding classifier fixture (tests/fixtures/text_model/, made by
 * gen_text_model.py, expected outputs by onnxruntime-node) through the JS
 * CLI on both engines and through predictCsvText, within 1e-4 of onnxruntime
 * and with its argmax suggested; the native CLI writes the same bytes; the
 * paths not wired yet for text models fail with UNSUPPORTED. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import { ROOT, ENGINES, NATIVE, run, runCli, hasNative, parseCsv } from './helpers.mjs';

const DIR = join(ROOT, 'tests', 'fixtures', 'text_model', 'keras_embedding');
const MODEL = join(DIR, 'model.onnx');
const INPUT = join(DIR, 'input.csv');
const [classes, ...expected] = parseCsv(readFileSync(join(DIR, 'expected.csv'), 'utf8'));

function checkOutput(text) {
  const [header, ...rows] = parseCsv(text);
  assert.deepEqual(header, [...classes, 'Suggested Label']);
  assert.equal(rows.length, expected.length);
  rows.forEach((row, r) => {
    const want = expected[r].map(Number);
    want.forEach((p, k) => assert.ok(Math.abs(Number(row[k]) - p) <= 1e-4, `row ${r} class ${k}: ${row[k]} vs ${p}`));
    const best = want.indexOf(Math.max(...want));
    assert.equal(row[3], classes[best], `row ${r}`);
  });
}

for (const { name: engine } of ENGINES) {
  test(`JS CLI (${engine}): the manifest beside the model, equal to onnxruntime`, async () => {
    const r = await runCli(['predict', MODEL, INPUT], { engine });
    assert.equal(r.status, 0, r.stderr.toString());
    checkOutput(r.stdout.toString());
  });
}

test('predictCsvText with the manifest given; predict on rows is refused for now', async () => {
  const model = await loadModel(readFileSync(MODEL), { manifest: readFileSync(join(DIR, 'model.localpredict.json')) });
  try {
    assert.deepEqual(model.info.features.names, ['review']);
    checkOutput(await model.predictCsvText(readFileSync(INPUT, 'utf8')));
    await assert.rejects(async () => model.predict([{ review: 'great' }]), (e) => e.code === 'UNSUPPORTED');
    await assert.rejects(async () => model.predictCsvText('id,text\n1,great\n'), (e) => e.code === 'MISSING_COLUMN');
  } finally {
    model.dispose();
  }
});

test('the native CLI writes the same bytes', { skip: !hasNative() && 'build/native/localpredict is not built' }, async () => {
  const [js, native] = await Promise.all([runCli(['predict', MODEL, INPUT]), run(NATIVE, ['predict', MODEL, INPUT])]);
  assert.equal(native.status, 0, native.stderr.toString());
  assert.equal(native.stdout.toString(), js.stdout.toString());
});
