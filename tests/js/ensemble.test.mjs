/* ensemble.test.mjs — ensembles and .zip bundles through the JS API, the
 * worker pool and both CLIs.
 *
 * The expected probabilities are tests/fixtures/ensemble/<case>/expected.csv:
 * the weighted average of xgboost's predict_proba and onnxruntime's outputs
 * (tests/fixtures/gen/gen_ensemble.py, expect_ensemble.mjs).  Bundles are
 * written here by a small zip writer (stored or deflated with zlib) so that
 * each malformation is exact; `unzip -t` (Info-ZIP) checks that the writer's
 * good archives are real zips where it is installed. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel, LocalPredictError } from '../../wasm/node.mjs';
import { unzip, pickFromBundle } from '../../wasm/zip.mjs';
import { makeZip } from './zip-writer.mjs';
import { ROOT, parseCsv as parseRows, run, runCli, hasNative, NATIVE, tempDir, withTuning, PROBA_TOL, TIE_TOL } from './helpers.mjs';

/** { header, rows } of a CSV text. */
function parseCsv(text) {
  const [header, ...rows] = parseRows(text);
  return { header, rows };
}

const DIR = join(ROOT, 'tests', 'fixtures', 'ensemble');
const CASES = ['xgb_onnx', 'xgb_onnx_binary'];
const MEMBERS = ['xgb.json', 'mlp.onnx', 'forest.onnx'];

function fixture(name) {
  const dir = join(DIR, name);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
  const files = Object.fromEntries(MEMBERS.filter((f) => existsSync(join(dir, f))).map((f) => [f, readFileSync(join(dir, f))]));
  return {
    name, dir, meta, files,
    manifestPath: join(dir, 'ensemble.localpredict.json'),
    manifest: readFileSync(join(dir, 'ensemble.localpredict.json')),
    input: readFileSync(join(dir, 'input.csv'), 'utf8'),
    expected: parseCsv(readFileSync(join(dir, 'expected.csv'), 'utf8')),
  };
}

/** The output CSV against the reference: every probability within 1e-6, labels by the contract. */
function checkOutput(c, text) {
  const out = parseCsv(text);
  const classes = c.meta.classes.map(String);
  assert.deepEqual(out.header, [...classes, 'Suggested Label']);
  assert.equal(out.rows.length, c.expected.rows.length);
  out.rows.forEach((row, r) => {
    const want = c.expected.rows[r].map(Number);
    want.forEach((w, k) => assert.ok(Math.abs(Number(row[k]) - w) <= PROBA_TOL, `${c.name} row ${r + 1} class ${classes[k]}: ${row[k]} vs ${w}`));
    const label = row[classes.length];
    if (c.meta.task === 'binary') {
      const t = c.meta.threshold ?? 0.5;
      if (Math.abs(want[1] - t) > TIE_TOL) assert.equal(label, classes[want[1] > t ? 1 : 0], `${c.name} row ${r + 1}`);
    } else {
      const sorted = [...want].sort((a, b) => b - a);
      if (sorted[0] - sorted[1] > TIE_TOL) assert.equal(label, classes[want.indexOf(sorted[0])], `${c.name} row ${r + 1}`);
    }
  });
}

function bundleOf(c, { method = 8, folder = '' } = {}) {
  return makeZip([
    { name: `${folder}ensemble.localpredict.json`, bytes: c.manifest, method },
    ...Object.entries(c.files).map(([name, bytes]) => ({ name: folder + name, bytes, method })),
  ]);
}

async function errorOf(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof LocalPredictError, String(e && e.stack));
    return e;
  }
  assert.fail('no error');
}

