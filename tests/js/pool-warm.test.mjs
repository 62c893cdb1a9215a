/* pool-warm.test.mjs — loadModel(…, { jobs }) starts predictCsv's workers while the
 * model loads and hands them the model as soon as it is loaded.  The warmed pool must
 * be the one the first run uses (no second start), give exactly the bytes of one job
 * (checked against xgboost's expected probabilities), name errors as one job does, and
 * leave no worker running after a failed load or a dispose. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel } from '../../wasm/node.mjs';
import { poolStats } from '../../wasm/pool.mjs';
import { loadCases, compareCsv, withTuning, errorOf } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const tiny = { minBytes: 0, sliceBytes: 300 };
const live = () => poolStats.workersStarted - poolStats.workersStopped;

/** Until fn() holds or about 5 s have passed (a terminated worker's pool settles later). */
async function eventually(fn) {
  for (let i = 0; i < 500 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  return fn();
}

describe('workers started by loadModel (jobs)', () => {
  test('the first run takes the warmed workers and writes the bytes of one job', async () => {
    const c = cases.multiclass;
    const liveBefore = live();
    const started = poolStats.workersStarted;
    const model = await loadModel(readFileSync(c.model), { jobs: 2 });
    try {
      assert.equal(poolStats.workersStarted - started, 2, 'loadModel did not start 2 workers');
      const one = await model.predictCsvText(c.inputText, { jobs: 1 });
      assert.deepEqual(compareCsv(c, one), []);
      const two = await withTuning(tiny, () => model.predictCsvText(c.inputText, { jobs: 2 }));
      assert.equal(two, one, 'jobs 2 on the warmed workers differs from one job');
      assert.equal(poolStats.workersStarted - started, 2, 'the run started workers of its own');
      // A later slice's error: the same record, line and column as one job.
      const lines = c.inputText.split('\n');
      lines[lines.length - 3] = lines[lines.length - 3].replace(/,[^,]*/, ',oops');
      const bad = lines.join('\n');
      const e1 = await errorOf(model.predictCsvText(bad, { jobs: 1, source: 'bad.csv' }));
      const e2 = await errorOf(withTuning(tiny, () => model.predictCsvText(bad, { jobs: 2, source: 'bad.csv' })));
      assert.equal(e1.code, 'BAD_NUMBER');
      assert.deepEqual(e2, e1);
    } finally {
      model.dispose();
    }
    assert.ok(await eventually(() => live() === liveBefore), `${live() - liveBefore} workers left running`);
  });

  test('dispose right after loadModel stops the workers still loading the model', async () => {
    const c = cases.binary;
    const liveBefore = live();
    const model = await loadModel(readFileSync(c.model), { jobs: 3 });
    model.dispose();
    assert.ok(await eventually(() => live() === liveBefore), `${live() - liveBefore} workers left running`);
  });

  test('a model that fails to load: the error of a load without jobs, and no worker left', async () => {
    const c = cases.multiclass;
    const broken = readFileSync(c.model).subarray(0, 500);
    const plain = await errorOf(loadModel(broken, { source: 'broken.json' }));
    const liveBefore = live();
    const started = poolStats.workersStarted;
    const warmed = await errorOf(loadModel(broken, { source: 'broken.json', jobs: 2 }));
    assert.deepEqual(warmed, plain);
    assert.equal(poolStats.workersStarted - started, 2, 'no workers were started ahead');
    assert.equal(live(), liveBefore, `${live() - liveBefore} workers left running`);
  });

  test('jobs is checked; jobs 1 starts no worker', async () => {
    const bytes = readFileSync(cases.multiclass.model);
    for (const jobs of [0, -1, 1.5, '2', 2000]) {
      const e = await errorOf(loadModel(bytes, { jobs }));
      assert.equal(e.code, 'USAGE');
      assert.match(e.message, /loadModel: jobs must be a whole number/);
    }
    const started = poolStats.workersStarted;
    const model = await loadModel(bytes, { jobs: 1 });
    model.dispose();
    assert.equal(poolStats.workersStarted, started);
  });
});
