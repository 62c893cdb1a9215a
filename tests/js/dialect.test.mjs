/* dialect.test.mjs — real-world CSVs (issue 9) through the JS API, the worker pool
 * and both CLIs.
 *
 * Every dialect input is made from the multiclass fixture's input.csv (xgboost's
 * probabilities in expected.csv, tests/fixtures/gen/gen_xgboost.py), so the expected
 * values stay the reference library's whatever the delimiter, decimal mark, encoding or
 * header: semicolons, tabs, pipes, decimal commas, UTF-16 LE/BE with their byte-order
 * marks, Windows-1252 text, no header, Excel output, bad rows in the middle.  The
 * native and the JS CLI must write the same bytes (stdout and stderr) for each.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel, LocalPredictError } from '../../wasm/node.mjs';
import {
  ENGINES, loadCases, compareCsv, parseCsv, close, run, runCli, hasNative, NATIVE, tempDir, withTuning,
} from './helpers.mjs';

const c = loadCases().find((x) => x.name === 'multiclass');
const text = c.inputText;
const [headerLine] = text.split('\n');

/* ---- the dialect inputs ---- */
const latin1 = (s) => Buffer.from(s, 'latin1');
const utf16 = (s, be) => {
  const le = Buffer.from(`\ufeff${s}`, 'utf16le');
  return be ? Buffer.from(le).swap16() : le;
};
const semi = text.replaceAll(',', ';');
/** The input with a text column in Windows-1252 ("café €": E9 and 80 in that code page). */
const cp1252 = Buffer.concat(text.trimEnd().split('\n').map((line, i) => latin1(`${line},${i ? 'caf\xe9 \x80' : 'note'}\n`)));
/** Data rows 10, 20, 30 broken: a bad number, a missing field, a quoted "x,y" in a number column. */
function withBadRows(t) {
  return t.split('\n').map((line, row) => {
    if (row !== 10 && row !== 20 && row !== 30) return line;
    const f = line.split(',');
    if (row === 20) return f.slice(1).join(',');
    f[1] = row === 10 ? 'abc' : '"x,y"';
    return f.join(',');
  }).join('\n');
}
const BAD_ROWS = [10, 20, 30];

const DIALECTS = [
  { name: 'semicolons (detected)', input: semi, options: {}, args: [] },
  { name: 'tabs (detected)', input: text.replaceAll(',', '\t'), options: {}, args: [] },
  { name: 'pipes (given)', input: text.replaceAll(',', '|'), options: { delimiter: '|' }, args: ['--delimiter', '|'] },
  { name: 'decimal commas', input: semi.replaceAll('.', ','), options: { decimalComma: true }, args: ['--decimal-comma'] },
  { name: 'UTF-16LE with its byte-order mark', input: utf16(text, false), options: {}, args: [] },
  { name: 'UTF-16BE with its byte-order mark', input: utf16(text, true), options: {}, args: [] },
  { name: 'Windows-1252 text, named', input: cp1252, options: { encoding: 'windows-1252' }, args: ['--encoding', 'windows-1252'] },
  { name: 'UTF-8 BOM and CRLF lines', input: `\ufeff${text.replaceAll('\n', '\r\n')}`, options: {}, args: [] },
  { name: 'no header, named by columns', input: text.slice(headerLine.length + 1),
    options: { header: false, columns: headerLine.split(',') }, args: ['--no-header', '--columns', headerLine] },
];

/** Output text with Excel's BOM and CRLF taken away, to compare with the reference. */
const plain = (s) => s.replace(/^\ufeff/, '').replaceAll('\r\n', '\n');

/** Checks the output against xgboost's probabilities; bad rows empty with their message. */
function compareWithSkips(out, badRows) {
  const [header, ...rows] = parseCsv(plain(out));
  assert.deepEqual(header, ['0', '1', '2', '3', 'Suggested Label', 'Error']);
  assert.equal(rows.length, c.expected.rows.length);
  rows.forEach((r, i) => {
    if (badRows.includes(i + 1)) {
      assert.deepEqual(r.slice(0, 5), ['', '', '', '', ''], `row ${i + 1} has values`);
      assert.ok(r[5].startsWith(`line ${i + 2}: `), `row ${i + 1}: ${r[5]}`);
      return;
    }
    assert.equal(r[5], '', `row ${i + 1} has an error`);
    for (let k = 0; k < 4; k++) assert.ok(close(c, Number(r[k]), c.expected.rows[i][k]), `row ${i + 1} class ${k}`);
  });
}