/* ---- the JS API ---------------------------------------------------------- */
describe('ensembles through the JS API', () => {
  for (const name of CASES) {
    const c = fixture(name);
    test(`${name}: the manifest's path predicts the weighted average of xgboost and onnxruntime`, async () => {
      const model = await loadModel(c.manifestPath);
      try {
        assert.equal(model.info.format, 'ensemble');
        assert.deepEqual(model.info.members.map((m) => m.weight), c.meta.weights);
        checkOutput(c, await model.predictCsvText(c.input));
      } finally {
        model.dispose();
      }
    });

    test(`${name}: manifest bytes with parts, and a manifest option with Files`, async () => {
      const a = await loadModel(c.manifest, { parts: c.files });
      const files = Object.entries(c.files).map(([n, b]) => new File([b], n));
      const b = await loadModel(null, { manifest: c.manifest, parts: files });
      try {
        checkOutput(c, await a.predictCsvText(c.input));
        checkOutput(c, await b.predictCsvText(c.input));
      } finally {
        a.dispose();
        b.dispose();
      }
    });

    test(`${name}: predict() on objects and on the float32 matrix`, async () => {
      const model = await loadModel(c.manifestPath);
      try {
        const input = parseCsv(c.input);
        const names = model.info.features.names;
        const rows = input.rows.map((r) => Object.fromEntries(input.header.map((h, i) => [h, r[i] === '' ? null : Number(r[i])])));
        const data = new Float32Array(rows.length * names.length);
        rows.forEach((row, i) => names.forEach((n, j) => { data[i * names.length + j] = row[n] ?? NaN; }));
        for (const rowsArg of [rows, { data, rows: rows.length, cols: names.length }]) {
          const { probabilities } = model.predict(rowsArg, { returnPredProba: true });
          const k = c.meta.classes.length;
          c.expected.rows.forEach((want, r) => want.forEach((w, j) =>
            assert.ok(Math.abs(probabilities.data[r * k + j] - Number(w)) <= PROBA_TOL, `row ${r + 1}`)));
        }
      } finally {
        model.dispose();
      }
    });

    test(`${name}: the worker pool gets the members in the model blob (same bytes as one job)`, async () => {
      const model = await loadModel(c.manifestPath);
      try {
        await withTuning({ minBytes: 0, sliceBytes: 64 }, async () => {
          const one = await model.predictCsvText(c.input, { jobs: 1 });
          const two = await model.predictCsvText(c.input, { jobs: 2 });
          assert.equal(two, one);
          checkOutput(c, two);
        });
      } finally {
        model.dispose();
      }
    });

    for (const [label, opts] of [['deflated', {}], ['stored, in a folder', { method: 0, folder: 'model/' }]]) {
      test(`${name}: a .zip bundle (${label}) predicts the same`, async () => {
        const model = await loadModel(bundleOf(c, opts), { source: 'ensemble.zip' });
        try {
          checkOutput(c, await model.predictCsvText(c.input));
        } finally {
          model.dispose();
        }
      });
    }
  }

  test('a member file that is not there is named, with the member', async () => {
    const c = fixture('xgb_onnx');
    const e = await errorOf(loadModel(c.manifest, { parts: { 'xgb.json': c.files['xgb.json'] } }));
    assert.equal(e.code, 'USAGE');
    assert.match(e.message, /ensemble member 2 names "mlp\.onnx", which was not given/);
  });

  test('a bundle of one model and its manifest: the manifest applies', async () => {
    const model = readFileSync(join(ROOT, 'web', 'examples', 'iris.json'));
    const manifest = readFileSync(join(ROOT, 'web', 'examples', 'iris.localpredict.json'));
    const readme = new TextEncoder().encode('trained on iris\n');
    const m = await loadModel(makeZip([{ name: 'README.txt', bytes: readme }, { name: 'iris.json', bytes: model },
      { name: 'iris.localpredict.json', bytes: manifest }, { name: '__MACOSX/._iris.json', bytes: readme }]));
    try {
      assert.deepEqual(m.info.details, JSON.parse(manifest).details);
      assert.deepEqual(m.info.classes, JSON.parse(manifest).classes);
    } finally {
      m.dispose();
    }
  });
});

/* ---- malformed bundles ------------------------------------------------------ */
describe('bundles: every malformation is a clear error', () => {
  const c = fixture('xgb_onnx');
  const iris = readFileSync(join(ROOT, 'web', 'examples', 'iris.json'));
  const good = bundleOf(c);
  const cases = [
    ['truncated (half the file)', good.subarray(0, good.length >> 1), 'BAD_MODEL', /is truncated: its central directory/],
    ['a local header and nothing else', new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), 'BAD_MODEL', /truncated/],
    ['encrypted', makeZip([{ name: 'iris.json', bytes: iris, flags: 1 }]), 'UNSUPPORTED', /"iris\.json" is encrypted/],
    ['ZIP64', makeZip([{ name: 'iris.json', bytes: iris }], { eocdCount: 0xffff }), 'UNSUPPORTED', /ZIP64/],
    ['bzip2 (method 12)', makeZip([{ name: 'iris.json', bytes: iris, method: 12 }]), 'UNSUPPORTED', /method 12; localpredict reads stored \(0\) and deflated \(8\)/],
    ['a damaged CRC', makeZip([{ name: 'iris.json', bytes: iris, crc: 1234 }]), 'BAD_MODEL', /"iris\.json" is corrupt \(its size or CRC-32/],
    ['no model inside', makeZip([{ name: 'notes.txt', bytes: new TextEncoder().encode('hello') }]), 'BAD_MODEL', /holds no model \(it holds "notes\.txt"\)/],
    ['two models, no manifest', makeZip([{ name: 'a.json', bytes: iris }, { name: 'b.json', bytes: iris }]), 'BAD_MODEL', /2 candidate models \("a\.json", "b\.json"\) and no manifest saying which/],
    ['two manifests', makeZip([{ name: 'a.localpredict.json', bytes: c.manifest }, { name: 'b.localpredict.json', bytes: c.manifest }]), 'BAD_MODEL', /2 manifests/],
    ['an ensemble whose member is missing', makeZip([{ name: 'ensemble.localpredict.json', bytes: c.manifest }, { name: 'xgb.json', bytes: c.files['xgb.json'] }]), 'USAGE', /"mlp\.onnx", which was not given/],
  ];
  for (const [label, bytes, code, message] of cases) {
    test(label, async () => {
      const e = await errorOf(loadModel(bytes, { source: 'm.zip' }));
      assert.equal(e.code, code, e.message);
      assert.match(e.message, message);
    });
  }

  test('every truncation and 200 byte changes never crash', async () => {
    for (let cut = 0; cut < good.length; cut += 97) {
      await unzip(good.subarray(0, cut), 'x').then(() => {}, (e) => assert.ok(e instanceof LocalPredictError, String(e)));
    }
    let seed = 7;
    for (let i = 0; i < 200; i++) {
      const b = good.slice();
      seed = (seed * 1103515245 + 12345) >>> 0;
      b[seed % b.length] ^= 1 + (seed >>> 24) % 255;
      try {
        pickFromBundle(await unzip(b, 'x'), 'x');
      } catch (e) {
        assert.ok(e instanceof LocalPredictError, String(e && e.stack));
      }
    }
  });

  test('the writer above makes real zips (unzip -t)', async (t) => {
    const probe = await run('unzip', ['-v']).catch(() => null);
    if (!probe || probe.status !== 0) return t.skip('no unzip here');
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'b.zip'), good);
      const r = await run('unzip', ['-t', join(dir, 'b.zip')]);
      assert.equal(r.status, 0, r.stdout.toString());
    } finally {
      cleanup();
    }
  });
});

