/* onnx-maps.test.mjs — an ONNX map input (DictVectorizer) through the JS API with
 * rows as the dicts scikit-learn was given: a key a row object lacks is an absent
 * key, against scikit-learn's predict_proba (tests/fixtures/gen/gen_onnx_mapcast.py). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel } from '../../wasm/node.mjs';
import { loadCases, compareResult, ENGINES } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));

for (const engine of ENGINES) {
  describe(`ONNX map inputs on the ${engine.name} engine`, () => {
    for (const name of ['onnx_ml/skl_dictvectorizer_logreg', 'onnx_ml/skl_dictvectorizer_rf',
      'onnx_ml/skl_dictvectorizer_int_keys_binary']) {
      test(`${name}: rows as dicts, absent keys left out`, async () => {
        const c = cases[name];
        const model = await loadModel(readFileSync(c.model), { simd: engine.simd });
        try {
          const dicts = c.rows.map((r) => Object.fromEntries(
            c.header.map((h, j) => [h, r[j]]).filter(([h, v]) => v !== '' && c.meta.feature_names.includes(h))
              .map(([h, v]) => [h, Number(v)])));
          assert.ok(dicts.some((d) => Object.keys(d).length < c.meta.feature_names.length), 'some rows lack keys');
          assert.deepEqual(compareResult(c, model.predict(dicts, { returnPredProba: true })), []);
        } finally {
          model.dispose();
        }
      });
    }

    test('a row set naming none of the keys is MISSING_COLUMN', async () => {
      const c = cases['onnx_ml/skl_dictvectorizer_logreg'];
      const model = await loadModel(readFileSync(c.model), { simd: engine.simd });
      try {
        assert.throws(() => model.predict([{ id: 1 }]), (e) => e.code === 'MISSING_COLUMN' && /"weight"/.test(e.message));
      } finally {
        model.dispose();
      }
    });
  });
}
