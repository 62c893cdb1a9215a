/* package.mjs — shared by tests/package/*.test.mjs (not a test file itself): the
 * repository packed with `npm pack` and installed, from the tarball and offline, into a
 * fresh project in a temporary directory, as a user's `npm install localpredict` would.
 * Needs the built engines (make wasm) and npm; never the network.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync, realpathSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, sep } from 'node:path';

import { ROOT, run } from '../js/helpers.mjs';

export { ROOT };
export const NPM = process.env.NPM || 'npm';
export const NPX = process.env.NPX || 'npx';

/** Runs npm; throws with its output when it fails.  Resolves { stdout (string), stderr }. */
export async function npm(args, { cwd = ROOT, env = {} } = {}) {
  // A private cache and no update check, audit or funding request: nothing reaches the
  // registry (the package has no dependencies to fetch).
  const r = await run(NPM, args, { cwd, env: { npm_config_update_notifier: 'false', ...env } });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  return { stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

/**
 * Packs the repository and installs the tarball into <tmp>/project.  Resolves
 * { dir, project, tarball, files (the tarball's paths, sorted), pkg (the installed
 * package's directory), cleanup() }.
 */
export async function packAndInstall(prefix = 'localpredict-package-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const cache = join(dir, 'npm-cache');
    // With its scripts: "prepack" (make wasm, the version check) runs as on a release.
    const { stdout } = await npm(['pack', '--json', '--pack-destination', dir, '--cache', cache]);
    const [packed] = JSON.parse(stdout);
    const tarball = join(dir, packed.filename);
    const files = packed.files.map((f) => f.path).sort();

    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'),
      `${JSON.stringify({ name: 'localpredict-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    await npm(['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--cache', cache, tarball],
      { cwd: project });
    return { dir, project, tarball, files, pkg: join(project, 'node_modules', 'localpredict'), cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/* ---- a bundled app in a browser ------------------------------------------ */

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
};

/**
 * Serves the directory `root` (GET only, nothing outside it) on 127.0.0.1 and an
 * ephemeral port, as any static host would serve a built app.  Resolves
 * { origin, log (every "GET /path -> status"), close() }.
 */
export async function serveDirectory(root) {
  const realRoot = realpathSync(root);
  const log = [];
  const server = http.createServer(async (req, res) => {
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      log.push(`${req.method} ${req.url} -> ${status}`);
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store' });
      res.end(body);
    };
    try {
      if (req.method !== 'GET') return send(405, Buffer.from('read-only\n'));
      let path = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = await realpath(join(realRoot, path)).catch(() => null);
      if (!file || !file.startsWith(realRoot + sep) || !(await stat(file)).isFile()) return send(404, Buffer.from('not found\n'));
      return send(200, await readFile(file), MIME[extname(file)] || 'application/octet-stream');
    } catch (e) {
      return send(500, Buffer.from(String(e)));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    log,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

const CHROMIUM = process.env.LOCALPREDICT_CHROMIUM || '/usr/bin/chromium';

/** Debian's headless Chromium through playwright-core, as tests/browser/run.mjs starts it. */
export async function launchChromium(userDataDir) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: scripts/install-deps.sh --browser installs Debian's chromium`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    timeout: 30_000,
  });
}
