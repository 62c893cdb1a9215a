/* localpredict.mjs — the shared entry of the JS API (Node 18+ and browsers, no dependencies).
 *
 *     import { loadModel } from 'localpredict';
 *     const model = await loadModel(modelBytes, { manifest });   // or a File, Blob, URL
 *     const labels = model.predict([{ age: 41, income: 52000 }]);
 *     const csv = await model.predictCsvText(file);               // or predictCsv(): a stream
 *     model.dispose();
 *
 * Everything here is environment-free.  The package entries node.mjs and
 * browser.mjs (chosen by package.json "exports") add where the engine's bytes
 * come from; a page that imports this file directly hands the bytes over with
 * setEngine({ wasm: { simd, scalar } }).  index.d.ts documents every export.
 */
export { LocalPredictError } from './errors.mjs';
export { loadModel, Model } from './model.mjs';
export { setEngine } from './engine.mjs';
export { simdSupported } from './detect.mjs';

/** The package version: package.json's "version", copied here by scripts/sync-version.mjs
 * (npm version runs it; make test-package checks it), and the engine's lp_version(). */
export const version = '0.1.0';