/* ---- both CLIs ------------------------------------------------------------------ */
describe('ensembles through the CLIs', () => {
  for (const name of CASES) {
    const c = fixture(name);
    const manifest = join('tests', 'fixtures', 'ensemble', name, 'ensemble.localpredict.json');
    const input = join('tests', 'fixtures', 'ensemble', name, 'input.csv');
    test(`${name}: predict and info, native and JS, the same bytes`, async (t) => {
      const js = await runCli(['predict', manifest, input]);
      assert.equal(js.status, 0, js.stderr);
      checkOutput(c, js.stdout.toString());
      const info = await runCli(['info', manifest]);
      assert.equal(info.status, 0, info.stderr);
      assert.match(info.stdout.toString(), /^members {4}2: /m);
      assert.match(info.stdout.toString(), /^member 2 {3}/m);
      if (!hasNative()) return t.skip('no native build (make native)');
      const native = await run(NATIVE, ['predict', manifest, input]);
      assert.equal(native.status, 0, native.stderr);
      assert.deepEqual(native.stdout, js.stdout);
      for (const args of [['info', manifest], ['info', manifest, '--json']]) {
        const [a, b] = [await run(NATIVE, args), await runCli(args)];
        assert.equal(a.status, 0, a.stderr);
        assert.equal(b.stdout.toString(), a.stdout.toString());
      }
    });
  }

  test('a bundle: the JS CLI reads it; the native CLI says to unzip it (exit 2)', async (t) => {
    const c = fixture('xgb_onnx');
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, 'b'));
      writeFileSync(join(dir, 'b', 'ensemble.zip'), bundleOf(c));
      const input = join(c.dir, 'input.csv');
      const js = await runCli(['predict', join(dir, 'b', 'ensemble.zip'), input]);
      assert.equal(js.status, 0, js.stderr);
      checkOutput(c, js.stdout.toString());
      if (!hasNative()) return t.skip('no native build (make native)');
      const native = await run(NATIVE, ['predict', join(dir, 'b', 'ensemble.zip'), input]);
      assert.equal(native.status, 2);
      assert.match(native.stderr, /ensemble\.zip: this is a \.zip bundle, which this engine does not unpack: unzip it/);
    } finally {
      cleanup();
    }
  });

  test('a member file missing beside the manifest: exit 4 naming it, in both CLIs', async (t) => {
    const c = fixture('xgb_onnx');
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'e.localpredict.json'), c.manifest);
      writeFileSync(join(dir, 'xgb.json'), c.files['xgb.json']);
      const args = ['predict', join(dir, 'e.localpredict.json'), join(c.dir, 'input.csv')];
      const runs = [await runCli(args)];
      if (hasNative()) runs.push(await run(NATIVE, args));
      for (const r of runs) {
        assert.equal(r.status, 4, r.stderr);
        assert.match(r.stderr, /e\.localpredict\.json: "ensemble\.model" names the file "mlp\.onnx", which is not there \(looked for .*mlp\.onnx\)/);
      }
      if (!hasNative()) t.skip('no native build (make native)');
    } finally {
      cleanup();
    }
  });
});
