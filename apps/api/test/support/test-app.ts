import { randomBytes, randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/index.js';
import { withTransaction } from '../../src/db/pool.js';
import { postLedgerEntry } from '../../src/wallet/ledger.js';
import { createApiServer, type ApiServer } from '../../src/server.js';
import { createTestDatabase, type TestDatabase } from './test-db.js';

export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdefghijklmnopqrstuv';

export interface TestApp {
  server: ApiServer;
  app: FastifyInstance;
  db: TestDatabase;
  /** Every log line the app wrote, for redaction and request-id assertions. */
  logs: string[];
  createInvite(opts?: { smoke?: boolean; maxUses?: number; expiresAt?: Date }): Promise<string>;
  signup(opts?: { nickname?: string; password?: string; smoke?: boolean }): Promise<{ user: { id: string; nickname: string }; accessToken: string; refreshToken: string; password: string }>;
  /** Inserts a user directly (no HTTP, no argon2) and signs an access token for it. */
  createUser(opts?: { nickname?: string; balance?: number; role?: 'player' | 'admin'; synthetic?: boolean }): Promise<{ id: string; nickname: string; accessToken: string }>;
  close(): Promise<void>;
}

/**
 * A real API on a fresh, migrated database. Redis is used with a unique key prefix unless
 * `redis: false`. Nothing listens unless `listen: true`; most tests use inject().
 */
export async function createTestApp(opts: { env?: Record<string, string>; redis?: boolean } = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const env: Record<string, string> = {
    APP_ENV: 'development',
    DATABASE_URL: db.url,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
    PORT: '0',
    METRICS_PORT: '0',
    // Tests sign up many players from one address; the limit has its own test.
    SIGNUP_MAX_FAILURES_PER_IP: '100000',
    DATABASE_POOL_MAX: '10',
    ...(opts.redis === false ? {} : { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: `cc_t_${randomBytes(4).toString('hex')}:` }),
    ...opts.env,
  };
  const logs: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const server = await createApiServer(loadConfig(env), { logDestination: sink });
  await server.app.ready();
  // Until the client is ready, stores fall back to PostgreSQL; a test counting in one store
  // must not see its first request land in the other. (Not for a deliberately unreachable URL.)
  const redis = server.ctx.redis;
  if (redis && !opts.env?.['REDIS_URL'] && redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      redis.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  const t: TestApp = {
    server,
    app: server.app,
    db,
    logs,
    async createInvite(o = {}) {
      const code = `T-${randomBytes(6).toString('hex').toUpperCase()}`;
      await server.ctx.db.query('INSERT INTO invite_codes (code, max_uses, smoke, expires_at) VALUES ($1, $2, $3, $4)', [
        code,
        o.maxUses ?? 1,
        o.smoke ?? false,
        o.expiresAt ?? null,
      ]);
      return code;
    },
    async signup(o = {}) {
      const nickname = o.nickname ?? `p_${randomUUID().slice(0, 8)}`;
      const password = o.password ?? 'correct-horse-battery';
      const inviteCode = await t.createInvite({ smoke: o.smoke ?? false });
      const res = await server.app.inject({ method: 'POST', url: '/api/auth/signup', headers: { 'x-refresh-token-delivery': 'body' }, payload: { inviteCode, nickname, password } });
      if (res.statusCode !== 201) throw new Error(`signup failed: ${res.statusCode} ${res.body}`);
      return { ...res.json(), password };
    },
    async createUser(o = {}) {
      const nickname = o.nickname ?? `u_${randomUUID().slice(0, 8)}`;
      const role = o.role ?? 'player';
      const synthetic = o.synthetic ?? false;
      const r = await server.ctx.db.query<{ id: string }>(
        "INSERT INTO users (nickname, password_hash, role, synthetic) VALUES ($1, 'not-a-real-hash', $2, $3) RETURNING id",
        [nickname, role, synthetic],
      );
      const id = r.rows[0]!.id;
      if ((o.balance ?? 1000) > 0) {
        await withTransaction(server.ctx.db, (tx) => postLedgerEntry(tx, { userId: id, kind: 'adjustment', amount: o.balance ?? 1000 }));
      }
      const accessToken = await server.ctx.tokens.sign({ sub: id, nickname, role, synthetic, sid: randomUUID() });
      return { id, nickname, accessToken };
    },
    async close() {
      await server.close();
      await db.drop();
    },
  };
  return t;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
