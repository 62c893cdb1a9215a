/* main.js — a minimal app that uses the installed package the way an app author would,
 * bundled by tests/package/bundlers.test.mjs with esbuild and with Vite.  The page
 * serves the iris example beside it; the test calls window.predictIris(simd) and
 * window.predictPool(jobs, expected). */
import { loadModel, setEngine, version } from 'localpredict';

const loadIris = (options) => loadModel('./iris.json', { manifest: new URL('./iris.localpredict.json', document.baseURI), ...options });

window.predictIris = async (simd) => {
  setEngine({ simd });
  const model = await loadIris();
  try {
    const csv = await (await fetch('./iris.csv')).text();
    return { text: await model.predictCsvText(csv), engine: model.engine, version };
  } finally {
    model.dispose();
  }
};

/* The worker pool: iris.csv's data rows repeated past `minBytes` (under which a run stays
 * on the calling thread) and predicted with `jobs` workers, as a File.  `expected`: the
 * output of iris.csv alone; the run must write its header and then its rows `repeat`
 * times.  Resolves { workers (the most onProgress reported), repeat, equal, firstDiff }. */
window.predictPool = async (jobs, expected, minBytes) => {
  setEngine({ simd: 'auto' });
  const model = await loadIris({ jobs });
  try {
    const csv = await (await fetch('./iris.csv')).text();
    const cut = csv.indexOf('\n') + 1;
    const rows = csv.slice(cut);
    const repeat = Math.ceil((minBytes + 1) / rows.length);
    const file = new File([csv.slice(0, cut), rows.repeat(repeat)], 'iris-big.csv', { type: 'text/csv' });
    let workers = 0;
    const text = await model.predictCsvText(file, { jobs, onProgress: (p) => { workers = Math.max(workers, p.workers); } });
    const outCut = expected.indexOf('\n') + 1;
    const want = expected.slice(0, outCut) + expected.slice(outCut).repeat(repeat);
    let firstDiff = -1;
    if (text !== want) {
      firstDiff = 0;
      while (firstDiff < text.length && text[firstDiff] === want[firstDiff]) firstDiff++;
    }
    return { workers, repeat, size: file.size, equal: text === want, firstDiff, length: text.length, wantLength: want.length };
  } finally {
    model.dispose();
  }
};
