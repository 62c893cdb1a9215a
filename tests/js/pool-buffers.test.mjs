/* pool-buffers.test.mjs — the worker pool's memory stays bounded by reusing its
 * buffers (issue 6: a 1 GB file in under 256 MB): the slices' buffers come back
 * from the workers (slice-pool.mjs), and a source that reads into the caller's
 * buffer (the CLI's file: { size, readInto }; a Blob whose stream() is a byte
 * stream) is read into a few reused buffers.  Reuse must not change a byte: outputs are compared with one job,
 * with slices and reads so small that records, quoted line breaks and CRLFs
 * span them.  The CLI starts its workers before the model loads; a run that
 * fails before using them still exits with its code and leaves no file. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, appendFileSync, existsSync, openAsBlob } from 'node:fs';
import { join } from 'node:path';

import { loadModel, LocalPredictError } from '../../wasm/node.mjs';
import { poolStats } from '../../wasm/pool.mjs';
import { poolTuning, recycleOutput } from '../../wasm/parallel-csv.mjs';
import { SlicePool } from '../../wasm/slice-pool.mjs';
import { loadCases, compareCsv, streamBytes, runCli, tempDir, rng, withTuning } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const enc = new TextEncoder();

/** The multilabel rows with notes of every quoting form, CRLF line ends, blank lines and a BOM. */
function trickyInput(copies = 1) {
  const c = cases.multilabel;
  const [header, ...rows] = c.inputText.trimEnd().split('\n');
  const notes = ['plain', '"with, comma"', '"say ""hi"""', '"two\r\nlines"', '"three\nline\nnote"', '""', 'x"y', '"\r\n"'];
  const lines = [`note,${header}`];
  for (let k = 0; k < copies; k++) {
    rows.forEach((r, i) => {
      lines.push(`${notes[(i + k) % notes.length]},${r}`);
      if (i % 17 === 5) lines.push('');
    });
  }
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

/** A file-like source over bytes ({ size, readInto }, as cli.mjs gives), reading at most
 * nextSize() bytes per call; `buffers` collects the distinct buffers it was asked to fill. */
function fileSource(bytes, nextSize) {
  let off = 0;
  const buffers = new Set();
  return {
    buffers,
    reads: 0,
    size: bytes.length,
    async readInto(buf) {
      this.reads++;
      buffers.add(buf.buffer);
      const n = Math.min(buf.length, nextSize(), bytes.length - off);
      buf.set(bytes.subarray(off, off + n));
      off += n;
      return n;
    },
  };
}

/** A Blob-like over bytes whose stream() is a byte stream (as Blob.stream() is in Chromium
 * and Node) or, with `byteStream` false, a stream of plain chunks (an older browser's);
 * each read gives at most nextSize() bytes.  `counts.byob`: reads written into the
 * reader's buffer; `counts.plain`: chunks the stream allocated. */
function streamBlob(bytes, nextSize, byteStream = true) {
  const blob = new Blob([bytes]);
  const counts = { byob: 0, plain: 0 };
  return {
    counts,
    size: bytes.length,
    type: '',
    slice: () => { throw new Error('slice() used: stream() was not'); },
    arrayBuffer: () => blob.arrayBuffer(),
    stream() {
      let off = 0;
      return new ReadableStream({
        type: byteStream ? 'bytes' : undefined,
        pull(c) {
          const req = byteStream ? c.byobRequest : null;
          if (off >= bytes.length) {
            c.close();
            req?.respond(0);
            return;
          }
          const n = Math.min(nextSize(), bytes.length - off, req ? req.view.byteLength : Infinity);
          if (req) {
            new Uint8Array(req.view.buffer, req.view.byteOffset, n).set(bytes.subarray(off, off + n));
            req.respond(n);
            counts.byob++;
          } else {
            c.enqueue(bytes.slice(off, off + n));
            counts.plain++;
          }
          off += n;
        },
      });
    },
  };
}

describe('the pool reuses its buffers', () => {
  let model;
  before(async () => {
    const c = cases.multilabel;
    model = await loadModel(readFileSync(c.model), { manifest: c.manifest ? readFileSync(c.manifest) : undefined });
  });
  after(() => model.dispose());

  test('a readInto source, tiny reads and slices: the bytes of one job; few buffers made', async () => {
    const bytes = enc.encode(trickyInput(4));
    const longestLine = Math.max(...trickyInput(1).split('\r\n').map((l) => enc.encode(l).length));
    const one = await streamBytes(model.predictCsv(bytes, { jobs: 1, includeInput: true }));
    // The first copy matches the reference library (the others repeat its rows).
    const plain = await streamBytes(model.predictCsv(enc.encode(trickyInput(1)), { jobs: 1 }));
    assert.deepEqual(compareCsv(cases.multilabel, plain.toString('utf8')), []);
    const next = rng(11);
    // [slice size, read buffer size, least bytes a read gives, bytes a read gives]
    const cases3 = [[1, 7, 7, () => 7], [50, 64, 16, () => 16 + Math.floor(next() * 49)], [333, 100, 3, () => 3]];
    for (const [sliceBytes, readBytes, least, size] of cases3) {
      for (const jobs of [2, 3]) {
        const src = fileSource(bytes, size);
        const made = poolStats.sliceBuffers;
        let slices = 0;
        const many = await withTuning({ minBytes: 0, sliceBytes, readBytes }, () =>
          streamBytes(model.predictCsv(src, { jobs, includeInput: true, onProgress: () => { slices++; } })));
        const what = `slices of ${sliceBytes}, reads of ${readBytes}, jobs ${jobs}`;
        assert.ok(many.equals(one), `${what}: output differs from one job`);
        // In flight: slicesPerWorker per worker, and the slices one read completes.
        const window = poolTuning.slicesPerWorker * jobs;
        assert.ok(slices > 4 * window, `${what}: only ${slices} slices`);
        assert.ok(poolStats.sliceBuffers > made, `${what}: the run stayed on this thread`);
        assert.ok(poolStats.sliceBuffers - made <= window + 4, `${what}: ${poolStats.sliceBuffers - made} slice buffers for ${slices} slices`);
        // Read buffers: the ones the current slice (a record at least) still refers to, and a few more.
        const bound = Math.ceil((sliceBytes + 2 * longestLine) / least) + 3;
        assert.ok(src.buffers.size <= bound && src.buffers.size * 10 < src.reads,
          `${what}: ${src.buffers.size} read buffers for ${src.reads} reads`);
      }
    }
  });

  test('one job reads a readInto source into two reused buffers (one read ahead)', async () => {
    const bytes = enc.encode(trickyInput(2));
    const one = await streamBytes(model.predictCsv(bytes, { jobs: 1, includeInput: true }));
    const src = fileSource(bytes, () => 333);
    assert.ok((await streamBytes(model.predictCsv(src, { jobs: 1, includeInput: true }))).equals(one));
    assert.ok(src.reads > 10 && src.buffers.size === 2, `${src.buffers.size} buffers for ${src.reads} reads`);
    // Each read after the first starts before the chunk before it is predicted (its
    // progress event): the reads overlap the predicting.
    let pushed = 0;
    const seen = [];
    const ahead = fileSource(bytes, () => 333);
    const readInto = ahead.readInto.bind(ahead);
    ahead.readInto = (buf) => { seen.push(pushed); return readInto(buf); };
    const out = await streamBytes(model.predictCsv(ahead, { jobs: 1, includeInput: true, onProgress: () => { pushed++; } }));
    assert.ok(out.equals(one));
    assert.deepEqual(seen.slice(1, 6), [0, 1, 2, 3, 4], `progress events before each read: ${seen.slice(0, 8)}`);
  });

  test('a Blob is read into the reader\'s buffers where its stream() is a byte stream, as chunks where not: the bytes of one job', async () => {
    const bytes = enc.encode(trickyInput(4));
    const one = await streamBytes(model.predictCsv(bytes, { jobs: 1, includeInput: true }));
    const next = rng(12);
    for (const byteStream of [true, false]) {
      for (const jobs of [1, 2, 3]) {
        const blob = streamBlob(bytes, () => 1 + Math.floor(next() * 97), byteStream);
        const many = await withTuning({ minBytes: 0, sliceBytes: 50, readBytes: 64 }, () =>
          streamBytes(model.predictCsv(blob, { jobs, includeInput: true })));
        const what = `${byteStream ? 'byte stream' : 'plain stream'}, jobs ${jobs}`;
        assert.ok(many.equals(one), `${what}: output differs from one job`);
        const { byob, plain } = blob.counts;
        assert.ok(byteStream ? byob > 100 && plain === 0 : byob === 0 && plain > 100, `${what}: ${byob} reads into buffers, ${plain} chunks`);
      }
    }
  });

  // A File read from disk is a snapshot: once the file changes, reading it fails (Chromium
  // says only "network error"); the error names the file and says what to do.
  test('a File changed on disk since it was opened: an IO error naming it, on one job, on the pool and in check()', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'rows.csv');
      const cannotRead = (e) => e instanceof LocalPredictError && e.code === 'IO' &&
        /^rows\.csv: cannot read it \(.+\): if it was changed, moved or deleted since it was chosen, choose it again$/.test(e.message);
      for (const jobs of [1, 2]) {
        writeFileSync(path, trickyInput(4));
        const file = new File([await openAsBlob(path)], 'rows.csv');
        appendFileSync(path, 'more\r\n');
        let output = 0;
        await assert.rejects(withTuning({ minBytes: 0, sliceBytes: 50 }, async () => {
          for await (const chunk of model.predictCsv(file, { jobs })) output += chunk.length;
        }), cannotRead, `jobs ${jobs}`);
        assert.equal(output, 0, `jobs ${jobs}: output before the error`);
        await assert.rejects(model.check(file), cannotRead, 'check()');
      }
      // Blob-likes: one whose plain stream fails, one without stream() whose slices fail.
      const error = new TypeError('network error');
      const failing = [
        { size: 100, type: '', slice() {}, arrayBuffer() {}, stream: () => new ReadableStream({ pull: (c) => c.error(error) }) },
        { size: 100, type: '', slice: () => ({ arrayBuffer: () => Promise.reject(error) }), arrayBuffer() {} },
      ];
      for (const blob of failing) {
        await assert.rejects(streamBytes(model.predictCsv(blob, { jobs: 1 })),
          (e) => e.code === 'IO' && e.message.startsWith('the Blob: cannot read it (network error): if it was changed'));
      }
    } finally {
      cleanup();
    }
  });

  test('an input of known size: the last slices shrink, the bytes stay those of one job', async () => {
    const bytes = enc.encode(trickyInput(4));
    const one = await streamBytes(model.predictCsv(bytes, { jobs: 1, includeInput: true }));
    for (const input of [() => bytes, () => fileSource(bytes, () => 500)]) {
      const sizes = [];
      let last = 0;
      const onProgress = (p) => { sizes.push(p.bytesRead - last); last = p.bytesRead; };
      const sliceBytes = Math.ceil(bytes.length / 4);
      const many = await withTuning({ minBytes: 0, sliceBytes, readBytes: 500, tailSliceBytes: 100 }, () =>
        streamBytes(model.predictCsv(input(), { jobs: 2, includeInput: true, onProgress })));
      assert.ok(many.equals(one), 'output differs from one job');
      // Without shrinking: four slices of a quarter.  With it: the last ones near 100 bytes.
      assert.ok(sizes.length > 8, `${sizes.length} slices: ${sizes}`);
      assert.ok(Math.min(...sizes.slice(0, -1)) < 400, `slices of ${sizes}`);
    }
  });

  test('input that is read: the first slices are small and grow as big as the bytes before them; the bytes stay those of one job', async () => {
    const bytes = enc.encode(trickyInput(4));
    const one = await streamBytes(model.predictCsv(bytes, { jobs: 1, includeInput: true }));
    for (const input of [() => fileSource(bytes, () => 300), () => new Blob([bytes])]) {
      const starts = [];
      let last = 0;
      const onProgress = (p) => { starts.push([last, p.bytesRead - last]); last = p.bytesRead; };
      const many = await withTuning({ minBytes: 0, sliceBytes: 4000, firstSliceBytes: 200, readBytes: 500 }, () =>
        streamBytes(model.predictCsv(input(), { jobs: 2, includeInput: true, onProgress })));
      assert.ok(many.equals(one), 'output differs from one job');
      // A slice ends at the first record end at or after its size: max(200, its start), at most 4000.
      const longestLine = Math.max(...trickyInput(1).split('\r\n').map((l) => enc.encode(l).length));
      assert.ok(starts[0][1] < 200 + longestLine, `first slice ${starts[0][1]} bytes`);
      for (const [start, size] of starts.slice(0, -1)) {
        const want = Math.min(4000, Math.max(200, start));
        assert.ok(size >= want && size < want + longestLine, `slice at ${start}: ${size} bytes, want ${want} and a record`);
      }
      assert.ok(starts.some(([, size]) => size >= 4000), 'the slices never reached sliceBytes');
    }
    // Bytes in memory: nothing to wait for, full slices from the start.
    const sizes = [];
    let last = 0;
    await withTuning({ minBytes: 0, sliceBytes: 4000, firstSliceBytes: 200 }, () =>
      streamBytes(model.predictCsv(bytes, { jobs: 2, onProgress: (p) => { sizes.push(p.bytesRead - last); last = p.bytesRead; } })));
    assert.ok(sizes[0] >= 4000, `bytes in memory: a first slice of ${sizes[0]} bytes`);
  });

  test('output buffers given back (recycleOutput) are reused; the bytes stay those of one job', async () => {
    const bytes = enc.encode(trickyInput(4));
    const one = await streamBytes(model.predictCsv(bytes, { jobs: 1, includeInput: true }));
    for (const jobs of [2, 3]) {
      const made = poolStats.outputBuffers;
      // Read a slice at a time, so that outputs come back while later slices are sent.
      const stream = await withTuning({ minBytes: 0, sliceBytes: 200, readBytes: 150 }, () =>
        model.predictCsv(fileSource(bytes, () => 150), { jobs, includeInput: true }));
      const reader = stream.getReader();
      const parts = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(Buffer.from(value)); // a copy: the buffer is given back below
        recycleOutput(stream, value);
        recycleOutput(stream, value); // twice: ignored
        recycleOutput(stream, new Uint8Array(16)); // not the stream's: ignored
      }
      const what = `jobs ${jobs}`;
      assert.ok(Buffer.concat(parts).equals(one), `${what}: output differs from one job`);
      const window = poolTuning.slicesPerWorker * jobs;
      assert.ok(parts.length > 8 * window, `${what}: only ${parts.length} slices`);
      // Made: as many as are out at once (up to twice the window of outputs wait for their
      // turn, parallel-csv.mjs fill(); the free ones; the consumer's), and the few that
      // replace a given-back buffer too small for a longer output.
      const fresh = poolStats.outputBuffers - made;
      assert.ok(fresh > 0 && fresh <= 5 * window, `${what}: ${fresh} output buffers for ${parts.length} slices`);
    }
    // A consumer that keeps its chunks gives nothing back: every output has a buffer of its own.
    const made = poolStats.outputBuffers;
    const kept = [];
    const stream = await withTuning({ minBytes: 0, sliceBytes: 200 }, () => model.predictCsv(bytes, { jobs: 2, includeInput: true }));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      kept.push(value);
    }
    assert.ok(Buffer.concat(kept).equals(one), 'kept chunks differ from one job');
    assert.equal(poolStats.outputBuffers - made, kept.length);
  });

  test('a readInto source: an error mid-file is the one job\'s error, and nothing follows it', async () => {
    const text = trickyInput(3).split('\r\n');
    let k = Math.floor(text.length * 0.7);
    while (!text[k] || text[k].startsWith('"')) k--;
    text[k] = text[k].replace(/^([^,]*),([^,]*)/, '$1,oops');
    const bytes = enc.encode(text.join('\r\n'));
    const errorOf = async (p) => {
      try {
        await p;
      } catch (e) {
        assert.ok(e instanceof LocalPredictError, String(e));
        return { code: e.code, message: e.message, where: { ...e.where } };
      }
      return assert.fail('no error');
    };
    const want = await errorOf(streamBytes(model.predictCsv(bytes, { jobs: 1 })));
    assert.equal(want.code, 'BAD_NUMBER');
    for (const jobs of [2, 3]) {
      const got = await withTuning({ minBytes: 0, sliceBytes: 40, readBytes: 33 }, () =>
        errorOf(streamBytes(model.predictCsv(fileSource(bytes, () => 33), { jobs }))));
      assert.deepEqual(got, want, `jobs ${jobs}`);
    }
  });
});

