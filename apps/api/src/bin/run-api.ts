import { ConfigError } from '../errors.js';
import { loadConfig, type Config } from '../config/index.js';
import { installProcessErrorHandlers } from '../ops/process-errors.js';
import { createApiServer } from '../server.js';

/** Time a crash report gets to leave before the process exits anyway. */
const FATAL_FLUSH_TIMEOUT_MS = 2000;

/**
 * Starts the API in the foreground and shuts it down gracefully on SIGTERM/SIGINT, bounded by
 * SHUTDOWN_TIMEOUT_MS; an uncaught exception or unhandled rejection is reported and exits 1.
 * Shared by `npm run start:api` and the embedded `npm start`.
 */
export async function runApi(env: NodeJS.ProcessEnv = process.env, onListening?: (url: string, config: Config) => void): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cc-api: refusing to start.\n${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  if (!config.DATABASE_URL) {
    process.stderr.write('cc-api: refusing to start.\nInvalid configuration:\n  - DATABASE_URL: is required (postgres://user:pass@host:5432/db)\n');
    process.exit(78);
  }
  const server = await createApiServer(config);
  // Before listen(): the relay loop and its timers start there.
  installProcessErrorHandlers({ reporter: server.reporter, logger: server.ctx.logger, flushTimeoutMs: FATAL_FLUSH_TIMEOUT_MS });
  const url = await server.listen();
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
