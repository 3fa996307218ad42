import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { AppContext } from '../../context.js';
import { checkReadiness } from './readiness.js';

export function opsModule(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    app.get('/health/live', async () => ({ status: 'ok' }));

    const ready = async (_req: unknown, reply: FastifyReply) => {
      const report = await checkReadiness(ctx);
      const ok = report.status === 'ok' || report.status === 'degraded';
      return reply.status(ok ? 200 : 503).header('cache-control', 'no-store').send(report);
    };
    app.get('/health/ready', ready);
    app.get('/health', ready);

    app.get('/version', async () => {
      const r = await ctx.db
        .query<{ v: number | null }>('SELECT max(version)::int AS v FROM schema_migrations')
        .catch(() => ({ rows: [{ v: null }] }));
      return {
        version: ctx.config.APP_VERSION,
        commit: ctx.config.APP_COMMIT,
        builtAt: ctx.config.APP_BUILT_AT,
        schemaVersion: r.rows[0]?.v ?? null,
      };
    });

    app.get('/metrics', async (_req, reply) => {
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
      return reply.header('content-type', ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
    });
  };
}
