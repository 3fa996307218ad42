import type { Redis } from 'ioredis';
import type pg from 'pg';

/** Failures counted for one key in its current window. */
export interface FailureCount {
  failures: number;
  /** Milliseconds until the window ends and the count starts over (0 when nothing is counted). */
  resetInMs: number;
}

/** Where login failures are counted; Redis normally, PostgreSQL when Redis is absent or down. */
export interface LoginFailureStore {
  /** Current counts, in the order of `keys`. */
  counts(keys: string[]): Promise<FailureCount[]>;
  /** Adds one failure to each key, opening a window where none is open. */
  increment(keys: string[]): Promise<void>;
  /** Forgets a key's failures (a successful login clears its nickname). */
  clear(key: string): Promise<void>;
}

// A hung Redis must not hang logins; past this the caller falls back to PostgreSQL.
const REDIS_TIMEOUT_MS = 500;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function unwrap<T>(results: [Error | null, unknown][] | null): T[] {
  if (!results) throw new Error('redis transaction was discarded');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value as T;
  });
}

/**
 * Redis: one counter per key whose TTL is the window, opened by the first failure. The key
 * prefix of the client (REDIS_KEY_PREFIX) is applied by ioredis.
 */
export class RedisFailureStore implements LoginFailureStore {
  constructor(private readonly redis: Redis, private readonly windowSeconds: number) {}

  /** Whether commands can be sent now; when false the caller goes straight to the fallback. */
  get usable(): boolean {
    return this.redis.status === 'ready';
  }

  async counts(keys: string[]): Promise<FailureCount[]> {
    const pipe = this.redis.pipeline();
    for (const k of keys) pipe.get(k).pttl(k);
    const values = unwrap<string | number | null>(await withTimeout(pipe.exec(), REDIS_TIMEOUT_MS));
    return keys.map((_, i) => {
      const failures = Number(values[i * 2] ?? 0);
      const ttl = Number(values[i * 2 + 1]);
      return { failures, resetInMs: ttl > 0 ? ttl : failures > 0 ? this.windowSeconds * 1000 : 0 };
    });
  }

  async increment(keys: string[]): Promise<void> {
    const tx = this.redis.multi();
    for (const k of keys) tx.set(k, 0, 'EX', this.windowSeconds, 'NX').incr(k);
    unwrap(await withTimeout(tx.exec(), REDIS_TIMEOUT_MS));
  }

  async clear(key: string): Promise<void> {
    await withTimeout(this.redis.del(key), REDIS_TIMEOUT_MS);
  }
}

/**
 * PostgreSQL (table login_failures): fixed windows aligned to the epoch, so concurrent
 * failures meet on one (key, window_start) row and the upsert counts them atomically. The cost
 * of alignment is that failures straddling a boundary can reach almost twice the limit.
 */
export class PgFailureStore implements LoginFailureStore {
  constructor(private readonly db: pg.Pool, private readonly windowSeconds: number) {}

  private static readonly WINDOW = 'to_timestamp(floor(extract(epoch FROM now()) / $2::int) * $2::int)';

  async counts(keys: string[]): Promise<FailureCount[]> {
    const r = await this.db.query<{ key: string; failures: number; reset_ms: number }>(
      `SELECT key, failures,
              ceil(extract(epoch FROM ${PgFailureStore.WINDOW} + make_interval(secs => $2::int) - now()) * 1000)::int AS reset_ms
         FROM login_failures
        WHERE key = ANY($1) AND window_start = ${PgFailureStore.WINDOW}`,
      [keys, this.windowSeconds],
    );
    const byKey = new Map(r.rows.map((row) => [row.key, row]));
    return keys.map((k) => {
      const row = byKey.get(k);
      return row ? { failures: row.failures, resetInMs: Math.max(0, row.reset_ms) } : { failures: 0, resetInMs: 0 };
    });
  }

  async increment(keys: string[]): Promise<void> {
    await this.db.query(
      // Each failure also sweeps a bounded number of expired rows (any key), so the table only
      // ever holds about the windows that are still open.
      `WITH gone AS (
         DELETE FROM login_failures WHERE ctid IN (
           SELECT ctid FROM login_failures WHERE window_start < ${PgFailureStore.WINDOW} LIMIT 100)
       )
       INSERT INTO login_failures (key, window_start, failures)
       SELECT k, ${PgFailureStore.WINDOW}, 1 FROM unnest($1::text[]) AS k
       ON CONFLICT (key, window_start) DO UPDATE SET failures = login_failures.failures + 1`,
      [keys, this.windowSeconds],
    );
  }

  async clear(key: string): Promise<void> {
    await this.db.query('DELETE FROM login_failures WHERE key = $1', [key]);
  }
}
