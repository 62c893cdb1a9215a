/* features.test.mjs — typed manifest features (category names -> training codes, booleans,
 * integers), XGBoost 3.1+ `cats`, and manifests embedded in a model, against xgboost's and
 * onnxruntime's own predictions (tests/fixtures/gen/gen_features.py), on both engines,
 * through the JS API (CSV, row objects, the worker pool's model blob) and both CLIs; bad
 * cells and bad manifests with their exact errors. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

import * as api from '../../wasm/node.mjs';
import { ENGINES, ROOT, NATIVE, hasNative, run, runCli, parseCsv, compareCsv, compareResult, loadCases, rejects } from './helpers.mjs';

const { loadModel } = api;
const DIR = join(ROOT, 'tests', 'fixtures', 'features');
const read = (name) => readFileSync(join(DIR, name));
const text = (name) => readFileSync(join(DIR, name), 'utf8');

/** A case for compareCsv / compareResult from a fixture's input and expected files. */
function featureCase(input, expected) {
  const [header, ...rows] = parseCsv(text(input));
  const [, ...exp] = parseCsv(text(expected));
  return {
    meta: { task: 'binary', classes: [0, 1] }, header, rows, inputText: text(input),
    expected: { rows: exp.map((r) => r.map(Number)) },
  };
}
const main = featureCase('input.csv', 'expected.csv');
const cats31 = featureCase('input_cats31.csv', 'expected_cats31.csv');
const manifest = read('model.localpredict.json');


