/* api.test.mjs — the JS API's contract apart from the numbers: LocalPredictError codes,
 * messages and locations; the input kinds of loadModel and predictCsv; manifests and
 * overrides; check(); dispose(); AbortSignal; progress; info and sha256; option misuse;
 * SIMD/scalar agreement; no engine memory leaked; the package entries. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, appendFileSync, openAsBlob } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import * as api from '../../wasm/node.mjs';
import { getEngine } from '../../wasm/engine.mjs';
import {
  ENGINES, ROOT, loadCases, compareCsv, runCli, run, tempDir, streamBytes, rowsAsNumberObjects, rejects,
} from './helpers.mjs';

const { loadModel, LocalPredictError, version, setEngine, simdSupported } = api;
const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const mc = cases.multiclass;
const iris = cases.iris_example;

/** Asserts that fn (sync or async) fails with a LocalPredictError of `code`; returns the error. */

test('exports and version', async () => {
  assert.deepEqual(Object.keys(api).sort(), ['LocalPredictError', 'Model', 'loadModel', 'setEngine', 'simdSupported', 'version']);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(version, pkg.version);
  const model = await loadModel(readFileSync(mc.model));
  assert.equal(model.info.engine, `localpredict ${version}`);
  model.dispose();
  assert.equal(typeof simdSupported(), 'boolean');
});

