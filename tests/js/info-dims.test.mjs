/* info-dims.test.mjs — `localpredict info` shows the symbolic input dimensions bound at load
 * (a text model's preprocess.max_length, a manifest's "dims"; src/formats/onnx_dims.c): one
 * `dims` line, the same bytes from the native CLI and the JS CLI on both engines, and
 * `info.dims` in the JS API / `info --json`.  A model with no bound dimension has none. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import { ROOT, ENGINES, NATIVE, hasNative, run, runCli } from './helpers.mjs';

const DYN = join(ROOT, 'tests', 'fixtures', 'text_dynamic');
const seq = (input) => ({ name: 'sequence', input, axis: 1, size: 32, source: 'preprocess.max_length' });
const CASES = [
  { model: join(DYN, 'bert_tiny_seq', 'model.onnx'),
    dims: [seq('input_ids'), seq('attention_mask'), seq('token_type_ids')],
    line: 'dims       input_ids dimension 1 ("sequence") = 32 (preprocess.max_length), attention_mask dimension 1 ' +
      '("sequence") = 32 (preprocess.max_length), token_type_ids dimension 1 ("sequence") = 32 (preprocess.max_length)' },
  { model: join(DYN, 'mlp_dims', 'model.onnx'),
    dims: [{ name: 'features', input: null, axis: null, size: 4, source: 'dims' }],
    line: 'dims       "features" = 4 (dims)' },
  { model: join(ROOT, 'tests', 'fixtures', 'tfidf', 'tfidf_bigrams_multiclass', 'model.onnx'), dims: [], line: null },
];

for (const c of CASES) {
  const name = c.model.split('/').slice(-2, -1)[0];
  test(`info (${name}): the bound dimensions, the same in every CLI and in info.dims`, async () => {
    const outs = [];
    for (const { name: engine } of ENGINES) {
      const r = await runCli(['info', c.model], { engine });
      assert.equal(r.status, 0, r.stderr.toString());
      outs.push(r.stdout.toString());
      const j = await runCli(['info', c.model, '--json'], { engine });
      assert.deepEqual(JSON.parse(j.stdout.toString()).dims, c.dims);
    }
    if (hasNative()) {
      const r = await run(NATIVE, ['info', c.model]);
      assert.equal(r.status, 0, r.stderr.toString());
      outs.push(r.stdout.toString());
      const j = await run(NATIVE, ['info', c.model, '--json']);
      assert.deepEqual(JSON.parse(j.stdout.toString()).dims, c.dims);
    }
    for (const o of outs) assert.equal(o, outs[0]);
    const lines = outs[0].split('\n').filter((l) => l.startsWith('dims'));
    assert.deepEqual(lines, c.line ? [c.line] : []);
    if (c.line) assert.match(outs[0], /\nfeatures   [^\n]*\ndims       /);   // after the features line
    const model = await loadModel(readFileSync(c.model), { manifest: manifestOf(c.model) });
    try {
      assert.deepEqual(model.info.dims, c.dims);
    } finally {
      model.dispose();
    }
  });
}

function manifestOf(model) {
  try {
    return readFileSync(model.replace(/model\.onnx$/, 'model.localpredict.json'), 'utf8');
  } catch {
    return undefined;
  }
}
