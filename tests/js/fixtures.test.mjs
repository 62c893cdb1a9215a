/* fixtures.test.mjs — every xgboost and LightGBM fixture through every way in, on both
 * engines, against the library's expected probabilities (never against our own output):
 * predictCsvText, the CLI, predict() with objects (text and numbers), arrays and the
 * float32 matrix fast path.  The native CLI, when built, must give the same bytes. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel } from '../../wasm/node.mjs';
import {
  ENGINES, loadCases, compareCsv, compareResult, rowsAsTextObjects, rowsAsNumberObjects,
  featureColumns, isMissingCell, runCli, run, hasNative, NATIVE,
} from './helpers.mjs';

const cases = loadCases();

test('every fixture folder has a task the label rules cover', () => {
  assert.ok(cases.length >= 15, `found ${cases.length} cases`);
  for (const c of cases) assert.ok(['binary', 'multiclass', 'multilabel', 'regression'].includes(c.meta.task), c.name);
});

for (const engine of ENGINES) {
  describe(`fixtures on the ${engine.name} engine`, () => {
    for (const c of cases) {
      describe(c.name, () => {
        let model;
        before(async () => {
          const manifest = c.manifest ? readFileSync(c.manifest) : undefined;
          model = await loadModel(readFileSync(c.model), { manifest, simd: engine.simd });
        });
        after(() => model?.dispose());

        test('loads with the expected engine, task, classes and features', () => {
          assert.equal(model.engine, engine.name);
          assert.equal(model.info.task, c.meta.task);
          assert.deepEqual(model.info.classes, c.meta.classes);
          assert.equal(model.info.features.count, c.meta.n_features);
          assert.deepEqual(model.info.features.names, c.meta.feature_names);
          assert.equal(model.info.treesInFile, c.meta.n_trees);
          assert.ok(Object.isFrozen(model.info) && Object.isFrozen(model.info.classes));
        });

        test('predictCsvText matches xgboost', async () => {
          const text = await model.predictCsvText(c.inputText);
          assert.deepEqual(compareCsv(c, text), []);
        });

        test('predict() with objects of text cells matches xgboost', () => {
          const result = model.predict(rowsAsTextObjects(c), { returnPredProba: true });
          assert.deepEqual(compareResult(c, result), []);
          assert.deepEqual(model.predict(rowsAsTextObjects(c)), result.labels);
        });

        const numbers = !c.meta.string_cells;
        test('predict() with objects of numbers (null = missing) matches xgboost', { skip: !numbers && 'string cells' }, () => {
          const result = model.predict(rowsAsNumberObjects(c), { returnPredProba: true });
          assert.deepEqual(compareResult(c, result), []);
        });

        test('predict() with arrays by position, in the model\'s feature order', { skip: !numbers && 'string cells' }, () => {
          const cols = featureColumns(c, model.info);
          const arrays = c.rows.map((r) => cols.map((j) => (isMissingCell(r[j]) ? null : Number(r[j]))));
          assert.deepEqual(compareResult(c, model.predict(arrays, { returnPredProba: true })), []);
        });

        test('predict() with arrays of CSV cells named by { columns }', () => {
          const named = model.predict(c.rows, { columns: c.header, returnPredProba: true });
          assert.deepEqual(compareResult(c, named), []);
        });

        const float32 = numbers && !c.meta.double_inputs;
        test('predict() with the float32 matrix fast path', { skip: !float32 && 'inputs float32 cannot hold' }, () => {
          const cols = featureColumns(c, model.info);
          const data = new Float32Array(c.rows.length * cols.length);
          c.rows.forEach((r, i) => cols.forEach((j, k) => {
            data[i * cols.length + k] = isMissingCell(r[j]) ? NaN : Number(r[j]);
          }));
          const result = model.predict({ data, rows: c.rows.length, cols: cols.length }, { returnPredProba: true });
          assert.deepEqual(compareResult(c, result), []);
        });

        test('the CLI matches xgboost', async () => {
          const { status, stdout, stderr } = await runCli(['predict', c.model, c.input], { engine: engine.name });
          assert.equal(stderr, '');
          assert.equal(status, 0);
          assert.deepEqual(compareCsv(c, stdout.toString('utf8')), []);
          // The CLI and the API give the same bytes.
          assert.equal(stdout.toString('utf8'), await model.predictCsvText(c.inputText));
        });
      });
    }
  });
}

describe('the native CLI gives the same bytes as the JS CLI', { skip: !hasNative() && 'build/native/localpredict is not built' }, () => {
  for (const c of cases) {
    for (const extra of [[], ['--include-input']]) {
      test(`${c.name} ${extra.join(' ')}`, async () => {
        const args = ['predict', c.model, c.input, ...extra];
        const [js, native] = await Promise.all([runCli(args), run(NATIVE, args)]);
        assert.equal(js.status, 0, js.stderr);
        assert.equal(native.status, 0, native.stderr);
        assert.ok(js.stdout.equals(native.stdout), 'output bytes differ');
      });
    }
    for (const extra of [[], ['--json']]) {
      test(`info ${c.name} ${extra.join(' ')}`, async () => {
        const args = ['info', c.model, ...extra];
        const [js, native] = await Promise.all([runCli(args), run(NATIVE, args)]);
        assert.equal(js.status, 0, js.stderr);
        assert.equal(native.status, 0, native.stderr);
        assert.equal(js.stdout.toString(), native.stdout.toString());
      });
    }
  }
});