for (const engine of ENGINES) {
  describe(`API on the ${engine.name} engine`, () => {
    let model;
    before(async () => {
      model = await loadModel(readFileSync(mc.model), { simd: engine.simd });
    });
    after(() => model.dispose());

    describe('errors from CSV input', () => {
      const header = mc.inputText.split('\n')[0];
      const row = mc.inputText.split('\n')[1];

      test('BAD_NUMBER: line, column and the one-line message', async () => {
        const bad = row.split(',');
        bad[mc.header.indexOf('age')] = 'abc';
        const e = await rejects(() => model.predictCsvText(`${header}\n${row}\n${row}\n${bad.join(',')}\n`), 'BAD_NUMBER');
        assert.equal(e.where.line, 4);
        assert.equal(e.where.column, 'age');
        assert.match(e.message, /^line 4: column "age": .*"abc"/);
      });

      test('the source option puts a file name in the message', async () => {
        const bad = row.split(',');
        bad[mc.header.indexOf('age')] = 'abc';
        const e = await rejects(() => model.predictCsvText(`${header}\n${bad.join(',')}\n`, { source: 'people.csv' }), 'BAD_NUMBER');
        assert.match(e.message, /^people\.csv:2: column "age": /);
      });

      test('MISSING_COLUMN names every missing column', async () => {
        const e = await rejects(() => model.predictCsvText('row_id,age,income\n1,2,3\n'), 'MISSING_COLUMN');
        assert.equal(e.where.line, 1);
        for (const name of ['score', 'height', 'weight', 'temp', 'pressure', 'ratio', 'count', 'level']) {
          assert.ok(e.message.includes(`"${name}"`), name);
        }
        assert.ok(!e.message.includes('"age"'));
      });

      test('UNTERMINATED_QUOTE, RAGGED_ROW, EMPTY_INPUT, DUPLICATE_COLUMN', async () => {
        let e = await rejects(() => model.predictCsvText(`${header}\n${row}\n"${row}\n${row}\n`), 'UNTERMINATED_QUOTE');
        assert.equal(e.where.line, 3);
        e = await rejects(() => model.predictCsvText(`${header}\n${row}\n${row},1\n`), 'RAGGED_ROW');
        assert.equal(e.where.line, 3);
        await rejects(() => model.predictCsvText(''), 'EMPTY_INPUT');
        await rejects(() => model.predictCsvText(new Uint8Array(0)), 'EMPTY_INPUT');
        e = await rejects(() => model.predictCsvText(`${header},age\n${row},1\n`), 'DUPLICATE_COLUMN');
        assert.equal(e.where.line, 1);
        assert.match(e.message, /"age"/);
      });

      test('LIMIT: maxFieldBytes and maxColumns, with line and column; raised, the file reads', async () => {
        const cells = row.split(',');
        cells[mc.header.indexOf('age')] = '1.5000000000'; // 12 bytes
        const text = `${header}\n${row}\n${cells.join(',')}\n`;
        let e = await rejects(() => model.predictCsvText(text, { maxFieldBytes: 11 }), 'LIMIT', /maxFieldBytes/);
        assert.equal(e.where.line, 3);
        assert.equal(e.where.column, 'age');
        assert.ok((await model.predictCsvText(text, { maxFieldBytes: 12 })).split('\n').length > 2);
        const n = mc.header.length;
        e = await rejects(() => model.predictCsvText(`${header}\n${row}\n`, { maxColumns: n - 1 }), 'LIMIT', /maxColumns/);
        assert.equal(e.where.line, 1);
        await model.predictCsvText(`${header}\n${row}\n`, { maxColumns: n });
        await rejects(() => model.predictCsvText(text, { maxFieldBytes: 0 }), 'USAGE');
        await rejects(() => model.predictCsvText(text, { maxColumns: 1.5 }), 'USAGE');
      });

      test('errors from predict() name the column (and row) at fault', () => {
        const rows = rowsAsNumberObjects(mc).slice(0, 3);
        rows[1] = { ...rows[1], age: 'abc' };
        assert.throws(() => model.predict(rows), (e) => {
          assert.ok(e instanceof LocalPredictError);
          assert.equal(e.code, 'BAD_NUMBER');
          assert.equal(e.where.column, 'age');
          assert.match(e.message, /"age".*2.*"abc"|"age".*"abc"/);
          return true;
        });
        assert.throws(() => model.predict([{ age: 1, income: 2 }]), (e) => e.code === 'MISSING_COLUMN' && /"score"/.test(e.message));
        assert.throws(() => model.predict({ data: new Float32Array(6), rows: 2, cols: 3 }), (e) => e instanceof LocalPredictError && /3/.test(e.message));
      });
    });

    describe('check()', () => {
      test('ok for a matching header or file', async () => {
        // ok, with what the check found (issue 9: tests/js/dialect.test.mjs checks the report)
        const header = await model.check(mc.inputText.split('\n')[0]);
        assert.equal(header.ok, true);
        assert.equal(header.rows, 0);
        const whole = await model.check(mc.inputText);
        assert.equal(whole.ok, true);
        assert.equal(whole.rows, 200);
        assert.equal(whole.delimiter, ',');
        assert.equal(whole.columns.length, 11);
        assert.deepEqual(await model.check(new Blob([mc.inputText])), whole);
      });

      test('not ok, with the error, for missing columns', async () => {
        const result = await model.check('row_id,age,income,score');
        assert.equal(result.ok, false);
        assert.ok(result.error instanceof LocalPredictError);
        assert.equal(result.error.code, 'MISSING_COLUMN');
        for (const name of ['height', 'weight', 'temp', 'pressure', 'ratio', 'count', 'level']) {
          assert.ok(result.error.message.includes(`"${name}"`));
        }
        assert.equal((await model.check('')).error.code, 'EMPTY_INPUT');
      });

      test('MISSING_COLUMN names every missing column, however many (the page lists them)', async () => {
        const b = cases.binary; // 30 features, names with spaces
        const result = await model.check('row_id');
        assert.equal(result.error.code, 'MISSING_COLUMN');
        for (const name of mc.meta.feature_names) assert.ok(result.error.message.includes(`"${name}"`), `${name} not named`);
        const binary = await loadModel(readFileSync(b.model), { simd: engine.simd });
        try {
          const r = await binary.check('id');
          for (const name of b.meta.feature_names) assert.ok(r.error.message.includes(`"${name}"`), `${name} not named`);
        } finally {
          binary.dispose();
        }
      });

      test('rejects only misuse', async () => {
        await rejects(() => model.check(42), 'USAGE');
      });
    });

    describe('input kinds', () => {
      test('predictCsv takes a string, bytes, ArrayBuffer, Blob, ReadableStream and async iterable alike', async () => {
        const want = await model.predictCsvText(mc.inputText);
        assert.deepEqual(compareCsv(mc, want), []);
        const bytes = new TextEncoder().encode(mc.inputText);
        const inputs = [
          bytes,
          bytes.buffer,
          new DataView(bytes.buffer),
          Buffer.from(bytes),
          new Blob([bytes]),
          new Blob([bytes]).stream(),
          (async function* gen() { yield bytes.subarray(0, 100); yield mc.inputText.slice(100 - 0).length ? bytes.subarray(100) : bytes; })(),
        ];
        for (const input of inputs) assert.equal(await model.predictCsvText(input), want);
      });

      test('a Blob is read with stream(), its size known; a blob-like without stream() by slices', async () => {
        const want = await model.predictCsvText(mc.inputText);
        const bytes = new TextEncoder().encode(mc.inputText);
        // slice() refused: only stream() can have read it (a browser reads a File ahead that way).
        class StreamOnly extends Blob {
          slice() { throw new Error('slice() used'); }
        }
        const seen = [];
        assert.equal(await model.predictCsvText(new StreamOnly([bytes]), { onProgress: (p) => seen.push(p) }), want);
        assert.equal(seen.at(-1).bytesTotal, bytes.length);
        const blobLike = new Blob([bytes]);
        const sliced = { size: blobLike.size, type: '', slice: (a, b) => blobLike.slice(a, b), arrayBuffer: () => blobLike.arrayBuffer() };
        assert.equal(await model.predictCsvText(sliced), want);
      });

      test('predictCsv gives a pull-based ReadableStream of Uint8Array chunks', async () => {
        const stream = model.predictCsv(mc.inputText);
        assert.ok(stream instanceof ReadableStream);
        const reader = stream.getReader();
        const { value } = await reader.read();
        assert.ok(value instanceof Uint8Array && value.length > 0);
        await reader.cancel();
      });

      test('predictCsv rejects other input synchronously', () => {
        for (const bad of [42, null, undefined, {}, [1, 2]]) {
          assert.throws(() => model.predictCsv(bad), (e) => e instanceof LocalPredictError && e.code === 'USAGE');
        }
      });

      test('predict() returns typed labels; empty rows give empty results', async () => {
        const irisModel = await loadModel(readFileSync(iris.model), { manifest: readFileSync(iris.manifest), simd: engine.simd });
        try {
          const labels = irisModel.predict([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
          assert.deepEqual(labels, ['setosa']);
          assert.deepEqual(irisModel.predict([]), []);
          const r = irisModel.predict([], { returnPredProba: true });
          assert.deepEqual(r.labels, []);
          assert.equal(r.probabilities.data.length, 0);
          assert.deepEqual(r.probabilities.classes, ['setosa', 'versicolor', 'virginica']);
        } finally {
          irisModel.dispose();
        }
        assert.ok(model.predict([rowsAsNumberObjects(mc)[0]]).every((l) => typeof l === 'number'));
      });

      test('predict() misuse is USAGE with a hint', () => {
        const usage = (fn, re) => assert.throws(fn, (e) => e instanceof LocalPredictError && e.code === 'USAGE' && re.test(e.message));
        usage(() => model.predict('a,b'), /array of rows/);
        usage(() => model.predict([{ age: 1 }, [1, 2]]), /row 1/);
        usage(() => model.predict([[1, 2], [1]]), /row 1 has 1 values/);
        usage(() => model.predict([[1, 2]], { columns: ['a'] }), /columns/);
        usage(() => model.predict({ data: new Float32Array(5), rows: 2, cols: 3 }), /rows × cols/);
        usage(() => model.predict([{ age: { x: 1 } }]), /row 0, column "age"/);
        usage(() => model.predict([], { treshold: 0.5 }), /unknown option "treshold"/);
        usage(() => model.predict([], { threshold: '0.5' }), /threshold/);
        usage(() => model.predictCsv('', { keep: 'id' }), /keep/);
        usage(() => model.predictCsv('', { includeInput: true, keep: ['id'] }), /either/);
      });
    });

    test('onProgress reports bytes, total and rows', async () => {
      const seen = [];
      await model.predictCsvText(mc.inputText, { onProgress: (p) => seen.push(p) });
      assert.ok(seen.length >= 1);
      const last = seen.at(-1);
      const total = new TextEncoder().encode(mc.inputText).length;
      assert.equal(last.bytesTotal, total);
      assert.equal(last.bytesRead, total);
      assert.equal(last.rows, mc.rows.length);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytesRead >= seen[i - 1].bytesRead);
      const streamed = [];
      await model.predictCsvText(new Blob([mc.inputText]).stream(), { onProgress: (p) => streamed.push(p) });
      assert.equal(streamed.at(-1).bytesTotal, undefined);
      assert.equal(streamed.at(-1).rows, mc.rows.length);
    });

    describe('AbortSignal', () => {
      /** An endless CSV: the header, then the same rows forever. */
      const endless = () => {
        const enc = new TextEncoder();
        const body = enc.encode(mc.inputText.slice(mc.inputText.indexOf('\n') + 1));
        let first = true;
        return new ReadableStream({
          pull(c) {
            c.enqueue(first ? enc.encode(mc.inputText) : body);
            first = false;
          },
        });
      };

      test('aborting mid-stream errors the stream with ABORTED', async () => {
        const controller = new AbortController();
        const reader = model.predictCsv(endless(), { signal: controller.signal }).getReader();
        let bytes = 0;
        const e = await rejects(async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            bytes += value.length;
            if (bytes > 100000) controller.abort(new Error('user pressed stop'));
          }
        }, 'ABORTED');
        assert.equal(e.cause?.message, 'user pressed stop');
        assert.ok(bytes > 100000);
      });

      test('an already aborted signal errors the stream at once', async () => {
        await rejects(() => model.predictCsvText(mc.inputText, { signal: AbortSignal.abort() }), 'ABORTED');
      });

      test('aborting while the input is slow to arrive', async () => {
        const controller = new AbortController();
        const stalled = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(mc.inputText.split('\n')[0]));
          },
          pull() {
            return new Promise(() => {}); // never more data
          },
        });
        const pending = model.predictCsvText(stalled, { signal: controller.signal });
        setTimeout(() => controller.abort(), 20);
        await rejects(() => pending, 'ABORTED');
      });

      test('check() rejects with ABORTED', async () => {
        // (an endless input is no longer one: check() reads 1000 rows, then stops)
        const stalled = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(mc.inputText));
          },
          pull() {
            return new Promise(() => {}); // never more data: the 1000-row sample never completes
          },
        });
        const controller = new AbortController();
        const pending = model.check(stalled, { signal: controller.signal });
        setTimeout(() => controller.abort(), 50); // (a ref'd timer: AbortSignal.timeout's would let the loop end)
        await rejects(() => pending, 'ABORTED');
      });

      test('check() of an endless input reads its 1000-row sample and stops', async () => {
        const r = await model.check(endless());
        assert.equal(r.ok, true);
        assert.equal(r.rows, 1000);
      });
    });
  });
}

