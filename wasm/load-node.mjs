/* load-node.mjs — where Node finds the engine and reads URLs (STYLE convention 15).
 *
 * The engine files sit beside this module in build/ (make wasm puts them
 * there; the npm package ships them).  Models and manifests named by a string
 * are file paths or file: URLs, read with fs.readFile; http(s): and data:
 * URLs go through fetch.  Every failure is a LocalPredictError with code IO
 * that names the file and the system's reason.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { inflateRawSync } from 'node:zlib';

import { ioError } from './errors.mjs';
import { simdSupported, relaxedSimdSupported, redetectRelaxedSimd } from './detect.mjs';

export const ENGINE_FILES = Object.freeze({
  simd: 'localpredict.wasm',
  scalar: 'localpredict-scalar.wasm',
  relaxed: 'localpredict-relaxed.wasm',
});

/** The bytes of one engine build ("simd", "scalar" or "relaxed"). */
export async function loadEngine(variant) {
  const url = new URL(`./build/${ENGINE_FILES[variant]}`, import.meta.url);
  try {
    return await readFile(url);
  } catch (e) {
    throw ioError(`could not read the ${variant} engine ${fileURLToPath(url)} (${e.code || e.message}); build it with make wasm`, e);
  }
}

/**
 * Turns on relaxed SIMD where this Node has it behind a flag: Node 20 and 21
 * (V8 11.3-11.8) validate it only under --experimental-wasm-relaxed-simd, on
 * by default from Node 22.  V8 reads its wasm feature flags when a module is
 * compiled, so the flag set now holds for every later compile in the process
 * (workers get the engine compiled here).  It changes a process-wide setting,
 * so only the CLI (its own process) and setEngine({ relaxed: true }) call it.
 * Returns whether the runtime now validates the relaxed engine; an older V8
 * with the proposal's prototype opcodes still refuses it.
 */
export function enableRelaxedSimd() {
  if (relaxedSimdSupported()) return true;
  if (!simdSupported()) return false;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return redetectRelaxedSimd();
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]+:/; // two letters at least, so C:\ stays a path

/** The bytes of a file path, file: URL, http(s): or data: URL. */
export async function readResource(target) {
  const text = String(target);
  const isUrl = target instanceof URL || SCHEME.test(text);
  if (isUrl && !text.startsWith('file:')) {
    let res;
    try {
      res = await fetch(text);
    } catch (e) {
      throw ioError(`could not fetch ${text}: ${e.cause?.message || e.message}`, e);
    }
    if (!res.ok) throw ioError(`could not fetch ${text}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const path = isUrl ? fileURLToPath(text) : text;
  try {
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw ioError(`${path}: cannot read: ${describeFsError(e)}`, e);
  }
}

/** "no such file or directory" rather than "ENOENT: no such file or directory, open 'x'". */
export function describeFsError(e) {
  const known = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'not a directory',
    EPERM: 'operation not permitted',
    ENOSPC: 'no space left on device',
    EROFS: 'read-only file system',
    EMFILE: 'too many open files',
  };
  return known[e && e.code] || (e && e.message) || String(e);
}

/** The cores a pool may use (os.availableParallelism where Node has it). */
export function cores() {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/**
 * A worker_threads Worker running pool-worker.mjs (or `url`), behind the small
 * interface pool.mjs uses.  hold(false) unrefs an idle worker, so that a
 * model's idle pool does not keep the process alive.
 */
export function startWorker(url) {
  // A worker inherits the parent's Node options; --input-type (as in
  // `node --input-type=module -e ...`) would make it refuse its module file.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  const target = url || new URL('./pool-worker.mjs', import.meta.url);
  let w;
  try {
    w = new Worker(target, { execArgv });
  } catch (e) {
    if (e?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    // A V8 flag (node --no-wasm-lazy-compilation ...) is refused in a worker's execArgv,
    // which would leave the run on one thread: such flags hold for the whole process,
    // the worker has them anyway, and it needs no other option to run pool-worker.mjs.
    w = new Worker(target, { execArgv: [] });
  }
  return {
    post: (msg, transfer) => w.postMessage(msg, transfer || []),
    onMessage: (fn) => w.on('message', fn),
    onError: (fn) => {
      w.on('error', fn);
      w.on('exit', (code) => fn(new Error(`the worker exited (code ${code})`)));
    },
    terminate: () => { w.terminate(); },
    hold: (busy) => (busy ? w.ref() : w.unref()),
  };
}

/**
 * A bundle entry's raw deflate data, inflated by Node's zlib (wasm/zip.mjs);
 * at most `maxBytes` bytes come out (a larger result is an error, not memory).
 */
export async function inflateRaw(bytes, maxBytes) {
  const out = inflateRawSync(bytes, { maxOutputLength: Math.max(1, maxBytes) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
