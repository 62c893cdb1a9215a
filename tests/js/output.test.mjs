/* output.test.mjs — the output bytes (ARCHITECTURE.md "Output bytes"): header line,
 * LF line ends, no BOM, header-only in → header-only out, kept input columns,
 * thresholds, and the CLI's -o / stdin / stdout handling. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import {
  ENGINES, loadCases, compareCsv, parseCsv, contractLabel, runCli, tempDir, streamBytes, shortestF32,
} from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));

for (const engine of ENGINES) {
  describe(`output bytes on the ${engine.name} engine`, () => {
    const models = {};
    before(async () => {
      for (const name of ['multiclass', 'multilabel', 'binary', 'iris_example']) {
        const c = cases[name];
        models[name] = await loadModel(readFileSync(c.model), {
          manifest: c.manifest ? readFileSync(c.manifest) : undefined,
          simd: engine.simd,
        });
      }
    });
    after(() => Object.values(models).forEach((m) => m.dispose()));

    test('UTF-8 without BOM, LF line ends, exact header, one line per row', async () => {
      for (const name of Object.keys(models)) {
        const c = cases[name];
        const bytes = await streamBytes(models[name].predictCsv(c.inputText));
        assert.notDeepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], `${name}: BOM`);
        const text = bytes.toString('utf8');
        assert.ok(!text.includes('\r'), `${name}: CR in output`);
        assert.ok(text.endsWith('\n'), `${name}: last line not ended`);
        const header = text.slice(0, text.indexOf('\n'));
        assert.equal(header, [...c.meta.classes.map(String), 'Suggested Label'].join(','));
        assert.equal(parseCsv(text).length, c.rows.length + 1);
      }
    });

    test('probabilities are written as shortest float32 decimals, 0 and 1 without a point', async () => {
      const c = cases.multiclass;
      const rows = parseCsv(await models.multiclass.predictCsvText(c.inputText)).slice(1);
      for (const row of rows) {
        for (const cell of row.slice(0, -1)) {
          const f = Math.fround(Number(cell));
          assert.equal(cell, shortestF32(f), `${cell} is not the shortest text of float32 ${f}`);
        }
      }
      const hinge = cases.hinge;
      const model = await loadModel(readFileSync(hinge.model), { simd: engine.simd });
      try {
        const text = await model.predictCsvText(hinge.inputText);
        assert.match(text.split('\n')[1], /^(0,1,1|1,0,0)$/);
      } finally {
        model.dispose();
      }
    });

    test('a header-only input gives a header-only output (with and without a line end)', async () => {
      const c = cases.multiclass;
      const header = c.inputText.slice(0, c.inputText.indexOf('\n'));
      for (const input of [header, `${header}\n`, `${header}\r\n`, `\ufeff${header}\n`]) {
        assert.equal(await models.multiclass.predictCsvText(input), '0,1,2,3,Suggested Label\n');
      }
      assert.equal(await models.multiclass.predictCsvText(header, { includeInput: true }), `${header},0,1,2,3,Suggested Label\n`);
    });

    test('a BOM and CRLF line ends in the input change nothing in the output', async () => {
      const c = cases.binary;
      const plain = await models.binary.predictCsvText(c.inputText);
      const crlf = `\ufeff${c.inputText.replace(/\n/g, '\r\n')}`;
      assert.equal(await models.binary.predictCsvText(crlf), plain);
      assert.equal(await models.binary.predictCsvText(new TextEncoder().encode(crlf)), plain);
    });

    test('includeInput puts every input column, as read, in front', async () => {
      const c = cases.multiclass;
      const rows = parseCsv(await models.multiclass.predictCsvText(c.inputText, { includeInput: true }));
      assert.deepEqual(rows[0], [...c.header, '0', '1', '2', '3', 'Suggested Label']);
      rows.slice(1).forEach((row, r) => assert.deepEqual(row.slice(0, c.header.length), c.rows[r]));
      const preds = parseCsv(await models.multiclass.predictCsvText(c.inputText));
      rows.slice(1).forEach((row, r) => assert.deepEqual(row.slice(c.header.length), preds[r + 1]));
    });

    test('keep puts only the named columns in front, in the order given', async () => {
      const c = cases.multiclass;
      const keep = ['weight', 'row_id'];
      const rows = parseCsv(await models.multiclass.predictCsvText(c.inputText, { keep }));
      assert.deepEqual(rows[0], [...keep, '0', '1', '2', '3', 'Suggested Label']);
      const idx = keep.map((k) => c.header.indexOf(k));
      rows.slice(1).forEach((row, r) => assert.deepEqual(row.slice(0, 2), idx.map((j) => c.rows[r][j])));
    });

    test('kept text is re-quoted only where needed (RFC 4180)', async () => {
      const c = cases.multilabel;
      const [header, first] = c.inputText.split('\n');
      const input = `id,${header}\n"a,""b"",",${first}\nplain,${first}\n`;
      const text = await models.multilabel.predictCsvText(input, { keep: ['id'] });
      const lines = text.split('\n');
      assert.equal(lines[1].slice(0, 11), '"a,""b"",",');
      assert.ok(lines[2].startsWith('plain,'));
    });

    test('multi-label Suggested Label: labels over the threshold, quoted because of the commas', async () => {
      const c = cases.multilabel;
      const text = await models.multilabel.predictCsvText(c.inputText);
      assert.deepEqual(compareCsv(c, text), []);
      const lines = text.split('\n');
      assert.ok(lines.some((l) => l.endsWith(',"0,2"')), 'a quoted multi-label');
      assert.ok(lines.some((l) => /,[0-2]$/.test(l)), 'a single label');
    });

    test('a threshold option moves the binary and multi-label decision', async () => {
      for (const [name, threshold] of [['binary', 0.9], ['binary', 0.1], ['multilabel', 0.3]]) {
        const c = cases[name];
        const text = await models[name].predictCsvText(c.inputText, { threshold });
        assert.deepEqual(compareCsv(c, text, { threshold }), [], `${name} at ${threshold}`);
        const labels = models[name].predict(c.rows, { columns: c.header, threshold });
        const rows = parseCsv(text).slice(1);
        labels.forEach((l, r) => {
          const want = contractLabel(c.meta.task, c.meta.classes, c.expected.rows[r], threshold);
          const text = Array.isArray(l) ? l.join(',') : l === null ? '' : String(l);   // null: no class suggested
          if (want !== null) assert.equal(text, want, `row ${r + 1}`);
          assert.equal(rows[r].at(-1), text);
        });
      }
    });
  });
}

describe('CLI output handling', () => {
  const c = cases.iris_example;

  test('-o writes the file (and only it), stdout stays empty', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = join(dir, 'predictions.csv');
      const r = await runCli(['predict', c.model, c.input, '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.length, 0);
      assert.equal(r.stderr, '');
      assert.deepEqual(readdirSync(dir), ['predictions.csv']);
      assert.deepEqual(compareCsv(c, readFileSync(out, 'utf8')), []);
    } finally {
      cleanup();
    }
  });

  test('-o replaces an existing file; INPUT "-" reads stdin; -o - writes stdout', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = join(dir, 'p.csv');
      writeFileSync(out, 'old');
      const r = await runCli(['predict', c.model, '-', '-o', out], { input: readFileSync(c.input) });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(compareCsv(c, readFileSync(out, 'utf8')), []);
      const s = await runCli(['predict', c.model, '-', '-o', '-'], { input: readFileSync(c.input) });
      assert.equal(s.status, 0, s.stderr);
      assert.equal(s.stdout.toString(), readFileSync(out, 'utf8'));
    } finally {
      cleanup();
    }
  });

  test('the manifest beside the model is found by name; --manifest and --classes override it', async () => {
    const auto = await runCli(['predict', c.model, c.input]);
    assert.ok(auto.stdout.toString().startsWith('setosa,versicolor,virginica,Suggested Label\n'));
    const { dir, cleanup } = tempDir();
    try {
      const classesFile = join(dir, 'classes.txt');
      writeFileSync(classesFile, 'a\r\nb\r\nc\r\n');
      const fromFile = await runCli(['predict', c.model, c.input, '--classes', `@${classesFile}`]);
      assert.equal(fromFile.status, 0, fromFile.stderr);
      assert.ok(fromFile.stdout.toString().startsWith('a,b,c,Suggested Label\n'));
      const manifest = join(dir, 'm.json');
      writeFileSync(manifest, JSON.stringify({ localpredict: 1, classes: ['x', 'y', 'z'] }));
      const viaFlag = await runCli(['predict', c.model, c.input, '--manifest', manifest]);
      assert.ok(viaFlag.stdout.toString().startsWith('x,y,z,Suggested Label\n'));
      const flagWins = await runCli(['predict', c.model, c.input, '--manifest', manifest, '--classes', 'p,q,r']);
      assert.ok(flagWins.stdout.toString().startsWith('p,q,r,Suggested Label\n'));
      const rows = parseCsv(flagWins.stdout.toString());
      assert.ok(rows.slice(1).every((row) => ['p', 'q', 'r'].includes(row[3])));
    } finally {
      cleanup();
    }
  });

  test('--include-input, --keep and --threshold through the CLI', async () => {
    const inc = await runCli(['predict', c.model, c.input, '--include-input']);
    assert.ok(inc.stdout.toString().startsWith('id,sepal_length,sepal_width,petal_length,petal_width,setosa,'));
    const keep = await runCli(['predict', c.model, c.input, '--keep', 'id']);
    const rows = parseCsv(keep.stdout.toString());
    assert.deepEqual(rows[0], ['id', 'setosa', 'versicolor', 'virginica', 'Suggested Label']);
    assert.deepEqual(rows.slice(1).map((r) => r[0]), c.rows.map((r) => r[0]));
    const b = cases.binary;
    const t = await runCli(['predict', b.model, b.input, '--threshold', '0.9']);
    assert.equal(t.status, 0, t.stderr);
    assert.deepEqual(compareCsv(b, t.stdout.toString(), { threshold: 0.9 }), []);
  });

  test('--check predicts nothing and writes no file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const out = join(dir, 'out.csv');
      const r = await runCli(['predict', c.model, c.input, '--check', '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout.toString(), /^encoding   utf-8 \(default\)\n/); // the check's report (issue 9)
      assert.equal(existsSync(out), false);
      assert.match(r.stderr, /^localpredict: .*iris\.csv: .*\n$/);
      const quiet = await runCli(['predict', c.model, c.input, '--check', '--quiet']);
      assert.equal(quiet.stderr, '');
    } finally {
      cleanup();
    }
  });

  test('--jobs is accepted; --help, --version', async () => {
    const r = await runCli(['predict', c.model, c.input, '--jobs', '4']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(compareCsv(c, r.stdout.toString()), []);
    const help = await runCli(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout.toString(), /localpredict predict MODEL INPUT/);
    assert.match(help.stdout.toString(), /--jobs N +predict on N workers/);
    const version = await runCli(['--version']);
    assert.equal(version.stdout.toString(), `localpredict ${JSON.parse(readFileSync(new URL('../../package.json', import.meta.url))).version}\n`);
  });

  test('no progress on stderr when it is not a terminal', async () => {
    const b = cases.binary;
    const r = await runCli(['predict', b.model, b.input]);
    assert.equal(r.stderr, '');
  });
});
