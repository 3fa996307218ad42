// The web image's static server: no dependencies, plain node:http. Hashed files under
// /assets/ never change (cached for a year, immutable); index.html names the current hashes,
// so it is revalidated on every visit (no-cache with an ETag) - the same headers the API's
// web module sends (apps/api/src/modules/web/routes.ts). Files are read once at start: the
// root filesystem is read-only and an image never changes its own files.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, relative, sep } from 'node:path';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json', '.webmanifest': 'application/manifest+json',
};
const NOT_SPA = /^\/(api|health|metrics|version)(\/|$)/;

export function loadFiles(root) {
  const files = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const body = readFileSync(p);
        const url = `/${relative(root, p).split(sep).join('/')}`;
        files.set(url, { body, type: TYPES[extname(p)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
      }
    }
  };
  walk(root);
  if (!files.has('/index.html')) throw new Error(`${root} has no index.html`);
  return files;
}

export function createWebServer(root, info = {}) {
  const files = loadFiles(root);
  let draining = false;
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const json = (status, value) => { res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }); res.end(JSON.stringify(value)); };
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }); return res.end(); }
    if (path === '/health/live') return json(200, { status: 'ok' });
    if (path === '/health/ready' || path === '/health') return json(draining ? 503 : 200, { status: draining ? 'draining' : 'ok', checks: { files: files.size } });
    if (path === '/version') return json(200, info);
    let file = files.get(path);
    let cache = path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE;
    if (!file) {
      // A missing hashed asset or a named file is a 404, never index.html: a stale page must not get HTML as JS.
      if (path.startsWith('/assets/') || NOT_SPA.test(path) || /\.[A-Za-z0-9]+$/.test(path)) return json(404, { error: { code: 'not_found', message: 'not found' } });
      file = files.get('/index.html');
      cache = REVALIDATE;
    }
    const headers = { 'content-type': file.type, 'cache-control': cache, etag: file.etag, 'x-content-type-options': 'nosniff' };
    if (file.type.startsWith('text/html')) Object.assign(headers, { 'content-security-policy': CSP, 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY' });
    if (req.headers['if-none-match'] === file.etag) { res.writeHead(304, headers); return res.end(); }
    res.writeHead(200, { ...headers, 'content-length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  server.drain = () => { draining = true; };
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.env.WEB_ROOT ?? '/app/web';
  const server = createWebServer(root, { version: process.env.APP_VERSION ?? 'dev', commit: process.env.APP_COMMIT ?? 'unknown', builtAt: process.env.APP_BUILT_AT ?? 'unknown' });
  server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? '0.0.0.0', () => {
    console.log(JSON.stringify({ msg: 'web listening', address: server.address() }));
  });
  process.on('SIGTERM', () => {
    // Not ready first, so the load balancer stops sending, then close once in-flight requests end.
    server.drain();
    setTimeout(() => server.close(() => process.exit(0)), Number(process.env.SHUTDOWN_DRAIN_DELAY_MS ?? 5000)).unref();
  });
}
