/* onnx-maps.test.mjs — an ONNX map input (DictVectorizer) through the JS API with
 * rows as the dicts scikit-learn was given: a key a row object lacks is an absent
 * key, against scikit-learn's predict_proba (tests/fixtures/gen/gen_onnx_mapcast.py);
 * map values of float, int64 and double; an int64 map's cells are integers below 2^24. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel } from '../../wasm/node.mjs';
import { loadCases, compareResult, parseCsv, ENGINES } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));

for (const engine of ENGINES) {
  describe(`ONNX map inputs on the ${engine.name} engine`, () => {
    for (const name of ['onnx_ml/skl_dictvectorizer_logreg', 'onnx_ml/skl_dictvectorizer_rf',
      'onnx_ml/skl_dictvectorizer_int_keys_binary', 'onnx_ml/skl_dictvectorizer_int64_values',
      'onnx_ml/skl_dictvectorizer_double_values']) {
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

    // float32 carries integers exactly below 2^24: 16777217 would arrive as 16777216.
    test('map(string, int64): a cell that is no integer, or 2^24 or more, is a bad row, named', async () => {
      const c = cases['onnx_ml/skl_dictvectorizer_int64_values'];
      const model = await loadModel(readFileSync(c.model), { simd: engine.simd });
      try {
        const [head, ...rows] = c.inputText.trimEnd().split('\n');
        const views = head.split(',').indexOf('views');
        const withViews = (v) => rows[0].split(',').map((x, j) => (j === views ? v : x)).join(',');
        const text = [head, rows[0], withViews('2.5'), withViews('16777217'), withViews('16777215')].join('\n') + '\n';
        const [, ...out] = parseCsv(await model.predictCsvText(text, { onError: 'skip' }));
        const error = out.map((r) => r[r.length - 1]);
        assert.equal(error[0], '');
        assert.equal(error[1], 'line 3: column "views": ONNX input "input" maps its keys to int64 values, not 2.5');
        assert.match(error[2], /^line 4: column "views": ONNX input "input" maps its keys to int64 values, and the cell's magnitude is 2\^24/);
        assert.equal(error[3], '');
        await assert.rejects(model.predictCsvText(text), (e) => e.code === 'BAD_NUMBER' && e.where?.line === 3);
      } finally {
        model.dispose();
      }
    });

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
