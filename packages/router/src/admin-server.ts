// The admin API: loopback only (enforced where it listens), every route behind a bearer
// token. Input is validated by the shared zod schemas and then by meaning; a bad field
// gets a 400 that names it, never a 5xx.
import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { routerMaintenanceToggleSchema, routerPutStateSchema } from '@cc/contracts';
import type { TokenCheck } from './auth.js';
import { RouterError, isRouterError } from './errors.js';
import type { RouterLogger } from './options.js';
import type { Router } from './router-api.js';
import { checkMeaning, fromZod } from './state-validation.js';
import { z } from 'zod';

const MAX_BODY = 1024 * 1024;

const maintenanceBodySchema = routerMaintenanceToggleSchema.extend({
  expectedVersion: z.number().int().min(0).optional(),
});

export interface AdminDeps {
  router: Router;
  adminCheck: TokenCheck;
  logger: RouterLogger;
}

export function createAdminHandler(deps: AdminDeps): http.RequestListener {
  return (req, res) => {
    const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID();
    handle(deps, req, res, requestId).catch((err: unknown) => {
      if (isRouterError(err)) {
        const status = err.code === 'version_conflict' ? 409 : err.code === 'invalid_state' || err.code === 'invalid_input' ? 400 : 500;
        sendJson(res, status, { error: { code: err.code, message: err.message, field: err.field, requestId } });
        if (status === 500) deps.logger.error({ err: err.message, code: err.code, requestId }, 'admin request failed');
        return;
      }
      deps.logger.error({ err: err instanceof Error ? err.message : String(err), requestId }, 'admin request failed');
      sendJson(res, 500, { error: { code: 'internal', message: 'internal error', requestId } });
    });
  };
}

async function handle(deps: AdminDeps, req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
  if (!deps.adminCheck.matchesBearer(req.headers.authorization)) {
    res.setHeader('www-authenticate', 'Bearer realm="cc-router"');
    sendJson(res, 401, { error: { code: 'unauthorized', message: 'missing or wrong bearer token', requestId } });
    req.resume();
    return;
  }
  const path = (req.url ?? '/').split('?')[0];
  const route = `${req.method} ${path}`;
  const { router } = deps;
  switch (route) {
    case 'GET /admin/state':
      sendJson(res, 200, router.getState());
      return;
    case 'PUT /admin/state': {
      const parsed = routerPutStateSchema.safeParse(await readJson(req));
      if (!parsed.success) throw fromZod(parsed.error, '', 'invalid_input');
      checkMeaning(parsed.data.state, 'state.');
      const doc = await router.setState(parsed.data.state, parsed.data.expectedVersion);
      deps.logger.info({ stateVersion: doc.version, requestId }, 'state replaced via admin API');
      sendJson(res, 200, doc);
      return;
    }
    case 'POST /admin/maintenance': {
      const parsed = maintenanceBodySchema.safeParse(await readJson(req));
      if (!parsed.success) throw fromZod(parsed.error, '', 'invalid_input');
      const { expectedVersion, ...toggle } = parsed.data;
      const doc = await router.setMaintenance(toggle, expectedVersion);
      deps.logger.info({ stateVersion: doc.version, enabled: toggle.enabled, requestId }, 'maintenance toggled via admin API');
      sendJson(res, 200, doc);
      return;
    }
    case 'GET /metrics': {
      const { contentType, body } = await router.prometheus();
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    case 'GET /admin/metrics.json':
      sendJson(res, 200, router.metrics());
      return;
    case 'GET /admin/targets':
      sendJson(res, 200, { targets: router.targets() });
      return;
    default: {
      const known = ['/admin/state', '/admin/maintenance', '/metrics', '/admin/metrics.json', '/admin/targets'];
      req.resume();
      if (path !== undefined && known.includes(path)) {
        sendJson(res, 405, { error: { code: 'method_not_allowed', message: `${req.method} not allowed on ${path}`, requestId } });
      } else {
        sendJson(res, 404, { error: { code: 'not_found', message: `no admin route ${path}`, requestId } });
      }
    }
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RouterError('invalid_input', 'body is larger than 1 MiB', { field: 'body' });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new RouterError('invalid_input', 'body is not valid JSON', { cause: err, field: 'body' });
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}
