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
  };
}
