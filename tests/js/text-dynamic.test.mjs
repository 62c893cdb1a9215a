/* text-dynamic.test.mjs — ONNX inputs with a symbolic dimension besides the
 * rows (torch.onnx dynamic_axes {0: 'batch', 1: 'sequence'}), bound at load
 * by the manifest (tests/fixtures/text_dynamic/, gen_text_dynamic.py;
 * expected outputs by onnxruntime-node at the padded length): a Keras-tokenizer
 * embedding model and a BERT-style encoder bound by "preprocess.max_length",
 * an MLP bound by "dims", nn.EmbeddingBag (a Loop in the export, run fused)
 * on onnxruntime's flat form.  Through the JS CLI on both engines, predictCsvText,
 * the worker pool (the bindings travel in the model blob) and the native CLI,
 * every probability within 1e-4 of onnxruntime; then the load errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import { ROOT, ENGINES, NATIVE, run, runCli, hasNative, parseCsv, tempDir, withTuning } from './helpers.mjs';

const CASES = ['torch_mean_seq', 'bert_tiny_seq', 'mlp_dims', 'embedding_bag_mean', 'embedding_bag_max', 'embedding_bag_sum'];

function fixture(name) {
  const dir = join(ROOT, 'tests', 'fixtures', 'text_dynamic', name);
  const [classes, ...expected] = parseCsv(readFileSync(join(dir, 'expected.csv'), 'utf8'));
  return { dir, model: join(dir, 'model.onnx'), input: join(dir, 'input.csv'), manifest: join(dir, 'model.localpredict.json'),
    classes, expected };
}

function checkOutput(text, { classes, expected }) {
  const [header, ...rows] = parseCsv(text);
  assert.deepEqual(header, [...classes, 'Suggested Label']);
  assert.equal(rows.length, expected.length);
  rows.forEach((row, r) => {
    const want = expected[r].map(Number);
    want.forEach((p, k) => assert.ok(Math.abs(Number(row[k]) - p) <= 1e-4, `row ${r} class ${k}: ${row[k]} vs ${p}`));
    const best = want.indexOf(Math.max(...want));
    if (!want.some((x, k) => k !== best && want[best] - x <= 1e-4)) assert.equal(row[classes.length], classes[best], `row ${r}`);
  });
}

for (const name of CASES) {
  const f = fixture(name);
  for (const { name: engine } of ENGINES) {
    test(`${name}: JS CLI (${engine}) equal to onnxruntime`, async () => {
      const r = await runCli(['predict', f.model, f.input], { engine });
      assert.equal(r.status, 0, r.stderr.toString());
      checkOutput(r.stdout.toString(), f);
    });
  }

  test(`${name}: predictCsvText, and the worker pool from the blob, equal to onnxruntime`, async () => {
    const model = await loadModel(readFileSync(f.model), { manifest: readFileSync(f.manifest) });
    try {
      await withTuning({ minBytes: 0, sliceBytes: 512 }, async () => {
        const input = readFileSync(f.input);
        const one = await model.predictCsvText(input, { jobs: 1 });
        checkOutput(one, f);
        assert.equal(await model.predictCsvText(input, { jobs: 2 }), one);
      });
    } finally {
      model.dispose();
    }
  });

  test(`${name}: the native CLI equal to onnxruntime`, { skip: !hasNative() && 'build/native/localpredict is not built' },
    async () => {
      const r = await run(NATIVE, ['predict', f.model, f.input]);
      assert.equal(r.status, 0, r.stderr.toString());
      checkOutput(r.stdout.toString(), f);
    });
}

test('a free dimension nothing binds is a load error naming the input, the dimension and what binds it', async () => {
  const f = fixture('mlp_dims');
  await assert.rejects(loadModel(readFileSync(f.model), { manifest: '{"localpredict": 1}' }),
    (e) => e.code === 'UNSUPPORTED' && e.message.includes('input "x"') && e.message.includes('dimension 1 ("features")') &&
      e.message.includes('"dims": {"features": N}'));
  const t = tempDir();
  try {
    const manifest = join(t.dir, 'm.json');
    writeFileSync(manifest, '{"localpredict": 1}');
    for (const [cmd, args] of [[process.execPath, [join(ROOT, 'wasm', 'cli.mjs')]], ...(hasNative() ? [[NATIVE, []]] : [])]) {
      const r = await run(cmd, [...args, 'predict', f.model, f.input, '--manifest', manifest]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /ONNX input "x": dimension 1 \("features"\) is not stated/);
      assert.equal(r.stdout.length, 0);
    }
  } finally {
    t.cleanup();
  }
});

test('bindings that disagree, or one of the rows, are named', async () => {
  const f = fixture('torch_mean_seq');
  const manifest = JSON.parse(readFileSync(f.manifest, 'utf8'));
  await assert.rejects(loadModel(readFileSync(f.model), { manifest: JSON.stringify({ ...manifest, dims: { sequence: 8 } }) }),
    (e) => e.code === 'BAD_MANIFEST' && e.message.includes('bound to 8 by "dims" and to 16 by "preprocess.max_length"'));
  await assert.rejects(loadModel(readFileSync(f.model), { manifest: JSON.stringify({ ...manifest, dims: { batch: 8 } }) }),
    (e) => e.code === 'BAD_MANIFEST' && e.message.includes('the rows'));
  // agreeing bindings are fine
  const model = await loadModel(readFileSync(f.model), { manifest: JSON.stringify({ ...manifest, dims: { sequence: 16 } }) });
  model.dispose();
});

test('nn.EmbeddingBag: an empty bag gives torch\'s output (onnxruntime\'s ReduceMax gives NaN there)', async () => {
  const f = fixture('embedding_bag_max');
  const torchEmpty = JSON.parse(readFileSync(join(f.dir, 'feeds.json'), 'utf8')).empty_bag_torch;
  const model = await loadModel(readFileSync(f.model), { manifest: readFileSync(f.manifest) });
  try {
    const [, row] = parseCsv(await model.predictCsvText('id,review\n1,\n'));
    torchEmpty.forEach((p, k) => assert.ok(Math.abs(Number(row[k]) - p) <= 1e-6, `class ${k}: ${row[k]} vs torch ${p}`));
  } finally {
    model.dispose();
  }
});

test('a Loop that is not nn.EmbeddingBag is refused, named', async () => {
  const f = fixture('embedding_bag_mean');
  await assert.rejects(loadModel(readFileSync(join(f.dir, '..', 'loop_reduce_min.onnx')), { manifest: readFileSync(f.manifest) }),
    (e) => e.code === 'UNSUPPORTED' && e.message.includes('Loop (ai.onnx opset 13'));
});
