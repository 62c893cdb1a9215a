/* relaxed-patch.mjs — makes the patch that turns the SIMD engine into the relaxed-SIMD
 * one, for the single-file page (scripts/page-modules.mjs; why: web/app/engine-patch.mjs).
 *
 * The patch holds the function bodies that differ.  It is refused, and the build
 * stops, when anything else differs (another section, the number of functions), or
 * when applying it (web/app/engine-patch.mjs, the page's own code) does not give the
 * relaxed engine byte for byte: a future compiler that changes more than the bodies
 * must not get a wrong engine into the page.
 */
import { applyCodePatch, codeSection, fnv1a, sections } from '../web/app/engine-patch.mjs';

function fail(message) {
  throw new Error(`relaxed-patch: ${message}; the single-file page cannot carry the relaxed engine as a patch ` +
    '(web/app/engine-patch.mjs replaces function bodies only)');
}

const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The patch (see web/app/engine-patch.mjs) that turns `base` into `target`. */
export function makeCodePatch(base, target) {
  const a = sections(base), b = sections(target);
  if (a.length !== b.length) fail(`the engines have ${a.length} and ${b.length} sections`);
  for (const [i, s] of a.entries()) {
    const t = b[i];
    if (s.id !== t.id) fail(`section ${i} is of type ${s.id} in one engine, ${t.id} in the other`);
    if (s.id !== 10 && !equal(base.subarray(s.start, s.end), target.subarray(t.start, t.end))) {
      fail(`section ${i} (type ${s.id}) differs`);
    }
  }
  const codeA = codeSection(base), codeB = codeSection(target);
  if (codeA.bodies.length !== codeB.bodies.length) {
    fail(`the engines have ${codeA.bodies.length} and ${codeB.bodies.length} functions`);
  }
  const bodies = [];
  for (const [i, x] of codeA.bodies.entries()) {
    const y = codeB.bodies[i];
    const body = target.subarray(y.start, y.end);
    if (!equal(base.subarray(x.start, x.end), body)) bodies.push([i, Uint8Array.from(body)]);
  }
  const patch = {
    base: { length: base.length, fnv1a: fnv1a(base) },
    target: { length: target.length, fnv1a: fnv1a(target) },
    bodies,
  };
  let rebuilt;
  try {
    rebuilt = applyCodePatch(base, patch);
  } catch (e) {
    fail(e.message);
  }
  if (!equal(rebuilt, target)) fail('the patched SIMD engine is not the relaxed engine byte for byte');
  return patch;
}
