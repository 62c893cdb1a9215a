/* manifest-schema.test.mjs — docs/manifest.schema.json against the engine:
 * every example manifest in the repository validates and loads; on a set of
 * valid and invalid manifests the schema and the engine agree; the manifest's
 * details reach `info` in both CLIs byte for byte.  The validator below covers
 * exactly the JSON Schema keywords the schema uses and refuses any other, so
 * the schema cannot silently rely on something unchecked (no new dependency). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { join, dirname, basename, relative } from 'node:path';

import { loadModel } from '../../wasm/node.mjs';
import { ROOT, FIXTURES, run, runCli, hasNative, NATIVE, tempDir } from './helpers.mjs';

const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'docs', 'manifest.schema.json'), 'utf8'));

/* ---- a validator for the subset used ----------------------------------- */
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', '$defs']);
const KEYWORDS = new Set(['$ref', 'type', 'const', 'enum', 'required', 'properties', 'additionalProperties',
  'propertyNames', 'items', 'uniqueItems', 'oneOf', 'minimum', 'maximum', 'minLength',
  'exclusiveMinimum', 'minItems', 'maxItems']);

function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Problems of value v against schema s (empty = valid). */
export function validate(v, s, path = '$') {
  for (const k of Object.keys(s)) {
    if (!KEYWORDS.has(k) && !ANNOTATIONS.has(k)) throw new Error(`schema keyword ${k} at ${path} is not supported here`);
  }
  if (s.$ref) {
    const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
    if (!m) throw new Error(`unsupported $ref ${s.$ref}`);
    return validate(v, SCHEMA.$defs[m[1]], path);
  }
  const out = [];
  const t = typeOf(v);
  if (s.type) {
    const types = [].concat(s.type);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${path}: ${t} is not ${types.join('|')}`];
  }
  if ('const' in s && v !== s.const) out.push(`${path}: must be ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.includes(v)) out.push(`${path}: must be one of ${s.enum.join(', ')}`);
  if (s.minimum !== undefined && typeof v === 'number' && v < s.minimum) out.push(`${path}: below ${s.minimum}`);
  if (s.maximum !== undefined && typeof v === 'number' && v > s.maximum) out.push(`${path}: above ${s.maximum}`);
  if (s.minLength !== undefined && typeof v === 'string' && v.length < s.minLength) out.push(`${path}: too short`);
  if (s.exclusiveMinimum !== undefined && typeof v === 'number' && !(v > s.exclusiveMinimum)) out.push(`${path}: not above ${s.exclusiveMinimum}`);
  if (s.minItems !== undefined && Array.isArray(v) && v.length < s.minItems) out.push(`${path}: too few items`);
  if (s.maxItems !== undefined && Array.isArray(v) && v.length > s.maxItems) out.push(`${path}: too many items`);
  if (s.oneOf) {
    const ok = s.oneOf.filter((sub) => validate(v, sub, path).length === 0).length;
    if (ok !== 1) out.push(`${path}: matches ${ok} of oneOf`);
  }
  if (t === 'object') {
    for (const r of s.required || []) if (!(r in v)) out.push(`${path}: lacks ${r}`);
    for (const [k, val] of Object.entries(v)) {
      if (s.propertyNames) out.push(...validate(k, s.propertyNames, `${path} key ${JSON.stringify(k)}`));
      if (s.properties && k in s.properties) out.push(...validate(val, s.properties[k], `${path}.${k}`));
      else if (s.additionalProperties === false) out.push(`${path}: unknown key ${k}`);
      else if (typeof s.additionalProperties === 'object') out.push(...validate(val, s.additionalProperties, `${path}.${k}`));
    }
  }
  if (t === 'array') {
    if (s.items) v.forEach((x, i) => out.push(...validate(x, s.items, `${path}[${i}]`)));
    if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) out.push(`${path}: repeats an item`);
  }
  return out;
}

/* ---- the repository's example manifests --------------------------------- */
function manifestsIn(dir) {
  const found = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', 'build', '.git'].includes(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...manifestsIn(p));
    else if (e.name.endsWith('.localpredict.json')) found.push(p);
  }
  return found;
}

