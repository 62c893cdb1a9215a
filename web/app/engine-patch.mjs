/* engine-patch.mjs — the page's relaxed-SIMD engine, rebuilt from its SIMD engine.
 *
 * Why a patch: the page carries its engines inline (base64 in build/engine-bytes.mjs,
 * since it never fetches), and a third full engine would add ~0.8 MB to it.  The
 * relaxed-SIMD build (localpredict-relaxed.wasm) is the SIMD build with the packed
 * tree kernel's selects and lookups as relaxed laneselects and swizzles: only a
 * few function bodies of the code section differ, every other section is the same.  So the page carries
 * those bodies (by index) and, only where relaxed SIMD validates, puts them into a
 * copy of the SIMD engine, re-encoding the code section (body count, each body's
 * size, the section's size).
 *
 * A patch: { base: { length, fnv1a }, target: { length, fnv1a }, bodies: [[index, Uint8Array], ...] }.
 * applyCodePatch refuses a base other than the one the patch was made from (length
 * and FNV-1a: a guard against a stale build, not against an adversary; the bytes
 * come from the same file) and a result other than the one it was made for.
 * scripts/relaxed-patch.mjs makes the patch at build time (make page) and checks,
 * with this function, that it gives localpredict-relaxed.wasm byte for byte.
 */

const CODE = 10; // the code section's id

/** FNV-1a (32 bits) of the bytes. */
export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

function fail(message) {
  throw new Error(`engine patch: ${message}`);
}

/** Unsigned LEB128 at `pos`: [value, position after it]. */
function readLeb(bytes, pos) {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= bytes.length) fail('unexpected end of the module');
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return [value, pos];
  }
  return fail('LEB128 longer than 32 bits');
}

function leb(value) {
  const out = [];
  do {
    out.push((value & 0x7f) | (value > 0x7f ? 0x80 : 0));
    value >>>= 7;
  } while (value);
  return out;
}

/** The module's sections: [{ id, start (its id byte), content (after its size), end }]. */
export function sections(bytes) {
  const head = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  if (bytes.length < 8 || head.some((b, i) => bytes[i] !== b)) fail('not a WebAssembly 1.0 module');
  const list = [];
  for (let pos = 8; pos < bytes.length;) {
    const [size, content] = readLeb(bytes, pos + 1);
    if (content + size > bytes.length) fail('a section runs past the end');
    list.push({ id: bytes[pos], start: pos, content, end: content + size });
    pos = content + size;
  }
  return list;
}

/** The code section and its function bodies (each { start, end }, after its size). */
export function codeSection(bytes) {
  const found = sections(bytes).filter((s) => s.id === CODE);
  if (found.length !== 1) fail(`${found.length} code sections`);
  const section = found[0];
  let [count, pos] = readLeb(bytes, section.content);
  const bodies = [];
  for (let i = 0; i < count; i++) {
    const [size, start] = readLeb(bytes, pos);
    pos = start + size;
    if (pos > section.end) fail(`function body ${i} runs past the code section`);
    bodies.push({ start, end: pos });
  }
  if (pos !== section.end) fail('bytes after the last function body');
  return { ...section, bodies };
}

/** The base module with the patch's function bodies in place of its own. */
export function applyCodePatch(base, patch) {
  if (base.length !== patch.base.length || fnv1a(base) !== patch.base.fnv1a) {
    fail('the engine differs from the one this patch was made for');
  }
  const code = codeSection(base);
  const replaced = new Map(patch.bodies);
  for (const index of replaced.keys()) {
    if (!(index >= 0 && index < code.bodies.length)) fail(`no function body ${index}`);
  }
  const parts = [leb(code.bodies.length)];
  for (const [i, { start, end }] of code.bodies.entries()) {
    const body = replaced.get(i) ?? base.subarray(start, end);
    parts.push(leb(body.length), body);
  }
  const contentSize = parts.reduce((n, p) => n + p.length, 0);
  parts.unshift(base.subarray(0, code.start), [CODE], leb(contentSize));
  parts.push(base.subarray(code.end));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  if (out.length !== patch.target.length || fnv1a(out) !== patch.target.fnv1a) {
    fail('the patched engine differs from the one this patch was made for');
  }
  return out;
}
