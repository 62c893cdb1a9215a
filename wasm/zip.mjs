/* zip.mjs — one-file bundles: a .zip holding a model and its manifest (or an
 * ensemble's manifest and its members), unpacked here and handed to the
 * engine part by part.
 *
 * Only the container is parsed here, bounds-checked at every step: the end
 * of central directory record, the central directory, each local header.
 * Entries are stored (method 0) or deflated (method 8); deflate data is
 * inflated by the platform, never by code of our own: Node's zlib (through
 * the environment, load-node.mjs) or the browser's
 * DecompressionStream('deflate-raw').  Each entry's size and CRC-32 are
 * checked.  Refused with a clear error: not a zip / truncated (BAD_MODEL),
 * encrypted, ZIP64, split archives and other methods (UNSUPPORTED), entries
 * larger than the model size limit (LIMIT).
 *
 * pickFromBundle() then decides what the bundle holds (see its comment).
 */
import { LocalPredictError } from './errors.mjs';
import { manifestFileNames } from './manifest-files.mjs';
import { environmentInflateRaw } from './engine.mjs';

const EOCD_SIG = 0x06054b50;
const CDIR_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const MAX_ENTRY_BYTES = 2 ** 28; // the engine's default model size limit (256 MiB)
const MAX_ENTRIES = 10000;

/** True when the bytes start like a zip archive (a local header, or an empty archive). */
export function isZip(bytes) {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

const bad = (source, what) => new LocalPredictError('BAD_MODEL', `${source}: ${what}`);
const unsupported = (source, what) => new LocalPredictError('UNSUPPORTED', `${source}: ${what}`);

let crcTable = null;
function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function inflate(data, size, source, name) {
  const tooBig = () => bad(source, `bundle entry "${name}" inflates to more than the ${size} bytes its header declares: the bundle is corrupt`);
  const platform = environmentInflateRaw();
  if (platform) {
    try {
      return await platform(data, size);
    } catch (e) {
      if (e && e.code === 'ERR_BUFFER_TOO_LARGE') throw tooBig();
      throw bad(source, `bundle entry "${name}" is corrupt: its deflate data does not inflate (${e.message})`);
    }
  }
  if (typeof DecompressionStream !== 'function') {
    throw unsupported(source, 'this JavaScript environment has no DecompressionStream to inflate the bundle');
  }
  const out = new Uint8Array(size);
  let at = 0;
  try {
    const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (at + value.length > size) {
        reader.cancel().catch(() => {});
        throw tooBig();
      }
      out.set(value, at);
      at += value.length;
    }
  } catch (e) {
    if (e instanceof LocalPredictError) throw e;
    throw bad(source, `bundle entry "${name}" is corrupt: its deflate data does not inflate (${e.message})`);
  }
  return out.subarray(0, at);
}

/**
 * The files of a zip archive: [{ name, bytes }] in the archive's order,
 * without folders and the metadata macOS and Windows add (__MACOSX/, .DS_Store).
 * `source` names the bundle in errors.
 */
export async function unzip(bytes, source = 'the bundle') {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  // The end of central directory record: 22 bytes, then a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = len - 22; i >= 0 && i >= len - 22 - 0xffff; i--) {
    if (view.getUint32(i, true) === EOCD_SIG && i + 22 + view.getUint16(i + 20, true) === len) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    throw bad(source, isZip(bytes)
      ? 'the bundle (.zip) is truncated: its central directory, at the end of the file, is missing'
      : 'not a .zip bundle');
  }
  const disk = view.getUint16(eocd + 4, true), cdDisk = view.getUint16(eocd + 6, true);
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true), cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw unsupported(source, 'the bundle is a ZIP64 archive, which localpredict does not read: make a plain .zip (under 4 GiB, fewer than 65535 files)');
  }
  if (disk !== 0 || cdDisk !== 0) throw unsupported(source, 'the bundle is a split (multi-part) .zip: join it into one file');
  if (count > MAX_ENTRIES) throw new LocalPredictError('LIMIT', `${source}: the bundle holds ${count} files, over the limit of ${MAX_ENTRIES}`);
  if (cdOffset + cdSize > eocd) throw bad(source, 'the bundle (.zip) is truncated or corrupt: its central directory lies outside the file');

  const decoder = new TextDecoder();
  const files = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== CDIR_SIG) {
      throw bad(source, `the bundle (.zip) is corrupt: central directory entry ${n + 1} of ${count} is damaged`);
    }
    const flags = view.getUint16(p + 8, true), method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const csize = view.getUint32(p + 20, true), usize = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true), extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true), local = view.getUint32(p + 42, true);
    if (p + 46 + nameLen > eocd) throw bad(source, `the bundle (.zip) is corrupt: the name of entry ${n + 1} runs past the directory`);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    const base = name.split('/').pop();
    if (name.endsWith('/') || name.startsWith('__MACOSX/') || base === '.DS_Store' || base === 'Thumbs.db') continue;
    if (flags & 1) throw unsupported(source, `bundle entry "${name}" is encrypted: make the .zip without a password`);
    if (csize === 0xffffffff || usize === 0xffffffff || local === 0xffffffff) {
      throw unsupported(source, `bundle entry "${name}" needs ZIP64, which localpredict does not read`);
    }
    if (method !== 0 && method !== 8) {
      throw unsupported(source, `bundle entry "${name}" is compressed with method ${method}; localpredict reads stored (0) and deflated (8) entries: make the .zip with the default compression`);
    }
    if (usize > MAX_ENTRY_BYTES) {
      throw new LocalPredictError('LIMIT', `${source}: bundle entry "${name}" is ${usize} bytes, over the limit of ${MAX_ENTRY_BYTES} bytes`);
    }
    if (local + 30 > cdOffset || view.getUint32(local, true) !== LOCAL_SIG) {
      throw bad(source, `the bundle (.zip) is corrupt: the local header of "${name}" is missing`);
    }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    if (start + csize > cdOffset) throw bad(source, `the bundle (.zip) is truncated or corrupt: the data of "${name}" runs past the end`);
    const data = bytes.subarray(start, start + csize);
    let content;
    if (method === 0) {
      if (csize !== usize) throw bad(source, `the bundle (.zip) is corrupt: stored entry "${name}" has two different sizes`);
      content = data;
    } else {
      content = await inflate(data, usize, source, name);
    }
    if (content.length !== usize || crc32(content) !== crc) {
      throw bad(source, `bundle entry "${name}" is corrupt (its size or CRC-32 does not match the archive's)`);
    }
    files.push({ name, bytes: content });
  }
  return files;
}

