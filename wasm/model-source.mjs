/* model-source.mjs — what loadModel hands the engine, from what it was given:
 * one model file (with an optional manifest), a .zip bundle (unpacked by
 * zip.mjs), or an ensemble's manifest and the member files it names.
 *
 * The result is { model, manifest, parts }: model and manifest as
 * { bytes, name } (model.bytes empty for an ensemble, whose manifest is the
 * whole model), and parts as [{ name, bytes }], the files the manifest
 * names (manifest-files.mjs: an ensemble's members, a text model's
 * "preprocess.vocab").  They come from the `parts` option; or from the
 * bundle; or they are read beside the manifest when it was named by a path
 * or URL (names relative to it, as the CLI does), else beside the model
 * named by a path or URL.
 */
import { usageError, LocalPredictError, blobReadError } from './errors.mjs';
import { readResource } from './engine.mjs';
import { isZip, unzip, pickFromBundle, isEnsembleManifest } from './zip.mjs';
import { manifestFiles } from './manifest-files.mjs';

const EMPTY = new Uint8Array(0);

function isBlobLike(v) {
  return v !== null && typeof v === 'object' && typeof v.arrayBuffer === 'function' && typeof v.size === 'number';
}

/** A Blob's bytes; one that cannot be read (a File changed on disk since) is an IO error naming it. */
export async function blobBytes(blob, what) {
  try {
    return new Uint8Array(await blob.arrayBuffer());
  } catch (e) {
    throw blobReadError(blob, e, what);
  }
}

async function partBytes(v, name) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (isBlobLike(v)) return blobBytes(v, name);
  if (v instanceof URL || typeof v === 'string') return readResource(v);
  throw usageError(`loadModel: parts["${name}"] must be bytes, a Blob or File, or a URL or path`);
}

/**
 * The `parts` option: an array of Files (named by file.name) or { name, bytes },
 * a Map, or an object name -> bytes | Blob | File | URL | path.
 */
export async function partsFromOption(parts) {
  if (parts === undefined || parts === null) return null;
  let pairs;
  if (Array.isArray(parts)) {
    pairs = parts.map((p, i) => {
      const name = p && typeof p.name === 'string' ? p.name : null;
      if (!name) throw usageError(`loadModel: parts[${i}] needs a name (a File, or { name, bytes })`);
      return [name, isBlobLike(p) ? p : p.bytes];
    });
  } else if (parts instanceof Map) {
    pairs = [...parts.entries()];
  } else if (typeof parts === 'object') {
    pairs = Object.entries(parts);
  } else {
    throw usageError('loadModel: parts must be an array of Files, a Map or an object { "file name": bytes }');
  }
  return Promise.all(pairs.map(async ([name, v]) => ({ name: String(name), bytes: await partBytes(v, name) })));
}

/** `name` beside `target` (a path or URL). */
function besides(target, name) {
  const text = String(target);
  if (target instanceof URL || /^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(text)) return new URL(name, text).href;
  if (name.startsWith('/')) return name;
  const cut = Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\'));
  return text.slice(0, cut + 1) + name;
}

/** The files the manifest names that `have` lacks, read beside `base`; one missing is named with where it was looked for. */
async function readBeside(base, manifestBytes, manifestName, have = []) {
  const wanted = manifestFiles(manifestBytes).filter((f) => !have.some((p) => p.name === f.name));
  return Promise.all(wanted.map(async ({ key, name }) => {
    const where = besides(base, name);
    try {
      return { name, bytes: await readResource(where) };
    } catch (e) {
      throw new LocalPredictError('IO', `${manifestName ?? 'the manifest'}: "${key}" names the file "${name}", which could ` +
        `not be read from ${where} (${e.message}); pass it in the parts option`, undefined, { cause: e });
    }
  }));
}

/**
 * { model, manifest, parts } for the engine.  `input` is loadModel's first
 * argument (a path or URL lets an ensemble's files be read beside it);
 * `model` and `manifest` are { bytes, name } (manifest may be null).
 */
export async function resolveModelSource(input, model, manifest, partsOption) {
  let parts = await partsFromOption(partsOption);
  const located = typeof input === 'string' || input instanceof URL;
  if (model && isZip(model.bytes)) {
    const source = model.name ?? 'the bundle';
    const pick = pickFromBundle(await unzip(model.bytes, source), source);
    if (pick.model) {
      // The bundle's manifest brings the files it names (its vocabulary); a manifest given apart, the parts option.
      const named = manifest ? [] : pick.parts;
      return { model: { bytes: pick.model.bytes, name: model.name }, manifest: manifest ?? pick.manifest, parts: [...(parts ?? []), ...named] };
    }
    if (manifest) throw usageError(`${source} holds an ensemble's manifest; give no other manifest`);
    return { model: { bytes: EMPTY, name: model.name }, manifest: pick.manifest, parts: [...pick.parts, ...(parts ?? [])] };
  }
  if (model && !manifest && isEnsembleManifest(model.bytes)) {
    // The model argument is an ensemble's manifest: the model is the files it names.
    if (!parts && located) parts = await readBeside(input, model.bytes, model.name);
    return { model: { bytes: EMPTY, name: model.name }, manifest: { bytes: model.bytes, name: model.name }, parts: parts ?? [] };
  }
  if (manifest) {
    // A model's manifest naming files (its vocabulary): read beside the manifest, else beside the model.
    const base = manifest.located ? manifest.name : located ? input : null;
    if (base) parts = [...(parts ?? []), ...await readBeside(base, manifest.bytes, manifest.name ?? 'the manifest', parts ?? [])];
  }
  return { model: model ?? { bytes: EMPTY, name: null }, manifest, parts: parts ?? [] };
}
