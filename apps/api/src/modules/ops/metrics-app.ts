import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';

// GET /metrics lives on its own listener (METRICS_HOST:METRICS_PORT), never on the public one:
// the request counts, pool sizes and versions it shows are for Prometheus, not for whoever can
// reach the router. Proxies forward the public port only, so nothing has to remember to block
// the path.

/** Refreshes the gauges that are read on demand, then renders the registry. */
async function renderMetrics(ctx: AppContext): Promise<string> {
  const pool = ctx.db;
  ctx.metrics.dbPool.set({ state: 'total' }, pool.totalCount);
  ctx.metrics.dbPool.set({ state: 'idle' }, pool.idleCount);
  ctx.metrics.dbPool.set({ state: 'waiting' }, pool.waitingCount);
  const r = await ctx.db
    .query<{ pending: number; age: number | null }>(
      `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float AS age
         FROM outbox_events WHERE published_at IS NULL`,
    )
    .catch(() => null);
  if (r?.rows[0]) {
    ctx.metrics.outboxPending.set(r.rows[0].pending);
    ctx.metrics.outboxOldestAge.set(r.rows[0].age ?? 0);
  }
  return ctx.metrics.registry.metrics();
}

/** The internal listener: /metrics, and the JSON error shape for anything else. */
export async function buildMetricsApp(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, genReqId: () => randomUUID(), forceCloseConnections: true });
  app.get('/metrics', async (_req, reply) =>
    reply.header('content-type', ctx.metrics.registry.contentType).header('cache-control', 'no-store').send(await renderMetrics(ctx)),
  );
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'not_found', message: 'This listener serves GET /metrics only.', requestId: String(req.id) } }),
  );
  app.setErrorHandler((_err, req, reply) =>
    reply.status(500).send({ error: { code: 'internal', message: 'Could not render the metrics.', requestId: String(req.id) } }),
  );
  await app.ready();
  return app;
}
