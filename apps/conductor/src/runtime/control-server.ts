import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { CcrError } from '../errors.js';
import type { InstanceController } from '../supervisor/types.js';

// The runtime's control API, so `ccr deploy`, `ccr status` and `ccr down` in other processes
// drive the one supervisor that owns the instances. Loopback only, bearer token from
// .cc/runtime/control-token. Routes:
//   GET    /v1/status                     the runtime status document
//   GET    /v1/instances                  { instances }
//   POST   /v1/instances                  { version, count, readyTimeoutMs? } -> { instances } once ready
//   DELETE /v1/instances/:id              stop one instance
//   POST   /v1/versions/:version/stop     stop every instance of a version -> { stopped }
//   PUT    /v1/active-version             { version } -> what `ccr up` starts next time
//   POST   /v1/repair                     restarts what is down now -> { repaired: [lines] }
//   POST   /v1/shutdown                   202, then the runtime stops everything and exits

export interface ControlHandlers {
  controller: InstanceController;
  status(): Promise<unknown>;
  setActiveVersion(version: string): void;
  /** Restarts the parts that are down (router, crashed instances, embedded PostgreSQL); says what it did. */
  repair(): Promise<string[]>;
  shutdown(): void;
}

const startSchema = z.object({
  version: z.string().min(1).max(64),
  count: z.number().int().min(1).max(64),
  readyTimeoutMs: z.number().int().min(100).max(600_000).optional(),
});
const activeSchema = z.object({ version: z.string().min(1).max(64) });

const STATUS_BY_CODE: Partial<Record<string, number>> = { usage: 400, not_found: 404, conflict: 409, instance_not_ready: 503 };

export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

export async function startControlServer(token: string, handlers: ControlHandlers): Promise<ControlServer> {
  const expected = Buffer.from(`Bearer ${token}`);
  const server = http.createServer((req, res) => {
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) {
      req.resume();
      send(res, 401, { error: { code: 'unauthorized', message: 'missing or wrong bearer token' } });
      return;
    }
    route(handlers, req).then(
      ([status, body]) => send(res, status, body),
      (err: unknown) => {
        const code = err instanceof CcrError ? err.code : 'internal';
        send(res, STATUS_BY_CODE[code] ?? 500, { error: { code, message: err instanceof Error ? err.message : String(err), ...(err instanceof CcrError && err.details ? { details: err.details } : {}) } });
      },
    );
  });
  // Starting instances waits for readiness, which can take a while.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A path segment, decoded; bad percent-encoding is the caller's mistake (400), not ours. */
function segment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (err) {
    throw new CcrError('usage', `path segment "${raw}" is not valid percent-encoding`, { cause: err });
  }
}

async function route(h: ControlHandlers, req: http.IncomingMessage): Promise<[number, unknown]> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/v1/status') return [200, await h.status()];
  if (method === 'GET' && path === '/v1/instances') return [200, { instances: await h.controller.list() }];
  if (method === 'POST' && path === '/v1/instances') {
    const body = parse(startSchema, await readJson(req));
    return [201, { instances: await h.controller.start(body.version, body.count, body.readyTimeoutMs ? { readyTimeoutMs: body.readyTimeoutMs } : {}) }];
  }
  const one = /^\/v1\/instances\/([^/]+)$/.exec(path);
  if (method === 'DELETE' && one) {
    const id = segment(one[1]!);
    await h.controller.stop(id);
    return [200, { stopped: id }];
  }
  const byVersion = /^\/v1\/versions\/([^/]+)\/stop$/.exec(path);
  if (method === 'POST' && byVersion) return [200, { stopped: await h.controller.stopVersion(segment(byVersion[1]!)) }];
  if (method === 'PUT' && path === '/v1/active-version') {
    const body = parse(activeSchema, await readJson(req));
    h.setActiveVersion(body.version);
    return [200, { activeVersion: body.version }];
  }
  if (method === 'POST' && path === '/v1/repair') {
    req.resume();
    return [200, { repaired: await h.repair() }];
  }
  if (method === 'POST' && path === '/v1/shutdown') {
    setImmediate(() => h.shutdown());
    return [202, { stopping: true }];
  }
  req.resume();
  throw new CcrError('not_found', `no control route ${method} ${path}`);
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new CcrError('usage', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, { details: { field: issue?.path.join('.') ?? '' } });
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new CcrError('usage', 'body: larger than 64 KiB');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
  } catch (err) {
    throw new CcrError('usage', 'body: not valid JSON', { cause: err });
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