/* The model a manifest describes: the one beside it by name, or the demo model. */
function modelFor(path) {
  const stem = basename(path, '.localpredict.json');
  for (const ext of ['.json', '.ubj', '.txt', '.onnx']) {
    const beside = join(dirname(path), stem + ext);
    if (existsSync(beside)) return beside;
  }
  return join(ROOT, 'web', 'examples', 'iris.json');
}

describe('example manifests', () => {
  const manifests = manifestsIn(ROOT);
  test('there are some, including one with details', () => {
    assert.ok(manifests.length >= 3, manifests.join(', '));
    assert.ok(manifests.some((p) => 'details' in JSON.parse(readFileSync(p, 'utf8'))));
  });
  for (const path of manifests) {
    test(`${relative(ROOT, path)} validates against the schema and loads`, async () => {
      const manifest = JSON.parse(readFileSync(path, 'utf8'));
      assert.deepEqual(validate(manifest, SCHEMA), []);
      // An ensemble's manifest is the model itself; its members are read beside it.
      const model = manifest.ensemble ? await loadModel(path)
        : await loadModel(readFileSync(modelFor(path)), { manifest: readFileSync(path) });
      if (manifest.details) assert.deepEqual(model.info.details, manifest.details);
      model.dispose();
    });
  }
});

/* ---- the schema and the engine agree ------------------------------------ */
const CASES = [
  [true, { localpredict: 1 }],
  [true, { localpredict: 1, classes: ['no', 'yes'], task: 'binary', threshold: 0.7 }],
  [true, { localpredict: 1, classes: [false, true], threshold: { true: 0.2 } }],
  [true, { localpredict: 1, missing: [-999, 1e30], iterations: 'all' }],
  [true, { localpredict: 1, details: { name: 'Churn', trained: '2026-11-20', metrics: { auc: 0.91, rows: '1,200' } } }],
  [false, {}],
  [false, { localpredict: 2 }],
  [false, { localpredict: '1' }],
  [false, { localpredict: 1, clases: ['a', 'b'] }],
  [false, { localpredict: 1, classes: [0.5, 1] }],
  [false, { localpredict: 1, classes: ['a', 'a'] }],
  [false, { localpredict: 1, task: 'ranking' }],
  [false, { localpredict: 1, threshold: 1.5 }],
  [false, { localpredict: 1, threshold: { 1: 'high' } }],
  [false, { localpredict: 1, missing: ['NA'] }],
  [false, { localpredict: 1, iterations: 'some' }],
  [false, { localpredict: 1, details: [] }],
  [false, { localpredict: 1, details: { nmae: 'x' } }],
  [false, { localpredict: 1, details: { name: 3 } }],
  [false, { localpredict: 1, details: { metrics: { auc: [0.9] } } }],
  [false, { localpredict: 1, details: { metrics: { '': 1 } } }],
  // a valid "preprocess" is refused as UNSUPPORTED for now (tests/c/test_text.c); invalid ones agree
  [false, { localpredict: 1, preprocess: [] }],
  [false, { localpredict: 1, preprocess: { text: 'review', tokenizer: 'words', max_length: 8 } }],
  [false, { localpredict: 1, preprocess: { text: 'review', tokenizer: 'bpe', vocab: { a: 1 }, max_length: 8 } }],
  [false, { localpredict: 1, preprocess: { text: 'review', tokenizer: 'words', vocab: { a: 1 }, max_length: 0 } }],
  [false, { localpredict: 1, preprocess: { text: 'r', tokenizer: 'words', vocab: { a: 1 }, max_length: 8, steps: ['stem'] } }],
  [false, { localpredict: 1, preprocess: { text: 'r', tokenizer: 'words', vocab: { a: 1 }, max_length: 8, padding: 'left' } }],
  [false, { localpredict: 1, preprocess: { text: 'r', tokenizer: 'words', vocab: { a: 1 }, max_length: 8, maxlen: 8 } }],
  // "dims" binds an ONNX graph's symbolic dimensions (valid ones: tests/fixtures/text_dynamic/); invalid ones agree
  [false, { localpredict: 1, dims: [] }],
  [false, { localpredict: 1, dims: { sequence: 0 } }],
  [false, { localpredict: 1, dims: { sequence: 1.5 } }],
];

