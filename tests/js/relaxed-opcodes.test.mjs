/* relaxed-opcodes.test.mjs — scripts/relaxed-opcodes.mjs rewrites the prototype
 * relaxed-SIMD opcodes clang 14 / binaryen 108 write (i8x16.laneselect =
 * 0xfd 0xb2 0x01, i8x16.relaxed_swizzle = 0xfd 0xa2 0x01) as the final ones
 * (0xfd 0x89 0x02 and 0xfd 0x80 0x02, as wabt 1.0.32's wat2wasm encodes them), and only where an instruction is:
 * the same bytes inside immediates stay, and what it cannot decode is an error.
 * The built engine is checked where it runs: make test-c-wasm runs the C tests
 * on build/test/c-tests-relaxed.wasm. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import { finalizeRelaxed } from '../../scripts/relaxed-opcodes.mjs';
import { ROOT } from './helpers.mjs';

const PROTO = [0xfd, 0xb2, 0x01];   // i8x16.laneselect (prototype)
const FINAL = [0xfd, 0x89, 0x02];   // i8x16.relaxed_laneselect

/* A module of one function (v128, v128, v128) -> v128 with this body (after
 * its locals vector) and, optionally, extra bytes after the last end. */
function moduleOf(code, { trailing = [] } = {}) {
  const body = [0x00, ...code, ...trailing];
  const section = [0x01, body.length, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,   // type: (v128 v128 v128) -> v128
    0x03, 0x02, 0x01, 0x00,                                       // one function of type 0
    0x05, 0x03, 0x01, 0x00, 0x01,                                 // a memory of one page
    0x0a, section.length, ...section,
  ]);
}

const get = (i) => [0x20, i];

test('a laneselect is rewritten; its bytes inside immediates are not', () => {
  const code = [
    // v128.const whose 16 bytes hold the prototype opcode, dropped
    0xfd, 0x0c, ...PROTO, ...PROTO, ...PROTO, ...PROTO, ...PROTO, 0x00, 0x1a,
    // an i32.const's LEB128 and a v128.load's offset holding them, dropped
    0x41, 0xfd, 0xb2, 0x81, 0x01, 0x1a,
    0x41, 0x00, 0xfd, 0x00, 0x04, 0xfd, 0xb2, 0x01, 0x1a,
    ...get(0), ...get(1), ...get(2), ...PROTO,                    // the real one
    0x0b,
  ];
  const input = moduleOf(code);
  const { bytes, counts } = finalizeRelaxed(input);
  assert.deepEqual([...counts], [[0xb2, 1]]);
  const diff = [];
  for (let i = 0; i < input.length; i++) if (input[i] !== bytes[i]) diff.push(i);
  const at = input.length - 4;   // the real laneselect: three bytes before the final end
  assert.deepEqual(diff, [at + 1, at + 2]);
  assert.deepEqual([...bytes.subarray(at, at + 3)], FINAL);
  if (WebAssembly.validate(moduleOf([...get(0), ...get(1), ...get(2), ...FINAL, 0x0b]))) {
    // A runtime with relaxed SIMD takes the final opcode (Node 22, or 20 with the flag).
    assert.ok(WebAssembly.validate(bytes));
  }
});

test('a relaxed swizzle is rewritten too (prototype 0xfd 0xa2 0x01, final 0xfd 0x80 0x02)', () => {
  const input = moduleOf([...get(0), ...get(1), 0xfd, 0xa2, 0x01, 0x0b]);
  const { bytes, counts } = finalizeRelaxed(input);
  assert.deepEqual([...counts], [[0xa2, 1]]);
  assert.deepEqual([...bytes.subarray(input.length - 4, input.length - 1)], [0xfd, 0x80, 0x02]);
  assert.deepEqual([...bytes.subarray(0, input.length - 4)], [...input.subarray(0, input.length - 4)]);
});

test('what it cannot decode stops it', () => {
  const cases = {
    'a relaxed opcode it does not map (relaxed_trunc, prototype 0xa5)': [...get(0), 0xfd, 0xa5, 0x01, 0x0b],
    'an already final opcode': [...get(0), ...get(1), ...get(2), ...FINAL, 0x0b],
    'an unknown opcode (0x27)': [...get(0), 0x27, 0x0b],
    'atomics (0xfe)': [0x41, 0x00, 0xfe, 0x10, 0x02, 0x00, 0x1a, ...get(0), 0x0b],
  };
  for (const [name, code] of Object.entries(cases)) {
    assert.throws(() => finalizeRelaxed(moduleOf(code)), /relaxed-opcodes: /, name);
  }
  assert.throws(() => finalizeRelaxed(moduleOf([...get(0), 0x0b], { trailing: [0x01] })), /after its last end/);
  assert.throws(() => finalizeRelaxed(Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x02, 0, 0, 0])), /not a WebAssembly 1.0 module/);
});

test('the built engines: the SIMD one decodes with nothing to rewrite', { skip: !existsSync(join(ROOT, 'wasm/build/localpredict.wasm')) && 'make wasm' }, () => {
  const { counts } = finalizeRelaxed(readFileSync(join(ROOT, 'wasm/build/localpredict.wasm')));
  assert.equal(counts.size, 0);
});
