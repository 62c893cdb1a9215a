/* text-model.test.mjs — a text model end to end in Node: the Keras tokenizer
 * + word-embedding classifier fixture (tests/fixtures/text_model/, made by
 * gen_text_model.py, expected outputs by onnxruntime-node) through the JS
 * CLI on both engines and through predictCsvText, within 1e-4 of onnxruntime
 * and with its argmax suggested; the native CLI writes the same bytes.  The
 * vocabulary as a file the manifest names ("vocab": "tokenizer.json") read
 * beside the manifest by both CLIs and loadModel, from `parts` and from a
 * .zip bundle; the worker pool (the preprocessing in the model blob); and
 * predict on row objects and arrays. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { loadModel } from '../../wasm/node.mjs';
import { makeZip } from './zip-writer.mjs';
import { ROOT, ENGINES, NATIVE, run, runCli, hasNative, parseCsv, tempDir, withTuning } from './helpers.mjs';

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

test('predictCsvText with the manifest given; a CSV without the text column', async () => {
  const model = await loadModel(readFileSync(MODEL), { manifest: readFileSync(join(DIR, 'model.localpredict.json')) });
  try {
    assert.deepEqual(model.info.features.names, ['review']);
    checkOutput(await model.predictCsvText(readFileSync(INPUT, 'utf8')));
    await assert.rejects(async () => model.predictCsvText('id,text\n1,great\n'), (e) => e.code === 'MISSING_COLUMN');
  } finally {
    model.dispose();
  }
});

/* ---- predict on rows ---- */
const [inputHeader, ...inputRows] = parseCsv(readFileSync(INPUT, 'utf8'));
const REVIEW = inputHeader.indexOf('review');

function checkProbabilities(result) {
  assert.deepEqual(result.probabilities.classes, classes);
  assert.equal(result.labels.length, expected.length);
  expected.forEach((row, r) => {
    const want = row.map(Number);
    want.forEach((p, k) => assert.ok(Math.abs(result.probabilities.data[r * 3 + k] - p) <= 1e-4, `row ${r} class ${k}`));
    assert.equal(result.labels[r], classes[want.indexOf(Math.max(...want))], `row ${r}`);
  });
}

test('predict on row objects and arrays holding the text, equal to onnxruntime; a matrix is refused', async () => {
  const model = await loadModel(readFileSync(MODEL), { manifest: readFileSync(join(DIR, 'model.localpredict.json')) });
  try {
    const objects = inputRows.map((row) => Object.fromEntries(inputHeader.map((h, i) => [h, row[i]])));
    checkProbabilities(model.predict(objects, { returnPredProba: true }));
    checkProbabilities(model.predict(inputRows.map((row) => [row[REVIEW]]), { returnPredProba: true }));
    // null is a missing cell: the empty text, as an empty CSV cell
    const [empty] = model.predict([{ review: null }], { returnPredProba: true }).probabilities.data.slice(0, 1);
    const [fromCsv] = (await model.predictCsvText('review\n""\n')).split('\n')[1].split(',');
    assert.equal(empty, Math.fround(Number(fromCsv)));
    assert.throws(() => model.predict([{ text: 'great' }]), (e) => e.code === 'MISSING_COLUMN' && /review/.test(e.message));
    assert.throws(() => model.predict([{ review: 5 }]), (e) => e.code === 'USAGE' && /a number, where a text model takes text/.test(e.message));
    assert.throws(() => model.predict({ data: new Float32Array(16), rows: 1, cols: 16 }),
      (e) => e.code === 'UNSUPPORTED' && /text model takes text, not a numeric matrix/.test(e.message));
  } finally {
    model.dispose();
  }
});

/* ---- the vocabulary as a file the manifest names ---- */
const inlineManifest = JSON.parse(readFileSync(join(DIR, 'model.localpredict.json'), 'utf8'));
const VOCAB = Buffer.from(JSON.stringify(inlineManifest.preprocess.vocab));   // Keras's to_json() text
const FILE_MANIFEST = Buffer.from(JSON.stringify({ ...inlineManifest, preprocess: { ...inlineManifest.preprocess, vocab: 'tokenizer.json' } }));

/** A folder with model.onnx, its manifest naming tokenizer.json and (unless left out) the file. */
function vocabDir({ withVocab = true } = {}) {
  const t = tempDir();
  copyFileSync(MODEL, join(t.dir, 'model.onnx'));
  writeFileSync(join(t.dir, 'model.localpredict.json'), FILE_MANIFEST);
  if (withVocab) writeFileSync(join(t.dir, 'tokenizer.json'), VOCAB);
  return t;
}

test('both CLIs read the vocabulary file beside the manifest: the inline manifest\'s bytes', async () => {
  const t = vocabDir();
  try {
    const [inline, js] = await Promise.all([runCli(['predict', MODEL, INPUT]), runCli(['predict', join(t.dir, 'model.onnx'), INPUT])]);
    assert.equal(js.status, 0, js.stderr.toString());
    checkOutput(js.stdout.toString());
    assert.equal(js.stdout.toString(), inline.stdout.toString());
    // --manifest elsewhere: the file is looked for beside that manifest
    const viaFlag = await runCli(['predict', MODEL, INPUT, '--manifest', join(t.dir, 'model.localpredict.json')]);
    assert.equal(viaFlag.stdout.toString(), inline.stdout.toString(), viaFlag.stderr.toString());
    if (hasNative()) {
      const native = await run(NATIVE, ['predict', join(t.dir, 'model.onnx'), INPUT]);
      assert.equal(native.status, 0, native.stderr.toString());
      assert.equal(native.stdout.toString(), inline.stdout.toString());
    }
  } finally {
    t.cleanup();
  }
});

