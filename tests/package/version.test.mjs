/* version.test.mjs — one version everywhere.  package.json's "version" is the source
 * (Makefile → the engine's LP_VERSION_STRING; scripts/sync-version.mjs → the JS API's
 * constant); this checks every place a user can read it says the same, and that the
 * CHANGELOG has a section for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT, CLI, NATIVE, ENGINES, run } from '../js/helpers.mjs';
import { loadModel, version } from '../../wasm/node.mjs';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const MODEL = join(ROOT, 'web', 'examples', 'iris.json');
// Semantic Versioning 2.0.0's grammar (no leading zeros; optional pre-release and build).
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

test('package.json has a semantic version, and the JS constant is a copy of it', async () => {
  assert.match(pkg.version, SEMVER);
  assert.equal(version, pkg.version);
  const check = await run(process.execPath, [join(ROOT, 'scripts', 'sync-version.mjs'), '--check']);
  assert.equal(check.stderr, '');
  assert.equal(check.status, 0);
});

test('--version of the Node and the native CLI', async () => {
  for (const cmd of [[process.execPath, CLI], [NATIVE]]) {
    const r = await run(cmd[0], [...cmd.slice(1), '--version']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.toString('utf8'), `localpredict ${pkg.version}\n`, cmd.join(' '));
  }
});

test('info (JSON and text) of both CLIs and both engines names the version', async () => {
  const want = `localpredict ${pkg.version}`;
  const runs = [
    ...ENGINES.map((e) => ({ name: `node ${e.name}`, cmd: process.execPath, pre: [CLI], env: { LOCALPREDICT_ENGINE: e.name } })),
    { name: 'native', cmd: NATIVE, pre: [], env: {} },
  ];
  for (const { name, cmd, pre, env } of runs) {
    const json = await run(cmd, [...pre, 'info', MODEL, '--json'], { env });
    assert.equal(json.status, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout.toString('utf8')).engine, want, name);
    const text = await run(cmd, [...pre, 'info', MODEL], { env });
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout.toString('utf8'), new RegExp(`^engine +${want.replace(/\./g, '\\.')}$`, 'm'), name);
  }
  for (const e of ENGINES) {
    const model = await loadModel(readFileSync(MODEL), { simd: e.simd });
    assert.equal(model.info.engine, want, e.name);
    model.dispose();
  }
});

test('CHANGELOG.md has a section for this version', () => {
  const log = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
  assert.match(log, new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'));
});
