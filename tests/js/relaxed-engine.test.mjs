/* relaxed-engine.test.mjs — the SIMD variant's relaxed-SIMD build
 * (wasm/build/localpredict-relaxed.wasm): chosen where the runtime validates
 * relaxed SIMD, it writes every fixture's output as the plain SIMD build does
 * (which the other suites check against the reference libraries), and
 * setEngine({ relaxed }) picks or refuses it.  Node 20 and 21 have relaxed SIMD
 * behind --experimental-wasm-relaxed-simd: "auto" leaves the flag alone and
 * takes the plain SIMD build, setEngine({ relaxed: true }) (and the CLI) turns
 * it on (load-node.mjs, enableRelaxedSimd); from Node 22 it is on. */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel, setEngine, simdSupported } from '../../wasm/node.mjs';
import { getEngine } from '../../wasm/engine.mjs';
import { relaxedSimdSupported } from '../../wasm/detect.mjs';
import { enableRelaxedSimd } from '../../wasm/load-node.mjs';
import { ROOT, loadCases, streamBytes, rng, runCli } from './helpers.mjs';

const relaxedAtStart = relaxedSimdSupported();
// Node 20's V8 takes the final opcodes under the flag; Node 18's knew only the prototype ones.
const nodeMajor = Number(process.versions.node.split('.')[0]);
const reachable = relaxedAtStart || nodeMajor >= 20;
const skipWithout = !reachable && 'no relaxed SIMD';
const WASM = (name) => readFileSync(join(ROOT, 'wasm', 'build', name));

describe('relaxed SIMD engine', { skip: !simdSupported() && 'no SIMD' }, () => {
  after(() => setEngine({ relaxed: 'auto', wasm: null }));

  test('auto picks the relaxed build exactly where relaxed SIMD validates', async () => {
    setEngine({ relaxed: 'auto' });
    const engine = await getEngine(true);
    assert.equal(engine.variant, 'simd');
    assert.equal(engine.build, relaxedAtStart ? 'relaxed' : 'simd');
    assert.equal(relaxedSimdSupported(), relaxedAtStart, '"auto" changes no runtime flag');
    setEngine({ relaxed: false });
    assert.equal((await getEngine(true)).build, 'simd');
    assert.equal((await getEngine(false)).build, 'scalar');
    assert.throws(() => setEngine({ relaxed: 1 }), (e) => e.code === 'USAGE');
    setEngine({ relaxed: 'auto' });
  });

  test('{ relaxed: true } turns on the relaxed SIMD Node 20 keeps behind a flag, or is refused', async () => {
    setEngine({ relaxed: true });
    if (reachable) {
      assert.equal((await getEngine(true)).build, 'relaxed');
      assert.ok(relaxedSimdSupported());
      setEngine({ relaxed: 'auto' });
      assert.equal((await getEngine(true)).build, 'relaxed', '"auto" takes it from then on');
    } else {
      await assert.rejects(async () => getEngine(true), (e) => e.code === 'UNSUPPORTED');
    }
    setEngine({ relaxed: 'auto' });
  });

  test('a function engine source is not asked for the relaxed build; an object one is', { skip: skipWithout }, async () => {
    assert.ok(enableRelaxedSimd());
    const asked = [];
    setEngine({ wasm: (variant) => { asked.push(variant); return WASM(variant === 'simd' ? 'localpredict.wasm' : 'localpredict-scalar.wasm'); } });
    assert.equal((await getEngine(true)).build, 'simd');
    assert.deepEqual(asked, ['simd']);
    setEngine({ wasm: { simd: WASM('localpredict.wasm'), relaxed: WASM('localpredict-relaxed.wasm') } });
    assert.equal((await getEngine(true)).build, 'relaxed');
    // A relaxed engine that does not compile: the plain SIMD one, under "auto" only.
    const broken = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0xff]);
    setEngine({ wasm: { simd: WASM('localpredict.wasm'), relaxed: broken } });
    const engine = await getEngine(true);
    assert.equal(engine.build, 'simd');
    assert.equal(await getEngine(true), engine);
    setEngine({ relaxed: true, wasm: { simd: WASM('localpredict.wasm'), relaxed: broken } });
    await assert.rejects(async () => getEngine(true), WebAssembly.CompileError);
    setEngine({ relaxed: 'auto', wasm: null });
  });

  test('relaxed and plain SIMD builds write the same bytes on every fixture', { skip: skipWithout }, async () => {
    assert.ok(enableRelaxedSimd());
    for (const c of loadCases()) {
      const outs = [];
      for (const r of [true, false]) {
        setEngine({ relaxed: r });
        const model = await loadModel(readFileSync(c.model), { simd: true, manifest: c.manifest ? readFileSync(c.manifest) : undefined });
        assert.equal(model.engine, 'simd');
        outs.push(await streamBytes(model.predictCsv(c.inputText, { includeInput: true })));
        model.dispose();
      }
      assert.ok(outs[0].equals(outs[1]), c.name);
    }
    setEngine({ relaxed: 'auto' });
  });

  test('... and the same probabilities for random rows at batch sizes 1 to 4096', { skip: skipWithout }, async () => {
    assert.ok(enableRelaxedSimd());
    // Every XGBoost and LightGBM model without categories or a manifest: the packed
    // kernel's vector, gathered and few-rows walks.
    const next = rng(6);
    let checked = 0;
    for (const c of loadCases()) {
      if (c.manifest || !/fixtures\/(xgboost|lightgbm)\//.test(c.model)) continue;
      const models = [];
      for (const r of [true, false]) {
        setEngine({ relaxed: r });
        models.push(await loadModel(readFileSync(c.model), { simd: true }));
      }
      const { count: cols, categorical } = models[0].info.features;
      if (!cols || categorical.length) {
        models.forEach((m) => m.dispose());
        continue;
      }
      for (const rows of [1, 5, 17, 64, 4096]) {
        const data = new Float32Array(rows * cols);
        for (let i = 0; i < data.length; i++) data[i] = (next() - 0.5) * 8;
        const [a, b] = models.map((m) => m.predict({ data, rows, cols }, { returnPredProba: true }).probabilities.data);
        assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
          `${c.name} at ${rows} rows`);
      }
      checked++;
      models.forEach((m) => m.dispose());
    }
    assert.ok(checked > 5, `${checked} models checked`);
    setEngine({ relaxed: 'auto' });
  });

  test('the CLI: LOCALPREDICT_ENGINE=relaxed runs on Node 20 (the CLI turns the flag on), as simd does; a bad value is refused',
    { skip: skipWithout }, async () => {
      const trees = loadCases().filter((c) => !c.manifest && /fixtures\/(xgboost|lightgbm)\//.test(c.model)).slice(0, 4);
      assert.ok(trees.length > 0);
      for (const c of trees) {
        const args = ['predict', c.model, c.input, '--include-input'];
        const [relaxedRun, simdRun] = await Promise.all([runCli(args, { engine: 'relaxed' }), runCli(args, { engine: 'simd' })]);
        assert.equal(relaxedRun.status, 0, relaxedRun.stderr);
        assert.equal(simdRun.status, 0, simdRun.stderr);
        assert.ok(relaxedRun.stdout.equals(simdRun.stdout), c.name);
      }
      const bad = await runCli(['predict', trees[0].model, trees[0].input], { engine: 'fast' });
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /LOCALPREDICT_ENGINE must be auto, relaxed, simd or scalar, not "fast"/);
    });
});
