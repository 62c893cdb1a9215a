#!/usr/bin/env node
/* relaxed-opcodes.mjs — gives a .wasm built with emcc 3.1.6's -mrelaxed-simd the
 * final relaxed-SIMD opcodes.
 *
 *   node scripts/relaxed-opcodes.mjs in.wasm out.wasm
 *
 * clang 14 and binaryen 108 (Debian 12's emcc) write the relaxed-SIMD
 * proposal's prototype opcodes (i8x16.laneselect = 0xfd 0xb2 0x01,
 * i8x16.relaxed_swizzle = 0xfd 0xa2 0x01); the proposal renumbered them when
 * it was finalised (0xfd 0x89 0x02 and 0xfd 0x80 0x02), and runtimes that
 * ship relaxed SIMD (V8 >= 11.4, Chrome 114, Node 22; Node 20 behind
 * --experimental-wasm-relaxed-simd) take only the final ones.  Newer clangs write the final opcodes, but binaryen 108
 * (which emcc runs on every link) cannot read them.
 *
 * This is not a byte search: every function body of the code section is
 * decoded instruction by instruction, immediates included, so an opcode's
 * bytes inside an immediate (a constant, a shuffle's lanes, an offset) are
 * never touched.  Only the prototype opcodes in MAP are rewritten; anything
 * the decoder does not know (an opcode outside MVP, sign extension,
 * non-trapping float-to-int, bulk memory, reference types and fixed-width
 * SIMD; another prototype relaxed opcode; a body that does not end where its
 * size says) stops the build with an error.  Each rewritten opcode's LEB128
 * has the same length as the prototype's, so no size changes.
 *
 * MAP was read off the two toolchains: clang 14's __builtin_wasm_laneselect_*
 * and __builtin_wasm_relaxed_swizzle_i8x16 compiled by emcc (prototype) and
 * wabt 1.0.32's wat2wasm of i*x*.relaxed_laneselect and i8x16.relaxed_swizzle
 * (final).  They are the only relaxed instructions the engine uses
 * (src/kernels/trees_packed.c, select16 and lookup16).
 */

import { readFileSync, writeFileSync } from 'node:fs';

import { codeSection } from '../web/app/engine-patch.mjs';

/** Prototype 0xfd sub-opcode -> final, for the instructions we use. */
export const MAP = new Map([
  [0xa2, 0x100],   // i8x16.relaxed_swizzle
  [0xb2, 0x109],   // i8x16.laneselect -> i8x16.relaxed_laneselect
  [0xb3, 0x10a],   // i16x8
  [0xd2, 0x10b],   // i32x4
  [0xd3, 0x10c],   // i64x2
]);

/* Fixed-width SIMD's sub-opcodes 0x00..0xff without an immediate, or with one
 * (memarg, lane, 16 bytes); the holes (0x9a, 0xa2, ... ) are left out. */
const SIMD_HOLES = new Set([0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb,
  0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee]);

