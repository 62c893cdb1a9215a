/* limits.test.mjs — every limit a caller can raise (README "Hostile input, limits and numbers"), through the JS API
 * and the --max-* flags of both CLIs: over the limit is a LIMIT error (exit 5) whose
 * one stderr line names the limit's flag and option; the same input with the flag raised
 * to what it needs runs; a bad flag value is a usage error (exit 1) worded alike by both
 * CLIs.  The ONNX counts are those of tests/fixtures/onnx/mlp_relu_softmax (a torch MLP:
 * 6 nodes Gemm, Relu, Gemm, Relu, Gemm, Softmax, all run; largest initializer [16, 32] =
 * 512 elements, counted with onnx.load). */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import * as api from '../../wasm/node.mjs';
import { ENGINES, ROOT, NATIVE, hasNative, run, runCli, tempDir, loadCases, compareCsv, rejects } from './helpers.mjs';

const { loadModel } = api;
const mlp = loadCases().find((c) => c.name === 'onnx/mlp_relu_softmax');
const irisModel = join(ROOT, 'web', 'examples', 'iris.json');
const iris = readFileSync(join(ROOT, 'web', 'examples', 'iris.csv'), 'utf8');


for (const engine of ENGINES) {
  describe(`ONNX load limits on the ${engine.name} engine`, () => {
    const bytes = readFileSync(mlp.model);
    const limits = [
      ['tensorElements', 512, /tensor "2\.weight" has more than 511 elements.*limits\.tensorElements in JS, --max-tensor-elements/],
      ['graphNodes', 6, /the graph has 6 nodes, over the limit of 5 .*limits\.graphNodes in JS, --max-graph-nodes/],
      ['graphOps', 6, /more than 5 operators.*limits\.graphOps in JS, --max-graph-ops/],
    ];
    for (const [name, needed, message] of limits) {
      test(`limits.${name}: one under is LIMIT, at the count it loads and predicts as onnxruntime`, async () => {
        await rejects(() => loadModel(bytes, { simd: engine.simd, limits: { [name]: needed - 1 } }), 'LIMIT', message);
        const model = await loadModel(bytes, { simd: engine.simd, limits: { [name]: needed } });
        assert.deepEqual(compareCsv(mlp, await model.predictCsvText(mlp.inputText)), []);
        model.dispose();
      });
    }
    test('ONNX limits: misuse is USAGE', async () => {
      await rejects(() => loadModel(bytes, { limits: { graphOps: 0 } }), 'USAGE', /limits\.graphOps must be a positive whole number/);
      await rejects(() => loadModel(bytes, { limits: { tensorElements: 2 ** 32 } }), 'USAGE', /below 2\^32/);
    });
  });
}

/** The tiny model of tests/c/main.c with one chain tree of `depth` splits (as in cli-errors.test.mjs). */
function deepModel(depth) {
  const n = 2 * depth + 1;
  const arr = (f) => Array.from({ length: n }, (_, i) => f(i, i < depth));
  const tree = {
    base_weights: arr(() => 0), categories: [], categories_nodes: [], categories_segments: [], categories_sizes: [],
    default_left: arr(() => 0), id: 0, loss_changes: arr(() => 0), sum_hessian: arr(() => 1),
    left_children: arr((i, inner) => (inner ? depth + i : -1)),
    right_children: arr((i, inner) => (inner ? (i + 1 < depth ? i + 1 : 2 * depth) : -1)),
    parents: arr(() => 0), split_conditions: arr((i, inner) => (inner ? 0 : i)), split_indices: arr(() => 0),
    split_type: arr(() => 0),
    tree_param: { num_deleted: '0', num_feature: '1', num_nodes: String(n), size_leaf_vector: '0' },
  };
  return JSON.stringify({
    learner: {
      attributes: {}, feature_names: ['x'], feature_types: ['float'],
      gradient_booster: { model: { gbtree_model_param: { num_parallel_tree: '1', num_trees: '1' }, tree_info: [0], trees: [tree] }, name: 'gbtree' },
      learner_model_param: { base_score: '5E-1', num_class: '0', num_feature: '1', num_target: '1' },
      objective: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
    },
    version: [1, 7, 4],
  });
}

