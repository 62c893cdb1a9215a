/* pool.test.mjs — predictCsv on several workers (worker_threads) must write exactly the
 * bytes of one job, whose output is checked against xgboost's expected probabilities
 * here too.  Slices are made tiny (poolTuning) so that every record boundary is a cut:
 * quoted fields with line breaks, CRLF and a BOM land right at slice boundaries.
 * Errors in later slices must name the same line and column as one job; abort stops
 * the run; progress reaches the totals. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';

import { loadModel, setEngine } from '../../wasm/node.mjs';
import { poolStats, poolTrace } from '../../wasm/pool.mjs';
import { ROOT, errorOf } from './helpers.mjs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { poolTuning } from '../../wasm/parallel-csv.mjs';
import { loadCases, compareCsv, chunkedStream, rng, streamBytes, runCli, run, tempDir, hasNative, NATIVE, withTuning } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const enc = new TextEncoder();
const JOBS = [4, 3, 2]; // largest first: a model keeps its pool, and a smaller run reuses it

const tiny = { minBytes: 0, sliceBytes: 1 };

/** The multilabel fixture with a note column of every quoting form, CRLF, blank lines, a BOM. */
function trickyInput() {
  const c = cases.multilabel;
  const [header, ...rows] = c.inputText.trimEnd().split('\n');
  const notes = ['plain', '"with, comma"', '"say ""hi"""', '"two\r\nlines"', '"three\nline\nnote"', '""', 'x"y', '"\r\n"'];
  const lines = [`note,${header}`];
  rows.forEach((r, i) => {
    lines.push(`${notes[i % notes.length]},${r}`);
    if (i % 17 === 5) lines.push('');
  });
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

describe('the worker pool', () => {
  const models = {};
  before(async () => {
    for (const name of Object.keys(cases)) {
      const c = cases[name];
      const manifest = c.manifest ? readFileSync(c.manifest) : undefined;
      models[name] = await loadModel(readFileSync(c.model), { manifest });
    }
  });
  after(() => Object.values(models).forEach((m) => m.dispose()));

  test('every fixture: jobs 2, 3, 4 give the bytes of one job, which match xgboost', async () => {
    for (const [name, c] of Object.entries(cases)) {
      const bytes = enc.encode(c.inputText);
      const one = await streamBytes(models[name].predictCsv(bytes, { jobs: 1 }));
      assert.deepEqual(compareCsv(c, one.toString('utf8')), [], name);
      for (const jobs of JOBS) {
        const many = await withTuning({ ...tiny, sliceBytes: 1 + jobs * 97 }, () =>
          streamBytes(models[name].predictCsv(bytes, { jobs })));
        assert.ok(many.equals(one), `${name}, jobs ${jobs}: output differs from one job`);
      }
    }
  });

  test('quoted line breaks, CRLF, blank lines and a BOM at every slice boundary', async () => {
    const bytes = enc.encode(trickyInput());
    const model = models.multilabel;
    for (const options of [{}, { includeInput: true }, { keep: ['note'] }]) {
      const one = await streamBytes(model.predictCsv(bytes, { ...options, jobs: 1 }));
      if (!options.includeInput && !options.keep) assert.deepEqual(compareCsv(cases.multilabel, one.toString('utf8')), []);
      for (const jobs of JOBS) {
        for (const sliceBytes of [1, 50, 333]) {
          const many = await withTuning({ ...tiny, sliceBytes }, () => streamBytes(model.predictCsv(bytes, { ...options, jobs })));
          assert.ok(many.equals(one), `${JSON.stringify(options)}, jobs ${jobs}, slices of ${sliceBytes}: output differs`);
        }
      }
    }
  });

  test('a stream in odd chunks, of unknown length, is split the same way', async () => {
    const bytes = enc.encode(trickyInput());
    const model = models.multilabel;
    const one = await streamBytes(model.predictCsv(bytes, { includeInput: true, jobs: 1 }));
    const next = rng(5);
    for (const size of [() => 1, () => 7, () => 1 + Math.floor(next() * 300)]) {
      const many = await withTuning({ ...tiny, sliceBytes: 64 }, () =>
        streamBytes(model.predictCsv(chunkedStream(bytes, size), { includeInput: true, jobs: 3 })));
      assert.ok(many.equals(one));
    }
  });

  test('a stream is read ahead of the splitter while the workers predict, by readAheadBytes', async () => {
    const c = cases.binary;
    const body = enc.encode(c.inputText.slice(c.inputText.indexOf('\n') + 1));
    const header = enc.encode(c.inputText.slice(0, c.inputText.indexOf('\n') + 1));
    const chunk = 50;
    /** Bytes an endless input was read when its run stood still, one output chunk taken. */
    const readWhenIdle = async (readAheadBytes) => {
      let pulled = 0;
      const endless = new ReadableStream({
        pull(controller) {
          const off = Math.max(0, pulled - header.length) % body.length;
          const piece = pulled < header.length ? header : body.subarray(off, off + chunk);
          pulled += piece.length;
          controller.enqueue(piece.slice());
        },
      }, { highWaterMark: 0 });
      const reader = await withTuning({ ...tiny, sliceBytes: 400, readAheadBytes }, async () => {
        const r = models.binary.predictCsv(endless, { jobs: 2 }).getReader();
        await r.read();
        return r;
      });
      try {
        // Until nothing more is read for 200 ms (the window full, the read-ahead held).
        for (let last = -1, i = 0; i < 100 && pulled !== last; i++) {
          last = pulled;
          await new Promise((r) => setTimeout(r, 200));
        }
        return pulled;
      } finally {
        await reader.cancel();
      }
    };
    const none = await readWhenIdle(0);
    const ahead = await readWhenIdle(5000);
    assert.ok(ahead - none >= 5000 - chunk && ahead - none <= 5000 + chunk + 500,
      `read ${none} bytes without read-ahead, ${ahead} with 5000`);
  });

  test('errors in later slices: the same code, line, column and message as one job', async () => {
    const base = trickyInput();
    const lines = base.split('\r\n');
    const at = (i, f) => lines.map((l, j) => (j === i ? f(l) : l)).join('\r\n');
    const bad = [
      ['BAD_NUMBER', at(150, (l) => l.replace(/,([^,]*)$/, ',oops'))],
      ['RAGGED_ROW', at(160, (l) => `${l},extra`)],
      ['BAD_CSV', at(170, (l) => `"q"x,${l.slice(l.indexOf(',') + 1)}`)],
      ['UNTERMINATED_QUOTE', `${base}"open,1,2\r\n3,4\r\n`],
      // Two errors: the first in file order wins, even when its slice finishes later.
      ['BAD_NUMBER', at(199, (l) => l.replace(/,([^,]*)$/, ',first')).replace(/(\r\n[^\r\n]*),([^,\r\n]*)\r\n$/, '$1,second\r\n')],
    ];
    for (const [code, text] of bad) {
      const bytes = enc.encode(text);
      const want = await errorOf(models.multilabel.predictCsvText(bytes, { jobs: 1, source: 'in.csv' }));
      assert.equal(want.code, code);
      assert.ok(want.where.line > 100, `line ${want.where.line}`);
      for (const jobs of JOBS) {
        for (const sliceBytes of [1, 200]) {
          const got = await withTuning({ ...tiny, sliceBytes }, () =>
            errorOf(models.multilabel.predictCsvText(bytes, { jobs, source: 'in.csv' })));
          assert.deepEqual(got, want, `${code}, jobs ${jobs}, slices of ${sliceBytes}`);
        }
      }
    }
  });

  test('a header error is reported once, as by one job', async () => {
    const bytes = enc.encode(cases.binary.inputText.replace(/^[^,\n]*/, 'renamed'));
    const want = await errorOf(models.binary.predictCsvText(bytes, { jobs: 1 }));
    assert.equal(want.code, 'MISSING_COLUMN');
    const got = await withTuning(tiny, () => errorOf(models.binary.predictCsvText(bytes, { jobs: 2 })));
    assert.deepEqual(got, want);
  });

  test('progress reaches the input size and the row count', async () => {
    const c = cases.binary;
    const bytes = enc.encode(c.inputText);
    const seen = [];
    await withTuning({ ...tiny, sliceBytes: 500 }, () =>
      models.binary.predictCsvText(bytes, { jobs: 3, onProgress: (p) => seen.push(p) }));
    assert.ok(seen.length > 3, `${seen.length} progress calls`);
    const last = seen[seen.length - 1];
    assert.equal(last.bytesRead, bytes.length);
    assert.equal(last.bytesTotal, bytes.length);
    assert.equal(last.rows, c.rows.length);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i].bytesRead >= seen[i - 1].bytesRead && seen[i].rows >= seen[i - 1].rows);
    // How many workers predicted: the run's 3, and 1 for a run on the calling thread.
    assert.ok(seen.every((p) => p.workers === 3), `workers ${seen.map((p) => p.workers)}`);
    const alone = [];
    await models.binary.predictCsvText(bytes, { jobs: 1, onProgress: (p) => alone.push(p) });
    assert.ok(alone.length > 0 && alone.every((p) => p.workers === 1));
  });

  test('a Blob (read with stream()) is cut by its known size, as bytes are', async () => {
    const c = cases.binary;
    const bytes = enc.encode(c.inputText);
    const one = await streamBytes(models.binary.predictCsv(bytes, { jobs: 1 }));
    const seen = [];
    // sliceBytes large and tailSliceBytes small: only the known size shrinks the last slices.
    const many = await withTuning({ ...tiny, sliceBytes: 1 << 20, tailSliceBytes: 64 }, () =>
      streamBytes(models.binary.predictCsv(new Blob([bytes]), { jobs: 2, onProgress: (p) => seen.push(p) })));
    assert.ok(many.equals(one), 'a Blob on 2 workers differs from one job');
    assert.ok(seen.length > 2, `${seen.length} slices: the size was not used to cut the last ones`);
    assert.equal(seen.at(-1).bytesTotal, bytes.length);
  });

  test('poolTrace, when set, notes each worker\'s start and each slice', async () => {
    const bytes = enc.encode(cases.binary.inputText);
    const m = await loadModel(readFileSync(cases.binary.model));
    try {
      poolTrace.events = [];
      const seen = [];
      await withTuning({ ...tiny, sliceBytes: 500 }, () => m.predictCsvText(bytes, { jobs: 2, onProgress: (p) => seen.push(p) }));
      const events = poolTrace.events;
      poolTrace.events = null;
      const named = (n) => events.filter((e) => e.name === n);
      assert.equal(named('slice').length, seen.length);
      assert.equal(new Set(named('slice').map((e) => e.worker)).size, 2);
      for (const n of ['worker start', 'instantiate', 'model blob load']) assert.equal(named(n).length, 2, n);
      for (const n of ['acquire', 'read', 'split+send', 'wait', 'model blob serialize']) assert.ok(named(n).length >= 1, n);
      assert.ok(events.every((e) => e.end >= e.start && e.start > 1e12), 'times in ms since the epoch');
    } finally {
      poolTrace.events = null;
      m.dispose();
    }
  });

  test('abort mid-run rejects with ABORTED and stops the workers', async () => {
    const bytes = enc.encode(cases.binary.inputText.repeat(1).replace(/\n$/, '') + '\n' +
      cases.binary.inputText.split('\n').slice(1).join('\n').repeat(30));
    const ac = new AbortController();
    let progressCalls = 0;
    const run = withTuning({ ...tiny, sliceBytes: 2000 }, () => models.binary.predictCsvText(bytes, {
      jobs: 2,
      signal: ac.signal,
      onProgress: () => { if (++progressCalls === 2) ac.abort(); },
    }));
    const e = await errorOf(run);
    assert.equal(e.code, 'ABORTED');
    assert.equal(progressCalls, 2);
    // The model is still usable, in the pool too.
    const again = await withTuning(tiny, () => models.binary.predictCsvText(enc.encode(cases.binary.inputText), { jobs: 2 }));
    assert.deepEqual(compareCsv(cases.binary, again), []);
  });

  test('an already aborted signal, cancel, and dispose during a run', async () => {
    const bytes = enc.encode(cases.binary.inputText);
    const ac = new AbortController();
    ac.abort();
    assert.equal((await errorOf(withTuning(tiny, () => models.binary.predictCsvText(bytes, { jobs: 2, signal: ac.signal })))).code, 'ABORTED');
    await withTuning(tiny, async () => {
      const reader = models.binary.predictCsv(bytes, { jobs: 2 }).getReader();
      await reader.read();
      await reader.cancel();
    });
    const model = await loadModel(readFileSync(cases.binary.model));
    await withTuning(tiny, async () => {
      const reader = model.predictCsv(bytes, { jobs: 2 }).getReader();
      await reader.read();
      model.dispose();
      const e = await errorOf(reader.read());
      assert.equal(e.code, 'USAGE');
      assert.match(e.message, /disposed/);
    });
  });

  test('the bundled worker (wasm/build/localpredict-worker.mjs, for blob: URLs) gives the same bytes', async () => {
    const c = cases.multiclass;
    const one = await models.multiclass.predictCsvText(c.inputText, { jobs: 1 });
    const model = await loadModel(readFileSync(c.model)); // a fresh model: no pool yet
    setEngine({ worker: pathToFileURL(join(ROOT, 'wasm', 'build', 'localpredict-worker.mjs')) });
    try {
      const started = poolStats.workersStarted;
      const many = await withTuning({ ...tiny, sliceBytes: 400 }, () => model.predictCsvText(c.inputText, { jobs: 2 }));
      assert.equal(poolStats.workersStarted - started, 2);
      assert.equal(many, one);
    } finally {
      setEngine({ worker: null });
      model.dispose();
    }
  });

  test('node started with a V8 flag (refused in a worker\'s execArgv) still predicts on workers', async () => {
    const c = cases.multiclass;
    const url = (f) => JSON.stringify(pathToFileURL(join(ROOT, 'wasm', f)).href);
    const script = `
      import { readFileSync } from 'node:fs';
      const { loadModel } = await import(${url('node.mjs')});
      const { poolStats } = await import(${url('pool.mjs')});
      const { poolTuning } = await import(${url('parallel-csv.mjs')});
      const model = await loadModel(readFileSync(${JSON.stringify(c.model)}));
      const text = readFileSync(${JSON.stringify(c.input)}, 'utf8');
      const one = await model.predictCsvText(text, { jobs: 1 });
      Object.assign(poolTuning, { minBytes: 0, sliceBytes: 400 });
      const two = await model.predictCsvText(text, { jobs: 2 });
      console.log(JSON.stringify({ started: poolStats.workersStarted, same: one === two }));
      model.dispose();`;
    const r = await run(process.execPath, ['--no-wasm-lazy-compilation', '--input-type=module', '-e', script]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { started: 2, same: true });
  });

  test('the default tuning over the threshold: in-memory input, slices shrinking at the end, no final line end, a last bad record', async () => {
    // At the defaults (slices of poolTuning.sliceBytes, fewer per worker near the end,
    // in-memory input read on demand), not the tiny slices of the tests above.
    const one = trickyInput();
    const copies = Math.ceil((poolTuning.minBytes + 3 * poolTuning.sliceBytes + 12345) / enc.encode(one).length);
    const body = one.slice(one.indexOf('\r\n') + 2);
    const text = one + body.repeat(copies - 1);
    const model = models.multilabel;
    // Bytes without a final line end; a string whose last record (a quoted line break,
    // text after the closing quote) is an error.
    for (const input of [enc.encode(text.slice(0, -2)), `${text}"a\r\nquote" ,1`]) {
      const single = await streamBytes(model.predictCsv(input, { jobs: 1, includeInput: true }))
        .catch((e) => e);
      let workers = 0;
      const many = await streamBytes(model.predictCsv(input, { jobs: 2, includeInput: true, onProgress: (p) => { workers = p.workers; } }))
        .catch((e) => e);
      if (single instanceof Error) {
        // The last input ends in a bad record: the same error as one job.
        assert.ok(many instanceof Error, 'one job failed, two did not');
        assert.deepEqual([many.code, many.message], [single.code, single.message]);
        continue;
      }
      assert.equal(workers, 2, 'the run stayed on this thread');
      assert.ok(Buffer.isBuffer(many) && many.equals(single), `${input.length} bytes: output differs from one job`);
    }
  });

  test('small inputs stay on the calling thread; jobs is checked', async () => {
    const started = poolStats.workersStarted;
    // With the default threshold a fixture is far too small for workers; the bytes are the same.
    const c = cases.multiclass;
    const text = await models.multiclass.predictCsvText(c.inputText, { jobs: 4 });
    assert.deepEqual(compareCsv(c, text), []);
    assert.equal(poolStats.workersStarted, started, 'a small input started workers');
    for (const jobs of [0, -1, 1.5, '2', 2000]) {
      await assert.rejects(models.multiclass.predictCsvText(c.inputText, { jobs }), (e) => e.code === 'USAGE' && /jobs/.test(e.message));
    }
  });
});