test('a missing vocabulary file is named, with where it was looked for (exit 4)', async () => {
  const t = vocabDir({ withVocab: false });
  try {
    const where = join(t.dir, 'tokenizer.json');
    for (const [cmd, args] of [[process.execPath, [join(ROOT, 'wasm', 'cli.mjs')]], ...(hasNative() ? [[NATIVE, []]] : [])]) {
      const r = await run(cmd, [...args, 'predict', join(t.dir, 'model.onnx'), INPUT]);
      assert.equal(r.status, 4, r.stderr.toString());
      const msg = r.stderr.toString();
      assert.ok(msg.includes('"preprocess.vocab" names the file "tokenizer.json"') && msg.includes(where), msg);
      assert.equal(r.stdout.length, 0);
    }
    await assert.rejects(loadModel(join(t.dir, 'model.onnx'), { manifest: pathToFileURL(join(t.dir, 'model.localpredict.json')) }),
      (e) => e.code === 'IO' && e.message.includes('"tokenizer.json"') && e.message.includes('parts option'));
    await assert.rejects(loadModel(readFileSync(MODEL), { manifest: FILE_MANIFEST }),
      (e) => e.code === 'BAD_MANIFEST' && e.message.includes('"tokenizer.json"'));
  } finally {
    t.cleanup();
  }
});

test('loadModel: the file beside a manifest URL, or beside a model path, or in parts', async () => {
  const t = vocabDir();
  const want = await (async () => {
    const m = await loadModel(readFileSync(MODEL), { manifest: readFileSync(join(DIR, 'model.localpredict.json')) });
    try { return await m.predictCsvText(readFileSync(INPUT)); } finally { m.dispose(); }
  })();
  try {
    const ways = [
      () => loadModel(MODEL, { manifest: pathToFileURL(join(t.dir, 'model.localpredict.json')) }),
      () => loadModel(join(t.dir, 'model.onnx'), { manifest: FILE_MANIFEST }),
      () => loadModel(readFileSync(MODEL), { manifest: FILE_MANIFEST, parts: { 'tokenizer.json': VOCAB } }),
      () => loadModel(readFileSync(MODEL), { manifest: FILE_MANIFEST, parts: [new File([VOCAB], 'tokenizer.json')] }),
    ];
    for (const [i, way] of ways.entries()) {
      const model = await way();
      try {
        assert.equal(await model.predictCsvText(readFileSync(INPUT)), want, `way ${i}`);
      } finally {
        model.dispose();
      }
    }
  } finally {
    t.cleanup();
  }
});

for (const [label, method, folder] of [['deflated', 8, ''], ['stored, in a folder', 0, 'm/']]) {
  test(`a .zip bundle (${label}) with the model, its manifest and the vocabulary file`, async () => {
    const zip = makeZip([
      { name: `${folder}model.onnx`, bytes: readFileSync(MODEL), method },
      { name: `${folder}model.localpredict.json`, bytes: FILE_MANIFEST, method },
      { name: `${folder}tokenizer.json`, bytes: VOCAB, method },
    ]);
    const model = await loadModel(zip, { source: 'text.zip' });
    try {
      checkOutput(await model.predictCsvText(readFileSync(INPUT)));
    } finally {
      model.dispose();
    }
    const t = tempDir();
    try {
      writeFileSync(join(t.dir, 'text.zip'), zip);
      const [cli, inline] = await Promise.all([runCli(['predict', join(t.dir, 'text.zip'), INPUT]), runCli(['predict', MODEL, INPUT])]);
      assert.equal(cli.status, 0, cli.stderr.toString());
      assert.equal(cli.stdout.toString(), inline.stdout.toString());
    } finally {
      t.cleanup();
    }
  });
}

/* ---- all cores: the preprocessing travels in the model blob ---- */
test('the worker pool (jobs: 2) writes the bytes of one engine, with the vocabulary file in the blob', async () => {
  const model = await loadModel(readFileSync(MODEL), { manifest: FILE_MANIFEST, parts: { 'tokenizer.json': VOCAB } });
  try {
    await withTuning({ minBytes: 0, sliceBytes: 256 }, async () => {
      const input = readFileSync(INPUT);
      const one = await model.predictCsvText(input, { jobs: 1 });
      const two = await model.predictCsvText(input, { jobs: 2 });
      assert.equal(two, one);
      checkOutput(two);
    });
  } finally {
    model.dispose();
  }
});

test('the native CLI writes the same bytes', { skip: !hasNative() && 'build/native/localpredict is not built' }, async () => {
  const [js, native] = await Promise.all([runCli(['predict', MODEL, INPUT]), run(NATIVE, ['predict', MODEL, INPUT])]);
  assert.equal(native.status, 0, native.stderr.toString());
  assert.equal(native.stdout.toString(), js.stdout.toString());
});
