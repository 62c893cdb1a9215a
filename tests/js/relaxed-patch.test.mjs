/* relaxed-patch.test.mjs — the single-file page carries the relaxed-SIMD engine as a
 * patch over the SIMD engine (web/app/engine-patch.mjs, made by scripts/relaxed-patch.mjs):
 * applied to localpredict.wasm it gives localpredict-relaxed.wasm byte for byte, it
 * refuses any other base, and it is not made when more than function bodies differ.
 * The page's own use of it is checked in tests/browser/web-page.mjs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { applyCodePatch, codeSection, sections } from '../../web/app/engine-patch.mjs';
import { makeCodePatch } from '../../scripts/relaxed-patch.mjs';
import { ROOT } from './helpers.mjs';

const engine = (name) => new Uint8Array(readFileSync(join(ROOT, 'wasm', 'build', name)));
const simd = engine('localpredict.wasm');
const relaxed = engine('localpredict-relaxed.wasm');
const scalar = engine('localpredict-scalar.wasm');
const patch = makeCodePatch(simd, relaxed);

test('the patch applied to localpredict.wasm is localpredict-relaxed.wasm, byte for byte', () => {
  const out = applyCodePatch(simd, patch);
  assert.equal(out.length, relaxed.length);
  assert.ok(Buffer.from(out).equals(Buffer.from(relaxed)), 'the patched engine differs from localpredict-relaxed.wasm');
  // The point of a patch: a small part of the engine.
  const bytes = patch.bodies.reduce((n, [, body]) => n + body.length, 0);
  assert.ok(patch.bodies.length >= 1 && bytes < relaxed.length / 4, `${patch.bodies.length} bodies, ${bytes} bytes`);
  assert.equal(simd.length, patch.base.length, 'the patch leaves its base alone');
});

test('a patch refuses a base other than the one it was made from', () => {
  const refused = /the engine differs from the one this patch was made for/;
  assert.throws(() => applyCodePatch(scalar, patch), refused);
  assert.throws(() => applyCodePatch(relaxed, patch), refused);
  assert.throws(() => applyCodePatch(simd.subarray(0, simd.length - 1), patch), refused);
  // Same length, one byte changed (inside a function body the patch keeps).
  const code = codeSection(simd);
  const kept = code.bodies.find((_, i) => !patch.bodies.some(([j]) => j === i));
  const changed = Uint8Array.from(simd);
  changed[kept.start + 3] ^= 1;
  assert.throws(() => applyCodePatch(changed, patch), refused);
});

test('a patch whose result is not its target is refused', () => {
  const bad = { ...patch, bodies: patch.bodies.map(([i, body]) => [i, Uint8Array.from(body, (b, k) => (k === 5 ? b ^ 1 : b))]) };
  assert.throws(() => applyCodePatch(simd, bad), /the patched engine differs/);
});

test('no patch when the engines differ outside the function bodies', () => {
  // One byte changed in a section other than the code section (the first one).
  const other = sections(relaxed).find((s) => s.id !== 10 && s.end > s.content);
  const changed = Uint8Array.from(relaxed);
  changed[other.end - 1] ^= 1;
  assert.throws(() => makeCodePatch(simd, changed), /relaxed-patch: section \d+ \(type \d+\) differs; the single-file page cannot carry/);
  // A different number of functions.
  assert.throws(() => makeCodePatch(simd, scalar), /relaxed-patch: /);
});
