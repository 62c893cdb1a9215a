/* cli-errors.test.mjs — bad input through the CLI: the exit code of the error's class,
 * exactly one line on stderr naming the file, line and column, and no output file (nor a
 * temporary one) left behind when -o was given.  Messages are matched on their parts
 * (file:line, column name, the values at fault), not on exact prose. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { spawn } from 'node:child_process';

import { loadCases, runCli, tempDir, ENGINES, parseCsv, CLI, ROOT, NATIVE, hasNative, run } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const mc = cases.multiclass; // header: row_id,ratio,score,level,age,temp,income,count,height,pressure,weight


/** multiclass's input as lines, for mutation. */
const lines = () => mc.inputText.split('\n').slice(0, 12);

describe('CLI errors', () => {
  let tmp;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  /**
   * Runs `predict MODEL INPUT -o OUT` in a fresh folder holding only the given files,
   * and checks the common rules.  Returns the stderr line.
   */
  async function expectFailure({ files = {}, model = mc.model, input = 'input.csv', args = [], status, engine }) {
    const dir = join(tmp.dir, `case-${Math.random().toString(36).slice(2)}`);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const before = readdirSync(dir).sort();
    const r = await runCli(['predict', model, input, '-o', join(dir, 'out.csv'), ...args], { cwd: dir, engine });
    assert.equal(r.status, status, `exit ${r.status}, stderr: ${r.stderr}`);
    assert.equal(r.stdout.length, 0, 'nothing on stdout');
    assert.match(r.stderr, /^localpredict: [^\n]+\n$/, `one stderr line: ${JSON.stringify(r.stderr)}`);
    assert.deepEqual(readdirSync(dir).sort(), before, 'no output or temporary file left behind');
    return r.stderr.trimEnd();
  }

  for (const engine of ENGINES) {
    describe(`input data errors (exit 3) on the ${engine.name} engine`, () => {
      test('missing columns: every missing name in one message, on line 1', async () => {
        const rows = parseCsv(mc.inputText).slice(0, 5);
        const drop = ['age', 'weight', 'count'].map((n) => mc.header.indexOf(n));
        const text = `${rows.map((r) => r.filter((_, j) => !drop.includes(j)).join(',')).join('\n')}\n`;
        const line = await expectFailure({ files: { 'input.csv': text }, status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:1: /);
        for (const name of ['age', 'weight', 'count']) assert.match(line, new RegExp(`"${name}"`));
        assert.doesNotMatch(line, /"income"/);
      });

      test('an unbalanced quote: the line where the quoted field starts', async () => {
        const l = lines();
        l[3] = `"${l[3]}`;
        const line = await expectFailure({ files: { 'input.csv': l.join('\n') }, status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:4: (column "row_id": )?.*quote/i);
      });

      test('a category a strict OneHotEncoder refuses (ONNX): the file\'s line and column, with --jobs too', async () => {
        const model = cases['onnx_ml/skl_onehot_strict_binary'].model;
        const rows = ['id,size,color,income,age'];
        for (let i = 0; i < 5000; i++) rows.push(`${i},S,${i === 4321 ? 'teal' : 'red'},1,0.5`);
        for (const jobs of ['1', '2']) {
          const line = await expectFailure({ files: { 'input.csv': `${rows.join('\n')}\n` }, model, args: ['--jobs', jobs],
            status: 3, engine: engine.name });
          assert.match(line, /^localpredict: input\.csv:4323: column "color": .*does not list/, `--jobs ${jobs}`);
          assert.doesNotMatch(line, /batch/);
        }
      });

      test('a string an ONNX Cast cannot read as a number: the file\'s line and the node', async () => {
        const model = join(ROOT, 'tests', 'fixtures', 'onnx_ml', 'run_errors', 'cast_string_not_a_number.onnx');
        const rows = ['x,code'];
        for (let i = 0; i < 3000; i++) rows.push(`0.5,${i === 2500 ? 'c' : 'a'}`);
        for (const jobs of ['1', '2']) {
          const line = await expectFailure({ files: { 'input.csv': `${rows.join('\n')}\n` }, model, args: ['--jobs', jobs],
            status: 3, engine: engine.name });
          assert.match(line, /^localpredict: input\.csv:2502: .*ONNX node "CastToFloat" \(Cast\): casts "n\/a" to float: not a number/,
            `--jobs ${jobs}`);
        }
      });

      test('a DictVectorizer\'s column (ONNX map input) takes numbers: line, column and the text', async () => {
        const model = cases['onnx_ml/skl_dictvectorizer_logreg'].model;
        const text = 'age,height,score,visits,weight\n1,,,4,5\n1,2,abc,4,5\n';
        const line = await expectFailure({ files: { 'input.csv': text }, model, status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:3: column "score": .*"abc"/);
      });

      test('a ragged row: its line, both field counts', async () => {
        const l = lines();
        l[4] += ',9';
        const line = await expectFailure({ files: { 'input.csv': l.join('\n') }, status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:5: /);
        assert.match(line, /12/);
        assert.match(line, /11/);
      });

      test('a 0-byte file is EMPTY_INPUT', async () => {
        const line = await expectFailure({ files: { 'input.csv': '' }, status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv: .*empty/i);
      });

      test('a non-numeric cell: line, column name and the text', async () => {
        const rows = parseCsv(mc.inputText).slice(0, 8);
        rows[2][mc.header.indexOf('age')] = 'abc';
        const text = `${rows.map((r) => r.join(',')).join('\n')}\n`;
        const line = await expectFailure({ files: { 'input.csv': text }, status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:3: column "age": .*"abc"/);
      });

      test('a non-numeric cell after many rows (past the first batch) still leaves no file', async () => {
        const rows = parseCsv(mc.inputText);
        const many = [rows[0]];
        for (let i = 0; i < 30; i++) many.push(...rows.slice(1).map((r) => [...r]));
        many[5000][mc.header.indexOf('income')] = '1.2.3';
        const text = `${many.map((r) => r.join(',')).join('\n')}\n`;
        const line = await expectFailure({ files: { 'input.csv': text }, status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:5001: column "income": .*"1\.2\.3"/);
      });

      test('a duplicated needed column', async () => {
        const l = lines().filter(Boolean).map((x, i) => (i === 0 ? `${x},age` : `${x},1`));
        const line = await expectFailure({ files: { 'input.csv': l.join('\n') }, status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:1: .*"age"/);
      });

      test('a class named like a kept column is a duplicate output header', async () => {
        const line = await expectFailure({
          files: { 'input.csv': lines().join('\n') }, args: ['--keep', 'row_id', '--classes', 'row_id,b,c,d'], status: 3, engine: engine.name,
        });
        assert.match(line, /^localpredict: input\.csv:1: .*"row_id"/);
      });

      test('--keep naming a column the input lacks', async () => {
        const line = await expectFailure({ files: { 'input.csv': lines().join('\n') }, args: ['--keep', 'nope'], status: 3, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:1: .*"nope"/);
      });
    });

    describe(`CSV limits (exit 5) on the ${engine.name} engine`, () => {
      test('a field over 1 MiB: its line and column', async () => {
        const rows = parseCsv(mc.inputText).slice(0, 6);
        rows[3][mc.header.indexOf('row_id')] = 'x'.repeat((1 << 20) + 1);
        const text = `${rows.map((r) => r.join(',')).join('\n')}\n`;
        const line = await expectFailure({ files: { 'input.csv': text }, status: 5, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:4: column "row_id": .*longer than 1048576 bytes/);
      });

      test('a record of more than 100000 fields', async () => {
        const text = `${mc.header.join(',')}${',x'.repeat(100000)}\n`;
        const line = await expectFailure({ files: { 'input.csv': text }, status: 5, engine: engine.name });
        assert.match(line, /^localpredict: input\.csv:1: column 100001: .*more than 100000 fields/);
      });
    });

    describe(`model errors (exit 2) on the ${engine.name} engine`, () => {
      const modelText = readFileSync(mc.model, 'utf8');

      test('truncated model JSON names the model file', async () => {
        const line = await expectFailure({
          files: { 'model.json': modelText.slice(0, Math.floor(modelText.length / 2)), 'input.csv': lines().join('\n') },
          model: 'model.json', status: 2, engine: engine.name,
        });
        assert.match(line, /^localpredict: model\.json(:\d+)?: .*JSON/);
      });

      test('invalid JSON names the model file', async () => {
        const line = await expectFailure({
          files: { 'model.json': '{"learner": ]', 'input.csv': lines().join('\n') }, model: 'model.json', status: 2, engine: engine.name,
        });
        assert.match(line, /^localpredict: model\.json(:\d+)?: .*JSON/);
      });

      test('an out-of-range child index names the tree and the node', async () => {
        const m = JSON.parse(modelText);
        m.learner.gradient_booster.model.trees[3].left_children[1] = 99999;
        const line = await expectFailure({
          files: { 'model.json': JSON.stringify(m), 'input.csv': lines().join('\n') }, model: 'model.json', status: 2, engine: engine.name,
        });
        assert.match(line, /^localpredict: model\.json: .*tree 3.*node 1.*99999/);
      });

      test('an unsupported objective', async () => {
        const m = JSON.parse(modelText);
        m.learner.objective.name = 'rank:pairwise';
        const line = await expectFailure({
          files: { 'model.json': JSON.stringify(m), 'input.csv': lines().join('\n') }, model: 'model.json', status: 2, engine: engine.name,
        });
        // Every objective the engine runs is named, regression ones too.
        assert.match(line, /^localpredict: model\.json: objective "rank:pairwise" is not supported \(supported: binary:logistic, .*multi:softprob, .*reg:squarederror, .*reg:tweedie\)$/);
      });

      test('a manifest with an unknown key names the manifest and the key', async () => {
        const line = await expectFailure({
          files: { 'm.json': '{"localpredict":1,"clases":["a"]}', 'input.csv': lines().join('\n') },
          args: ['--manifest', 'm.json'], status: 2, engine: engine.name,
        });
        assert.match(line, /^localpredict: m\.json: .*"clases"/);
      });

      test('a manifest beside the model is read, and its errors reported', async () => {
        const line = await expectFailure({
          files: { 'model.json': modelText, 'model.localpredict.json': '{"localpredict":1,"classes":["a"]}', 'input.csv': lines().join('\n') },
          model: 'model.json', status: 2, engine: engine.name,
        });
        assert.match(line, /^localpredict: model\.localpredict\.json: .*classes/);
      });
    });
  }

  describe('usage errors (exit 1) and I/O errors (exit 4)', () => {
    test('a nonexistent input file: exit 4, its name and the reason', async () => {
      const line = await expectFailure({ input: 'nope.csv', status: 4 });
      assert.equal(line, 'localpredict: nope.csv: cannot open: No such file or directory');
    });

    test('a nonexistent model file: exit 4', async () => {
      const line = await expectFailure({ files: { 'input.csv': lines().join('\n') }, model: 'nope.json', status: 4 });
      assert.match(line, /^localpredict: nope\.json: cannot open: /);
    });

    test('an input that is a directory: exit 4', async () => {
      const line = await expectFailure({ input: '.', status: 4 });
      assert.match(line, /^localpredict: \.: /);
    });

    test('an unwritable output folder: exit 4, no file', async () => {
      const r = await runCli(['predict', mc.model, mc.input, '-o', join(tmp.dir, 'no', 'such', 'dir', 'out.csv')]);
      assert.equal(r.status, 4, r.stderr);
      assert.match(r.stderr, /^localpredict: .*out\.csv: cannot write: [^\n]+\n$/);
    });

    test('a bad flag: exit 1', async () => {
      const line = await expectFailure({ files: { 'input.csv': lines().join('\n') }, args: ['--frobnicate'], status: 1 });
      assert.match(line, /^localpredict: unknown option --frobnicate/);
    });

    for (const [args, what] of [
      [['--threshold', 'abc'], /--threshold/],
      [['--threshold', '1.5'], /--threshold/],
      [['--jobs', '0'], /--jobs/],
      [['--include-input', '--keep', 'age'], /--include-input/],
      [['--task', 'clustering'], /task/],
      [['--task', 'binary'], /task "binary" does not fit this model: its objective multi:softprob gives 4 outputs, for the task multiclass or multilabel$/],
      [['--classes', 'a,b'], /classes/],
      [['--threshold'], /--threshold needs a value/],
    ]) {
      test(`usage: ${args.join(' ')}`, async () => {
        const line = await expectFailure({ files: { 'input.csv': lines().join('\n') }, args, status: 1 });
        assert.match(line, what);
      });
    }

    test('missing arguments and unknown commands', async () => {
      for (const args of [[], ['predict'], ['predict', mc.model], ['info'], ['frob'], ['predict', 'a', 'b', 'c']]) {
        const r = await runCli(args);
        assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^localpredict: [^\n]+\n$/);
        assert.equal(r.stdout.length, 0);
      }
    });
  });

  test('SIGINT cancels: exit 130, one line, no output file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const child = spawn(process.execPath, [CLI, 'predict', mc.model, '-', '-o', join(dir, 'out.csv')]);
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      const exited = new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal })));
      child.stdin.write(mc.inputText.split('\n').slice(0, 20).join('\n')); // stdin stays open
      // Wait until the CLI has its temporary output file, i.e. it is predicting.
      for (let i = 0; i < 200 && !readdirSync(dir).length; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(readdirSync(dir).length, 1, 'the temporary file exists while predicting');
      child.kill('SIGINT');
      const { status } = await exited;
      assert.equal(status, 130);
      assert.equal(stderr, 'localpredict: cancelled\n');
      assert.deepEqual(readdirSync(dir), [], 'no output or temporary file left behind');
    } finally {
      cleanup();
    }
  });

  test('errors on stdin name <stdin>', async () => {
    const l = lines();
    l[2] = l[2].replace(/^[^,]*,[^,]*/, '1,x');
    const r = await runCli(['predict', mc.model, '-'], { input: l.join('\n') });
    assert.equal(r.status, 3);
    assert.match(r.stderr, /^localpredict: <stdin>:3: column "ratio": .*"x"/);
  });

  test('a failure mid-stream on stdout ends the output and exits non-zero', async () => {
    const rows = parseCsv(mc.inputText);
    const many = [rows[0]];
    for (let i = 0; i < 30; i++) many.push(...rows.slice(1).map((r) => [...r]));
    many[5000][mc.header.indexOf('income')] = 'oops';
    const r = await runCli(['predict', mc.model, '-'], { input: `${many.map((x) => x.join(',')).join('\n')}\n` });
    assert.equal(r.status, 3);
    const out = r.stdout.toString();
    assert.ok(out.split('\n').length - 1 < 5000, 'the row at fault and those after it are not written');
    assert.match(r.stderr, /^localpredict: <stdin>:5001: column "income": [^\n]*\n$/);
  });
});


/* Hostile input (issue 7): files that are not a CSV, bad bytes, limits.  Each case runs
 * through the JS CLI on every engine and through the native CLI, with the same rules as
 * above: the exit code of the class, one stderr line, no output file left behind. */
describe('hostile input through both CLIs (the README error table)', () => {
  let tmp;
  before(() => {
    tmp = tempDir();
  });
  after(() => tmp.cleanup());

  const iris = readFileSync(join(ROOT, 'web', 'examples', 'iris.csv'), 'utf8');
  const irisModel = join(ROOT, 'web', 'examples', 'iris.json');
  const CLIS = [...ENGINES.map((e) => ({ name: `JS CLI, ${e.name}`, engine: e.name })),
    ...(hasNative() ? [{ name: 'native CLI', native: true }] : [])];

  /** The tiny model of tests/c/main.c with one chain tree of `depth` splits. */
  function deepModel(depth) {
    const n = 2 * depth + 1;
    const arr = (f) => Array.from({ length: n }, (_, i) => f(i, i < depth));
    const tree = {
      base_weights: arr(() => 0), categories: [], categories_nodes: [], categories_segments: [], categories_sizes: [],
      default_left: arr(() => 0), id: 0, loss_changes: arr(() => 0), sum_hessian: arr(() => 1),
      left_children: arr((i, inner) => (inner ? depth + i : -1)),
      right_children: arr((i, inner) => (inner ? (i + 1 < depth ? i + 1 : 2 * depth) : -1)),
      parents: arr(() => 0), split_conditions: arr((i, inner) => (inner ? 0 : i)), split_indices: arr(() => 0),
      split_type: arr(() => 0),
      tree_param: { num_deleted: '0', num_feature: '1', num_nodes: String(n), size_leaf_vector: '0' },
    };
    return JSON.stringify({
      learner: {
        attributes: {}, feature_names: ['x'], feature_types: ['float'],
        gradient_booster: { model: { gbtree_model_param: { num_parallel_tree: '1', num_trees: '1' }, tree_info: [0], trees: [tree] }, name: 'gbtree' },
        learner_model_param: { base_score: '5E-1', num_class: '0', num_feature: '1', num_target: '1' },
        objective: { name: 'binary:logistic', reg_loss_param: { scale_pos_weight: '1' } },
      },
      version: [1, 7, 4],
    });
  }

  const ROWS = [
    { name: 'UTF-16 text with a byte-order mark read as UTF-8', args: ['--encoding', 'utf-8'], files: { 'new.csv': Buffer.concat([Buffer.from([0xFF, 0xFE]), Buffer.from(iris, 'utf16le')]) },
      status: 3, line: /^localpredict: new\.csv: the input is UTF-16LE text \(byte-order mark FF FE\); localpredict reads UTF-8: convert it first, e\.g\. iconv -f UTF-16LE -t UTF-8/ },
    { name: 'UTF-16 text without a byte-order mark', files: { 'new.csv': Buffer.from(iris, 'utf16le') },
      status: 3, line: /^localpredict: new\.csv: the input is UTF-16LE text \(no byte-order mark/ },
    { name: 'an Excel workbook dropped by mistake', files: { 'new.csv': Buffer.from('PK\x03\x04\x14\x00\x06\x00\x08\x00', 'latin1') },
      status: 3, line: /^localpredict: new\.csv: the input is a ZIP archive \(an Excel \.xlsx, OpenDocument \.ods or \.zip file\), not a CSV/ },
    { name: 'an Excel 97-2003 workbook', files: { 'new.csv': Buffer.from('d0cf11e0a1b11ae100000000', 'hex') },
      status: 3, line: /^localpredict: new\.csv: the input is an Excel 97-2003 workbook \(\.xls\)/ },
    { name: 'a PDF', files: { 'new.csv': Buffer.from('%PDF-1.7\n%\xe2\xe3\n', 'latin1') },
      status: 3, line: /^localpredict: new\.csv: the input is a PDF document, not a CSV/ },
    { name: 'a gzip-compressed CSV', files: { 'new.csv': Buffer.from('1f8b0800000000000003', 'hex') },
      status: 3, line: /^localpredict: new\.csv: the input is gzip-compressed: decompress it first/ },
    { name: 'a NUL byte', files: { 'new.csv': `${iris.split('\n').slice(0, 3).join('\n')}\n9,5.1,3.5,1.4\0,0.2\n` },
      status: 3, line: /^localpredict: new\.csv:4: the input has a NUL byte \(0x00\), which no text CSV has/ },
    { name: 'a header in Windows-1252', files: { 'new.csv': Buffer.concat([Buffer.from(iris.split('\n')[0]), Buffer.from(',caf\xe9\n1,5,3,1,0.2,x\n', 'latin1')]) },
      status: 3, line: /^localpredict: new\.csv:1: the name of column 6 is not valid UTF-8 \(byte 0xE9 at position 4\): is the file in Windows-1252 \(Latin-1\)\? Read it with --encoding windows-1252/ },
    { name: 'a data row in Windows-1252', files: { 'new.csv': Buffer.concat([Buffer.from(`${iris.split('\n')[0]},note\n1,5,3,1,0.2,ok\n`), Buffer.from('2,5,3,1,0.2,caf\xe9\n', 'latin1')]) },
      status: 3, line: /^localpredict: new\.csv:3: column "note": not valid UTF-8 \(byte 0xE9 at position 4 of the field\): is the file in Windows-1252 \(Latin-1\)\? Read it with --encoding windows-1252/ },
    { name: 'a decimal comma with the comma delimiter', args: ['--decimal-comma'], files: { 'new.csv': iris },
      status: 1, line: /^localpredict: new\.csv:1: a decimal comma needs a delimiter other than ','/ },
    { name: 'a bad number, --on-error skip', args: ['--on-error', 'skip'], files: { 'new.csv': `${iris.split('\n')[0]}\n1,abc,3,1,0.2\n` },
      status: 0, line: /^localpredict: new\.csv: 1 row was left without predictions \(the Error column says why\): line 2$/ },
    { name: 'a kept field in Windows-1252', args: ['--keep', 'id'], files: { 'new.csv': Buffer.concat([Buffer.from(`${iris.split('\n')[0]}\n`), Buffer.from('Jos\xe9,5,3,1,0.2\n', 'latin1')]) },
      status: 3, line: /^localpredict: new\.csv:2: column "id": not valid UTF-8 \(byte 0xE9 at position 4 of the field\)/ },
    { name: 'an empty model file', model: 'empty.json', files: { 'empty.json': '', 'new.csv': iris },
      status: 2, line: /^localpredict: empty\.json: the model file is empty$/ },
    { name: 'a file that is not a model', model: 'notmodel.json', files: { 'notmodel.json': iris, 'new.csv': iris },
      status: 2, line: /^localpredict: notmodel\.json: not a model this engine reads \(expected an XGBoost model saved with save_model\(\"model\.json\"\) or \(\"model\.ubj\"\), a LightGBM model\.txt or an ONNX model\)$/ },
    { name: 'a tree deeper than the limit', model: 'deep.json', files: { 'deep.json': deepModel(65), 'new.csv': 'x\n1\n' },
      status: 5, line: /^localpredict: deep\.json: tree 0 is 65 levels deep, over the limit of 64 \(a caller can raise it up to 255/ },
  ];

  for (const cli of CLIS) {
    for (const row of ROWS) {
      test(`${row.name} (${cli.name})`, async () => {
        const dir = join(tmp.dir, `row-${Math.random().toString(36).slice(2)}`);
        mkdirSync(dir);
        for (const [name, content] of Object.entries(row.files)) writeFileSync(join(dir, name), content);
        const model = row.model ? join(dir, row.model) : irisModel;
        const before = readdirSync(dir).sort();
        const args = ['predict', model, 'new.csv', '-o', join(dir, 'out.csv'), ...(row.args || [])];
        const r = cli.native ? await run(NATIVE, args, { cwd: dir }) : await runCli(args, { cwd: dir, engine: cli.engine });
        assert.equal(r.status, row.status, `exit ${r.status}, stderr: ${r.stderr}`);
        assert.match(r.stderr, /^localpredict: [^\n]+\n$/, `one stderr line: ${JSON.stringify(r.stderr)}`);
        assert.match(r.stderr.trimEnd().replace(dir + '/', ''), row.line);
        // (a run that succeeds, --on-error skip, leaves its output and nothing else)
        const after = row.status === 0 ? [...before, 'out.csv'].sort() : before;
        assert.deepEqual(readdirSync(dir).sort(), after, 'no output or temporary file left behind');
      });
    }
  }
});
