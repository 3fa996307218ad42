import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AccessTokens } from './auth/access-token.js';
import { RevocationList } from './auth/revocations.js';
import type { Config } from './config/index.js';
import type { AppContext } from './context.js';
import { loadMigrationFiles, Migrator } from '@cc/pg-migrate';
import { createPool } from './db/pool.js';
import { createRelay, type OutboxRelay } from './events/relay.js';
import { buildApp } from './http/app.js';
import { buildMetricsApp } from './modules/ops/metrics-app.js';
import { createLogger } from './ops/logger.js';
import { createMetrics } from './ops/metrics.js';
import { initErrorReporter, type ErrorReporter } from './ops/sentry.js';
import { defaultMigrationsDir } from './paths.js';

export interface ApiServer {
  app: FastifyInstance;
  ctx: AppContext;
  relay: OutboxRelay;
  /** The internal listener (METRICS_HOST:METRICS_PORT) that alone serves GET /metrics. */
  metricsApp: FastifyInstance;
  /** Base URL of the metrics listener once listen() resolved; null before. */
  metricsUrl: string | null;
  /** The process entry point reports crashes outside any request through it (ops/process-errors.ts). */
  reporter: ErrorReporter;
  /** Listens on HOST:PORT (and the metrics listener) and starts the relay; resolves to the base URL. */
  listen(): Promise<string>;
  /** Graceful: readiness 503, in-flight requests finish, relay flushes, pools close. */
  close(): Promise<void>;
}

export interface CreateServerOptions {
  logger?: Logger;
  logDestination?: NodeJS.WritableStream;
}

function createRedis(url: string, prefix: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    keyPrefix: prefix,
    // Fail fast instead of queueing while Redis is down: callers fall back to PostgreSQL.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    lazyConnect: false,
  });
  let wasDown = false;
  redis.on('error', (err) => {
    if (!wasDown) logger.warn({ err: err.message }, 'redis unavailable; falling back to PostgreSQL');
    wasDown = true;
  });
  redis.on('ready', () => {
    if (wasDown) logger.info('redis reconnected');
    wasDown = false;
  });
  return redis;
}

function baseUrl(host: string, app: FastifyInstance, fallbackPort: number): string {
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : fallbackPort;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function createApiServer(config: Config, opts: CreateServerOptions = {}): Promise<ApiServer> {
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required to start the API');
  const logger =
    opts.logger ??
    createLogger({ level: config.LOG_LEVEL, base: { version: config.APP_VERSION, env: config.APP_ENV }, ...(opts.logDestination ? { destination: opts.logDestination } : {}) });
  const migrationsDir = config.MIGRATIONS_DIR ?? defaultMigrationsDir();
  const expectedSchemaVersion = loadMigrationFiles(migrationsDir).at(-1)?.version ?? 0;
  if (config.MIGRATE_ON_START) {
    await new Migrator({
      databaseUrl: config.DATABASE_URL,
      dir: migrationsDir,
      lockTimeoutMs: config.MIGRATION_LOCK_TIMEOUT_MS,
      statementTimeoutMs: config.MIGRATION_STATEMENT_TIMEOUT_MS,
      log: (msg, data) => logger.info(data ?? {}, msg),
    }).up();
  }

  const metrics = createMetrics();
  metrics.info.set({ version: config.APP_VERSION, commit: config.APP_COMMIT }, 1);
  const reporter: ErrorReporter = initErrorReporter(config);
  let relay: OutboxRelay | null = null;
  const db = createPool(config.DATABASE_URL, config.DATABASE_POOL_MAX);
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, config.REDIS_KEY_PREFIX, logger) : null;
  const ctx: AppContext = {
    config,
    db,
    redis,
    revocations: new RevocationList(db, redis, logger),
    logger,
    metrics,
    tokens: new AccessTokens(config.JWT_SECRET, config.ACCESS_TOKEN_TTL_SECONDS),
    relayStatus: () => relay?.status() ?? { enabled: false, connected: false, lastError: null },
    expectedSchemaVersion,
    lifecycle: { draining: false },
  };
  relay = createRelay(ctx);
  const app = await buildApp(ctx, {
    reportError: (err, req) => reporter.capture(err, { requestId: req.id, route: req.routeOptions.url, method: req.method }),
  });
  const metricsApp = await buildMetricsApp(ctx);

  let closing: Promise<void> | null = null;
  const server: ApiServer = {
    app,
    ctx,
    relay,
    metricsApp,
    metricsUrl: null,
    reporter,
    async listen() {
      await app.listen({ host: config.HOST, port: config.PORT });
      await metricsApp.listen({ host: config.METRICS_HOST, port: config.METRICS_PORT });
      server.metricsUrl = baseUrl(config.METRICS_HOST, metricsApp, config.METRICS_PORT);
      relay!.start();
      return baseUrl(config.HOST, app, config.PORT);
    },
    close() {
      closing ??= (async () => {
        // Leave room after the relay's flush for the Sentry flush and closing the pools, so the
        // whole shutdown fits in SHUTDOWN_TIMEOUT_MS (runApi force-exits after it).
        const deadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS - 1500;
        ctx.lifecycle.draining = true;
        if (config.SHUTDOWN_DRAIN_DELAY_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_DELAY_MS));
        // Fastify closes only the connections idle at the moment close() starts; a keep-alive
        // connection whose request finishes later would hold close() for keepAliveTimeout (72 s).
        const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        await metricsApp.close();
        await relay!.stop(Math.max(250, deadline - Date.now()));
        await reporter.close(2000);
        // quit() is refused while Redis is unreachable and the client would keep reconnecting
        // (holding the process open), so fall back to dropping the connection.
        await Promise.allSettled([ctx.db.end(), ctx.redis?.quit().catch(() => ctx.redis?.disconnect())]);
      })();
      return closing;
    },
  };
  return server;
}