class Reader {
  constructor(bytes, pos, end) { this.b = bytes; this.pos = pos; this.end = end; }
  fail(msg) { throw new Error(`relaxed-opcodes: at byte ${this.pos}: ${msg}`); }
  byte() {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.b[this.pos++];
  }
  skip(n) {
    if (this.pos + n > this.end) this.fail('unexpected end');
    this.pos += n;
  }
  /** Unsigned LEB128 of at most `bits` bits, as a Number (bits <= 32) or skipped. */
  uleb(bits = 32) {
    let result = 0, shift = 0, b;
    const max = Math.ceil(bits / 7);
    for (let i = 0; ; i++) {
      if (i >= max) this.fail(`LEB128 longer than ${bits} bits`);
      b = this.byte();
      if (shift < 32) result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    return result;
  }
  sleb(bits) { this.uleb(bits); }   // only skipped: the length rule is the same
}

const VALTYPES = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

function blockType(r) {
  const b = r.b[r.pos];
  if (b === 0x40 || VALTYPES.has(b)) { r.pos++; return; }
  r.sleb(33);   // a type index
}

function memarg(r) { r.uleb(32); r.uleb(32); }

/* One instruction; returns the change to the block depth.  `patches` gets
 * [position, length, final sub-opcode] of each prototype opcode. */
function instruction(r, patches, counts) {
  const op = r.byte();
  if (op <= 0x01 || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1 ||
      (op >= 0x45 && op <= 0xc4)) return 0;               // no immediate
  if (op >= 0x02 && op <= 0x04) { blockType(r); return 1; }
  if (op === 0x05) return 0;                               // else
  if (op === 0x0b) return -1;                              // end
  if (op === 0x0c || op === 0x0d || op === 0x10 || (op >= 0x20 && op <= 0x26) || op === 0xd2) {
    r.uleb(32); return 0;
  }
  if (op === 0x0e) {                                       // br_table
    const n = r.uleb(32);
    for (let i = 0; i <= n; i++) r.uleb(32);
    return 0;
  }
  if (op === 0x11) { r.uleb(32); r.uleb(32); return 0; }   // call_indirect type table
  if (op === 0x1c) {                                       // select t*
    const n = r.uleb(32);
    for (let i = 0; i < n; i++) if (!VALTYPES.has(r.byte())) r.fail('select: unknown value type');
    return 0;
  }
  if (op >= 0x28 && op <= 0x3e) { memarg(r); return 0; }
  if (op === 0x3f || op === 0x40) { if (r.byte() !== 0) r.fail('memory index'); return 0; }
  if (op === 0x41) { r.sleb(32); return 0; }
  if (op === 0x42) { r.sleb(64); return 0; }
  if (op === 0x43) { r.skip(4); return 0; }
  if (op === 0x44) { r.skip(8); return 0; }
  if (op === 0xd0) { if (!VALTYPES.has(r.byte())) r.fail('ref.null: unknown type'); return 0; }
  if (op === 0xfc) {
    const sub = r.uleb(32);
    if (sub <= 7) return 0;                                // trunc_sat
    if (sub === 8) { r.uleb(32); r.byte(); return 0; }     // memory.init
    if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) { r.uleb(32); return 0; }
    if (sub === 10) { r.byte(); r.byte(); return 0; }      // memory.copy
    if (sub === 11) { r.byte(); return 0; }                // memory.fill
    if (sub === 12 || sub === 14) { r.uleb(32); r.uleb(32); return 0; }
    r.fail(`unknown opcode 0xfc ${sub}`);
  }
  if (op === 0xfd) {
    const at = r.pos;
    const sub = r.uleb(32);
    if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) { memarg(r); return 0; }
    if (sub === 0x0c || sub === 0x0d) { r.skip(16); return 0; }   // v128.const, i8x16.shuffle
    if (sub >= 0x15 && sub <= 0x22) { r.byte(); return 0; }        // lane index
    if (sub >= 0x54 && sub <= 0x5b) { memarg(r); r.byte(); return 0; }
    if (MAP.has(sub)) {
      patches.push([at, r.pos - at, MAP.get(sub)]);
      counts.set(sub, (counts.get(sub) || 0) + 1);
      return 0;
    }
    if (sub <= 0xff && !SIMD_HOLES.has(sub)) return 0;
    r.fail(`0xfd ${sub.toString(16)}: not fixed-width SIMD and not a relaxed opcode this script maps`);
  }
  r.fail(`unknown opcode 0x${op.toString(16)}`);
}

function uleb(value) {
  const out = [];
  do {
    let b = value & 0x7f;
    value >>>= 7;
    if (value) b |= 0x80;
    out.push(b);
  } while (value);
  return out;
}

/** The module with its prototype relaxed opcodes made final; { bytes, counts }. */
export function finalizeRelaxed(input) {
  const bytes = Uint8Array.from(input);
  // The module's layout (one code section, each body's bounds) is read as the page's patch reads it.
  let code;
  try {
    code = codeSection(bytes);
  } catch (e) {
    throw new Error(`relaxed-opcodes: ${e.message.replace(/^engine patch: /, '')}`);
  }
  const patches = [];
  const counts = new Map();
  for (const [f, { start, end }] of code.bodies.entries()) {
    const body = new Reader(bytes, start, end);
    const groups = body.uleb(32);
    for (let g = 0; g < groups; g++) {
      body.uleb(32);
      if (!VALTYPES.has(body.byte())) body.fail(`function ${f}: unknown local type`);
    }
    let depth = 1;
    while (depth > 0) depth += instruction(body, patches, counts);
    if (body.pos !== end) body.fail(`function ${f}: body ends ${end - body.pos} bytes after its last end`);
  }
  for (const [at, len, sub] of patches) {
    const enc = uleb(sub);
    if (enc.length !== len) {
      throw new Error(`relaxed-opcodes: at byte ${at}: the final opcode needs ${enc.length} bytes, the prototype has ${len}`);
    }
    bytes.set(enc, at);
  }
  return { bytes, counts };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [input, output, ...rest] = process.argv.slice(2);
  if (!input || !output || rest.length) {
    console.error('usage: node scripts/relaxed-opcodes.mjs in.wasm out.wasm');
    process.exit(2);
  }
  const { bytes, counts } = finalizeRelaxed(readFileSync(input));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (!total) {
    console.error(`relaxed-opcodes: ${input} has no relaxed opcode (built without -mrelaxed-simd?)`);
    process.exit(1);
  }
  writeFileSync(output, bytes);
  const list = [...counts].map(([sub, n]) => `${n} x 0xfd 0x${sub.toString(16)} -> 0x${MAP.get(sub).toString(16)}`);
  console.log(`relaxed-opcodes: ${output}: ${list.join(', ')}`);
}
