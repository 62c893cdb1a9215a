#!/usr/bin/env node
/* serve.mjs — `make serve`: serves the repository read-only on localhost, so the page
 * (web/index.html) and its modules load as they would from any static host.
 *
 *   node scripts/serve.mjs [--port N]     (default 8000, or the PORT variable; 0 = any free port)
 *
 * No dependencies (node:http).  GET and HEAD only; nothing outside the repository
 * (symlinks resolved); no directory listings, except that a directory with an
 * index.html serves it.  The right types for .wasm and .mjs, and on every response
 * the Content-Security-Policy of ARCHITECTURE.md ("Page privacy"), which the
 * workers (served as scripts) get too.  The browser tests start the same server
 * through startServer().
 */
import http from 'node:http';
import { realpathSync } from 'node:fs';
import { readFile, stat, realpath } from 'node:fs/promises';
import { join, extname, sep, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; " +
  "style-src 'self'; img-src 'self' blob: data:; connect-src 'none'";

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Starts the server on `host`:`port` (0: a free port).  `onRequest(method, path,
 * status)` is called for every request.  Resolves { origin, close() }.
 */
export async function startServer({ root, host = '127.0.0.1', port = 0, onRequest = null } = {}) {
  const realRoot = realpathSync(root);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const send = (status, body, type = 'text/plain; charset=utf-8', headers = {}) => {
      onRequest?.(req.method, url.pathname, status);
      res.writeHead(status, {
        'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-store',
        'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, Buffer.from('read-only\n'), undefined, { Allow: 'GET, HEAD' });
      if (url.pathname === '/') return send(302, Buffer.from('see /web/\n'), undefined, { Location: '/web/' });
      let rel;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        return send(400, Buffer.from('bad path\n'));
      }
      if (rel.includes('\0')) return send(400, Buffer.from('bad path\n'));
      let file;
      try {
        file = await realpath(join(realRoot, rel));
        if ((await stat(file)).isDirectory()) {
          // Relative links in index.html need the trailing slash.
          if (!url.pathname.endsWith('/')) return send(301, Buffer.from('moved\n'), undefined, { Location: `${url.pathname}/` });
          file = await realpath(join(file, 'index.html'));
        }
      } catch {
        return send(404, Buffer.from('not found\n'));
      }
      if (!file.startsWith(realRoot + sep) || !(await stat(file)).isFile()) return send(404, Buffer.from('not found\n'));
      return send(200, await readFile(file), MIME[extname(file)] || 'application/octet-stream');
    } catch (e) {
      if (!res.headersSent) return send(500, Buffer.from(`${e.message}\n`));
      res.end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  return {
    origin: `http://${host}:${address.port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const i = process.argv.indexOf('--port');
  const port = Number(i > 0 ? process.argv[i + 1] : process.env.PORT ?? 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('serve: --port takes a port number (0 for any free port)');
    process.exit(1);
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  try {
    const { origin } = await startServer({ root, port });
    console.log(`Serving the repository read-only at ${origin}/ (Ctrl-C stops)`);
    console.log(`The page: ${origin}/web/`);
  } catch (e) {
    console.error(`serve: cannot listen on 127.0.0.1:${port}: ${e.message}` +
      (e.code === 'EADDRINUSE' ? ' (try make serve PORT=8001)' : ''));
    process.exit(1);
  }
}
