/* detect.mjs — WebAssembly feature detection, run once before a .wasm is chosen.
 *
 * The probe is wasm-feature-detect's SIMD test: a function returning
 * i8x16.popcnt(i8x16.splat(0)).  popcnt was among the last opcodes to be
 * renumbered before SIMD was finalised, so runtimes that shipped a
 * pre-standard SIMD (which could not run the -msimd128 engine) fail it too.
 */

const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type section: () -> v128
  0x03, 0x02, 0x01, 0x00,                         // function section: one function of type 0
  0x0a, 0x0a, 0x01, 0x08, 0x00,                   // code section: one body of 8 bytes, no locals
  0x41, 0x00,                                     // i32.const 0
  0xfd, 0x0f,                                     // i8x16.splat
  0xfd, 0x62,                                     // i8x16.popcnt
  0x0b,                                           // end
]);

let simd;

/** True when this runtime can run the SIMD engine (cached after the first call). */
export function simdSupported() {
  if (simd === undefined) {
    try {
      simd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      simd = false;
    }
  }
  return simd;
}

/* Relaxed SIMD: a function returning the i8x16.relaxed_laneselect of an
 * i8x16.relaxed_swizzle and two splats: the two relaxed instructions the
 * relaxed engine uses, with their final opcodes (0xfd 0x89 0x02, 0xfd 0x80
 * 0x02; runtimes that took the proposal's prototype numbering, such as Node 20
 * without --experimental-wasm-relaxed-simd, refuse them). */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type section: () -> v128
  0x03, 0x02, 0x01, 0x00,                         // function section: one function of type 0
  0x0a, 0x1a, 0x01, 0x18, 0x00,                   // code section: one body of 24 bytes, no locals
  0x41, 0x00, 0xfd, 0x0f,                         // i32.const 0, i8x16.splat
  0x41, 0x01, 0xfd, 0x0f,                         // i32.const 1, i8x16.splat
  0xfd, 0x80, 0x02,                               // i8x16.relaxed_swizzle
  0x41, 0x02, 0xfd, 0x0f,                         // i32.const 2, i8x16.splat
  0x41, 0x03, 0xfd, 0x0f,                         // i32.const 3, i8x16.splat
  0xfd, 0x89, 0x02,                               // i8x16.relaxed_laneselect
  0x0b,                                           // end
]);

let relaxed;

/** True when this runtime can run the relaxed-SIMD engine (cached after the first call). */
export function relaxedSimdSupported() {
  if (relaxed === undefined) {
    try {
      relaxed = simdSupported() && WebAssembly.validate(RELAXED_PROBE);
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}

/** Probes relaxed SIMD again, after the runtime's features changed (load-node.mjs, enableRelaxedSimd). */
export function redetectRelaxedSimd() {
  relaxed = undefined;
  return relaxedSimdSupported();
}
