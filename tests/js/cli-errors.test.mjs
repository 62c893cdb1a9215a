/* cli-errors.test.mjs — bad input through the CLI: the exit code of the error's class,
 * exactly one line on stderr naming the file, line and column, and no output file (nor a
 * temporary one) left behind when -o was given.  Messages are matched on their parts
 * (file:line, column name, the values at fault), not on exact prose. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { spawn } from 'node:child_process';

import { loadCases, runCli, tempDir, ENGINES, parseCsv, CLI } from './helpers.mjs';

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
        assert.match(line, /^localpredict: model\.json: .*rank:pairwise/);
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
      [['--task', 'binary'], /task "binary"/],
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

