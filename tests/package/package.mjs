/* package.mjs — shared by tests/package/*.test.mjs (not a test file itself): the
 * repository packed with `npm pack` and installed, from the tarball and offline, into a
 * fresh project in a temporary directory, as a user's `npm install localpredict` would.
 * Needs the built engines (make wasm) and npm; never the network.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, run } from '../js/helpers.mjs';

export { ROOT };
export const NPM = process.env.NPM || 'npm';

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
    const { stdout } = await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir, '--cache', cache]);
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
