/* pool-eval.test.mjs — the worker pool works in a script run by
 * `node --input-type=module -e`: workers inherit the parent's Node options,
 * and --input-type made them refuse their module file, so every run fell
 * back to the calling thread without a word. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const url = (p) => JSON.stringify(pathToFileURL(join(ROOT, p)).href);
const path = (p) => JSON.stringify(join(ROOT, p));

test('predictCsv with jobs: 2 uses workers under --input-type=module -e', () => {
  const script = `
    import { readFileSync } from 'node:fs';
    import { loadModel } from ${url('wasm/node.mjs')};
    import { poolStats } from ${url('wasm/pool.mjs')};
    import { poolTuning } from ${url('wasm/parallel-csv.mjs')};
    Object.assign(poolTuning, { minBytes: 0, sliceBytes: 4096 });
    const csv = readFileSync(${path('web/examples/iris.csv')}, 'utf8');
    const [header, ...rows] = csv.trimEnd().split('\\n');
    const input = [header, ...Array(200).fill(rows).flat()].join('\\n') + '\\n';
    const model = await loadModel(readFileSync(${path('web/examples/iris.json')}),
      { manifest: JSON.parse(readFileSync(${path('web/examples/iris.localpredict.json')}, 'utf8')) });
    const one = await model.predictCsvText(input, { jobs: 1 });
    const two = await model.predictCsvText(input, { jobs: 2 });
    console.log(JSON.stringify({ same: one === two, rows: one.split('\\n').length, slices: poolStats.sliceBuffers }));
    model.dispose();`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop());
  assert.equal(r.same, true, "the pool's output equals one job's");
  assert.ok(r.rows > 6000, `${r.rows} output lines`);
  assert.ok(r.slices > 0, 'slices went to workers');
});