/** The tricky rows repeated past the pool threshold, and the same with a bad number near the end. */
function bigTrickyFiles(dir) {
  const c = cases.multilabel;
  const [header, ...rows] = c.inputText.trimEnd().split('\n');
  const notes = ['plain', '"with, comma"', '"say ""hi"""', '"two\r\nlines"', '"three\nline\nnote"', '""', 'x"y', '"\r\n"'];
  const lines = [`note,${header}`];
  let size = 0;
  for (let i = 0; size < poolTuning.minBytes + (2 << 20); i++) {
    const line = `${notes[i % notes.length]},${rows[i % rows.length]}`;
    lines.push(line);
    size += line.length + 2;
    if (i % 17 === 5) lines.push('');
  }
  const good = `\ufeff${lines.join('\r\n')}\r\n`;
  let k = lines.length - 40;
  while (!lines[k] || lines[k].startsWith('"')) k--;
  lines[k] = lines[k].replace(/^([^,]*),([^,]*)/, '$1,oops');
  const bad = `\ufeff${lines.join('\r\n')}\r\n`;
  writeFileSync(join(dir, 'big.csv'), good);
  writeFileSync(join(dir, 'bad.csv'), bad);
  return { good: join(dir, 'big.csv'), bad: join(dir, 'bad.csv'), perCopy: rows.length };
}