describe('loadModel', () => {
  test('takes bytes, ArrayBuffer, Blob, File, a path, a file: URL string and a URL object', async () => {
    const bytes = readFileSync(mc.model);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const inputs = [bytes, new Uint8Array(bytes), ab, new Blob([bytes]), mc.model, pathToFileURL(mc.model).href, pathToFileURL(mc.model)];
    if (typeof File === 'function') inputs.push(new File([bytes], 'model.json'));
    for (const input of inputs) {
      const model = await loadModel(input);
      assert.equal(model.info.sha256, sha);
      assert.equal(model.info.bytes, bytes.length);
      model.dispose();
    }
  });

  test('misuse and unreadable sources', async () => {
    await rejects(() => loadModel(42), 'USAGE', /bytes/);
    await rejects(() => loadModel('{"learner": {}}'), 'USAGE', /TextEncoder/);
    await rejects(() => loadModel(readFileSync(mc.model), { tasks: 'binary' }), 'USAGE', /unknown option "tasks"/);
    await rejects(() => loadModel(readFileSync(mc.model), { classes: 'a,b' }), 'USAGE', /classes/);
    await rejects(() => loadModel(readFileSync(mc.model), { simd: 'yes' }), 'USAGE', /simd/);
    const e = await rejects(() => loadModel('/no/such/model.json'), 'IO', /\/no\/such\/model\.json/);
    assert.match(e.message, /no such file/);
  });

  test('a model, manifest or part File changed on disk since it was chosen: IO naming it and saying to choose it again', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const text = join(ROOT, 'tests/fixtures/text_model/keras_embedding');
      const manifest = JSON.parse(readFileSync(join(text, 'model.localpredict.json'), 'utf8'));
      writeFileSync(join(dir, 'model.onnx'), readFileSync(join(text, 'model.onnx')));
      writeFileSync(join(dir, 'model.localpredict.json'), JSON.stringify({ ...manifest, preprocess: { ...manifest.preprocess, vocab: 'tokenizer.json' } }));
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(manifest.preprocess.vocab));
      /** The three as Files read from disk, `changed` (if any) appended to on disk since. */
      const files = async (changed) => {
        const f = {};
        for (const name of ['model.onnx', 'model.localpredict.json', 'tokenizer.json']) f[name] = new File([await openAsBlob(join(dir, name))], name);
        if (changed) appendFileSync(join(dir, changed), ' ');
        return [f['model.onnx'], { manifest: f['model.localpredict.json'], parts: [f['tokenizer.json']] }];
      };
      (await loadModel(...await files(null))).dispose(); // unchanged, they load
      for (const changed of ['model.onnx', 'model.localpredict.json', 'tokenizer.json']) {
        const [m, o] = await files(changed);
        await rejects(() => loadModel(m, o), 'IO',
          new RegExp(`^${changed.replace(/\./g, '\\.')}: cannot read it \\(.+\\): if it was changed, moved or deleted since it was chosen, choose it again$`));
      }
    } finally {
      cleanup();
    }
  });

  test('model errors: BAD_MODEL with the tree and node; the path as source', async () => {
    const m = JSON.parse(readFileSync(mc.model, 'utf8'));
    m.learner.gradient_booster.model.trees[3].left_children[1] = 99999;
    const bytes = new TextEncoder().encode(JSON.stringify(m));
    let e = await rejects(() => loadModel(bytes), 'BAD_MODEL');
    assert.equal(e.where.tree, 3);
    assert.equal(e.where.node, 1);
    assert.match(e.message, /^tree 3, node 1: .*99999/);
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'broken.json');
      writeFileSync(path, bytes);
      e = await rejects(() => loadModel(path), 'BAD_MODEL');
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      e = await rejects(() => loadModel(bytes, { source: 'x.json' }), 'BAD_MODEL');
      assert.ok(e.message.startsWith('x.json: '));
    } finally {
      cleanup();
    }
    await rejects(() => loadModel(new TextEncoder().encode('{"learner": ]')), 'BAD_MODEL', /JSON/);
    await rejects(() => loadModel(readFileSync(mc.model).subarray(0, 1000)), 'BAD_MODEL', /JSON/);
    await rejects(() => loadModel(new Uint8Array(0)), 'BAD_MODEL');
  });

  test('manifest as object, JSON text, bytes and Blob; its errors are BAD_MANIFEST', async () => {
    const manifest = { localpredict: 1, classes: ['a', 'b', 'c', 'd'] };
    const text = JSON.stringify(manifest);
    for (const m of [manifest, text, new TextEncoder().encode(text), new Blob([text])]) {
      const model = await loadModel(readFileSync(mc.model), { manifest: m });
      assert.deepEqual(model.info.classes, ['a', 'b', 'c', 'd']);
      model.dispose();
    }
    let e = await rejects(() => loadModel(readFileSync(mc.model), { manifest: { localpredict: 1, clases: ['a'] } }), 'BAD_MANIFEST', /"clases"/);
    assert.equal(e.where.field, 'clases');
    e = await rejects(() => loadModel(readFileSync(mc.model), { manifest: text.replace('"a"', '"a"]'), manifestName: 'mine.localpredict.json' }), 'BAD_MANIFEST');
    assert.match(e.message, /mine\.localpredict\.json/);
    await rejects(() => loadModel(readFileSync(mc.model), { manifest: 42 }), 'USAGE');
  });

  test('overrides win over the manifest: task, classes (typed), threshold', async () => {
    const model = await loadModel(readFileSync(iris.model), {
      manifest: readFileSync(iris.manifest), classes: [10, 20, 30],
    });
    assert.deepEqual(model.info.classes, [10, 20, 30]);
    assert.equal(model.predict([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }])[0], 10);
    assert.ok((await model.predictCsvText(iris.inputText)).startsWith('10,20,30,Suggested Label\n'));
    model.dispose();

    const b = cases.binary;
    const typed = await loadModel(readFileSync(b.model), { classes: [false, true], threshold: 0.9 });
    assert.deepEqual(typed.info.classes, [false, true]);
    assert.equal(typed.info.thresholds.at(-1), 0.9);
    const labels = typed.predict(b.rows, { columns: b.header });
    assert.ok(labels.every((l) => typeof l === 'boolean'));
    labels.forEach((l, r) => {
      const p = b.expected.rows[r][1];
      if (Math.abs(p - 0.9) > 1e-5) assert.equal(l, p > 0.9, `row ${r + 1}`);
    });
    assert.ok((await typed.predictCsvText(b.inputText)).startsWith('false,true,Suggested Label\n'));
    typed.dispose();

    const ml = await loadModel(readFileSync(mc.model), { task: 'multilabel' });
    assert.equal(ml.info.task, 'multilabel');
    assert.ok(ml.predict(rowsAsNumberObjects(mc).slice(0, 5)).every(Array.isArray));
    ml.dispose();
    await rejects(() => loadModel(readFileSync(mc.model), { task: 'binary' }), 'USAGE', /binary/);
    await rejects(() => loadModel(readFileSync(mc.model), { classes: ['a'] }), 'USAGE', /classes/);
  });
});