for (const engine of ENGINES) {
  describe(`typed features on the ${engine.name} engine`, () => {
    test('manifest categories, booleans and integers predict as xgboost on the pandas DataFrame', async () => {
      const model = await loadModel(read('model.json'), { manifest, simd: engine.simd });
      assert.deepEqual(compareCsv(main, await model.predictCsvText(main.inputText)), []);
      assert.deepEqual(model.info.features.types, ['category', 'category', 'boolean', 'integer', 'number']);
      assert.deepEqual(model.info.features.categories[1], ['S', 'M', 'L']);
      // Row objects: names and booleans as JS values; null is missing.
      const rows = main.rows.map((r) => ({
        color: r[0] || null, size: r[1] || null, flag: r[2] === '' ? null : r[2] === 'true',
        count: r[3] === '' ? null : Number(r[3]), x: Number(r[4]),
      }));
      assert.deepEqual(compareResult(main, model.predict(rows, { returnPredProba: true })), []);
      model.dispose();
    });

    test('the worker pool takes the categories along in the model blob', async () => {
      const model = await loadModel(read('model.json'), { manifest, simd: engine.simd });
      // Enough rows to be split over workers (inputs under 8 MiB run on one thread).
      const [head, ...rows] = main.inputText.trimEnd().split('\n');
      const copies = Math.ceil((9 << 20) / main.inputText.length);
      const big = `${head}\n${Array.from({ length: copies }, () => rows.join('\n')).join('\n')}\n`;
      const out = parseCsv(await model.predictCsvText(big, { jobs: 2 }));
      const one = parseCsv(await model.predictCsvText(main.inputText));
      assert.equal(out.length, 1 + copies * rows.length);
      for (let i = 0; i < rows.length; i++) assert.deepEqual(out[1 + (copies - 1) * rows.length + i], one[1 + i]);
      model.dispose();
    });

    test('XGBoost 3.1+ cats: names re-coded to the training codes; unknown names are an error', async () => {
      const model = await loadModel(read('model_cats31.json'), { simd: engine.simd });
      assert.deepEqual(compareCsv(cats31, await model.predictCsvText(cats31.inputText)), []);
      assert.deepEqual(model.info.features.categories[0], ['red', 'green', 'blue', 'violet', 'crème']);
      const e = await rejects(() => model.predictCsvText(main.inputText, { source: 'new.csv' }), 'UNKNOWN_CATEGORY',
        /^new\.csv:2: column "color": unknown category "teal": the model knows 5 \("red", "green", "blue", "violet", "crème"\)/);
      assert.deepEqual({ line: e.where.line, column: e.where.column }, { line: 2, column: 'color' });
      model.dispose();
      // A manifest may read them as missing instead (the manifest wins over the model).
      const lenient = await loadModel(read('model_cats31.json'), {
        simd: engine.simd,
        manifest: { localpredict: 1, features: [{ type: 'category', categories: ['red', 'green', 'blue', 'violet', 'crème'], unknown: 'missing' }, 'size', 'flag', 'count', 'x'] },
      });
      const [, ...rows31] = cats31.inputText.trimEnd().split('\n');
      assert.equal(parseCsv(await lenient.predictCsvText(`color,size,flag,count,x\nteal,${rows31[0].split(',').slice(1).join(',')}\n`)).length, 2);
      lenient.dispose();
    });

    test('a malformed cats block is a BAD_MODEL naming the part', async () => {
      // XGBoost writes a categorical node's split condition as a bare NaN: kept through a placeholder.
      const base = JSON.parse(text('model_cats31.json').replace(/\bNaN\b/g, '"NaN!"'));
      const variants = [
        [(c) => { c.enc.pop(); }, /cats\.enc has 4 columns but the model has 5 features/],
        [(c) => { c.enc[0].offsets[2] = 999; }, /cats\.enc\[0\]\.offsets\[2\] = 999 is out of order or past the \d+ bytes of values/],
        [(c) => { c.enc[1].values[0] = -1; }, /cats\.enc\[1\]: category 0 is not UTF-8 text/],
        [(c) => { c.enc[1].values[0] = 300; }, /cats\.enc\[1\]\.values\[0\] is not an integer from -128 to 255/],
        [(c) => { c.enc[1].offsets = [0, 1, 1, 1]; }, /cats\.enc\[1\]: category "" appears twice/],
      ];
      for (const [mutate, message] of variants) {
        const m = JSON.parse(JSON.stringify(base));
        mutate(m.learner.gradient_booster.model.cats);
        const bytes = new TextEncoder().encode(JSON.stringify(m).replace(/"NaN!"/g, 'NaN'));
        await rejects(() => loadModel(bytes, { simd: engine.simd }), 'BAD_MODEL', message);
      }
    });

    test('a manifest inside the model: XGBoost learner.attributes and ONNX metadata_props', async () => {
      const xgbModel = await loadModel(read('model_embedded.json'), { simd: engine.simd });
      assert.deepEqual(compareCsv(main, await xgbModel.predictCsvText(main.inputText)), []);
      xgbModel.dispose();
      // The explicit manifest wins key by key: its classes, the embedded features.
      const both = await loadModel(read('model_embedded.json'), { simd: engine.simd, manifest: { localpredict: 1, classes: ['no', 'yes'] } });
      assert.deepEqual(both.info.classes, ['no', 'yes']);
      assert.deepEqual(both.info.features.types.slice(0, 2), ['category', 'category']);
      both.dispose();

      const mlp = loadCases().find((c) => c.name === 'onnx/mlp_relu_softmax');
      const onnx = await loadModel(read('mlp_embedded.onnx'), { simd: engine.simd });
      assert.deepEqual(onnx.info.classes, ['low', 'mid', 'high']);
      assert.equal(onnx.info.details.name, 'MLP with its manifest inside');
      const out = parseCsv(await onnx.predictCsvText(mlp.inputText));
      assert.deepEqual(out[0], ['low', 'mid', 'high', 'Suggested Label']);
      assert.deepEqual(compareCsv(mlp, [mlp.meta.classes.map(String).concat('Suggested Label').join(','),
        ...out.slice(1).map((r) => r.slice(0, 3).concat(['low', 'mid', 'high'].indexOf(r[3])).join(','))].join('\n')), []);
      onnx.dispose();
      // Precedence: options > explicit manifest > embedded manifest > the model.
      const over = await loadModel(read('mlp_embedded.onnx'), { simd: engine.simd, manifest: { localpredict: 1, classes: ['a', 'b', 'c'] } });
      assert.deepEqual(over.info.classes, ['a', 'b', 'c']);
      assert.equal(over.info.details.name, 'MLP with its manifest inside');
      over.dispose();
      const flags = await loadModel(read('mlp_embedded.onnx'), { simd: engine.simd, manifest: { localpredict: 1, classes: ['a', 'b', 'c'] }, classes: ['x', 'y', 'z'] });
      assert.deepEqual(flags.info.classes, ['x', 'y', 'z']);
      flags.dispose();
    });

    test('bad cells name the line, column and value', async () => {
      const model = await loadModel(read('model.json'), { manifest, simd: engine.simd });
      const head = 'color,size,flag,count,x';
      const cases = [
        ['red,XL,true,1,0.5', 'UNKNOWN_CATEGORY', /^in\.csv:2: column "size": unknown category "XL": the model knows 3 \("S", "M", "L"\); a manifest can map it, or read unknown categories as missing \("unknown": "missing"\)$/],
        ['red,S,yes,1,0.5', 'BAD_NUMBER', /^in\.csv:2: column "flag": not a boolean: "yes" \(the manifest types this column "boolean": true, false, 1 or 0\)$/],
        ['red,S,true,2.5,0.5', 'BAD_NUMBER', /^in\.csv:2: column "count": not a whole number: "2\.5" \(the manifest types this column "integer"\)$/],
        ['red,S,true,2,abc', 'BAD_NUMBER', /^in\.csv:2: column "x": not a number: "abc"/],
      ];
      for (const [row, code, message] of cases) {
        await rejects(() => model.predictCsvText(`${head}\n${row}\n`, { source: 'in.csv' }), code, message);
      }
      model.dispose();
    });

    test('bad manifests name the key', async () => {
      const bytes = read('model.json');
      const bad = [
        [{ features: [{ type: 'colour' }, 'size', 'flag', 'count', 'x'] }, /"features\[0\]\.type" must be "number", "integer", "boolean" or "category"/],
        [{ features: [{ type: 'category' }, 'size', 'flag', 'count', 'x'] }, /"features\[0\]\.categories" is required for "type": "category"/],
        [{ features: [{ type: 'category', categories: ['a', 'a'] }, 'size', 'flag', 'count', 'x'] }, /"features\[0\]\.categories": category "a" appears twice/],
        [{ features: [{ type: 'category', categories: { a: 1.5 } }, 'size', 'flag', 'count', 'x'] }, /"features\[0\]\.categories" must map names to whole-number codes/],
        [{ features: [{ type: 'integer', unknown: 'missing' }, 'size', 'flag', 'count', 'x'] }, /"features\[0\]\.unknown" must be "error" or "missing", for a category feature/],
        [{ features: [{ colum: 'c' }, 'size', 'flag', 'count', 'x'] }, /"features\[0\]\.colum" is not a feature key \(known: column, type, categories, unknown\)/],
        [{ features: ['color', 'size'] }, /"features" lists 2 columns but the model has 5 features/],
      ];
      for (const [m, message] of bad) {
        await rejects(() => loadModel(bytes, { simd: engine.simd, manifest: { localpredict: 1, ...m }, manifestName: 'm.localpredict.json' }),
          'BAD_MANIFEST', new RegExp(`^m\\.localpredict\\.json: ${message.source}`));
      }
    });
  });
}

describe('typed features through both CLIs', () => {
  const CLIS = [{ name: 'JS CLI' }, ...(hasNative() ? [{ name: 'native CLI', native: true }] : [])];
  for (const cli of CLIS) {
    test(`the manifest beside the model, and an unknown category exits 3 (${cli.name})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lp-features-'));
      try {
        const go = (args) => (cli.native ? run(NATIVE, args, { cwd: dir }) : runCli(args, { cwd: dir }));
        const ok = await go(['predict', join(DIR, 'model.json'), join(DIR, 'input.csv')]);
        assert.equal(ok.status, 0, ok.stderr);
        assert.deepEqual(compareCsv(main, ok.stdout.toString()), []);
        writeFileSync(join(dir, 'new.csv'), text('input.csv'));
        const bad = await go(['predict', join(DIR, 'model_cats31.json'), 'new.csv', '-o', 'out.csv']);
        assert.equal(bad.status, 3, bad.stderr);
        assert.match(bad.stderr, /^localpredict: new\.csv:2: column "color": unknown category "teal": the model knows 5 \("red", "green", "blue", "violet", "crème"\)/);
        assert.deepEqual(readdirSync(dir), ['new.csv'], 'no output file left');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
