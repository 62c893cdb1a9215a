/* graph-run-errors.test.mjs — an ONNX operator that meets data it cannot compute fails
 * the run (it gave zeros before): a Gather index computed from a row outside the table.
 * (and a zeros=0 OneHotEncoder meeting a code it does not list).
 * The model (tests/fixtures/text_model/gather_small, gen_text_gather.py): tokens int64
 * [N, 4] from the CSV's four columns → Gather(table [10, 3]) → ReduceMean → Softmax.
 * The CLI exits 3 with one line naming the file's line and the node, and writes no output
 * file; the JS API throws BAD_NUMBER with where.line; the worker pool reports the same
 * error as one job. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel, LocalPredictError, setEngine } from '../../wasm/node.mjs';
import { ENGINES, ROOT, everyCli, tempDir, withTuning } from './helpers.mjs';

const MODEL = join(ROOT, 'tests', 'fixtures', 'text_model', 'gather_small', 'model.onnx');
const good = 't0,t1,t2,t3\n0,1,2,3\n9,-1,-10,4\n';
// 400 good rows, then a bad id on file line 402, then more good rows: the pool's later slices.
const bad = (id) => `t0,t1,t2,t3\n${'1,2,3,4\n'.repeat(400)}5,6,${id},7\n${'4,3,2,1\n'.repeat(400)}`;

async function errorOf(fn) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof LocalPredictError, String(e));
    return { code: e.code, message: e.message, line: e.where?.line };
  }
  assert.fail('no error');
}

describe('ONNX run-time errors: a computed Gather index out of range', () => {
  let tmp;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  const engines = everyCli();
  for (const engine of engines)
    for (const jobs of [1, 2])
      test(`CLI (${engine.name}, --jobs ${jobs}): exit 3, the line and the node, no output file`, async () => {
        const dir = join(tmp.dir, `${engine.name}-${jobs}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'in.csv'), bad(12));
        const r = await engine.cli(['predict', MODEL, 'in.csv', '-o', 'out.csv', '--jobs', String(jobs)], { cwd: dir });
        assert.equal(r.status, 3, r.stderr);
        assert.match(r.stderr, /^localpredict: in\.csv:402: ONNX node computing "emb" \(Gather\): index 12, computed from the row, is outside dimension 0's 10 values\n$/);
        assert.deepEqual(readdirSync(dir), ['in.csv'], 'no output or temporary file');
        writeFileSync(join(dir, 'ok.csv'), good);
        const ok = await engine.cli(['predict', MODEL, 'ok.csv'], { cwd: dir });
        assert.equal(ok.status, 0, ok.stderr);
        assert.equal(ok.stdout.toString().trim().split('\n').length, 3);
      });

  for (const engine of engines)
    test(`CLI (${engine.name}): a zeros=0 OneHotEncoder refuses an int64 code it does not list`, async () => {
      const dir = join(tmp.dir, `onehot-${engine.name}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'in.csv'), 'code,x\n1,0.5\n5,1\n3,0.25\n');
      const model = join(ROOT, 'tests', 'fixtures', 'onnx_ml', 'onehot_int64_strict', 'model.onnx');
      const r = await engine.cli(['predict', model, 'in.csv', '-o', 'out.csv'], { cwd: dir });
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /^localpredict: in\.csv:4: ONNX node "onehot" \(OneHotEncoder\): 3 is not among its categories/);
      assert.deepEqual(readdirSync(dir), ['in.csv'], 'no output or temporary file');
    });

  for (const engine of ENGINES)
    test(`JS API (${engine.name}): predict and predictCsv throw BAD_NUMBER naming the row; the pool agrees`, async () => {
      setEngine({ simd: engine.simd });
      const model = await loadModel(readFileSync(MODEL));
      try {
        const rows = [[0, 1, 2, 3], [1, 2, -11, 3]];
        const e = await errorOf(() => model.predict(rows));
        assert.equal(e.code, 'BAD_NUMBER');
        assert.match(e.message, /\(Gather\): index -11, computed from the row, is outside dimension 0's 10 values/);
        assert.match(e.message, /row 2/);
        const one = await errorOf(() => model.predictCsvText(bad(-11), { jobs: 1 }));
        assert.equal(one.code, 'BAD_NUMBER');
        assert.equal(one.line, 402);
        const many = await withTuning({ minBytes: 0, sliceBytes: 997 },
          () => errorOf(() => model.predictCsvText(bad(-11), { jobs: 2 })));
        assert.deepEqual(many, one);
        const labels = await model.predict([[0, 1, 2, 3], [9, -1, -10, 4]]);
        assert.equal(labels.length, 2);
      } finally {
        model.dispose();
        setEngine({});
      }
    });
});
