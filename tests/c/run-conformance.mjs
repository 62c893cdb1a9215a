// run-conformance.mjs — runs tests/c/onnx_conformance.c (native binary or
// its WASM build under Node's WASI) on ONNX's node tests.
//
//   node tests/c/run-conformance.mjs <onnx-conformance | .wasm> [--list FILE] [--only test_x]
//
// The node tests come from Debian's libonnx-testdata (onnx 1.12), in
// $ONNX_NODE_TESTS or /usr/share/libonnx-testdata/data/node; they are sent
// to the program as one archive on stdin (the format of tests/c/main.c),
// since Emscripten 3.1.6's standalone libc cannot open files.  --list
// writes the program's per-test lines (PASS / FAIL / SKIP / OTHER) to FILE.
import { readFileSync, readdirSync, statSync, existsSync, mkdtempSync, openSync, closeSync, writeFileSync, rmSync }
  from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';

process.removeAllListeners('warning');
process.on('warning', (w) => { if (w.name !== 'ExperimentalWarning') console.warn(w); });

const args = process.argv.slice(2);
const program = args.shift();
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const listFile = opt('--list');
const only = opt('--only');
const root = process.env.ONNX_NODE_TESTS ?? '/usr/share/libonnx-testdata/data/node';
if (!program || !existsSync(root)) {
  console.error(`usage: run-conformance.mjs <program> [--list FILE] [--only test_x]; node tests in ${root}` +
    (existsSync(root) ? '' : ' are missing (apt-get install libonnx-testdata)'));
  process.exit(2);
}

const parts = [Buffer.from('LPFIXTURES 1\n')];
const add = (full, name) => {
  const bytes = readFileSync(full);
  parts.push(Buffer.from(`${name}\n${bytes.length}\n`), bytes);
};
for (const test of readdirSync(root).sort()) {
  if (only && test !== only) continue;
  const dir = join(root, test);
  if (!existsSync(join(dir, 'model.onnx'))) continue;
  add(join(dir, 'model.onnx'), `node/${test}/model.onnx`);
  for (const set of readdirSync(dir).sort()) {
    if (!statSync(join(dir, set)).isDirectory()) continue;
    for (const f of readdirSync(join(dir, set)).sort()) add(join(dir, set, f), `node/${test}/${set}/${f}`);
  }
}
const tmp = mkdtempSync(join(tmpdir(), 'lp-conformance-'));
const archive = join(tmp, 'node-tests.bin');
writeFileSync(archive, Buffer.concat(parts));
let code = 1, out = '';
try {
  if (program.endsWith('.wasm')) {
    const { WASI } = await import('node:wasi');
    const outPath = join(tmp, 'out.txt');
    const stdin = openSync(archive, 'r'), stdout = openSync(outPath, 'w');
    const wasi = new WASI({ version: 'preview1', args: ['onnx-conformance', ...(only ? ['--only', only] : [])],
      env: {}, stdin, stdout, returnOnExit: true });
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(readFileSync(program)),
      { wasi_snapshot_preview1: wasi.wasiImport, env: { emscripten_notify_memory_growth() {} } });
    code = wasi.start(instance);
    closeSync(stdin);
    closeSync(stdout);
    out = readFileSync(outPath, 'utf8');
  } else {
    const r = spawnSync(program, only ? ['--only', only] : [], { input: readFileSync(archive), maxBuffer: 1 << 26 });
    code = r.status ?? 1;
    if (r.error) throw r.error;
    out = r.stdout.toString();
    process.stderr.write(r.stderr);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const lines = out.trimEnd().split('\n');
if (listFile) writeFileSync(listFile, out);
for (const l of lines) if (l.startsWith('FAIL')) console.log(l);
console.log(lines[lines.length - 1]);
process.exitCode = code;