for (const engine of ENGINES) {
  describe(`dialects through the JS API (${engine.name})`, () => {
    let model;
    before(async () => {
      model = await loadModel(new Uint8Array((await import('node:fs')).readFileSync(c.model)), { simd: engine.simd });
    });
    after(() => model.dispose());

    for (const d of DIALECTS) {
      test(d.name, async () => {
        const out = await model.predictCsvText(d.input, { ...d.options, jobs: 1 });
        assert.deepEqual(compareCsv(c, out), []);
      });
    }

    test('Excel output: BOM, CRLF, the reference probabilities', async () => {
      const out = await model.predictCsvText(text, { excel: true });
      assert.ok(out.startsWith('\ufeff0,1,2,3,Suggested Label\r\n'));
      assert.ok(!/[^\r]\n/.test(out), 'every line ends with CRLF');
      assert.deepEqual(compareCsv(c, plain(out)), []);
    });

    test('Windows-1252 without the option: refused, naming the option, line and column', async () => {
      await assert.rejects(model.predictCsvText(cp1252), (e) => e instanceof LocalPredictError && e.code === 'BAD_CSV' &&
        e.where.line === 2 && e.where.column === 'note' && /byte 0xE9 at position 4 of the field.*--encoding windows-1252/.test(e.message));
    });

    test('onError skip: bad rows keep their place; the count and lines in onProgress', async () => {
      let last;
      const out = await model.predictCsvText(withBadRows(text), { onError: 'skip', onProgress: (p) => { last = p; } });
      compareWithSkips(out, BAD_ROWS);
      assert.equal(last.skipped, 3);
      assert.deepEqual(last.skippedLines, [11, 21, 31]);
      await assert.rejects(model.predictCsvText(withBadRows(text)), (e) => e.code === 'BAD_NUMBER' && e.where.line === 11);
    });

    test('onError skip on workers (every record a slice): global line numbers, the same bytes', async () => {
      await withTuning({ minBytes: 0, sliceBytes: 1 }, async () => {
        // A quoted field after ';' holding line breaks and semicolons: the cuts must follow the dialect.
        const quoted = withBadRows(text).replaceAll(',', ';').split('\n')
          .map((l, i) => (l ? `${l};${i ? '"a;\nb"' : 'note'}` : l)).join('\n');
        let last;
        const out = await model.predictCsvText(quoted, { onError: 'skip', jobs: 3, onProgress: (p) => { last = p; } });
        const one = await model.predictCsvText(quoted, { onError: 'skip', jobs: 1 });
        assert.equal(out, one);
        assert.equal(last.skipped, 3);
        assert.deepEqual(last.skippedLines, [20, 40, 60]); // data row i starts on line 2i (two lines a row)
        const [, ...rows] = parseCsv(out);
        assert.ok(rows[9][5].startsWith('line 20: column "ratio": not a number'), rows[9][5]);
      });
    });

    test('check(): encoding, delimiter, columns and their types from a sample', async () => {
      const r = await model.check(cp1252, { encoding: 'cp1252' });
      assert.equal(r.ok, true);
      assert.equal(r.encoding, 'windows-1252');
      assert.equal(r.delimiter, ',');
      assert.equal(r.delimiterDetected, true);
      assert.equal(r.rows, 200);
      assert.equal(r.sampleRows, 1000);
      assert.deepEqual(r.columns.find((x) => x.name === 'note'), { name: 'note', type: 'text', numbers: 0, missing: 0, text: 200, feature: null });
      assert.equal(r.columns.find((x) => x.name === 'ratio').type, 'number');
      assert.match(r.text, /^encoding   windows-1252 \(given\)\ndelimiter  "," \(detected from the header\)\n/);
      const u = await model.check(utf16(semi, true));
      assert.equal(u.encoding, 'utf-16be');
      assert.equal(u.encodingSource, 'byte-order mark');
      assert.equal(u.delimiter, ';');
      const bad = await model.check(withBadRows(text));
      assert.equal(bad.ok, false);
      assert.equal(bad.error.code, 'BAD_NUMBER');
      const skipped = await model.check(withBadRows(text), { onError: 'skip' });
      assert.equal(skipped.ok, true);
      assert.deepEqual(skipped.skippedLines, [11, 21, 31]);
    });

    test('option checks', () => {
      const usage = (o) => assert.throws(() => model.predictCsv(text, o), (e) => e.code === 'USAGE');
      usage({ delimiter: ';;' });
      usage({ encoding: 'ebcdic' });
      usage({ decimalComma: true, delimiter: ',' });
      usage({ columns: ['a'] });
      usage({ onError: 'ignore' });
      usage({ header: 'no' });
    });

    test('a decimal comma in a comma-separated file is a usage error', async () => {
      await assert.rejects(model.predictCsvText(text, { decimalComma: true }),
        (e) => e.code === 'USAGE' && /delimiter other than ','/.test(e.message));
    });
  });
}