describe('the --max-* flags of both CLIs', () => {
  let tmp;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  const CLIS = [{ name: 'JS CLI', native: false }, ...(hasNative() ? [{ name: 'native CLI', native: true }] : [])];
  const runOn = (cli, args, cwd) => (cli.native ? run(NATIVE, args, { cwd }) : runCli(args, { cwd }));

  const irisLines = iris.trimEnd().split('\n');
  const longField = [irisLines[0], `${'9'.repeat((1 << 20) + 1)}${irisLines[1].slice(irisLines[1].indexOf(','))}`, irisLines[2]].join('\n');
  const extra = 100001 - irisLines[0].split(',').length;   // fields past the 5 iris columns
  const wide = [
    irisLines[0] + Array.from({ length: extra }, (_, i) => `,e${i}`).join(''),
    ...irisLines.slice(1, 3).map((l) => l + ','.repeat(extra)),
  ].join('\n');
  const irisBytes = statSync(irisModel).size;
  const irisNodes = JSON.parse(readFileSync(irisModel, 'utf8')).learner.gradient_booster.model.trees
    .reduce((n, t) => n + Number(t.tree_param.num_nodes), 0);

  // Each: the model and input, the flag, a value that fails (null: the default does),
  // the value the input needs, and the error line.
  const CASES = [
    { flag: '--max-model-bytes', model: irisModel, input: iris, under: irisBytes - 1, needed: irisBytes, rows: irisLines.length - 1,
      line: new RegExp(`^localpredict: model\\.json: the model file is ${irisBytes} bytes, over the limit of ${irisBytes - 1} bytes .*--max-model-bytes\\)$`) },
    { flag: '--max-tree-nodes', model: irisModel, input: iris, under: irisNodes - 1, needed: irisNodes, rows: irisLines.length - 1,
      line: new RegExp(`^localpredict: model\\.json: the model has ${irisNodes} tree nodes, over the limit of ${irisNodes - 1} .*--max-tree-nodes\\)$`) },
    { flag: '--max-tree-depth', model: 'deep', input: 'x\n1\n', under: null, needed: 65, rows: 1,
      line: /^localpredict: model\.json: tree 0 is 65 levels deep, over the limit of 64 .*--max-tree-depth\)$/ },
    { flag: '--max-tensor-elements', model: mlp.model, input: mlp.inputText, under: 511, needed: 512, rows: mlp.rows.length,
      line: /^localpredict: model\.json: ONNX initializer \d+: tensor "2\.weight" has more than 511 elements, .*--max-tensor-elements\)$/ },
    { flag: '--max-graph-nodes', model: mlp.model, input: mlp.inputText, under: 5, needed: 6, rows: mlp.rows.length,
      line: /^localpredict: model\.json: ONNX graph: the graph has 6 nodes, over the limit of 5 .*--max-graph-nodes\)$/ },
    { flag: '--max-graph-ops', model: mlp.model, input: mlp.inputText, under: 5, needed: 6, rows: mlp.rows.length,
      line: /^localpredict: model\.json: the ONNX graph runs more than 5 operators, .*--max-graph-ops\)$/ },
    { flag: '--max-field-bytes', model: irisModel, input: longField, under: null, needed: (1 << 20) + 1, rows: 2,
      line: /^localpredict: new\.csv:2: column "id": a field is longer than 1048576 bytes, .*--max-field-bytes, raises it\)$/ },
    { flag: '--max-columns', model: irisModel, input: wide, under: null, needed: 100001, rows: 2,
      line: /^localpredict: new\.csv:1: column 100001: a record has more than 100000 fields, .*--max-columns, raises it\)$/ },
  ];

  for (const cli of CLIS) {
    for (const c of CASES) {
      test(`${c.flag}: over the limit exits 5 naming the flag; raised, the same input runs (${cli.name})`, async () => {
        const dir = join(tmp.dir, `case-${Math.random().toString(36).slice(2)}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'model.json'), c.model === 'deep' ? deepModel(65) : readFileSync(c.model));
        writeFileSync(join(dir, 'new.csv'), c.input);
        const before = readdirSync(dir).sort();
        const args = ['predict', 'model.json', 'new.csv', '-o', 'out.csv'];
        const r = await runOn(cli, c.under === null ? args : [...args, c.flag, String(c.under)], dir);
        assert.equal(r.status, 5, `exit ${r.status}, stderr: ${r.stderr}`);
        assert.match(r.stderr, /^localpredict: [^\n]+\n$/, `one stderr line: ${JSON.stringify(r.stderr)}`);
        assert.match(r.stderr.trimEnd(), c.line);
        assert.deepEqual(readdirSync(dir).sort(), before, 'no output or temporary file left behind');

        const ok = await runOn(cli, [...args, c.flag, String(c.needed)], dir);
        assert.equal(ok.status, 0, ok.stderr);
        const out = readFileSync(join(dir, 'out.csv'), 'utf8').trimEnd().split('\n');
        assert.equal(out.length, 1 + c.rows, 'a header and one line per row');
      });
    }

    test(`bad --max-* values are usage errors (${cli.name})`, async () => {
      for (const [flag, value, range] of [['--max-tree-depth', '256', '1 to 255'], ['--max-columns', '0', '1 to 4294967295'],
        ['--max-field-bytes', '1e6', '1 to 4294967295'], ['--max-tree-nodes', '2147483648', '1 to 2147483647'],
        ['--max-graph-ops', '99999999999999999999999', '1 to 4294967295']]) {
        const r = await runOn(cli, ['predict', irisModel, '-', flag, value], ROOT);
        assert.equal(r.status, 1, r.stderr);
        assert.equal(r.stderr, `localpredict: ${flag} must be a whole number from ${range}, got "${value}"\n`);
      }
    });
  }

  test('--help of both CLIs lists every --max-* flag', async () => {
    for (const cli of CLIS) {
      const help = (await runOn(cli, ['--help'], ROOT)).stdout.toString();
      for (const c of CASES) assert.match(help, new RegExp(`${c.flag} N`), `${cli.name}: ${c.flag}`);
    }
  });
});
