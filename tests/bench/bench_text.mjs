#!/usr/bin/env node
// bench_text.mjs — sentences per second for the transformer text classifier
// (tests/fixtures/text_model/bert_tiny: a 2-layer BERT-style encoder, hidden
// 32, 4 heads, 32 tokens, WordPiece) in localpredict's WASM engine against
// onnxruntime-web on the same ONNX file, single-threaded, in one Node process.
//
//   node tests/bench/bench_text.mjs --anchors build/bench/anchors [--sentences 1024] [--reps 5]
//
// --anchors: the copy of ../shared/bench with its node_modules (onnxruntime-web),
// as tests/bench/run.mjs sets it up.  Prints JSON on stdout.
//
// What is timed, per call of `sentences` sentences (the fixture's 33 held-out
// reviews cycled; the protocol of ../shared/bench/bench_ort.mjs: a warm-up of
// at least one call and 0.2 s, then `reps` repetitions of calls for at least
// 0.3 s each, the median reported):
// - localpredict: predictCsvText on the CSV text — CSV parsing, WordPiece in C,
//   the graph, the output CSV (one engine: text models do not use the worker
//   pool yet, see the README's "Text preprocessing");
// - onnxruntime-web, model only: session.run on the ids, mask and token type
//   ids already tokenized (building the int64 tensors is timed);
// - onnxruntime-web + tokenizer: the same, with @huggingface/tokenizers
//   (pure JS, this repository's dev dependency) tokenizing the sentences inside
//   the timed call — what a JS page would have to do to use onnxruntime-web.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '@huggingface/tokenizers';

import { loadModel } from '../../wasm/node.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const anchors = path.resolve(arg('anchors', path.join(root, 'build/bench/anchors')));
const N = +arg('sentences', 1024);
const REPS = +arg('reps', 5);
const MIN_T = 300, WARM_T = 200;

