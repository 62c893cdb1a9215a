/* onnx-scores.test.mjs — what a dense ONNX graph's scores are, read from the
 * operator computing them (src/formats/onnx_scores.c), and the task that
 * follows (tests/fixtures/gen/gen_onnx_scores.py; every case is also compared
 * with onnxruntime-node through the contract's link by the fixture suites,
 * and that with torch's or scikit-learn's own answer by the generator). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel } from '../../wasm/node.mjs';
import { loadCases, ENGINES, PROBA_TOL, rowsAsNumberObjects } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));

/* [case, objective in info, task it loads as, the value the scores are read from] */
const READINGS = [
  ['torch_logsoftmax_binary', 'graph log-probabilities', 'binary', 'log_probabilities'],
  ['torch_logits_multiclass', 'graph logits', 'multiclass', 'logits'],
  ['torch_logit_one', 'graph logits', 'regression', 'logit'],
  ['torch_sigmoid_binary', 'graph sigmoid', 'binary', 'p'],
  ['torch_sigmoid_multilabel', 'graph sigmoid', 'multilabel', 'labels'],
  ['torch_logits_and_probs', 'graph', 'multiclass', 'scores'],
  ['torch_logits_and_hidden', 'graph logits', 'multiclass', 'logits'],
  ['torch_logits_temperature', 'graph logits', 'binary', 'logits'],
  ['torch_log_of_softmax', 'graph log-probabilities', 'binary', 'log_p'],
  ['sigmoid_partial_nan', 'graph sigmoid', 'multilabel', 'labels'],
  ['skl_linearsvc_multiclass', 'graph decision values', 'multiclass', 'probabilities'],
  ['skl_linearsvc_binary', 'graph decision values', 'binary', 'probabilities'],
];

for (const engine of ENGINES) {
  describe(`ONNX scores on the ${engine.name} engine`, () => {
    test('info names what the scores are and where they are read from; the task follows', async () => {
      for (const [name, objective, task, scoresFrom] of READINGS) {
        const model = await loadModel(readFileSync(cases[`onnx_ml/${name}`].model), { simd: engine.simd });
        try {
          assert.equal(model.info.objective, objective, name);
          assert.equal(model.info.task, task, name);
          assert.equal(model.info.scoresFrom, scoresFrom, name);
        } finally {
          model.dispose();
        }
      }
    });

    test('one logit with the task binary: its sigmoid is the positive class', async () => {
      const c = cases['onnx_ml/torch_logit_one'];
      const model = await loadModel(readFileSync(c.model), { simd: engine.simd, task: 'binary' });
      try {
        const { labels, probabilities } = model.predict(rowsAsNumberObjects(c), { returnPredProba: true });
        assert.deepEqual(probabilities.classes, [0, 1]);
        c.expected.rows.forEach(([logit], r) => {
          const p = 1 / (1 + Math.exp(-logit));   // onnxruntime's logit through the sigmoid
          const [p0, p1] = probabilities.data.subarray(2 * r, 2 * r + 2);
          if (Number.isNaN(logit)) {
            assert.ok(Number.isNaN(p1) && labels[r] === null, `row ${r + 1}: a NaN row suggests no class`);
            return;
          }
          assert.ok(Math.abs(p1 - p) <= PROBA_TOL && Math.abs(p0 - (1 - p)) <= PROBA_TOL, `row ${r + 1}: ${p1} vs ${p}`);
          if (Math.abs(p - 0.5) > 1e-5) assert.equal(labels[r], p > 0.5 ? 1 : 0, `row ${r + 1}`);
        });
      } finally {
        model.dispose();
      }
    });

    test('a task the scores cannot give is refused, naming the ones they can', async () => {
      const bytes = readFileSync(cases['onnx_ml/torch_logit_one'].model);
      await assert.rejects(loadModel(bytes, { simd: engine.simd, task: 'multiclass' }),
        (e) => e.code === 'USAGE' && /graph logits gives 1 output, for the task binary or regression/.test(e.message));
      const sigmoid = readFileSync(cases['onnx_ml/torch_sigmoid_binary'].model);
      await assert.rejects(loadModel(sigmoid, { simd: engine.simd, task: 'regression' }),
        (e) => e.code === 'USAGE' && /for the task binary$/.test(e.message));
    });
  });
}