describe('info', () => {
  test('shape, frozen, sha256 of the model bytes (API and CLI --json)', async () => {
    for (const c of [mc, iris, cases.no_names, cases.categorical, cases.multilabel]) {
      const bytes = readFileSync(c.model);
      const sha = createHash('sha256').update(bytes).digest('hex');
      const model = await loadModel(bytes, { manifest: c.manifest ? readFileSync(c.manifest) : undefined });
      const { info } = model;
      assert.equal(info.sha256, sha);
      assert.equal(info.bytes, bytes.length);
      assert.equal(info.format, 'xgboost-json');
      assert.equal(info.producer, `xgboost ${c.meta.xgboost}`);
      assert.equal(info.objective, c.meta.objective);
      assert.equal(info.task, c.meta.task);
      assert.equal(info.booster, c.meta.booster);
      assert.equal(info.treesInFile, c.meta.n_trees);
      assert.ok(Number.isInteger(info.nodes) && info.nodes >= info.trees);
      assert.ok(Number.isInteger(info.maxDepth) && info.maxDepth >= 1);
      assert.equal(info.features.count, c.meta.n_features);
      assert.deepEqual(info.features.names, c.meta.feature_names);
      assert.ok(Array.isArray(info.features.categorical));
      assert.deepEqual(info.classes, c.meta.classes);
      assert.deepEqual(info.outputs, c.meta.classes.map(String));
      assert.equal(info.thresholds.length, c.meta.classes.length);
      assert.ok(Array.isArray(info.missing));
      assert.throws(() => { info.task = 'x'; }, TypeError);
      model.dispose();

      const r = await runCli(['info', c.model, '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.toString().split('\n').length, 2, 'one line of JSON');
      assert.deepEqual(JSON.parse(r.stdout.toString()), JSON.parse(JSON.stringify(info)));
    }
    const cat = await loadModel(readFileSync(cases.categorical.model));
    assert.deepEqual(cat.info.features.categorical, [0, 1]);
    cat.dispose();
  });

  test('the CLI summary names format, producer, objective, task, trees, features, classes, thresholds, sha256', async () => {
    const r = await runCli(['info', iris.model]);
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout.toString();
    const sha = createHash('sha256').update(readFileSync(iris.model)).digest('hex');
    for (const re of [/^format +xgboost-json \(xgboost 1\.7\.4\)$/m, /^objective +multi:softprob$/m, /^task +multiclass$/m,
      /^trees +60 \(gbtree booster, \d+ nodes, max depth 3\)$/m, /^features +4: sepal_length, sepal_width, petal_length, petal_width$/m,
      /^classes +3: setosa, versicolor, virginica$/m, /^thresholds +0\.5, 0\.5, 0\.5$/m, new RegExp(`^sha256 +${sha}$`, 'm')]) {
      assert.match(text, re);
    }
  });
});

describe('dispose', () => {
  test('a disposed model refuses every use with USAGE naming the fix', async () => {
    const model = await loadModel(readFileSync(mc.model));
    model.dispose();
    model.dispose(); // twice is harmless
    assert.equal(model.disposed, true);
    const isDisposed = (e) => e instanceof LocalPredictError && e.code === 'USAGE' && /disposed/.test(e.message) && /loadModel/.test(e.message);
    assert.throws(() => model.predict([]), isDisposed);
    assert.throws(() => model.predictCsv(mc.inputText), isDisposed);
    await assert.rejects(model.predictCsvText(mc.inputText), isDisposed);
    await assert.rejects(model.check('a,b'), isDisposed);
  });

  test('disposing while a stream runs errors the stream with USAGE', async () => {
    const model = await loadModel(readFileSync(mc.model));
    const enc = new TextEncoder();
    let n = 0;
    const input = new ReadableStream({
      pull(c) {
        c.enqueue(enc.encode(n++ === 0 ? mc.inputText : mc.inputText.slice(mc.inputText.indexOf('\n') + 1)));
      },
    });
    const reader = model.predictCsv(input).getReader();
    await reader.read();
    model.dispose();
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) break;
    }, (e) => e.code === 'USAGE' && /disposed/.test(e.message));
  });
});