test('SlicePool: buffers come back and are reused; it keeps few, and no huge one', () => {
  const pool = new SlicePool(100, 2);
  const made = poolStats.sliceBuffers;
  const a = pool.take(100);
  const b = pool.take(90);
  assert.equal(a.length, 100);
  assert.notEqual(a.buffer, b.buffer);
  assert.equal(poolStats.sliceBuffers - made, 2);
  pool.give(a);
  pool.give(b);
  const c = pool.take(105); // a record a little past the slice size still fits
  assert.ok(c.buffer === a.buffer || c.buffer === b.buffer);
  assert.equal(c.length, 105);
  assert.equal(poolStats.sliceBuffers - made, 2);
  const huge = pool.take(100000); // a long record: a buffer of its own size
  assert.equal(huge.length, 100000);
  pool.give(huge);
  assert.ok(!pool.free.includes(huge.buffer), 'a huge buffer is not kept');
  pool.give(c);
  pool.give(pool.take(10));
  pool.give(new Uint8Array(10));
  assert.ok(pool.free.length <= 2);
});

test('CLI --jobs 2 on a big file: failures before the workers are used exit with their code, no file', async () => {
  const c = cases.multilabel;
  const { dir, cleanup } = tempDir();
  try {
    // Over the pool threshold, so the CLI starts its workers before loading the model.
    const text = trickyInput(Math.ceil(poolTuning.minBytes / trickyInput(1).length) + 1);
    writeFileSync(join(dir, 'big.csv'), text);
    writeFileSync(join(dir, 'bad.json'), '{"learner": ');
    const out = join(dir, 'out.csv');
    const badModel = await runCli(['predict', join(dir, 'bad.json'), join(dir, 'big.csv'), '--jobs', '2', '-o', out]);
    assert.equal(badModel.status, 2, badModel.stderr);
    assert.ok(!existsSync(out));
    writeFileSync(join(dir, 'nocols.csv'), `a,b\r\n${'1,2\r\n'.repeat(Math.ceil(poolTuning.minBytes / 5))}`);
    const badHeader = await runCli(['predict', c.model, join(dir, 'nocols.csv'), '--jobs', '2', '-o', out]);
    assert.equal(badHeader.status, 3, badHeader.stderr);
    assert.match(badHeader.stderr, /nocols\.csv/);
    assert.ok(!existsSync(out));
  } finally {
    cleanup();
  }
});
