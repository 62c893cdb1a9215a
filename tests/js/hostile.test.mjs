/* hostile.test.mjs — the JS API under failure: a WebAssembly trap (from memory the test
 * corrupts on purpose, as an engine bug would) is reported as LocalPredictError INTERNAL,
 * never hangs a stream, and the next loadModel() runs on a fresh engine instance; a failed
 * memory growth is OUT_OF_MEMORY, not an abort; the load limits; non-CSV input. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import * as api from '../../wasm/node.mjs';
import { getEngine } from '../../wasm/engine.mjs';
import { ENGINES, loadCases, compareCsv, rejects } from './helpers.mjs';

const { loadModel } = api;
const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const binary = cases.binary;


/**
 * The 16 bytes of tree 0's root node as the engine stores it (src/kernels/kernels.h:
 * float32 threshold, uint32 feature | flags, int32 left, int32 right), from the model JSON.
 */
function rootNodeBytes(modelPath) {
  // XGBoost writes bare NaN (a categorical node's split condition): not JSON.
  const json = JSON.parse(readFileSync(modelPath, 'utf8').replace(/\bNaN\b/g, 'null'));
  const t = json.learner.gradient_booster.model.trees[0];
  const b = new DataView(new ArrayBuffer(16));
  // A categorical root holds its category set's index (the model's first: 0)
  // and the categorical flag (kernels.h).
  const categorical = t.split_type && t.split_type[0] === 1;
  if (categorical) b.setUint32(0, 0, true);
  else b.setFloat32(0, t.split_conditions[0], true);
  b.setUint32(4, (t.split_indices[0] | (categorical ? 0x40000000 : 0) | (t.default_left[0] ? 0x80000000 : 0)) >>> 0, true);
  b.setInt32(8, t.left_children[0], true);
  b.setInt32(12, t.right_children[0], true);
  return new Uint8Array(b.buffer);
}

/** Offsets of every copy of `pattern` in the engine's memory. */
function findAll(memory, pattern) {
  const u = new Uint8Array(memory.buffer);
  const hits = [];
  for (let i = u.indexOf(pattern[0]); i >= 0 && i + pattern.length <= u.length; i = u.indexOf(pattern[0], i + 1)) {
    let k = 1;
    while (k < pattern.length && u[i + k] === pattern[k]) k++;
    if (k === pattern.length) hits.push(i);
  }
  return hits;
}

for (const engine of ENGINES) {
  describe(`hostile input on the ${engine.name} engine`, () => {
    test('a trap is INTERNAL, the stream does not hang, and a new engine takes over', { timeout: 60000 }, async () => {
      // The categorical model: its categorical trees are walked node by node
      // (the packed kernel keeps the node walk for them), so corrupting a node
      // reaches the prediction.
      const binary = cases.categorical;
      const model = await loadModel(readFileSync(binary.model), { simd: engine.simd });
      const before = await getEngine(engine.simd);
      // Corrupt the root of tree 0: children 2^27 nodes away, i.e. 2 GiB past the node
      // array, beyond the instance's memory: the next prediction reads out of bounds.
      const hits = findAll(before.x.memory, rootNodeBytes(binary.model));
      assert.ok(hits.length >= 1, 'the root node was not found in the engine memory');
      const view = new DataView(before.x.memory.buffer);
      for (const at of hits) {
        view.setInt32(at + 8, 0x08000000, true);
        view.setInt32(at + 12, 0x08000000, true);
      }
      // The streaming API errors its stream (no hang) ...
      const err = await rejects(() => model.predictCsvText(binary.inputText), 'INTERNAL', /WebAssembly trap/);
      assert.ok(err.cause instanceof WebAssembly.RuntimeError, 'the trap is the cause');
      // ... and every later call on the retired instance says the same, without running it.
      await rejects(() => model.predict([binary.rows[0].map(Number)]), 'INTERNAL', /load the model again/);
      // The next load gets a fresh instance, which predicts xgboost's values.
      const again = await loadModel(readFileSync(binary.model), { simd: engine.simd });
      const after = await getEngine(engine.simd);
      assert.notEqual(after, before, 'the trapped instance was not replaced');
      assert.deepEqual(compareCsv(binary, await again.predictCsvText(binary.inputText)), []);
      again.dispose();
    });

    test('an allocation beyond the 4 GiB memory is OUT_OF_MEMORY, and the engine goes on', async () => {
      const model = await loadModel(readFileSync(binary.model), { simd: engine.simd });
      const e = await getEngine(engine.simd);
      const pagesBefore = e.x.memory.buffer.byteLength;
      // A failed memory growth: malloc returns NULL (-sABORTING_MALLOC=0), no trap, no abort.
      await rejects(() => e.alloc(0xFFFF0000), 'OUT_OF_MEMORY', /could not allocate 4294901760 bytes/);
      await rejects(() => e.alloc(0x7FFFFFFF + 0x7FFFFFFF), 'OUT_OF_MEMORY');
      assert.ok(e.x.memory.buffer.byteLength - pagesBefore < 1 << 30, 'memory did not balloon');
      assert.deepEqual(compareCsv(binary, await model.predictCsvText(binary.inputText)), []);
      model.dispose();
    });

    test('load limits: defaults, lowered and raised, and misuse', async () => {
      const bytes = readFileSync(binary.model);
      await rejects(() => loadModel(bytes, { simd: engine.simd, limits: { modelBytes: bytes.length - 1 } }), 'LIMIT',
        /over the limit of \d+ bytes/);
      const nodes = (await loadModel(bytes, { simd: engine.simd })).info.nodes;
      await rejects(() => loadModel(bytes, { simd: engine.simd, limits: { nodes: nodes - 1 } }), 'LIMIT',
        new RegExp(`${nodes} tree nodes, over the limit of ${nodes - 1}`));
      const depth = (await loadModel(bytes, { simd: engine.simd })).info.maxDepth;
      const e = await rejects(() => loadModel(bytes, { simd: engine.simd, limits: { treeDepth: depth - 1 } }),
        'LIMIT', /levels deep, over the limit/);
      assert.equal(typeof e.where.tree, 'number');
      const m = await loadModel(bytes, { simd: engine.simd, limits: { modelBytes: bytes.length, nodes, treeDepth: 255 } });
      m.dispose();
      await rejects(() => loadModel(bytes, { limits: { treeDepth: 256 } }), 'USAGE', /at most 255/);
      await rejects(() => loadModel(bytes, { limits: { treeDepth: -1 } }), 'USAGE', /positive whole number/);
      await rejects(() => loadModel(bytes, { limits: { rows: 5 } }), 'USAGE', /unknown option "rows"/);
    });

    test('files that are not a CSV: what they are, and how to convert', async () => {
      const model = await loadModel(readFileSync(binary.model), { simd: engine.simd });
      const utf16 = Buffer.concat([Buffer.from([0xFF, 0xFE]), Buffer.from(binary.inputText, 'utf16le')]);
      // (read since issue 9; named as UTF-8 it is refused, saying what it is)
      await rejects(() => model.predictCsvText(utf16, { encoding: 'utf-8' }), 'BAD_CSV', /UTF-16LE text .*iconv -f UTF-16LE -t UTF-8/);
      const xlsx = Buffer.from('PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00', 'latin1');
      await rejects(() => model.predictCsvText(xlsx), 'BAD_CSV', /ZIP archive \(an Excel \.xlsx/);
      model.dispose();
    });
  });
}
