/* run-errors-skip.test.mjs — `--on-error skip` / `onError: 'skip'` and rows the model fails at
 * run time (lp__run_fail): a computed Gather index out of range, a code a zeros=0
 * OneHotEncoder does not list.  Such a row keeps its place with empty probabilities and its
 * message in the Error column, as a row that cannot be read does; every other row is scored
 * as onnxruntime-node scores it alone (tests/fixtures/run_errors, gen_run_errors.py +
 * expect_run_errors.mjs), in both CLIs, both engines, the JS API and the worker pool.
 * Without skip the run fails as before (graph-run-errors.test.mjs). */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel, setEngine } from '../../wasm/node.mjs';
import { ENGINES, ROOT, everyCli, parseCsv, tempDir, withTuning } from './helpers.mjs';

const DIR = join(ROOT, 'tests', 'fixtures', 'run_errors');
const CASES = ['gather', 'onehot'];
const TOL = 1e-6;

function fixture(name) {
  const [head, ...rows] = parseCsv(readFileSync(join(DIR, name, 'expected.csv'), 'utf8'));
  const k = head.length - 2;   // line, classes..., ort_error
  return {
    model: join(DIR, name, 'model.onnx'),
    input: readFileSync(join(DIR, name, 'input.csv'), 'utf8'),
    k,
    rows: rows.map((r) => ({ line: Number(r[0]), proba: r[k + 1] ? null : r.slice(1, k + 1).map(Number) })),
  };
}

/** Our output (header + one record per input row, in order) against onnxruntime's rows. */
function compareSkipped(fx, out, firstLine = 2) {
  const [head, ...rows] = parseCsv(out);
  assert.deepEqual(head, [...Array.from({ length: fx.k }, (_, i) => String(i)), 'Suggested Label', 'Error']);
  assert.equal(rows.length, fx.rows.length);
  let scored = 0;
  rows.forEach((r, i) => {
    const want = fx.rows[i];
    if (!want.proba) {
      assert.deepEqual(r.slice(0, fx.k + 1), Array(fx.k + 1).fill(''), `line ${want.line}: no probabilities`);
      assert.match(r[fx.k + 1], new RegExp(`^line ${want.line - 2 + firstLine}: ONNX node .*\\((Gather|OneHotEncoder)\\)`));
      return;
    }
    scored++;
    assert.equal(r[fx.k + 1], '', `line ${want.line}: no error`);
    const got = r.slice(0, fx.k).map(Number);
    got.forEach((v, c) => assert.ok(Math.abs(v - want.proba[c]) <= TOL, `line ${want.line} class ${c}: ${v} vs ${want.proba[c]}`));
    const best = want.proba.indexOf(Math.max(...want.proba));
    assert.equal(r[fx.k], String(best), `line ${want.line}: suggested label`);
  });
  assert.ok(scored > 0 && scored < rows.length);
  return fx.rows.filter((r) => !r.proba).map((r) => r.line - 2 + firstLine);
}

describe('on-error skip: rows the graph fails at run time are skipped in place', () => {
  let tmp;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  const clis = everyCli();
  for (const name of CASES)
    for (const c of clis)
      test(`CLI (${c.name}) ${name}: good rows as onnxruntime, failed rows in the Error column; default mode exit 3`, async () => {
        const fx = fixture(name);
        const dir = join(tmp.dir, `${name}-${c.name}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'in.csv'), fx.input);
        const r = await c.cli(['predict', fx.model, 'in.csv', '-o', 'out.csv', '--on-error', 'skip'], { cwd: dir });
        assert.equal(r.status, 0, r.stderr);
        const lines = compareSkipped(fx, readFileSync(join(dir, 'out.csv'), 'utf8'));
        const n = lines.length;
        assert.equal(r.stderr.toString(), `localpredict: in.csv: ${n} rows were left without ` +
          `predictions (the Error column says why): lines ${lines.slice(0, 10).join(', ')}, ...\n`);
        const fail = await c.cli(['predict', fx.model, 'in.csv', '-o', 'fail.csv'], { cwd: dir });
        assert.equal(fail.status, 3, fail.stderr);
        assert.match(fail.stderr.toString(), new RegExp(`^localpredict: in\\.csv:${lines[0]}: ONNX node`));
        assert.deepEqual(readdirSync(dir).sort(), ['in.csv', 'out.csv'], 'no partial output');
      });

  for (const engine of ENGINES)
    test(`JS API (${engine.name}): predictCsvText with onError 'skip', one job and the pool`, async () => {
      setEngine({ simd: engine.simd });
      try {
        for (const name of CASES) {
          const fx = fixture(name);
          const model = await loadModel(readFileSync(fx.model));
          try {
            let last;
            const one = await model.predictCsvText(fx.input, { onError: 'skip', jobs: 1, onProgress: (p) => { last = p; } });
            const lines = compareSkipped(fx, one);
            assert.equal(last.skipped, lines.length);
            assert.deepEqual(last.skippedLines, lines.slice(0, 10));
            const many = await withTuning({ minBytes: 0, sliceBytes: 997 },
              () => model.predictCsvText(fx.input, { onError: 'skip', jobs: 2, onProgress: (p) => { last = p; } }));
            assert.equal(many, one);
            assert.equal(last.skipped, lines.length);
            assert.deepEqual(last.skippedLines, lines.slice(0, 10));
            await assert.rejects(model.predictCsvText(fx.input), (e) => e.where?.line === lines[0]);
          } finally {
            model.dispose();
          }
        }
      } finally {
        setEngine({});
      }
    });

  // The native CLI's threads (src/cli/parallel.c) slice files of 8 MB and more; 700 copies of
  // the rows make one.  (The JS CLI's pool is parallel-csv.mjs, run above by predictCsvText.)
  const bigClis = clis.filter((c) => c.name === 'native');
  for (const c of bigClis)
    test(`CLI (${c.name}) --jobs 2 on 8.6 MB: the same bytes as --jobs 1, the file's lines`, async () => {
      const fx = fixture('gather');
      const dir = join(tmp.dir, `big-${c.name}`);
      mkdirSync(dir);
      const [head, ...body] = fx.input.trimEnd().split('\n');
      const copies = 700;
      writeFileSync(join(dir, 'in.csv'), `${head}\n${Array(copies).fill(body.join('\n')).join('\n')}\n`);
      const one = await c.cli(['predict', fx.model, 'in.csv', '-o', 'one.csv', '--on-error', 'skip', '--jobs', '1'], { cwd: dir });
      assert.equal(one.status, 0, one.stderr);
      const two = await c.cli(['predict', fx.model, 'in.csv', '-o', 'two.csv', '--on-error', 'skip', '--jobs', '2'], { cwd: dir });
      assert.equal(two.status, 0, two.stderr);
      assert.equal(two.stderr.toString(), one.stderr.toString());
      const a = readFileSync(join(dir, 'one.csv'));
      assert.ok(a.equals(readFileSync(join(dir, 'two.csv'))), 'same bytes');
      const bad = fx.rows.filter((r) => !r.proba).length;
      assert.match(one.stderr.toString(), new RegExp(`: ${bad * copies} rows were left without predictions `));
      // the last copy's rows carry the file's own lines
      const text = a.toString('utf8');
      let at = text.length - 1;
      for (let i = 0; i < body.length; i++) at = text.lastIndexOf('\n', at - 1);
      compareSkipped(fx, text.slice(0, text.indexOf('\n') + 1) + text.slice(at + 1), 2 + (copies - 1) * body.length);
    });
});
