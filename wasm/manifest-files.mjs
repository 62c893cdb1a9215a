/* manifest-files.mjs — the files a manifest names, for everything that reads
 * them for the engine (loadModel beside a path or URL, the JS CLI, .zip
 * bundles, the page's dropped files).  No imports: the page's main thread
 * uses it too.  The native CLI's read_named_parts (src/cli/main.c) reads the
 * same keys.
 */

/**
 * The files a manifest names, as { key, name }: each "ensemble" entry's
 * "model" (and "manifest" when it is a file name), and "preprocess.vocab"
 * when it is a file name.  One list for every reader (loadModel, the CLI,
 * bundles, the page), as the native CLI's read_named_parts.  Not a manifest
 * (or malformed JSON, the engine's to name): none.
 */
export function manifestFiles(bytes) {
  let m;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return [];
  }
  if (m === null || typeof m !== 'object') return [];
  const files = [];
  const add = (key, name) => {
    if (typeof name === 'string' && name && !files.some((f) => f.name === name)) files.push({ key, name });
  };
  for (const e of Array.isArray(m.ensemble) ? m.ensemble : []) {
    if (e && typeof e === 'object') add('ensemble.model', e.model), add('ensemble.manifest', e.manifest);
  }
  if (m.preprocess && typeof m.preprocess === 'object') add('preprocess.vocab', m.preprocess.vocab);
  return files;
}

/** The names alone (see manifestFiles). */
export function manifestFileNames(bytes) {
  return manifestFiles(bytes).map((f) => f.name);
}
