/* byte-search.test.mjs — the SIMD byte search browsers use in the pool's splitter
 * (wasm/byte-search.mjs) must find exactly what Uint8Array.prototype.indexOf finds:
 * at every window edge (4 KiB doubling to 1 MiB), from any start, absent bytes, 0 and
 * 255.  And the splitter on it (a csv-split.mjs evaluated without Buffer, as in a
 * browser) must cut exactly where the one on Node's Buffer search (memchr) does. */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { simdIndexOf } from '../../wasm/byte-search.mjs';
import { CsvSplitter } from '../../wasm/csv-split.mjs';
import { rng } from './helpers.mjs';

// A second instance of the splitter's module, evaluated while Buffer is hidden: it
// takes the path a browser takes.
const savedBuffer = globalThis.Buffer;
delete globalThis.Buffer;
let BrowserSplitter;
try {
  ({ CsvSplitter: BrowserSplitter } = await import('../../wasm/csv-split.mjs?as-in-a-browser'));
} finally {
  globalThis.Buffer = savedBuffer;
}

test('simdIndexOf finds what indexOf finds, across window edges', () => {
  const find = simdIndexOf();
  assert.equal(typeof find, 'function', 'no SIMD search in this Node');
  const r = rng(6);
  const sizes = [0, 1, 15, 16, 17, 63, 4095, 4096, 4097, 12287, 12288, 12289, (1 << 20) + 4096 * 3 + 5, 3 << 20];
  for (const n of sizes) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = 0x30 + (i % 10);
    // The byte sought at a few places: each window's first and last byte, and a random one.
    const marks = [0, 15, 16, 4095, 4096, 12287, 12288, n - 1, Math.floor(r() * n)].filter((p) => p >= 0 && p < n);
    for (const p of marks) bytes[p] = 0x22;
    for (const from of [0, 1, 16, 4095, 4096, 4097, n - 1, n, n + 5, Math.floor(r() * n)]) {
      for (const b of [0x22, 0x31, 0x00, 0xff, 0x0a]) {
        assert.equal(find(bytes, b, from), bytes.indexOf(b, from), `n ${n}, from ${from}, byte ${b}`);
      }
    }
  }
  // A view into the middle of a larger buffer.
  const big = new Uint8Array(10000).fill(0x41);
  big[100] = 0x22;
  big[7000] = 0x22;
  const view = big.subarray(200, 9000);
  assert.equal(find(view, 0x22), view.indexOf(0x22));
});

/** A CSV of quoted fields with line breaks and doubled quotes, CRLF and LF, a BOM. */
function trickyCsv(r, rows) {
  const cells = ['1.5', '"a,b"', '"two\nlines"', '"say ""hi"""', 'x"y', '""', '"\r\n"', '7'];
  const lines = ['\ufeffa,b,c'];
  for (let i = 0; i < rows; i++) {
    lines.push([0, 1, 2].map(() => cells[Math.floor(r() * cells.length)]).join(','));
  }
  return new TextEncoder().encode(lines.join(r() < 0.5 ? '\r\n' : '\n') + '\n');
}

function cuts(Splitter, bytes, r, sliceBytes) {
  const s = new Splitter(sliceBytes);
  const out = [];
  for (let at = 0; at < bytes.length;) {
    const n = 1 + Math.floor(r() * 5000);
    for (const slice of s.push(bytes.subarray(at, at + n))) out.push(Buffer.from(slice.bytes).toString('latin1'));
    at += n;
  }
  const last = s.finish();
  if (last) out.push(Buffer.from(last.bytes).toString('latin1'));
  return { slices: out, header: Buffer.from(s.header || []).toString('latin1') };
}

test('the splitter on the SIMD search cuts where the one on memchr cuts', () => {
  assert.notEqual(BrowserSplitter, CsvSplitter, 'the module was not evaluated again');
  for (let seed = 1; seed <= 6; seed++) {
    const bytes = trickyCsv(rng(seed), 3000);
    for (const sliceBytes of [1, 333, 9000]) {
      const node = cuts(CsvSplitter, bytes, rng(seed + 100), sliceBytes);
      const browser = cuts(BrowserSplitter, bytes, rng(seed + 100), sliceBytes);
      assert.ok(node.slices.length > 1, 'the input was not cut');
      assert.deepEqual(browser, node, `seed ${seed}, sliceBytes ${sliceBytes}`);
    }
  }
});
