/* tarball.test.mjs — the npm package as a user gets it: `npm pack`, then the tarball
 * installed offline into a fresh project, used from Node ESM, through `npx localpredict`,
 * and type-checked from TypeScript.  Expected predictions are xgboost's
 * (tests/fixtures/xgboost/iris_example) and the repository CLI's bytes.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CLI, loadCases, compareCsv, run } from '../js/helpers.mjs';
import { ROOT, NPX, packAndInstall } from './package.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const iris = loadCases().find((c) => c.name === 'iris_example');
const pkgJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/* The allow-list.  Every file named here must be in the tarball, and nothing else may be:
 * no sources, tests, scripts, build folders or lock files.  The JS modules of wasm/ and the
 * page's files in web/ are the ones git tracks there (so a new module is shipped once it
 * is committed), plus the built single-file page when it has been built. */
const ALWAYS = [
  'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'NOTICE',
  'wasm/index.d.ts', 'wasm/build/localpredict.wasm', 'wasm/build/localpredict-scalar.wasm',
  'wasm/build/localpredict-relaxed.wasm',
  'wasm/build/localpredict-worker.mjs', // the pool's worker as one module (the browser entry's default, blob: URLs)
  'wasm/cli.mjs', 'wasm/node.mjs', 'wasm/browser.mjs', 'wasm/localpredict.mjs',
  'web/examples/iris.json', 'web/examples/iris.localpredict.json', 'web/examples/iris.csv',
];
const BUILT_PAGE = 'web/build/localpredict.html';

function gitTracked(...pathspecs) {
  return execFileSync('git', ['ls-files', '--', ...pathspecs], { cwd: ROOT, encoding: 'utf8' })
    .split('\n').filter(Boolean);
}

function allowList() {
  const tracked = [
    ...gitTracked('wasm/*.mjs').filter((p) => !p.slice('wasm/'.length).includes('/')),
    ...gitTracked('web/').filter((p) => !p.startsWith('web/build/')),
  ];
  const built = existsSync(join(ROOT, BUILT_PAGE)) ? [BUILT_PAGE] : [];
  return [...new Set([...ALWAYS, ...tracked, ...built])].sort();
}

describe('the npm package, packed and installed into a fresh project', { timeout: 300_000 }, () => {
  let installed;

  before(async () => {
    installed = await packAndInstall();
  });

  after(() => installed?.cleanup());

  test('the tarball holds exactly the allow-list', () => {
    assert.deepEqual(installed.files, allowList());
    for (const f of installed.files) {
      assert.doesNotMatch(f, /^(src|tests|scripts|build|node_modules)\/|\.(c|h|o|map|lock)$|^Makefile$|package-lock\.json$/, f);
    }
    assert.equal(installed.tarball.endsWith(`localpredict-${pkgJson.version}.tgz`), true, installed.tarball);
  });

  test('Node ESM: import resolves to wasm/node.mjs and predicts the iris example as xgboost does', async () => {
    const script = join(installed.project, 'consumer.mjs');
    writeFileSync(script, `
      import { readFile } from 'node:fs/promises';
      import { loadModel, version, LocalPredictError } from 'localpredict';
      const examples = new URL('./node_modules/localpredict/web/examples/', import.meta.url);
      const model = await loadModel(new URL('iris.json', examples), { manifest: new URL('iris.localpredict.json', examples) });
      const text = await model.predictCsvText(await readFile(new URL('iris.csv', examples)));
      const labels = model.predict([{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }]);
      let error;
      try { await model.predictCsvText('petal_length\\n1\\n'); } catch (e) { error = e instanceof LocalPredictError && e.code; }
      process.stdout.write(JSON.stringify({
        main: import.meta.resolve('localpredict'),
        core: import.meta.resolve('localpredict/core'),
        wasm: import.meta.resolve('localpredict/localpredict.wasm'),
        version, engine: model.info.engine, text, labels, error,
      }));
      model.dispose();
    `);
    const r = await run(process.execPath, [script], { cwd: installed.project });
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    const out = JSON.parse(r.stdout.toString('utf8'));
    const rel = (url) => relative(installed.pkg, fileURLToPath(url));
    assert.deepEqual([rel(out.main), rel(out.core), rel(out.wasm)],
      ['wasm/node.mjs', 'wasm/localpredict.mjs', 'wasm/build/localpredict.wasm']);
    assert.deepEqual(compareCsv(iris, out.text), []);
    assert.deepEqual(out.labels, ['setosa']);
    assert.equal(out.error, 'MISSING_COLUMN');
    assert.equal(out.version, pkgJson.version);
    assert.equal(out.engine, `localpredict ${pkgJson.version}`);
  });

  test('npx localpredict predict writes the repository CLI\'s bytes; --version and info name the version', async () => {
    // --offline: never the registry; --no: never offer to install (localpredict must be found locally).
    const npx = (args) => run(NPX, ['--offline', '--no', '--', 'localpredict', ...args],
      { cwd: installed.project, env: { npm_config_update_notifier: 'false' } });
    const ex = 'node_modules/localpredict/web/examples';
    const got = await npx(['predict', `${ex}/iris.json`, `${ex}/iris.csv`, '-o', 'predictions.csv']);
    assert.equal(got.status, 0, got.stderr);
    const bytes = readFileSync(join(installed.project, 'predictions.csv'));
    const want = await run(process.execPath, [CLI, 'predict', iris.model, iris.input]);
    assert.equal(want.status, 0, want.stderr);
    assert.ok(bytes.equals(want.stdout), 'npx localpredict and wasm/cli.mjs wrote different bytes');
    assert.deepEqual(compareCsv(iris, bytes.toString('utf8')), []);

    const version = await npx(['--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.toString('utf8'), `localpredict ${pkgJson.version}\n`);

    const info = await npx(['info', `${ex}/iris.json`, '--json']);
    assert.equal(info.status, 0, info.stderr);
    assert.equal(JSON.parse(info.stdout.toString('utf8')).engine, `localpredict ${pkgJson.version}`);

    const bad = await npx(['predict', `${ex}/iris.json`, 'missing.csv']);
    assert.equal(bad.status, 4);
    assert.equal(bad.stderr, 'localpredict: missing.csv: cannot open: No such file or directory\n');
  });

  for (const resolution of ['nodenext', 'bundler']) {
    test(`TypeScript (moduleResolution ${resolution}): tsc --noEmit accepts a typed consumer`, async () => {
      for (const f of ['consumer.ts', `tsconfig.${resolution}.json`]) copyFileSync(join(HERE, 'consumer', f), join(installed.project, f));
      const r = await run(process.execPath, [TSC, '--noEmit', '-p', `tsconfig.${resolution}.json`], { cwd: installed.project });
      assert.equal(r.stdout.toString('utf8') + r.stderr, '');
      assert.equal(r.status, 0);
    });
  }
});
