/* onnx-gather-label.test.mjs — opset-5 TreeEnsemble classifiers with no ZipMap whose
 * label is Gather(classes, ArgMax(probabilities)) (tests/fixtures/gen/gen_onnx_gather_label.py):
 * the columns are named by that classes constant, and `Suggested Label` is scikit-learn's
 * predict on every row (string and int64 classes). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import { loadCases, parseCsv, ENGINES } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));

for (const engine of ENGINES) {
  describe(`Gather label classes on the ${engine.name} engine`, () => {
    for (const name of ['onnx_ml/skl_rf_v5_gather_strings', 'onnx_ml/skl_gb_v5_gather_int64_binary']) {
      test(`${name}: class columns and Suggested Label are scikit-learn's`, async () => {
        const c = cases[name];
        const sklearn = JSON.parse(readFileSync(join(c.dir, 'sklearn_proba.json'), 'utf8'));
        const model = await loadModel(readFileSync(c.model), { simd: engine.simd });
        try {
          const [head, ...rows] = parseCsv(await model.predictCsvText(c.inputText));
          assert.deepEqual(head, [...c.meta.classes.map(String), 'Suggested Label']);
          assert.deepEqual(rows.map((r) => r[r.length - 1]), sklearn.label);
        } finally {
          model.dispose();
        }
      });
    }
  });
}
