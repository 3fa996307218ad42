// CLI entry for running the router as its own process (the supervisor and the benches do).
// Tokens come from the environment or from files, never from argv, so they do not show
// up in `ps`. Logs are JSON lines on stdout; the "router listening" line carries the ports.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRouter } from '../router.js';
import type { RouterLogger, RouterOptions } from '../options.js';
import { isRouterError } from '../errors.js';

const usage = `usage: router [options]
  --port N                 public port (env CC_ROUTER_PORT, default 8080; 0 = any free port)
  --host H                 public bind address (env CC_ROUTER_HOST, default 0.0.0.0)
  --admin-port N           admin port on loopback (env CC_ROUTER_ADMIN_PORT, default 8081)
  --listen-fd N            serve on this inherited listening socket instead of --host/--port
  --admin-listen-fd N      the same for the admin API (a supervisor holds both across restarts)
  --state-file PATH        persisted state (env CC_ROUTER_STATE_FILE, default .cc/router/state.json)
  --initial-state PATH     JSON state used when the state file does not exist yet
  --admin-token-file PATH  file holding the admin bearer token (or env CC_ROUTER_ADMIN_TOKEN)
  --pin-token-file PATH    file holding the pin token (or env CC_ROUTER_PIN_TOKEN)
  --drain-timeout-ms N     default 30000
  --eject-ms N             default 10000
  --health-interval-ms N   default 2000
  --health-timeout-ms N    default 1000
  --no-health-check        disable active health checks
  --upstream-client C      own (default) or undici: the HTTP client to the upstreams
  --quiet                  only log warnings and errors`;

function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'admin-port': { type: 'string' },
      'listen-fd': { type: 'string' },
      'admin-listen-fd': { type: 'string' },
      'state-file': { type: 'string' },
      'initial-state': { type: 'string' },
      'admin-token-file': { type: 'string' },
      'pin-token-file': { type: 'string' },
      'drain-timeout-ms': { type: 'string' },
      'eject-ms': { type: 'string' },
      'health-interval-ms': { type: 'string' },
      'health-timeout-ms': { type: 'string' },
      'no-health-check': { type: 'boolean' },
      'upstream-client': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return Promise.resolve();
  }
  const env = process.env;
  const int = (name: string, v: string | undefined, dflt: number): number => {
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
  const secret = (file: string | undefined, envName: string): string | undefined =>
    file !== undefined ? readFileSync(file, 'utf8').trim() : env[envName] || undefined;

  const adminToken = secret(values['admin-token-file'], 'CC_ROUTER_ADMIN_TOKEN');
  if (!adminToken) throw new Error('an admin token is required: CC_ROUTER_ADMIN_TOKEN or --admin-token-file');
  const logger = jsonLogger(values.quiet === true);
  const initialFile = values['initial-state'];

  return createRouter({
    port: int('port', values.port ?? env.CC_ROUTER_PORT, 8080),
    host: values.host ?? env.CC_ROUTER_HOST ?? '0.0.0.0',
    adminPort: int('admin-port', values['admin-port'] ?? env.CC_ROUTER_ADMIN_PORT, 8081),
    stateFile: values['state-file'] ?? env.CC_ROUTER_STATE_FILE ?? '.cc/router/state.json',
    initialState: initialFile ? (JSON.parse(readFileSync(initialFile, 'utf8')) as never) : undefined,
    adminToken,
    ...(values['listen-fd'] !== undefined ? { listenFd: int('listen-fd', values['listen-fd'], 0) } : {}),
    ...(values['admin-listen-fd'] !== undefined ? { adminListenFd: int('admin-listen-fd', values['admin-listen-fd'], 0) } : {}),
    pinToken: secret(values['pin-token-file'], 'CC_ROUTER_PIN_TOKEN'),
    drainTimeoutMs: int('drain-timeout-ms', values['drain-timeout-ms'], 30_000),
    ejectMs: int('eject-ms', values['eject-ms'], 10_000),
    upstreamClient: values['upstream-client'] as RouterOptions['upstreamClient'],
    healthCheck: {
      enabled: values['no-health-check'] !== true,
      intervalMs: int('health-interval-ms', values['health-interval-ms'], 2000),
      timeoutMs: int('health-timeout-ms', values['health-timeout-ms'], 1000),
    },
    logger,
  }).then(async (router) => {
    await router.listen();
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'router stopping');
      void router.close(10_000).then(() => process.exit(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

function jsonLogger(quiet: boolean): RouterLogger {
  const write = (level: string, obj: object, msg?: string) =>
    process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), ...obj, msg })}\n`);
  return {
    info: (obj, msg) => {
      // The listening line is always printed: supervisors read the ports from it.
      if (!quiet || msg === 'router listening') write('info', obj, msg);
    },
    warn: (obj, msg) => write('warn', obj, msg),
    error: (obj, msg) => write('error', obj, msg),
  };
}

main().catch((err: unknown) => {
  const detail = isRouterError(err) ? { code: err.code, field: err.field } : {};
  process.stderr.write(`${JSON.stringify({ level: 'error', msg: err instanceof Error ? err.message : String(err), ...detail })}\n`);
  process.exit(1);
});
