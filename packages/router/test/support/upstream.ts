// Tiny upstream servers for router tests, on ephemeral ports. Each one answers as one
// target of one version and records what it saw, so tests can assert on real traffic.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  id: string;
  version: string;
  url: string;
  port: number;
  /** Non-health requests received. */
  hits: number;
  /** /health/ready probes received. */
  probes: number;
  /** Headers of the last non-health request. */
  lastHeaders: http.IncomingHttpHeaders;
  /** What /health/ready answers from now on. */
  setHealthy(ok: boolean): void;
  /** Stops listening and drops connections: the port then refuses connections. */
  kill(): Promise<void>;
}

export interface UpstreamOptions {
  id: string;
  version: string;
  /** Paths under /assets/ this version has; others 404 there. */
  assets?: string[];
}

/**
 * Routes: /health/ready (200 or 503), any path ending in /slow?ms=N (answers after N ms), /assets/* (200
 * when listed, else 404), anything else 200 with JSON {id, version, path}.
 */
export function startUpstream(opts: UpstreamOptions): Promise<Upstream> {
  let healthy = true;
  const assets = new Set(opts.assets ?? []);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/health/ready') {
      up.probes++;
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: healthy }));
      return;
    }
    up.hits++;
    up.lastHeaders = req.headers;
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'x-upstream-id': opts.id, 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (url.pathname.startsWith('/assets/')) {
      if (assets.has(url.pathname)) send(200, { id: opts.id, version: opts.version, asset: url.pathname });
      else send(404, { error: 'not found' });
      return;
    }
    if (url.pathname.endsWith('/slow')) {
      const timer = setTimeout(() => send(200, { id: opts.id, version: opts.version, slow: true }), Number(url.searchParams.get('ms') ?? 1000));
      res.on('close', () => clearTimeout(timer));
      return;
    }
    // Drain the body so POSTs work; the tests only care that it arrived.
    let size = 0;
    req.on('data', (c: Buffer) => (size += c.length));
    req.on('end', () => send(200, { id: opts.id, version: opts.version, path: url.pathname, method: req.method, bodyBytes: size }));
  });
  const up: Upstream = {
    id: opts.id,
    version: opts.version,
    url: '',
    port: 0,
    hits: 0,
    probes: 0,
    lastHeaders: {},
    setHealthy(ok) {
      healthy = ok;
    },
    kill: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      up.port = (server.address() as AddressInfo).port;
      up.url = `http://127.0.0.1:${up.port}`;
      resolve(up);
    });
  });
}

/** A URL on which nothing listens: a port that was just freed. */
export async function deadUrl(): Promise<string> {
  const u = await startUpstream({ id: 'dead', version: 'dead' });
  await u.kill();
  return u.url;
}
