/* chunking.test.mjs — a record may straddle chunks: the same CSV fed as a ReadableStream
 * in 1-byte, 7-byte and random-size chunks must give the same output bytes (and the same
 * errors) as when fed in one piece.  This compares our output with our own output only
 * for chunking invariance; correctness against xgboost is in fixtures.test.mjs. */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { loadModel, LocalPredictError } from '../../wasm/node.mjs';
import { ENGINES, loadCases, compareCsv, chunkedStream, rng, streamBytes } from './helpers.mjs';

const cases = Object.fromEntries(loadCases().map((c) => [c.name, c]));
const SEED = 20240611;

/** A CSV the reader must work for: BOM, CRLF, quoted commas, quotes and line breaks, blank lines. */
function trickyInput() {
  const c = cases.multilabel;
  const [header, ...rows] = c.inputText.trimEnd().split('\n');
  const notes = ['plain', '"with, comma"', '"say ""hi"""', '"two\r\nlines"', '"three\nline\nnote"', '""', 'ünïcödé ✓'];
  const lines = [`note,${header}`];
  rows.slice(0, 60).forEach((r, i) => {
    lines.push(`${notes[i % notes.length]},${r}`);
    if (i % 17 === 5) lines.push(''); // blank lines are skipped
  });
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

const sizes = {
  '1-byte': () => () => 1,
  '7-byte': () => () => 7,
  random: () => {
    const next = rng(SEED);
    return () => 1 + Math.floor(next() ** 3 * 4096);
  },
};

for (const engine of ENGINES) {
  describe(`chunk boundaries on the ${engine.name} engine`, () => {
    const models = {};
    before(async () => {
      for (const name of ['binary', 'missing', 'multiclass', 'multilabel', 'categorical']) {
        models[name] = await loadModel(readFileSync(cases[name].model), { simd: engine.simd });
      }
    });
    after(() => Object.values(models).forEach((m) => m.dispose()));

    const inputs = [
      ['binary', () => cases.binary.inputText, {}],
      ['missing', () => cases.missing.inputText, {}],
      ['categorical', () => cases.categorical.inputText, {}],
      ['multiclass', () => cases.multiclass.inputText, { includeInput: true }],
      ['multilabel', trickyInput, { includeInput: true }],
      ['multilabel', trickyInput, { keep: ['note'] }],
    ];

    for (const [name, make, options] of inputs) {
      for (const [label, sizer] of Object.entries(sizes)) {
        test(`${name} ${JSON.stringify(options)} in ${label} chunks`, async () => {
          const bytes = new TextEncoder().encode(make());
          const oneShot = await streamBytes(models[name].predictCsv(bytes, options));
          if (!options.includeInput && !options.keep) assert.deepEqual(compareCsv(cases[name], oneShot.toString('utf8')), []);
          const chunked = await streamBytes(models[name].predictCsv(chunkedStream(bytes, sizer()), options));
          assert.ok(chunked.equals(oneShot), `output differs (seed ${SEED})`);
        });
      }
    }

    test('the tricky input keeps its notes verbatim (re-quoted where needed)', async () => {
      const text = await models.multilabel.predictCsvText(trickyInput(), { keep: ['note'] });
      const lines = text.split('\n');
      assert.equal(lines[0], 'note,0,1,2,Suggested Label');
      assert.ok(text.includes('\n"with, comma",'));
      assert.ok(text.includes('\n"say ""hi""",'));
      assert.ok(text.includes('\nünïcödé ✓,'));
      assert.ok(!text.startsWith('\ufeff'));
    });

    for (const [what, mutate, code, line] of [
      ['a bad number', (t) => t.replace(/\n([^,\n]*),([^,\n]*),/, '\n$1,x$2,'), 'BAD_NUMBER', 2],
      ['an unterminated quote at the end', (t) => `${t}"1,2`, 'UNTERMINATED_QUOTE', 202],
      ['a ragged row', (t) => t.replace(/\n/, '\n1,'), 'RAGGED_ROW', 2],
    ]) {
      test(`${what}: the same error whatever the chunking`, async () => {
        const bytes = new TextEncoder().encode(mutate(cases.binary.inputText));
        const errors = [];
        for (const sizer of [null, ...Object.values(sizes)]) {
          const input = sizer ? chunkedStream(bytes, sizer()) : bytes;
          await assert.rejects(models.binary.predictCsvText(input), (e) => {
            assert.ok(e instanceof LocalPredictError);
            errors.push({ code: e.code, message: e.message, where: e.where });
            return true;
          });
        }
        assert.equal(errors[0].code, code);
        assert.equal(errors[0].where.line, line);
        for (const e of errors.slice(1)) assert.deepEqual(e, errors[0]);
      });
    }
  });
}
