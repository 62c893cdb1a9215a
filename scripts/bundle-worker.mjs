#!/usr/bin/env node
/* bundle-worker.mjs — writes the pool's worker (wasm/pool-worker.mjs and the shim
 * modules it imports) as ONE self-contained ES module, for pages that start workers
 * from a blob: URL and fetch nothing (CSP `worker-src 'self' blob:`):
 *
 *     node scripts/bundle-worker.mjs wasm/pool-worker.mjs wasm/build/localpredict-worker.mjs
 *
 * A page turns the text into a URL and hands it to the shim:
 *     setEngine({ wasm: { simd, scalar }, worker: URL.createObjectURL(new Blob([text], { type: 'text/javascript' })) })
 *
 * Not a general bundler: it handles exactly the forms the shim's own modules use —
 * `import { a, b as c } from './x.mjs';` (static, relative), `export function|class|
 * const|let|async function NAME`, `export { a, b };` — and fails loudly on anything
 * else.  Each module becomes a function scope returning its exports, so top-level
 * names of different modules never clash; modules run once, dependencies first.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve, relative } from 'node:path';

const [entry, out] = process.argv.slice(2);
if (!entry || !out) {
  console.error('usage: node scripts/bundle-worker.mjs ENTRY.mjs OUT.mjs');
  process.exit(1);
}

const IMPORT = /^import\s*\{([^}]*)\}\s*from\s*'(\.[^']+)';\s*$/gm;
const EXPORT_DECL = /^export\s+(?:async\s+function\s*\*?|function\s*\*?|class|const|let)\s+([A-Za-z_$][\w$]*)/gm;
const EXPORT_LIST = /^export\s*\{([^}]*)\};?\s*$/gm;

const order = [];            // module paths, dependencies first
const seen = new Set();
const ids = new Map();       // path -> variable name

function visit(path, stack = []) {
  if (seen.has(path)) return;
  if (stack.includes(path)) throw new Error(`import cycle: ${[...stack, path].join(' -> ')}`);
  const text = readFileSync(path, 'utf8');
  for (const m of text.matchAll(IMPORT)) visit(resolve(dirname(path), m[2]), [...stack, path]);
  seen.add(path);
  ids.set(path, `__module${order.length}`);
  order.push(path);
}

function transform(path) {
  let text = readFileSync(path, 'utf8');
  const exported = [];
  text = text.replace(IMPORT, (_, names, from) => {
    const dep = ids.get(resolve(dirname(path), from));
    const binding = names.split(',').map((s) => s.trim()).filter(Boolean)
      .map((n) => n.replace(/^(\S+)\s+as\s+(\S+)$/, '$1: $2')).join(', ');
    return `const { ${binding} } = ${dep};`;
  });
  text = text.replace(EXPORT_DECL, (m, name) => {
    exported.push(name);
    return m.replace(/^export\s+/, '');
  });
  text = text.replace(EXPORT_LIST, (_, names) => {
    for (const n of names.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (/\sas\s/.test(n)) throw new Error(`${path}: "export { x as y }" is not handled`);
      exported.push(n);
    }
    return '';
  });
  const leftover = text.match(/^\s*(?:import|export)\s.*$/m);
  if (leftover) throw new Error(`${path}: cannot bundle "${leftover[0].trim()}"`);
  const name = relative(process.cwd(), path);
  return `// ---- ${name}\nconst ${ids.get(path)} = (() => {\n${text}\nreturn { ${exported.join(', ')} };\n})();\n`;
}

visit(resolve(entry));
const body = order.map(transform).join('\n');
const header = '/* localpredict pool worker, bundled by scripts/bundle-worker.mjs from ' +
  `${order.map((p) => relative(process.cwd(), p)).join(', ')}.  Generated: do not edit. */\n`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, header + body);