/* Typed features, on tests/fixtures/features/model.json (5 features: color, size, flag, count, x). */
const rest = ['flag', 'count', 'x'];
const FEATURE_CASES = [
  [true, { localpredict: 1, features: [{ column: 'c', type: 'category', categories: ['a', 'b'], unknown: 'missing' }, { type: 'boolean' }, ...rest] }],
  [true, { localpredict: 1, features: [{ type: 'category', categories: { a: 3, b: 0 } }, 'size', { column: 'n', type: 'integer' }, 'count', { type: 'number' }] }],
  [false, { localpredict: 1, features: [{ column: 'c', type: 'colour' }, 'size', ...rest] }],
  [false, { localpredict: 1, features: [{ column: 'c', type: 'category', categories: ['a', 'a'] }, 'size', ...rest] }],
  [false, { localpredict: 1, features: [{ column: 'c', type: 'category', categories: { a: 1.5 } }, 'size', ...rest] }],
  [false, { localpredict: 1, features: [{ colum: 'c' }, 'size', ...rest] }],
  [false, { localpredict: 1, features: [3, 'size', ...rest] }],
];

describe('the schema and the engine agree', () => {
  const model = readFileSync(join(FIXTURES, 'binary', 'model.json'));
  const featuresModel = readFileSync(join(ROOT, 'tests', 'fixtures', 'features', 'model.json'));
  // (Rules the schema cannot state, such as "unknown" only with "category", are tested
  // against the engine alone in features.test.mjs.)
  for (const [valid, manifest] of [...CASES, ...FEATURE_CASES]) {
    test(`${valid ? 'valid' : 'invalid'}: ${JSON.stringify(manifest)}`, async () => {
      assert.equal(validate(manifest, SCHEMA).length === 0, valid, validate(manifest, SCHEMA).join('; '));
      let loaded = null;
      try {
        loaded = await loadModel(manifest.features ? featuresModel : model, { manifest: JSON.stringify(manifest) });
      } catch (e) {
        assert.equal(valid, false, `the engine refused a valid manifest: ${e.message}`);
        assert.equal(e.code, 'BAD_MANIFEST');
        return;
      }
      loaded.dispose();
      assert.equal(valid, true, 'the engine accepted an invalid manifest');
    });
  }
});

describe('details in both CLIs', { skip: !hasNative() && 'build/native/localpredict is not built' }, () => {
  test('info prints the same bytes, numbers as JavaScript writes them', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const manifest = join(dir, 'm.localpredict.json');
      const metrics = { a: 0.1, b: 1e-7, c: 1.5e-8, d: 123456789012345680000, e: 1e21, f: -0.000001, g: 100, h: 0.931, i: 'n = 200', j: 2 ** 53 + 2 };
      writeFileSync(manifest, JSON.stringify({ localpredict: 1, details: { name: 'N', type: 'T', version: '3', trained: '2026-11-20', description: 'D', metrics } }));
      const args = ['info', join(FIXTURES, 'binary', 'model.json'), '--manifest', manifest];
      const [js, native] = await Promise.all([runCli(args), run(NATIVE, args)]);
      assert.equal(js.status, 0, js.stderr);
      assert.equal(native.status, 0, native.stderr);
      const text = js.stdout.toString();
      assert.equal(native.stdout.toString(), text);
      for (const [k, v] of Object.entries(metrics)) assert.ok(text.includes(`metric     ${k}: ${v}\n`), `${k}: ${v}`);
      assert.ok(text.includes('name       N\ntype       T\nversion    3\ntrained    2026-11-20\ndescription D\n'));
    } finally {
      cleanup();
    }
  });
});
