/* chromium-page.mjs — the module of chromium-page.html, one engine per page
 * (chromium-engine.mjs drives it): window.bench.loadLp / loadOrt fetch the engine, the
 * model and the input rows once; bench.measure(bs, minMs) is rate.mjs's timing loop
 * and inProcessEngine's rotation over the rows (interleave.mjs), the same calls as
 * the Node engines make: localpredict's model.predict({ data, rows, cols },
 * { returnPredProba: true }); onnxruntime-web's session.run on a new Tensor, fetching
 * the last output.  bench.probe(off, bs) returns one call's probabilities. */
import * as localpredict from '/wasm/browser.mjs';
import { relaxedSimdSupported } from '/wasm/detect.mjs';

const bytes = async (url) => {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
};
let run = null, out = null, inputRows = 0, off = 0;
const rowsOf = async (x, F) => {
  const b = await bytes(x);
  const X = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  inputRows = X.length / F;
  return X;
};

window.bench = {
  /** Our browser API: setEngine with the engine's bytes (and its relaxed-SIMD build's,
   * which the API takes where this browser validates relaxed SIMD, as a page that
   * fetches its engine does), loadModel on the model's.  Says which build runs. */
  async loadLp({ wasm, relaxed, model, x, F }) {
    localpredict.setEngine({ simd: true, wasm: { simd: await bytes(wasm), ...(relaxed ? { relaxed: await bytes(relaxed) } : {}) } });
    const m = await localpredict.loadModel(await bytes(model));
    const X = await rowsOf(x, F);
    run = (o, bs) => m.predict({ data: X.subarray(o * F, (o + bs) * F), rows: bs, cols: F }, { returnPredProba: true });
    out = (r) => r.probabilities.data;
    return { rows: inputRows, build: relaxed && relaxedSimdSupported() ? 'relaxed' : 'simd' };
  },
  /** onnxruntime-web as interleave.mjs's ortEngines sets it: wasm, one thread, no proxy. */
  async loadOrt({ ort: ortUrl, onnx, x, F }) {
    const ort = await import(ortUrl);
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = new URL('./', new URL(ortUrl, location.href)).href;
    const sess = await ort.InferenceSession.create(await bytes(onnx), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const outName = sess.outputNames[sess.outputNames.length - 1];
    const X = await rowsOf(x, F);
    run = (o, bs) => sess.run({ [sess.inputNames[0]]: new ort.Tensor('float32', X.subarray(o * F, (o + bs) * F), [bs, F]) }, [outName]);
    out = (r) => r[outName].data;
    return inputRows;
  },
  async measure(bs, minT) {
    const next = () => { const o = off % (inputRows - bs + 1); off = o + bs; return o; };
    let calls = 0, el = 0;
    const t0 = performance.now();
    while (calls < 1 || el < minT) { await run(next(), bs); calls++; el = performance.now() - t0; }
    return { rows: calls * bs, ms: el };
  },
  async probe(o, bs) { return Array.from(out(await run(o, bs))); },
};
