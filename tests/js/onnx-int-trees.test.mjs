/* onnx-int-trees.test.mjs — a tree ensemble fed by an int64 input, through a Cast (Cast,
 * Concat, TreeEnsembleClassifier: nothing but plumbing) or straight (an int64 or int32 input
 * into the TreeEnsembleClassifier, which compares the integers as float, as onnxruntime
 * does), reads its cells by the graph's rules: any integer of the type (epoch seconds beyond
 * 2^24 included, rounded to float as onnxruntime rounds them), but a 1.5 or an empty cell in
 * the integer column is bad input naming the line and the column; so does a Scaler reading an
 * int64 input (skl2onnx's StandardScaler on an Int64TensorType).  The fixtures
 * (tests/fixtures/onnx_ml/int64_beyond_2_24_cast_float, gen_onnx_mapcast.py;
 * int64_trees_classifier, int32_trees_classifier and int64_scaler_logreg, gen_onnx_int_trees.py; expected.csv
 * recorded by onnxruntime-node) give the good rows' probabilities. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import { ONNX_ML_FIXTURES, PROBA_TOL, errorOf, everyCli, parseCsv, tempDir } from './helpers.mjs';

/* Each fixture: its input's name and type; the CSV's first column is that input's (first) column. */
const CASES = [
  { name: 'int64_beyond_2_24_cast_float', input: 'seconds', dtype: 'int64' },
  { name: 'int64_trees_classifier', input: 'X', dtype: 'int64' },
  { name: 'int32_trees_classifier', input: 'X', dtype: 'int32' },
  { name: 'int64_scaler_logreg', input: 'X', dtype: 'int64' },   // a Scaler reads the integers
].map((c) => {
  const dir = join(ONNX_ML_FIXTURES, c.name);
  const [header, ...rows] = readFileSync(join(dir, 'input.csv'), 'utf8').trim().split('\n');
  const [classes, ...expected] = parseCsv(readFileSync(join(dir, 'expected.csv'), 'utf8'));
  return { ...c, model: join(dir, 'model.onnx'), header, rows, classes, expected, column: header.split(',')[0] };
});

// The fixture's rows with row `at` (0-based; file line at + 2) holding `cell` in its first column.
function withBadCell(c, at, cell) {
  const rows = c.rows.map((r, i) => (i === at ? [cell, ...r.split(',').slice(1)].join(',') : r));
  return `${c.header}\n${rows.join('\n')}\n`;
}

for (const c of CASES)
  describe(`ONNX ${c.dtype} input read as float (${c.name}): cells must be integers`, () => {
    let tmp;
    before(() => {
      tmp = tempDir();
    });
    after(() => tmp.cleanup());

    const k = c.classes.length;
    const bad = [['1.5', `takes ${c.dtype} values, not 1.5`], ['', `takes ${c.dtype} values, and the cell is empty or missing`]];
    for (const cli of everyCli())
      for (const [cell, what] of bad)
        test(`CLI (${cli.name}) "${cell}": exit 3 naming line and column, no output; --on-error skip marks the row`, async () => {
          const dir = join(tmp.dir, `${cli.name}-${cell || 'empty'}`);
          mkdirSync(dir);
          writeFileSync(join(dir, 'in.csv'), withBadCell(c, 40, cell));
          const error = `column "${c.column}": ONNX input "${c.input}" ${what}`;
          const r = await cli.cli(['predict', c.model, 'in.csv', '-o', 'out.csv'], { cwd: dir });
          assert.equal(r.status, 3, r.stderr);
          assert.equal(r.stderr.toString(), `localpredict: in.csv:42: ${error}\n`);
          assert.deepEqual(readdirSync(dir), ['in.csv'], 'no output or temporary file');

          const s = await cli.cli(['predict', c.model, 'in.csv', '-o', 'out.csv', '--on-error', 'skip'], { cwd: dir });
          assert.equal(s.status, 0, s.stderr);
          const [head, ...out] = parseCsv(readFileSync(join(dir, 'out.csv'), 'utf8'));
          assert.deepEqual(head, [...c.classes, 'Suggested Label', 'Error']);
          assert.equal(out.length, c.rows.length);
          out.forEach((row, i) => {
            if (i === 40) {
              assert.deepEqual(row, [...Array(k + 1).fill(''), `line 42: ${error}`]);
              return;
            }
            assert.equal(row[k + 1], '', `line ${i + 2}: no error`);
            row.slice(0, k).forEach((v, j) => assert.ok(Math.abs(Number(v) - Number(c.expected[i][j])) <= PROBA_TOL,
              `line ${i + 2} class ${j}: ${v} vs ${c.expected[i][j]}`));
          });
        });

    test('JS API: predict and predictCsvText throw BAD_NUMBER naming the row and column', async () => {
      const model = await loadModel(readFileSync(c.model));
      try {
        const [first, second] = c.rows.map((r) => r.split(',').map(Number));
        const names = c.header.split(',');
        const object = (cells) => Object.fromEntries(names.map((n, j) => [n, cells[j]]));
        // predict throws at once, predictCsvText rejects
        const e1 = await errorOf(Promise.resolve().then(() => model.predict([object(first), object([2.5, ...second.slice(1)])])));
        const e2 = await errorOf(model.predictCsvText(withBadCell(c, 1, '2.5')));
        for (const e of [e1, e2]) {
          assert.equal(e.code, 'BAD_NUMBER');
          assert.ok(e.message.includes(`ONNX input "${c.input}" takes ${c.dtype} values, not 2.5`), e.message);
        }
        assert.match(e1.message, /row 2/);
        assert.deepEqual([e2.where?.line, e2.where?.column], [3, c.column]);
        // the type's largest integer is taken (it becomes 2^31 or 2^63 in float, as in onnxruntime)
        const top = c.dtype === 'int32' ? 2147483647 : 9e15;
        const labels = await model.predict([object(first), object([top, ...second.slice(1)])]);
        assert.equal(labels.length, 2);
      } finally {
        model.dispose();
      }
    });
  });
