/* main.js — a minimal app that uses the installed package the way an app author would,
 * bundled by tests/package/bundlers.test.mjs with esbuild and with Vite.  The page
 * serves the iris example beside it; the test calls window.predictIris(simd). */
import { loadModel, setEngine, version } from 'localpredict';

window.predictIris = async (simd) => {
  setEngine({ simd });
  const model = await loadModel('./iris.json', { manifest: new URL('./iris.localpredict.json', document.baseURI) });
  try {
    const csv = await (await fetch('./iris.csv')).text();
    return { text: await model.predictCsvText(csv), engine: model.engine, version };
  } finally {
    model.dispose();
  }
};
