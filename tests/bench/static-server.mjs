/* static-server.mjs — the read-only localhost server of the Chromium benches
 * (browser_e2e.mjs, chromium-engine.mjs): a folder (the repository) plus folders
 * mounted under URL prefixes (the workloads, onnxruntime-web's dist files).
 * GET only, nothing outside the served folders, nothing cached, no CSP header (the
 * bench pages set their own, or none).  Bench only: the page's own server, with the
 * CSP of the single-file page, is scripts/serve.mjs. */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const MIME = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.html': 'text/html; charset=utf-8', '.wasm': 'application/wasm' };

/**
 * Serves `root` at / and each mounts[prefix] (a folder) at /prefix/ on 127.0.0.1 and a
 * free port.  Resolves { origin, close() }.
 */
export async function serveStatic(root, mounts = {}) {
  const bases = [...Object.entries(mounts).map(([p, dir]) => [`/${p.replace(/^\/|\/$/g, '')}/`, path.resolve(dir)]), ['/', path.resolve(root)]];
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [prefix, base] = bases.find(([p]) => rel.startsWith(p));
    const file = path.resolve(base, '.' + rel.slice(prefix.length - 1));
    if (!file.startsWith(base + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
