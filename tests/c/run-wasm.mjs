// run-wasm.mjs — runs the C test runner built for WebAssembly (SIMD) under
// Node's WASI, the only place the wasm SIMD kernels execute.
//
//   node tests/c/run-wasm.mjs build/test/c-tests-simd.wasm tests [FILTER]
//
// The directory (2nd argument) is preopened as "." so paths are the same as
// in the native run (`cd tests && ../build/test/c-tests`).  Emscripten
// 3.1.6's standalone libc cannot open files (its open() only knows
// /dev/std*, and emcc rejects a path_open import it has no JS for), so the
// fixture files the tests read are also streamed on the program's stdin as
// an archive (format in main.c) that lp_test_read_file falls back to.
// The process exits with the wasm's exit code.
import { readFileSync, readdirSync, statSync, existsSync, mkdtempSync, openSync, closeSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

// Node 20 warns that WASI is experimental; the warning is noise in test logs.
process.removeAllListeners('warning');
process.on('warning', (w) => { if (w.name !== 'ExperimentalWarning') console.warn(w); });
const { WASI } = await import('node:wasi');

const [wasmPath, dir, ...rest] = process.argv.slice(2);
if (!wasmPath || !dir) {
  console.error('usage: node tests/c/run-wasm.mjs <c-tests.wasm> <tests dir> [filter]');
  process.exit(2);
}

// Every file under <dir>/fixtures, plus the demo example the iris case
// points to (../web/examples, relative to <dir>); not the generators' own
// node_modules (onnxruntime-node, installed by `make fixtures`).
function collect(root, prefix, out) {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root).sort()) {
    if (name === 'node_modules') continue;
    const full = join(root, name);
    if (statSync(full).isDirectory()) collect(full, `${prefix}${name}/`, out);
    else out.push([`${prefix}${name}`, full]);
  }
}
const files = [];
collect(join(dir, 'fixtures'), 'fixtures/', files);
collect(join(dir, '..', 'web', 'examples'), '../web/examples/', files);

const parts = [Buffer.from('LPFIXTURES 1\n')];
for (const [name, full] of files) {
  const bytes = readFileSync(full);
  parts.push(Buffer.from(`${name}\n${bytes.length}\n`), bytes);
}

const tmp = mkdtempSync(join(tmpdir(), 'lp-c-tests-'));
const archivePath = join(tmp, 'fixtures.bin');
let stdinFd = -1;
let code = 1;
try {
  writeFileSync(archivePath, Buffer.concat(parts));
  stdinFd = openSync(archivePath, 'r');
  const wasi = new WASI({
    version: 'preview1',
    args: ['c-tests', ...rest],
    env: {},
    preopens: { '.': dir },
    stdin: stdinFd,
    returnOnExit: true,
  });
  const module = await WebAssembly.compile(readFileSync(wasmPath));
  const instance = await WebAssembly.instantiate(module, {
    wasi_snapshot_preview1: wasi.wasiImport,
    // A standalone wasm built with ALLOW_MEMORY_GROWTH reports growth here;
    // there are no JS views to refresh.
    env: { emscripten_notify_memory_growth() {} },
  });
  code = wasi.start(instance);
} catch (e) {
  console.error(`run-wasm: ${e && e.stack ? e.stack : e}`);
  code = 1;
} finally {
  if (stdinFd >= 0) closeSync(stdinFd);
  rmSync(tmp, { recursive: true, force: true });
}
process.exitCode = code;
