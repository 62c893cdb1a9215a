#!/usr/bin/env node
/* sync-version.mjs [--check] — package.json's "version" is the single source of the
 * version.  The C engine gets it from the Makefile (-DLP_VERSION_STRING); the JS API's
 * `version` constant in wasm/localpredict.mjs is a copy, which this script rewrites
 * (`npm version` runs it through the "version" script in package.json) or, with
 * --check, only compares (exit 1 when they differ).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const moduleFile = new URL('wasm/localpredict.mjs', root);
const CONSTANT = /^export const version = '([^']*)';$/m;

const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const source = readFileSync(moduleFile, 'utf8');
const found = CONSTANT.exec(source);
if (!found) {
  console.error(`sync-version: no "export const version = '...';" line in ${fileURLToPath(moduleFile)}`);
  process.exit(1);
}
if (found[1] === version) process.exit(0);
if (process.argv.includes('--check')) {
  console.error(`sync-version: wasm/localpredict.mjs says ${found[1]}, package.json says ${version}: ` +
    'run node scripts/sync-version.mjs');
  process.exit(1);
}
writeFileSync(moduleFile, source.replace(CONSTANT, `export const version = '${version}';`));
console.error(`sync-version: wasm/localpredict.mjs now says ${version}`);
