/* byte-search.mjs — finding one byte in a Uint8Array fast where the runtime has
 * no fast search of its own (browsers).
 *
 * Uint8Array.prototype.indexOf is a byte-by-byte loop in V8 (Chromium and Node),
 * about 1 GB/s, and the worker pool's splitter (csv-split.mjs) searches the whole
 * input for quotes on the calling thread, time taken from the workers on 2 cores.
 * Node has memchr behind Buffer; a browser has nothing faster in JS (a latin1
 * TextDecoder with a string search and a 32-bit SWAR loop are slower still).  So
 * this tiny WebAssembly module compares 16 bytes at a time with SIMD; the bytes are
 * copied into its memory in windows (a copy runs at memcpy speed), which start
 * small and double, so that a byte found early costs little.  On W1's 98.5 MB the
 * quote search took ~50 ms against ~170 ms with indexOf (Node 20, same V8).
 *
 * The module is written out below byte by byte, its text form beside each line
 * (no build step, nothing fetched).  Where WebAssembly, SIMD or the permission to
 * compile ('wasm-unsafe-eval') is missing, simdIndexOf() returns null and callers
 * keep indexOf.
 */

const WINDOW = 1 << 20; // the module's memory: 16 pages of 64 KiB
const FIRST_WINDOW = 4096;

// (func $find (param $p i32) (param $n i32) (param $b i32) (result i32)
//   the offset of the first byte $b in memory[$p, $p + $n), or -1
/* eslint-disable array-element-newline */
const FIND_BODY = [
  0x03, 0x01, 0x7f, 0x01, 0x7b, 0x01, 0x7f, // locals: $i i32, $t v128, $end i32
  0x20, 0x02, 0xfd, 0x0f, 0x21, 0x04,       // $t = i8x16.splat($b)
  0x20, 0x00, 0x21, 0x03,                   // $i = $p
  0x20, 0x00, 0x20, 0x01, 0x41, 0x70, 0x71, 0x6a, 0x21, 0x05, // $end = $p + ($n & -16)
  0x02, 0x40,                               // block $wide_done
  0x03, 0x40,                               //   loop: 16 bytes at a time
  0x20, 0x03, 0x20, 0x05, 0x4f, 0x0d, 0x01, //     br_if $wide_done ($i >= $end)
  0x20, 0x03, 0xfd, 0x00, 0x00, 0x00,       //     v128.load [$i]
  0x20, 0x04, 0xfd, 0x23, 0xfd, 0x53,       //     i8x16.eq $t, v128.any_true
  0x0d, 0x01,                               //     br_if $wide_done (a match in these 16)
  0x20, 0x03, 0x41, 0x10, 0x6a, 0x21, 0x03, //     $i += 16
  0x0c, 0x00,                               //     br loop
  0x0b, 0x0b,                               //   end loop, end block
  0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x05, // $end = $p + $n
  0x02, 0x40,                               // block $none
  0x03, 0x40,                               //   loop: byte by byte (the match's 16, the tail)
  0x20, 0x03, 0x20, 0x05, 0x4f, 0x0d, 0x01, //     br_if $none ($i >= $end)
  0x20, 0x03, 0x2d, 0x00, 0x00, 0x20, 0x02, 0x46, // i32.load8_u [$i] == $b
  0x04, 0x40,                               //     if
  0x20, 0x03, 0x20, 0x00, 0x6b, 0x0f,       //       return $i - $p
  0x0b,                                     //     end
  0x20, 0x03, 0x41, 0x01, 0x6a, 0x21, 0x03, //     $i += 1
  0x0c, 0x00,                               //     br loop
  0x0b, 0x0b,                               //   end loop, end block
  0x41, 0x7f,                               // -1
  0x0b,                                     // end func
];

const MODULE = [
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,             // \0asm, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, // types: (i32 i32 i32) -> i32
  0x03, 0x02, 0x01, 0x00,                                     // functions: $find of that type
  0x05, 0x03, 0x01, 0x00, 0x10,                               // memory: 16 pages
  0x07, 0x0e, 0x02,                                           // exports:
  0x04, 0x66, 0x69, 0x6e, 0x64, 0x00, 0x00,                   //   "find" func 0
  0x03, 0x6d, 0x65, 0x6d, 0x02, 0x00,                         //   "mem" memory 0
  0x0a, FIND_BODY.length + 2, 0x01, FIND_BODY.length,         // code: one body
  ...FIND_BODY,
];
/* eslint-enable array-element-newline */

let search; // undefined: not tried yet; null: not available here

/**
 * indexOf(bytes, byte, from) on the SIMD module, or null where it cannot run.
 * Compiled on first use (a few hundred bytes: synchronous compiling is allowed).
 */
export function simdIndexOf() {
  if (search !== undefined) return search;
  search = null;
  try {
    const bytes = new Uint8Array(MODULE);
    if (typeof WebAssembly !== 'object' || !WebAssembly.validate(bytes)) return null;
    const { find, mem } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
    const window = new Uint8Array(mem.buffer, 0, WINDOW);
    search = (haystack, byte, from = 0) => {
      let size = FIRST_WINDOW;
      for (let start = Math.max(0, from); start < haystack.length; start += size, size = Math.min(WINDOW, size * 2)) {
        const end = Math.min(haystack.length, start + size);
        window.set(haystack.subarray(start, end));
        const at = find(0, end - start, byte);
        if (at >= 0) return start + at;
      }
      return -1;
    };
  } catch {
    search = null; // no WebAssembly, or compiling it is not allowed here (CSP)
  }
  return search;
}
