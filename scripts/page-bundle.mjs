#!/usr/bin/env node
/* page-bundle.mjs — builds web/build/localpredict.html: the page in ONE self-contained
 * file (make page), to be saved and opened from disk with the network off.
 *
 * - The worker (web/worker.mjs and everything it imports: the JS shim, the engine
 *   bytes of web/build/engine-bytes.mjs) becomes one classic script, started from a
 *   blob: URL (web/app/worker-source.mjs is swapped for a module that does that).
 * - The page's modules (web/app/main.mjs and its imports) become one inline script,
 *   style.css an inline <style>.
 * - The Content-Security-Policy stays that of the served page (ARCHITECTURE.md, "Page
 *   privacy") with 'self' replaced by the SHA-256 hashes of the inline script and
 *   style: a file opened from disk has no 'self' to load from, and the hashes allow
 *   exactly this code and nothing else.  Still connect-src 'none'.
 *
 * The bundling is deliberately small: each module becomes a function scope that
 * returns its exports, evaluated once in dependency order, and imports become
 * `const { a, b: c } = <module>`.  It handles the forms this repository uses
 * (named imports and exports, `export *`, re-exports) and refuses the others
 * (default exports, `export let`, import.meta outside swapped modules, dynamic
 * import()) by name, so a new form cannot slip through unnoticed.  It parses with
 * acorn, the Debian package node-acorn that Emscripten already needs (NODE_PATH).
 *
 * Usage: node scripts/page-bundle.mjs   (after scripts/page-modules.mjs)
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WEB = join(ROOT, 'web');
const OUT = join(WEB, 'build', 'localpredict.html');

let acorn;
try {
  acorn = createRequire(import.meta.url)('acorn');
} catch (e) {
  console.error('page-bundle: acorn not found: install Debian\'s node-acorn (scripts/install-deps.sh) ' +
    'and run with NODE_PATH=/usr/share/nodejs (the Makefile sets it)');
  process.exit(1);
}

function fail(file, message) {
  throw new Error(`page-bundle: ${relative(ROOT, file)}: ${message}`);
}

/**
 * Bundles the module graph under `entry` into one script.  `swaps` maps a module's
 * path to replacement source.  Returns the script text (an IIFE, strict mode).
 */
function bundle(entry, swaps = {}) {
  const modules = new Map(); // path -> { name, code, deps }
  const order = [];
  const visiting = new Set();

  function load(file) {
    if (modules.has(file)) return modules.get(file);
    if (visiting.has(file)) fail(file, 'is part of an import cycle, which this bundler does not order');
    visiting.add(file);
    const source = swaps[file] ?? readFileSync(file, 'utf8');
    let ast;
    try {
      ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'module' });
    } catch (e) {
      fail(file, e.message);
    }
    const name = `__module_${modules.size + visiting.size}_${relative(ROOT, file).replace(/[^A-Za-z0-9]/g, '_')}`;
    const edits = []; // [start, end, text]
    const exports = []; // "exported: expression"
    const depOf = (node) => {
      const spec = node.source.value;
      if (!spec.startsWith('.')) fail(file, `imports "${spec}", which is not a relative path`);
      return load(resolve(dirname(file), spec));
    };
    for (const node of ast.body) {
      if (node.type === 'ImportDeclaration') {
        const dep = depOf(node);
        const parts = [];
        for (const s of node.specifiers) {
          if (s.type === 'ImportNamespaceSpecifier') {
            edits.push([node.start, node.end, `const ${s.local.name} = ${dep.name};`]);
          } else if (s.type === 'ImportSpecifier') {
            parts.push(s.imported.name === s.local.name ? s.local.name : `${s.imported.name}: ${s.local.name}`);
          } else {
            fail(file, 'uses a default import');
          }
        }
        if (parts.length) edits.push([node.start, node.end, `const { ${parts.join(', ')} } = ${dep.name};`]);
        else if (!node.specifiers.length) edits.push([node.start, node.end, '']);
      } else if (node.type === 'ExportNamedDeclaration') {
        if (node.source) {
          const dep = depOf(node);
          for (const s of node.specifiers) exports.push(`${s.exported.name}: ${dep.name}.${s.local.name}`);
          edits.push([node.start, node.end, '']);
        } else if (node.declaration) {
          const d = node.declaration;
          if (d.type === 'VariableDeclaration') {
            if (d.kind !== 'const') fail(file, `exports a "${d.kind}", whose later changes a bundle would not see`);
            for (const v of d.declarations) {
              if (v.id.type !== 'Identifier') fail(file, 'exports a destructuring declaration');
              exports.push(v.id.name);
            }
          } else {
            exports.push(d.id.name);
          }
          edits.push([node.start, d.start, '']); // drop the `export ` keyword
        } else {
          for (const s of node.specifiers) exports.push(s.exported.name === s.local.name ? s.local.name : `${s.exported.name}: ${s.local.name}`);
          edits.push([node.start, node.end, '']);
        }
      } else if (node.type === 'ExportAllDeclaration') {
        if (node.exported) fail(file, 'uses export * as name');
        exports.push(`...${depOf(node).name}`);
        edits.push([node.start, node.end, '']);
      } else if (node.type === 'ExportDefaultDeclaration') {
        fail(file, 'has a default export');
      }
    }
    if (!swaps[file]) {
      if (/\bimport\.meta\b/.test(source)) fail(file, 'uses import.meta, which has no meaning in a bundle; swap the module');
      if (/\bimport\s*\(/.test(source)) fail(file, 'uses a dynamic import()');
    }
    let code = source;
    for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) code = code.slice(0, start) + text + code.slice(end);
    const mod = { name, code: `const ${name} = Object.freeze((() => {\n${code}\nreturn { ${exports.join(', ')} };\n})());\n` };
    visiting.delete(file);
    modules.set(file, mod);
    order.push(mod);
    return mod;
  }

  load(entry);
  return `(() => {\n'use strict';\n${order.map((m) => m.code).join('\n')}})();\n`;
}

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('base64');