const dir = path.join(root, 'tests/fixtures/text_model/bert_tiny');
const modelBytes = fs.readFileSync(path.join(dir, 'model.onnx'));
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.localpredict.json'), 'utf8'));
const spec = JSON.parse(fs.readFileSync(path.join(dir, 'ids.json'), 'utf8'));
const L = manifest.preprocess.max_length;
const texts = Array.from({ length: N }, (_, i) => spec.texts[i % spec.texts.length]);
// quoted where needed, and always when blank: a one-column CSV's empty line is no record
const quote = (t) => (/[",\n\r]/.test(t) || !t.trim() ? `"${t.replace(/"/g, '""')}"` : t);
const csv = 'review\n' + texts.map(quote).join('\n') + '\n';

const median = (v) => { const s = [...v].sort((x, y) => x - y); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

// The contenders interleaved rep by rep (as bench_ort.mjs does web and node),
// so a burst of load on the shared machine hits them alike.
async function measure(calls) {
  for (const call of Object.values(calls)) {
    const t0 = performance.now();
    for (let n = 0; n < 1 || performance.now() - t0 < WARM_T; n++) await call();
  }
  const rates = Object.fromEntries(Object.keys(calls).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(calls).map((k) => [k, [0, 0]]));
  for (let r = 0; r < REPS; r++) {
    for (const [name, call] of Object.entries(calls)) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      let n = 0, el = 0;
      while (n < 1 || el < MIN_T) {
        await call();
        n++;
        el = performance.now() - t0;
      }
      const c = process.cpuUsage(c0);
      cpu[name][0] += (c.user + c.system) / 1000, cpu[name][1] += el;
      rates[name].push((n * N) / (el / 1000));
    }
  }
  return Object.fromEntries(Object.keys(calls).map((k) => [k, { sentences_per_s: Math.round(median(rates[k])),
    reps: rates[k].map(Math.round), cpu_per_wall: +(cpu[k][0] / cpu[k][1]).toFixed(2) }]));
}

// ---- the WordPiece ids, as the fixture's expected outputs were computed ----
const tokJson = JSON.parse(fs.readFileSync(path.join(dir, spec.wordpiece), 'utf8'));
const tokenizer = new Tokenizer(tokJson, {});
const V = tokJson.model.vocab;
function tokenize(batch) {
  const ids = new BigInt64Array(batch.length * L), mask = new BigInt64Array(batch.length * L);
  batch.forEach((t, r) => {
    const pieces = tokenizer.encode(t, { add_special_tokens: false }).ids.slice(0, L - 2);
    const row = [V['[CLS]'], ...pieces, V['[SEP]']];
    row.forEach((id, c) => { ids[r * L + c] = BigInt(id); mask[r * L + c] = 1n; });
  });
  return { ids, mask, types: new BigInt64Array(batch.length * L) };
}

// ---- localpredict (WASM SIMD, the package's default engine in Node) ----
const lp = await loadModel(modelBytes, { manifest: JSON.stringify(manifest) });
const lpOut = await lp.predictCsvText(csv);

// ---- onnxruntime-web (wasm SIMD, one thread), the anchors' pinned copy ----
const requireAnchors = createRequire(path.join(anchors, 'package.json'));
const ortPath = requireAnchors.resolve('onnxruntime-web');
const ort = await import(ortPath.endsWith('.mjs') || ortPath.endsWith('.js') ? 'file://' + ortPath : ortPath);
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
const sess = await ort.InferenceSession.create(modelBytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
const pre = tokenize(texts);
const runOrt = async ({ ids, mask, types }) => {
  const dims = [N, L];
  const out = await sess.run({ input_ids: new ort.Tensor('int64', ids, dims), attention_mask: new ort.Tensor('int64', mask, dims),
    token_type_ids: new ort.Tensor('int64', types, dims) });
  return out[sess.outputNames[0]].data;
};
const ortProba = await runOrt(pre);
const { lpRes, ortModel, ortTok } = await measure({ lpRes: () => lp.predictCsvText(csv), ortModel: () => runOrt(pre),
  ortTok: () => runOrt(tokenize(texts)) });

// the two agree (a benchmark of wrong answers would be meaningless)
const lpRows = lpOut.trim().split('\n').slice(1).map((l) => l.split(',').slice(0, 3).map(Number));
let maxDiff = 0;
lpRows.forEach((row, r) => row.forEach((p, k) => { maxDiff = Math.max(maxDiff, Math.abs(p - ortProba[r * 3 + k])); }));
lp.dispose();

const version = (req, name) => {
  let d = path.dirname(req.resolve(name));
  while (d !== path.dirname(d)) {
    const p = path.join(d, 'package.json');
    if (fs.existsSync(p)) { const j = JSON.parse(fs.readFileSync(p, 'utf8')); if (j.name === name) return j.version; }
    d = path.dirname(d);
  }
  return null;
};
// The row run.mjs puts in RESULTS.md (and `make bench-text` prints).
function textRow(t) {
  const r = (x) => x.sentences_per_s;
  return `Text, ${t.sentences_per_call} sentences per call through the 2-layer BERT-style classifier ` +
    `(tests/fixtures/text_model/bert_tiny, WordPiece, ${t.max_length} tokens), one thread: localpredict WASM ` +
    `(CSV in, tokenization in C, CSV out) ${r(t.localpredict_wasm)} sentences/s; onnxruntime-web ${t.onnxruntime_web} ` +
    `on the same file ${r(t.ort_web_model_only)} sentences/s on ids tokenized beforehand, ${r(t.ort_web_with_tokenizer)} ` +
    `with @huggingface/tokenizers in the loop; ratio ${t.ratio_vs_ort_web_with_tokenizer}× (${t.ratio_vs_ort_web_model_only}× ` +
    `model only); cpu/wall ${t.localpredict_wasm.cpu_per_wall} / ${t.ort_web_with_tokenizer.cpu_per_wall}; ` +
    `max |diff| ${t.max_abs_diff_lp_vs_ort_web.toExponential(1)}.`;
}

const result = {
  tool: 'bench_text', model: 'tests/fixtures/text_model/bert_tiny/model.onnx', model_bytes: modelBytes.length,
  sentences_per_call: N, max_length: L, reps: REPS, node: process.version,
  onnxruntime_web: version(requireAnchors, 'onnxruntime-web'),
  localpredict_wasm: lpRes, ort_web_model_only: ortModel, ort_web_with_tokenizer: ortTok,
  ratio_vs_ort_web_with_tokenizer: +(lpRes.sentences_per_s / ortTok.sentences_per_s).toFixed(2),
  ratio_vs_ort_web_model_only: +(lpRes.sentences_per_s / ortModel.sentences_per_s).toFixed(2),
  max_abs_diff_lp_vs_ort_web: maxDiff,
};
result.row = textRow(result);
console.log(JSON.stringify(result, null, 1));
console.error(result.row);