test('CLIs with --jobs on a file over the pool threshold: the bytes and errors of one job', async () => {
  // Real default tuning (1 MiB slices): cuts land next to quoted line breaks, CRLF, blank lines.
  const c = cases.multilabel;
  const { dir, cleanup } = tempDir();
  try {
    const files = bigTrickyFiles(dir);
    const clis = [['js', (args) => runCli(args)]];
    if (hasNative()) clis.push(['native', (args) => run(NATIVE, args)]);
    const one = await runCli(['predict', c.model, files.good, '--jobs', '1', '--quiet']);
    assert.equal(one.status, 0, one.stderr);
    // The first copy of the fixture's rows matches xgboost; the rest repeat it.
    const [outHeader, ...outRows] = one.stdout.toString('utf8').trimEnd().split('\n');
    assert.deepEqual(compareCsv(c, `${outHeader}\n${outRows.slice(0, files.perCopy).join('\n')}\n`), []);
    for (let r = files.perCopy; r < outRows.length; r++) assert.equal(outRows[r], outRows[r % files.perCopy], `row ${r + 1}`);
    const oneBad = await runCli(['predict', c.model, files.bad, '--jobs', '1']);
    assert.equal(oneBad.status, 3);
    assert.match(oneBad.stderr, /bad\.csv:\d+: column "m0": not a number: "oops"/);
    for (const [name, cli] of clis) {
      for (const jobs of ['2', '3']) {
        const many = await cli(['predict', c.model, files.good, '--jobs', jobs, '--quiet']);
        assert.equal(many.status, 0, `${name} --jobs ${jobs}: ${many.stderr}`);
        assert.ok(many.stdout.equals(one.stdout), `${name} --jobs ${jobs}: output differs from one job`);
        const bad = await cli(['predict', c.model, files.bad, '--jobs', jobs, '-o', join(dir, 'out.csv')]);
        assert.equal(bad.status, 3, `${name} --jobs ${jobs}`);
        assert.equal(bad.stderr, oneBad.stderr, `${name} --jobs ${jobs}: another error`);
        assert.ok(!existsSync(join(dir, 'out.csv')), `${name} --jobs ${jobs}: an output file after an error`);
      }
    }
    const usage = await runCli(['predict', c.model, files.good, '--jobs', '0']);
    assert.equal(usage.status, 1);
  } finally {
    cleanup();
  }
});
