/* text-torch.test.mjs — the torch.onnx text models (tests/fixtures/text_model/,
 * made by gen_text_torch.py, expected outputs by onnxruntime-node on the
 * reference tokenizers' ids): nn.Embedding with mean and max pooling, a
 * multi-label head, a 2-layer BERT-style encoder on WordPiece.  Through the
 * JS CLI on both engines, predictCsvText and the native CLI: every
 * probability within 1e-4 of onnxruntime, the suggested labels the output
 * contract's (near-ties left out). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import { ROOT, ENGINES, NATIVE, run, runCli, hasNative, parseCsv } from './helpers.mjs';

const CASES = { torch_mean: false, torch_max: false, torch_multilabel: true, bert_tiny: false };

function fixture(name) {
  const dir = join(ROOT, 'tests', 'fixtures', 'text_model', name);
  const [classes, ...expected] = parseCsv(readFileSync(join(dir, 'expected.csv'), 'utf8'));
  return { dir, model: join(dir, 'model.onnx'), input: join(dir, 'input.csv'), classes, expected };
}

/* The label the output contract gives for reference probabilities, or null
 * when they sit within 1e-4 of a tie or of the threshold. */
function wantedLabel(p, classes, multilabel) {
  if (multilabel) {
    if (p.some((x) => Math.abs(x - 0.5) <= 1e-4)) return null;
    return classes.filter((_, k) => p[k] > 0.5).join(',');
  }
  const best = p.indexOf(Math.max(...p));
  if (p.some((x, k) => k !== best && p[best] - x <= 1e-4)) return null;
  return classes[best];
}

function checkOutput(text, { classes, expected }, multilabel) {
  const [header, ...rows] = parseCsv(text);
  assert.deepEqual(header, [...classes, 'Suggested Label']);
  assert.equal(rows.length, expected.length);
  rows.forEach((row, r) => {
    const want = expected[r].map(Number);
    want.forEach((p, k) => assert.ok(Math.abs(Number(row[k]) - p) <= 1e-4, `row ${r} class ${k}: ${row[k]} vs ${p}`));
    const label = wantedLabel(want, classes, multilabel);
    if (label !== null) assert.equal(row[classes.length], label, `row ${r}`);
  });
}

for (const [name, multilabel] of Object.entries(CASES)) {
  const f = fixture(name);
  for (const { name: engine } of ENGINES) {
    test(`${name}: JS CLI (${engine}) equal to onnxruntime`, async () => {
      const r = await runCli(['predict', f.model, f.input], { engine });
      assert.equal(r.status, 0, r.stderr.toString());
      checkOutput(r.stdout.toString(), f, multilabel);
    });
  }

  test(`${name}: predictCsvText equal to onnxruntime`, async () => {
    const model = await loadModel(readFileSync(f.model), { manifest: readFileSync(join(f.dir, 'model.localpredict.json')) });
    try {
      assert.deepEqual(model.info.features.names, ['review']);
      checkOutput(await model.predictCsvText(readFileSync(f.input, 'utf8')), f, multilabel);
    } finally {
      model.dispose();
    }
  });

  test(`${name}: the native CLI equal to onnxruntime`, { skip: !hasNative() && 'build/native/localpredict is not built' },
    async () => {
      const r = await run(NATIVE, ['predict', f.model, f.input]);
      assert.equal(r.status, 0, r.stderr.toString());
      checkOutput(r.stdout.toString(), f, multilabel);
    });
}

/* The float32 softmax, erf and LayerNorm kernels (core/lp_math.c,
 * kernels/act_*.c) round alike everywhere: the WASM engines, SIMD and
 * scalar, and the native build write the same bytes for every text model. */
for (const name of Object.keys(CASES)) {
  const f = fixture(name);
  test(`${name}: both WASM engines and the native CLI write the same bytes`,
    { skip: !hasNative() && 'build/native/localpredict is not built' }, async () => {
      const native = await run(NATIVE, ['predict', f.model, f.input]);
      assert.equal(native.status, 0, native.stderr.toString());
      for (const { name: engine } of ENGINES) {
        const r = await runCli(['predict', f.model, f.input], { engine });
        assert.equal(r.status, 0, r.stderr.toString());
        assert.equal(r.stdout.toString(), native.stdout.toString(), `${engine} engine vs native`);
      }
    });
}