/** Text that may sit inside an inline <script> / <style> without ending it early. */
function inlineSafe(text, tag, what) {
  if (new RegExp(`</${tag}`, 'i').test(text) || /<!--/.test(text)) {
    throw new Error(`page-bundle: ${what} contains "</${tag}" or "<!--", which would end the inline element`);
  }
  return text;
}

const workerScript = bundle(join(WEB, 'worker.mjs'));
// '<' escaped so that the worker's text can never close the page's <script>.
const workerLiteral = JSON.stringify(workerScript).replace(/</g, '\\u003c');
const workerSource = `/* worker-source.mjs of the single-file page (scripts/page-bundle.mjs): the worker,
 * bundled into this file, starts from a blob: URL (worker-src blob:). */
const WORKER_SCRIPT = ${workerLiteral};
export function createWorker() {
  const url = URL.createObjectURL(new Blob([WORKER_SCRIPT], { type: 'text/javascript' }));
  return new Worker(url, { name: 'localpredict' });
}
`;
const pageScript = inlineSafe(bundle(join(WEB, 'app', 'main.mjs'), { [join(WEB, 'app', 'worker-source.mjs')]: workerSource }),
  'script', 'the page script');
const css = inlineSafe(readFileSync(join(WEB, 'style.css'), 'utf8'), 'style', 'style.css');

const csp = `default-src 'none'; script-src 'sha256-${sha256(pageScript)}' 'wasm-unsafe-eval'; worker-src blob:; ` +
  `style-src 'sha256-${sha256(css)}'; img-src blob: data:; connect-src 'none'`;

let html = readFileSync(join(WEB, 'index.html'), 'utf8');
const replaceOnce = (pattern, text, what) => {
  if (!pattern.test(html)) throw new Error(`page-bundle: web/index.html has no ${what}`);
  html = html.replace(pattern, () => text);
};
replaceOnce(/<!--[\s\S]*?-->\n/, '<!-- localpredict, the single-file page: built by scripts/page-bundle.mjs (make page) from web/. ' +
  'Everything it needs is inside this file; it makes no request (connect-src \'none\'). -->\n', 'leading comment');
replaceOnce(/<meta http-equiv="Content-Security-Policy" content="[^"]*">/, `<meta http-equiv="Content-Security-Policy" content="${csp}">`, 'CSP meta tag');
replaceOnce(/<link rel="stylesheet" href="style.css">/, `<style>${css}</style>`, 'stylesheet link');
replaceOnce(/<script type="module" src="app\/main.mjs"><\/script>\n/, '', 'module script');
replaceOnce(/<\/body>/, `<script>${pageScript}</script>\n</body>`, '</body>');

mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, html);
