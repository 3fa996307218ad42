import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { AccessTokens } from './auth/access-token.js';
import type { RevocationList } from './auth/revocations.js';
import type { Config } from './config/index.js';
import type { Metrics } from './ops/metrics.js';

/** What the relay tells readiness and metrics; the relay itself lives in events/relay.ts. */
export interface RelayStatus {
  enabled: boolean;
  connected: boolean;
  lastError: string | null;
}

/**
 * Infrastructure registered once and shared by every domain plugin (the Fastify habit):
 * modules receive this and never open their own pools or clients.
 */
export interface AppContext {
  config: Config;
  db: pg.Pool;
  /** null when REDIS_URL is unset; callers fall back to PostgreSQL. */
  redis: Redis | null;
  logger: Logger;
  metrics: Metrics;
  tokens: AccessTokens;
  /** Sessions and tokens ended before their access tokens expire (logout, password change). */
  revocations: RevocationList;
  relayStatus: () => RelayStatus;
  /** Highest migration version shipped with this build; readiness compares the database to it. */
  expectedSchemaVersion: number;
  lifecycle: { draining: boolean };
}
