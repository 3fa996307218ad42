import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { actionsModule } from '../modules/actions/routes.js';
import { adminModule } from '../modules/admin/routes.js';
import { authModule } from '../modules/auth/routes.js';
import { gamesModule } from '../modules/games/routes.js';
import { leaderboardModule } from '../modules/leaderboard/routes.js';
import { opsModule } from '../modules/ops/routes.js';
import { rewardsModule } from '../modules/rewards/routes.js';
import { walletModule } from '../modules/wallet/routes.js';
import { webModule } from '../modules/web/routes.js';
import { clientErrorHandler, handleError, handleFrameworkError } from './error-handler.js';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** A hop count means: trust the nearest `hops` peers (proxy-addr's own rule for a number). */
function trustProxyOption(v: string[] | number | false): string[] | boolean | ((addr: string, hop: number) => boolean) {
  return typeof v === 'number' ? (_addr, hop) => hop < v : v;
}

export interface BuildAppOptions {
  /** Called for 5xx errors; Sentry is wired here by the server. */
  reportError?: (err: unknown, req: FastifyRequest) => void;
}

/** Builds the HTTP app around an already-connected context; tests drive it with inject(). */
export async function buildApp(ctx: AppContext, opts: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as unknown as FastifyBaseLogger,
    // One access-log line per request comes from our onResponse hook (route template, user id).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 16 * 1024,
    trustProxy: trustProxyOption(ctx.config.TRUST_PROXY),
    // The router sets X-Request-Id; keep it so one id follows a request across hops.
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID_RE.test(h) ? h : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors Fastify raises before a route runs (a bad percent-encoding in the URL) and those
    // Node's parser raises before there is a request at all (a control character in a
    // header, 64 KB of headers) get the same {"error":{code,message,requestId}} shape.
    frameworkErrors: (err, req, reply) => handleFrameworkError(err, req, reply),
    clientErrorHandler: (err, socket) => clientErrorHandler(err, socket, ctx.logger),
  });
  const report = opts.reportError ?? (() => undefined);

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
    // JSON must never be sniffed into something a browser would render or run.
    reply.header('x-content-type-options', 'nosniff');
    if (ctx.lifecycle.draining) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { route, method: req.method, status: String(reply.statusCode) };
    ctx.metrics.httpRequests.inc(labels);
    ctx.metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    req.log[level]({ method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime), user: req.user?.sub }, 'request');
  });
  app.setErrorHandler((err, req, reply) => handleError(err as Error, req, reply, report));
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: `No route for ${req.method} ${req.url.split('?')[0]}`, requestId: String(req.id) } }),
  );

  await app.register(opsModule(ctx));
  await app.register(authModule(ctx), { prefix: '/api/auth' });
  await app.register(adminModule(ctx), { prefix: '/api/admin' });
  await app.register(gamesModule(ctx), { prefix: '/api/games' });
  await app.register(walletModule(ctx), { prefix: '/api' });
  await app.register(rewardsModule(ctx), { prefix: '/api/rewards' });
  await app.register(leaderboardModule(ctx), { prefix: '/api/leaderboard' });
  await app.register(actionsModule(ctx), { prefix: '/api/actions' });
  await app.register(webModule(ctx));
  return app;
}
