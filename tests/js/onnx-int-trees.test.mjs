/* onnx-int-trees.test.mjs — a tree ensemble fed by a Cast of an int64 input (Cast, Concat,
 * TreeEnsembleClassifier: nothing but plumbing) reads its cells by the graph's rules: any
 * integer (epoch seconds beyond 2^24 included, rounded to float as onnxruntime's Cast
 * rounds them), but a 1.5 or an empty cell in the int64 column is bad input naming the line
 * and the column.  The fixture (tests/fixtures/onnx_ml/int64_beyond_2_24_cast_float,
 * gen_onnx_mapcast.py; expected.csv recorded by onnxruntime-node) gives the good rows'
 * probabilities. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel, LocalPredictError } from '../../wasm/node.mjs';
import { ONNX_ML_FIXTURES, PROBA_TOL, everyCli, parseCsv, tempDir } from './helpers.mjs';

const DIR = join(ONNX_ML_FIXTURES, 'int64_beyond_2_24_cast_float');
const MODEL = join(DIR, 'model.onnx');
const [HEADER, ...ROWS] = readFileSync(join(DIR, 'input.csv'), 'utf8').trim().split('\n');
const [, ...EXPECTED] = parseCsv(readFileSync(join(DIR, 'expected.csv'), 'utf8'));

// The fixture's rows with row `at` (0-based; file line at + 2) holding `cell` as its seconds.
function withBadCell(at, cell) {
  const rows = ROWS.map((r, i) => (i === at ? `${cell},${r.split(',')[1]}` : r));
  return `${HEADER}\n${rows.join('\n')}\n`;
}

async function errorOf(fn) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof LocalPredictError, String(e));
    return e;
  }
  assert.fail('no error');
}

describe('ONNX trees on an int64 input: cells must be integers', () => {
  let tmp;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  const clis = everyCli();
  for (const c of clis)
    for (const [cell, what] of [['1.5', 'takes int64 values, not 1.5'], ['', 'takes int64 values, and the cell is empty or missing']])
      test(`CLI (${c.name}) "${cell}": exit 3 naming line and column, no output; --on-error skip marks the row`, async () => {
        const dir = join(tmp.dir, `${c.name}-${cell || 'empty'}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'in.csv'), withBadCell(40, cell));
        const r = await c.cli(['predict', MODEL, 'in.csv', '-o', 'out.csv'], { cwd: dir });
        assert.equal(r.status, 3, r.stderr);
        assert.equal(r.stderr.toString(), `localpredict: in.csv:42: column "seconds": ONNX input "seconds" ${what}\n`);
        assert.deepEqual(readdirSync(dir), ['in.csv'], 'no output or temporary file');

        const s = await c.cli(['predict', MODEL, 'in.csv', '-o', 'out.csv', '--on-error', 'skip'], { cwd: dir });
        assert.equal(s.status, 0, s.stderr);
        const [head, ...out] = parseCsv(readFileSync(join(dir, 'out.csv'), 'utf8'));
        assert.deepEqual(head, ['0', '1', '2', 'Suggested Label', 'Error']);
        assert.equal(out.length, ROWS.length);
        out.forEach((row, i) => {
          if (i === 40) {
            assert.deepEqual(row, ['', '', '', '', `line 42: column "seconds": ONNX input "seconds" ${what}`]);
            return;
          }
          assert.equal(row[4], '', `line ${i + 2}: no error`);
          row.slice(0, 3).forEach((v, k) =>
            assert.ok(Math.abs(Number(v) - Number(EXPECTED[i][k])) <= PROBA_TOL, `line ${i + 2} class ${k}: ${v} vs ${EXPECTED[i][k]}`));
        });
      });

  test('JS API: predict and predictCsvText throw BAD_NUMBER naming the row and column', async () => {
    const model = await loadModel(readFileSync(MODEL));
    try {
      const e1 = await errorOf(() => model.predict([{ seconds: 1700000001, x: 0.5 }, { seconds: 2.5, x: 1 }]));
      const e2 = await errorOf(() => model.predictCsvText(withBadCell(1, '2.5')));
      for (const e of [e1, e2]) {
        assert.equal(e.code, 'BAD_NUMBER');
        assert.match(e.message, /ONNX input "seconds" takes int64 values, not 2\.5/);
      }
      assert.match(e1.message, /row 2/);
      assert.deepEqual([e2.where?.line, e2.where?.column], [3, 'seconds']);
      const labels = await model.predict([{ seconds: 1700000001, x: 0.5 }, { seconds: 9e15, x: 1 }]);
      assert.equal(labels.length, 2);
    } finally {
      model.dispose();
    }
  });
});
