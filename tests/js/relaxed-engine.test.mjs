/* relaxed-engine.test.mjs — the SIMD variant's relaxed-SIMD build
 * (wasm/build/localpredict-relaxed.wasm): chosen where the runtime validates
 * relaxed SIMD, it writes every fixture's output as the plain SIMD build does
 * (which the other suites check against the reference libraries), and
 * setEngine({ relaxed }) picks or refuses it.  In Node 20 the relaxed part runs
 * only under --experimental-wasm-relaxed-simd (make test-js runs this file so);
 * without relaxed SIMD the plain SIMD build is chosen. */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel, setEngine, simdSupported } from '../../wasm/node.mjs';
import { getEngine } from '../../wasm/engine.mjs';
import { relaxedSimdSupported } from '../../wasm/detect.mjs';
import { ROOT, loadCases, streamBytes, rng } from './helpers.mjs';

const relaxed = relaxedSimdSupported();
const WASM = (name) => readFileSync(join(ROOT, 'wasm', 'build', name));

describe('relaxed SIMD engine', { skip: !simdSupported() && 'no SIMD' }, () => {
  after(() => setEngine({ relaxed: 'auto', wasm: null }));

  test('auto picks the relaxed build exactly where relaxed SIMD validates', async () => {
    setEngine({ relaxed: 'auto' });
    const engine = await getEngine(true);
    assert.equal(engine.variant, 'simd');
    assert.equal(engine.build, relaxed ? 'relaxed' : 'simd');
    setEngine({ relaxed: false });
    assert.equal((await getEngine(true)).build, 'simd');
    assert.equal((await getEngine(false)).build, 'scalar');
    if (!relaxed) {
      setEngine({ relaxed: true });
      await assert.rejects(async () => getEngine(true), (e) => e.code === 'UNSUPPORTED');
    }
    assert.throws(() => setEngine({ relaxed: 1 }), (e) => e.code === 'USAGE');
    setEngine({ relaxed: 'auto' });
  });

  test('a function engine source is not asked for the relaxed build; an object one is', { skip: !relaxed && 'no relaxed SIMD' }, async () => {
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

  test('relaxed and plain SIMD builds write the same bytes on every fixture', { skip: !relaxed && 'no relaxed SIMD' }, async () => {
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

  test('... and the same probabilities for random rows at batch sizes 1 to 4096', { skip: !relaxed && 'no relaxed SIMD' }, async () => {
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
});
