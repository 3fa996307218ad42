// Router process options: things that are not routing state (ports, secrets, timings).
// Secrets stay here rather than in RouterState because the state is persisted and served
// by GET /admin/state.
import type { RouterStateInput } from '@cc/contracts';
import { RouterError } from './errors.js';

export interface HealthCheckOptions {
  /** Off in setups where nothing answers /health/ready (the state still routes). */
  enabled: boolean;
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive passes that bring an unhealthy target back. */
  rise: number;
  /** Consecutive failures that take a healthy target out. */
  fall: number;
}

/** Minimal structured logger; pino satisfies it. Never given tokens. */
export interface RouterLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RouterOptions {
  /** Public data-plane port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Admin port; always bound to loopback. 0 picks a free one. */
  adminPort?: number;
  adminHost?: '127.0.0.1' | '::1' | 'localhost';
  adminToken: string;
  /**
   * Listening sockets inherited from a supervisor (file descriptors), instead of binding
   * port/host: the supervisor keeps them open across a crash of the router, so connections
   * wait in the kernel's queue for the restarted router instead of being refused.
   */
  listenFd?: number;
  adminListenFd?: number;
  /** Without it, X-CC-Version pinning is refused for everyone. */
  pinToken?: string;
  /** Persisted state; when it exists it wins over initialState. */
  stateFile?: string;
  initialState?: RouterStateInput;
  /** How long removed targets may keep in-flight requests before they are cut. */
  drainTimeoutMs?: number;
  /** How long a target that refused a connection gets no traffic. */
  ejectMs?: number;
  /** No bytes from an upstream for this long during an exchange: 504. */
  upstreamTimeoutMs?: number;
  /** Idle upstream connections are closed after this; keep it below the upstreams' keep-alive timeout (Node: 5 s). */
  upstreamIdleMs?: number;
  connectTimeoutMs?: number;
  maxSocketsPerTarget?: number;
  /**
   * The HTTP client that talks to the upstreams. `own` (default) is ours; `undici` is kept
   * so bench:router can measure both side by side (undici cost 1.3–1.6× the CPU per request).
   */
  upstreamClient?: 'own' | 'undici';
  healthCheck?: Partial<HealthCheckOptions>;
  logger?: RouterLogger;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  adminPort: number;
  adminHost: string;
  adminToken: string;
  listenFd: number | undefined;
  adminListenFd: number | undefined;
  pinToken: string | undefined;
  stateFile: string | undefined;
  initialState: RouterStateInput | undefined;
  drainTimeoutMs: number;
  ejectMs: number;
  upstreamTimeoutMs: number;
  upstreamIdleMs: number;
  connectTimeoutMs: number;
  maxSocketsPerTarget: number;
  upstreamClient: 'own' | 'undici';
  healthCheck: HealthCheckOptions;
  logger: RouterLogger;
}

const silentLogger: RouterLogger = { info() {}, warn() {}, error() {} };

export const defaultHealthCheck: HealthCheckOptions = {
  enabled: true,
  path: '/health/ready',
  intervalMs: 2000,
  timeoutMs: 1000,
  rise: 2,
  fall: 3,
};

export function resolveOptions(o: RouterOptions): ResolvedOptions {
  if (typeof o.adminToken !== 'string' || o.adminToken.length < 8) {
    throw new RouterError('invalid_options', 'adminToken must be at least 8 characters', { field: 'adminToken' });
  }
  if (o.pinToken !== undefined && o.pinToken.length < 8) {
    throw new RouterError('invalid_options', 'pinToken must be at least 8 characters', { field: 'pinToken' });
  }
  const adminHost = o.adminHost ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(adminHost)) {
    throw new RouterError('invalid_options', 'the admin API listens on loopback only', { field: 'adminHost' });
  }
  if (o.upstreamClient !== undefined && o.upstreamClient !== 'own' && o.upstreamClient !== 'undici') {
    throw new RouterError('invalid_options', `upstreamClient must be "own" or "undici", got "${String(o.upstreamClient)}"`, { field: 'upstreamClient' });
  }
  const healthCheck = { ...defaultHealthCheck, ...o.healthCheck };
  for (const k of ['intervalMs', 'timeoutMs', 'rise', 'fall'] as const) {
    if (!Number.isInteger(healthCheck[k]) || healthCheck[k] < 1) {
      throw new RouterError('invalid_options', `healthCheck.${k} must be a positive integer`, { field: `healthCheck.${k}` });
    }
  }
  return {
    port: o.port ?? 0,
    host: o.host ?? '0.0.0.0',
    adminPort: o.adminPort ?? 0,
    adminHost,
    adminToken: o.adminToken,
    listenFd: o.listenFd,
    adminListenFd: o.adminListenFd,
    pinToken: o.pinToken,
    stateFile: o.stateFile,
    initialState: o.initialState,
    drainTimeoutMs: o.drainTimeoutMs ?? 30_000,
    ejectMs: o.ejectMs ?? 10_000,
    upstreamTimeoutMs: o.upstreamTimeoutMs ?? 60_000,
    upstreamIdleMs: o.upstreamIdleMs ?? 4_000,
    connectTimeoutMs: o.connectTimeoutMs ?? 5_000,
    maxSocketsPerTarget: o.maxSocketsPerTarget ?? 512,
    upstreamClient: o.upstreamClient ?? 'own',
    healthCheck,
    logger: o.logger ?? silentLogger,
  };
}