describe('engines', () => {
  test('SIMD and scalar engines give identical bytes on every fixture', { skip: !simdSupported() && 'no SIMD' }, async () => {
    for (const c of Object.values(cases)) {
      const outs = [];
      for (const simd of [true, false]) {
        const model = await loadModel(readFileSync(c.model), { simd, manifest: c.manifest ? readFileSync(c.manifest) : undefined });
        assert.equal(model.engine, simd ? 'simd' : 'scalar');
        outs.push(await streamBytes(model.predictCsv(c.inputText, { includeInput: true })));
        model.dispose();
      }
      assert.ok(outs[0].equals(outs[1]), c.name);
    }
  });

  test('setEngine chooses the default engine; bad values are USAGE', async () => {
    try {
      setEngine({ simd: false });
      const model = await loadModel(readFileSync(mc.model));
      assert.equal(model.engine, 'scalar');
      model.dispose();
      assert.throws(() => setEngine({ simd: 1 }), (e) => e.code === 'USAGE');
      assert.throws(() => setEngine(null), (e) => e.code === 'USAGE');
    } finally {
      setEngine({ simd: 'auto' });
    }
    const model = await loadModel(readFileSync(mc.model));
    assert.equal(model.engine, simdSupported() ? 'simd' : 'scalar');
    model.dispose();
  });

  test('one engine instance per variant, shared by all models', async () => {
    const [a, b] = await Promise.all([getEngine(false), getEngine(false)]);
    assert.equal(a, b);
  });

  test('no engine memory is leaked by predictions, streams, errors and dispose', async () => {
    const engine = await getEngine(false);
    // Every buffer the shim allocates goes through engine.alloc / engine.free: track them.
    const live = new Set();
    const { alloc, free } = engine;
    engine.alloc = function trackedAlloc(n) {
      const p = alloc.call(this, n);
      live.add(p);
      return p;
    };
    engine.free = function trackedFree(p) {
      if (p) assert.ok(live.delete(p), `free of an unknown pointer ${p}`);
      free.call(this, p);
    };
    try {
      const rows = rowsAsNumberObjects(mc);
      const big = Array.from({ length: 5 }, () => rows).flat();
      const text = mc.inputText;
      const bytes = readFileSync(mc.model);
      const round = async () => {
        const model = await loadModel(bytes, { simd: false });
        model.predict(big, { returnPredProba: true });
        model.predict(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]))));
        model.predict({ data: new Float32Array(rows.length * 10), rows: rows.length, cols: 10 });
        await model.predictCsvText(text, { includeInput: true });
        await model.check(text);
        await model.predictCsvText(`${text}x\n`).catch(() => {});
        assert.throws(() => model.predict([{ ...rows[0], age: 'bad' }]));
        assert.throws(() => model.predict({ data: new Float32Array(3), rows: 1, cols: 3 }));
        const reader = model.predictCsv(text).getReader();
        await reader.read();
        await reader.cancel();
        await model.predictCsvText(text, { signal: AbortSignal.abort() }).catch(() => {});
        model.predictCsv(text); // abandoned: its job is freed by dispose()
        await new Promise((resolve) => setTimeout(resolve, 5));
        model.dispose();
        await loadModel(new TextEncoder().encode('{"learner": ]'), { simd: false }).catch(() => {});
        await loadModel(bytes, { simd: false, manifest: { localpredict: 1, nope: 1 } }).catch(() => {});
      };
      for (let i = 0; i < 2; i++) await round(); // warm up: the heap reaches its working size
      assert.equal(live.size, 0, `${live.size} shim allocations not freed`);
      const size = engine.x.memory.buffer.byteLength;
      for (let i = 0; i < 10; i++) await round();
      assert.equal(live.size, 0, `${live.size} shim allocations not freed`);
      assert.equal(engine.x.memory.buffer.byteLength, size, 'engine memory kept growing');
    } finally {
      delete engine.alloc;
      delete engine.free;
    }
  });

  test('an error describes its own call after successes and other errors (the error record is reused)', async () => {
    const model = await loadModel(readFileSync(mc.model), { simd: false });
    const rows = rowsAsNumberObjects(mc);
    const ok = model.predict(rows, { returnPredProba: true });
    const cell = await rejects(() => model.predict([{ ...rows[0], age: 'bad' }]), 'BAD_NUMBER');
    assert.equal(cell.where.column, 'age');
    assert.deepEqual(model.predict(rows, { returnPredProba: true }), ok);
    const count = await rejects(() => model.predict({ data: new Float32Array(3), rows: 1, cols: 3 }), 'COLUMN_COUNT',
      /3 columns/);
    assert.ok(!count.message.includes('age') && count.where.column === undefined, count.message);
    assert.deepEqual(model.predict(rows, { returnPredProba: true }), ok);
    model.dispose();
  });
});