describe('dialects through both CLIs: the same bytes, the reference probabilities', () => {
  let tmp;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  const ROWS = [
    ...DIALECTS.map((d) => ({ ...d, status: 0 })),
    { name: 'Excel', input: semi, args: ['--excel'], status: 0 },
    { name: 'bad rows skipped', input: withBadRows(text), args: ['--on-error', 'skip', '--keep', 'row_id'], status: 0,
      stderr: /^localpredict: in\.csv: 3 rows were left without predictions \(the Error column says why\): lines 11, 21, 31\n$/ },
    { name: 'Windows-1252 refused', input: cp1252, args: [], status: 3,
      stderr: /^localpredict: in\.csv:2: column "note": not valid UTF-8 \(byte 0xE9 at position 4 of the field\): is the file in Windows-1252 \(Latin-1\)\? Read it with --encoding windows-1252/ },
    { name: '--check', input: cp1252, args: ['--check', '--encoding', 'windows-1252'], status: 0, stdout: /^encoding   windows-1252 \(given\)\ndelimiter  "," \(detected/ },
    { name: 'decimal comma without the flag', input: semi.replaceAll('.', ','), args: [], status: 3,
      stderr: /^localpredict: in\.csv:2: column "age": not a number: "-0,73494154" .*add --decimal-comma/ },
    { name: '--decimal-comma with --delimiter ,', input: text, args: ['--decimal-comma', '--delimiter', ','], status: 1,
      stderr: /^localpredict: --decimal-comma needs a delimiter other than ,/ },
    { name: '--decimal-comma on a comma file', input: text, args: ['--decimal-comma'], status: 1,
      stderr: /^localpredict: in\.csv:1: a decimal comma needs a delimiter other than ','/ },
    { name: '--on-error with a bad value', input: text, args: ['--on-error', 'ignore'], status: 1, stderr: /^localpredict: --on-error must be fail or skip, not "ignore"\n$/ },
    { name: '--encoding with a bad value', input: text, args: ['--encoding', 'ebcdic'], status: 1, stderr: /^localpredict: --encoding must be utf-8, windows-1252/ },
    { name: '--columns without --no-header', input: text, args: ['--columns', 'a,b'], status: 1, stderr: /^localpredict: --columns names the columns of a file without a header: add --no-header\n$/ },
    { name: 'UTF-16 without a mark', input: utf16(text, false).subarray(2), args: [], status: 3, stderr: /read it with --encoding utf-16le/ },
  ];

  for (const row of ROWS) {
    test(row.name, async () => {
      const file = join(tmp.dir, 'in.csv');
      writeFileSync(file, row.input);
      const args = ['predict', c.model, 'in.csv', ...row.args];
      const results = [];
      for (const e of ENGINES) results.push(await runCli(args, { cwd: tmp.dir, engine: e.name }));
      if (hasNative()) results.push(await run(NATIVE, args, { cwd: tmp.dir }));
      const [first] = results;
      for (const r of results) {
        assert.equal(r.status, row.status, r.stderr);
        assert.ok(r.stdout.equals(first.stdout), 'the same output bytes');
        assert.equal(r.stderr, first.stderr);
      }
      if (row.stderr) assert.match(first.stderr, row.stderr);
      if (row.stdout) assert.match(first.stdout.toString(), row.stdout);
      if (row.status === 0 && !row.stdout) {
        const out = first.stdout.toString('utf8');
        if (row.name === 'bad rows skipped') {
          const [header, ...rows] = parseCsv(out);
          assert.deepEqual(header, ['row_id', '0', '1', '2', '3', 'Suggested Label', 'Error']);
          compareWithSkips(`${header.slice(1).join(',')}\n${rows.map((r) => r.slice(1).map((f) => (/[",\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(',')).join('\n')}\n`, BAD_ROWS);
        } else {
          if (row.args.includes('--excel')) assert.ok(out.startsWith('\ufeff') && out.includes('\r\n'));
          assert.deepEqual(compareCsv(c, plain(out)), []);
        }
      }
    });
  }

  test('--jobs 2 on a large semicolon file with bad rows: slices, global lines, the same bytes as one job', async () => {
    // 8 MiB and more go to the pool / threads: the file repeated, bad rows in the middle.
    const body = withBadRows(text).replaceAll(',', ';').split('\n').slice(1).join('\n');
    let big = `${semi.split('\n')[0]}\n`;
    while (big.length < 9 << 20) big += body;
    const file = join(tmp.dir, 'big.csv');
    writeFileSync(file, big);
    const args = ['predict', c.model, 'big.csv', '--on-error', 'skip', '--quiet'];
    const one = await runCli([...args, '--jobs', '1'], { cwd: tmp.dir });
    const results = [await runCli([...args, '--jobs', '2'], { cwd: tmp.dir })];
    if (hasNative()) results.push(await run(NATIVE, [...args, '--jobs', '2'], { cwd: tmp.dir }));
    for (const r of results) {
      assert.equal(r.status, 0, r.stderr);
      assert.ok(r.stdout.equals(one.stdout), 'the bytes of one job');
    }
    // The Error column names the file's lines: the first bad rows are lines 11, 21, 31.
    const out = one.stdout.toString();
    assert.ok(out.includes('"line 11: column ""ratio"": not a number: ""abc""'));
    // Copy k of the 200 rows starts at line 2 + 200 k: its row 10 is line 11 + 200 k.
    const copies = Math.floor((big.split('\n').length - 2) / 200);
    assert.ok(copies > 50);
    assert.ok(out.includes(`"line ${11 + 200 * (copies - 1)}: column ""ratio"": not a number: ""abc""`));
  });
});
