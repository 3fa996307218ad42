import { ConfigError } from '../errors.js';
import { loadConfig, type Config } from '../config/index.js';
import { scrubText } from '../ops/logger.js';
import { installProcessErrorHandlers } from '../ops/process-errors.js';
import { initErrorReporter } from '../ops/sentry.js';
import { createApiServer, type ApiServer } from '../server.js';

/** Time a crash report gets to leave before the process exits anyway. */
const FATAL_FLUSH_TIMEOUT_MS = 2000;

/**
 * Starts the API in the foreground and shuts it down gracefully on SIGTERM/SIGINT, bounded by
 * SHUTDOWN_TIMEOUT_MS; an uncaught exception or unhandled rejection is reported and exits 1.
 * Shared by `npm run start:api` and the embedded `npm start`.
 */
/**
 * A start-up failure goes to stderr and, when a Sentry DSN is configured, to Sentry (flushed
 * for up to 2 s), then the process exits. With a configuration too broken to load, the DSN is
 * taken from the raw environment if it is at least a URL: that is exactly when people need
 * to hear about it.
 */
async function refuseToStart(err: unknown, exitCode: number, env: NodeJS.ProcessEnv, config: Config | null): Promise<never> {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`cc-api: refusing to start.\n${scrubText(message)}\n`);
  const dsn = config?.SENTRY_DSN ?? env['SENTRY_DSN'];
  if (dsn && URL.canParse(dsn)) {
    try {
      const reporter = initErrorReporter({
        SENTRY_DSN: dsn,
        APP_ENV: config?.APP_ENV ?? (['development', 'staging', 'production'].includes(env['APP_ENV'] ?? '') ? env['APP_ENV'] : 'development'),
        APP_VERSION: config?.APP_VERSION ?? env['APP_VERSION'] ?? 'dev',
        APP_COMMIT: config?.APP_COMMIT ?? env['APP_COMMIT'] ?? 'unknown',
      } as Config);
      reporter.capture(err, { phase: 'startup', exitCode: String(exitCode) }, { fatal: 'uncaughtException' });
      await reporter.close(FATAL_FLUSH_TIMEOUT_MS);
    } catch {
      // stderr already has it; a broken DSN must not hide the real error
    }
  }
  process.exit(exitCode);
}

export async function runApi(env: NodeJS.ProcessEnv = process.env, onListening?: (url: string, config: Config) => void): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return refuseToStart(err, 78, env, null); // EX_CONFIG
    throw err;
  }
  if (!config.DATABASE_URL) {
    return refuseToStart(new ConfigError(['DATABASE_URL: is required (postgres://user:pass@host:5432/db)']), 78, env, config);
  }
  let server: ApiServer;
  try {
    server = await createApiServer(config);
  } catch (err) {
    // A failed migration, an unreachable database, a port in use: the same report, exit 1.
    return refuseToStart(err, 1, env, config);
  }
  // Before listen(): the relay loop and its timers start there.
  installProcessErrorHandlers({ reporter: server.reporter, logger: server.ctx.logger, flushTimeoutMs: FATAL_FLUSH_TIMEOUT_MS });
  let url: string;
  try {
    url = await server.listen();
  } catch (err) {
    return refuseToStart(err, 1, env, config);
  }
  server.ctx.logger.info({ url, env: config.APP_ENV }, 'cc-api listening');
  onListening?.(url, config);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.ctx.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      server.ctx.logger.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.ctx.logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