describe('package entries', () => {
  const script = (code, args = []) => run(process.execPath, [...args, '--input-type=module', '-e', code]);

  test('"localpredict" resolves to the Node entry by package self-reference', async () => {
    const r = await script(`
      import { loadModel } from 'localpredict';
      import { readFileSync } from 'node:fs';
      const m = await loadModel(${JSON.stringify(iris.model)}, { manifest: readFileSync(${JSON.stringify(iris.manifest)}) });
      console.log(m.predict([{ sepal_length: 6.5, sepal_width: 3, petal_length: 5.5, petal_width: 2 }])[0]);
    `);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.toString().trim(), 'virginica');
  });

  test('the core entry without an environment asks for the engine bytes; setEngine({ wasm }) gives them', async () => {
    const r = await script(`
      import { loadModel, setEngine } from 'localpredict/core';
      import { readFileSync } from 'node:fs';
      const model = readFileSync(${JSON.stringify(mc.model)});
      try { await loadModel(model); console.log('no error'); } catch (e) { console.log(e.code, /setEngine/.test(e.message)); }
      try { await loadModel('x.json'); console.log('no error'); } catch (e) { console.log(e.code); }
      setEngine({ wasm: { scalar: readFileSync(${JSON.stringify(join(ROOT, 'wasm/build/localpredict-scalar.wasm'))}) } });
      const m = await loadModel(model);
      console.log(m.engine, m.info.task);
    `);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.toString().trim().split('\n'), ['USAGE true', 'USAGE', 'scalar multiclass']);
  });

  test('the browser entry fetches the engine (which Node cannot do from file:) unless given the bytes', async () => {
    const r = await script(`
      import { loadModel, setEngine } from ${JSON.stringify(pathToFileURL(join(ROOT, 'wasm/browser.mjs')).href)};
      import { readFileSync } from 'node:fs';
      try { await loadModel(readFileSync(${JSON.stringify(mc.model)}), { simd: false }); console.log('loaded'); }
      catch (e) { console.log(e.code, /fetch/.test(e.message)); }
      setEngine({ wasm: (variant) => readFileSync(new URL('./wasm/build/' + (variant === 'simd' ? 'localpredict.wasm' : 'localpredict-scalar.wasm'), ${JSON.stringify(pathToFileURL(`${ROOT}/`).href)})) });
      const m = await loadModel(readFileSync(${JSON.stringify(mc.model)}));
      console.log(m.info.task);
    `);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.toString().trim().split('\n'), ['IO true', 'multiclass']);
  });

  test('package.json: bin, exports, engines, type', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(pkg.name, 'localpredict');
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.bin.localpredict, 'wasm/cli.mjs');
    // What `files` puts in the tarball is checked on the packed tarball itself (tests/package/).
    assert.equal(pkg.engines.node, '>=18');
    assert.equal(pkg.dependencies, undefined);
    assert.equal(pkg.exports['.'].node, './wasm/node.mjs');
    assert.equal(pkg.exports['.'].browser, './wasm/browser.mjs');
    assert.ok(readFileSync(join(ROOT, 'wasm/cli.mjs'), 'utf8').startsWith('#!/usr/bin/env node\n'));
  });
});