const MANIFEST_SUFFIX = '.localpredict.json';

/** Whether a file's first bytes look like a model this engine reads (JSON, UBJSON, LightGBM text, ONNX). */
function looksLikeModel(bytes) {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b) return true;                      // '{': XGBoost JSON or UBJSON
  if (bytes.length >= 2 && bytes[0] === 0x08) return true;  // ONNX: field 1 (ir_version), varint
  return bytes.length >= 5 && String.fromCharCode(...bytes.subarray(0, 4)) === 'tree' &&
    (bytes[4] === 0x0a || bytes[4] === 0x0d);              // LightGBM model.txt
}

const stem = (name) => {
  const base = name.split('/').pop();
  if (base.endsWith(MANIFEST_SUFFIX)) return base.slice(0, -MANIFEST_SUFFIX.length);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
};
const listed = (names) => names.slice(0, 8).map((n) => `"${n}"`).join(', ') + (names.length > 8 ? ', ...' : '');

/**
 * What a bundle holds, for loadModel:
 * - a manifest with "ensemble": { manifest, parts } — the parts are every
 *   file, named relative to the manifest's folder, as its entries name them;
 * - else the model: the one whose name matches the manifest's
 *   (iris.json for iris.localpredict.json), or the only file that looks like
 *   a model; { model, manifest?, parts }.
 * Refused: no model inside, two manifests, two candidate models and no
 * manifest saying which.
 */
export function pickFromBundle(files, source = 'the bundle') {
  const manifests = files.filter((f) => f.name.endsWith(MANIFEST_SUFFIX));
  if (manifests.length > 1) {
    throw bad(source, `the bundle holds ${manifests.length} manifests (${listed(manifests.map((f) => f.name))}): keep the one that describes the model`);
  }
  const manifest = manifests[0] ?? null;
  if (manifest && isEnsembleManifest(manifest.bytes)) {
    const dir = manifest.name.includes('/') ? manifest.name.slice(0, manifest.name.lastIndexOf('/') + 1) : '';
    const parts = files.filter((f) => f !== manifest && f.name.startsWith(dir))
      .map((f) => ({ name: f.name.slice(dir.length), bytes: f.bytes }));
    return { model: null, manifest, parts };
  }
  const named = manifest ? namedFiles(files, manifest) : [];   // e.g. a tokenizer JSON: not a candidate model
  const candidates = files.filter((f) => f !== manifest && looksLikeModel(f.bytes) && !named.some((n) => n.bytes === f.bytes));
  let model = null;
  if (manifest) model = candidates.find((f) => stem(f.name) === stem(manifest.name)) ?? null;
  if (!model && candidates.length === 1) model = candidates[0];
  if (!model && candidates.length === 0) {
    throw bad(source, `the bundle holds no model (it holds ${files.length ? listed(files.map((f) => f.name)) : 'no files'})`);
  }
  if (!model) {
    throw bad(source, `the bundle holds ${candidates.length} candidate models (${listed(candidates.map((f) => f.name))}) ` +
      `and no manifest saying which: add NAME${MANIFEST_SUFFIX} for the model NAME.* to use, or an ensemble manifest naming them all`);
  }
  return { model, manifest, parts: named };
}

/** The bundle's files a (non-ensemble) manifest names (its vocabulary), relative to its folder. */
function namedFiles(files, manifest) {
  const dir = manifest.name.includes('/') ? manifest.name.slice(0, manifest.name.lastIndexOf('/') + 1) : '';
  const wanted = manifestFileNames(manifest.bytes);
  return files.filter((f) => f !== manifest && f.name.startsWith(dir) && wanted.includes(f.name.slice(dir.length)))
    .map((f) => ({ name: f.name.slice(dir.length), bytes: f.bytes }));
}

/** A manifest JSON object with an "ensemble" key (the text is small; malformed JSON is not one). */
export function isEnsembleManifest(bytes) {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] !== 0x7b || bytes.length > 4 << 20) return false;
  try {
    const m = JSON.parse(new TextDecoder().decode(bytes));
    return m !== null && typeof m === 'object' && 'localpredict' in m && 'ensemble' in m;
  } catch {
    return false;
  }
}

