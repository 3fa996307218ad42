import type { Redis } from 'ioredis';
import type pg from 'pg';

/** Attempts counted for one key in its current window. */
export interface AttemptCount {
  count: number;
  /** Milliseconds until the window ends and the count starts over. */
  resetInMs: number;
}

/**
 * Where attempts are counted; Redis normally, PostgreSQL when Redis is absent or down. Counting
 * is a reservation: the count goes up before the expensive work (a password verification), in
 * one atomic step, so parallel attempts cannot all read "under the limit" and all proceed.
 */
export interface AttemptStore {
  /** Adds one to each key (opening a window where none is open) and returns the new counts, in order. */
  reserve(keys: string[]): Promise<AttemptCount[]>;
  /** Takes back one reservation of each key (an attempt that was refused or that succeeded). */
  release(keys: string[]): Promise<void>;
  /** Forgets a key's count (a successful login clears its nickname). */
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
 * Redis: one counter per key whose TTL is the window, opened by the first attempt. The key
 * prefix of the client (REDIS_KEY_PREFIX) is applied by ioredis.
 */
export class RedisAttemptStore implements AttemptStore {
  constructor(private readonly redis: Redis, private readonly windowSeconds: number) {}

  /** Whether commands can be sent now; when false the caller goes straight to the fallback. */
  get usable(): boolean {
    return this.redis.status === 'ready';
  }

  async reserve(keys: string[]): Promise<AttemptCount[]> {
    const tx = this.redis.multi();
    for (const k of keys) tx.set(k, 0, 'EX', this.windowSeconds, 'NX').incr(k).pttl(k);
    const values = unwrap<string | number | null>(await withTimeout(tx.exec(), REDIS_TIMEOUT_MS));
    return keys.map((_, i) => {
      const ttl = Number(values[i * 3 + 2]);
      return { count: Number(values[i * 3 + 1]), resetInMs: ttl > 0 ? ttl : this.windowSeconds * 1000 };
    });
  }

  async release(keys: string[]): Promise<void> {
    // DECR on a key whose window has just closed would create it at -1 with no TTL; the script
    // only decrements a counter that still exists.
    const script = "for _, k in ipairs(KEYS) do if redis.call('EXISTS', k) == 1 then redis.call('DECR', k) end end return 1";
    await withTimeout(this.redis.eval(script, keys.length, ...keys), REDIS_TIMEOUT_MS);
  }

  async clear(key: string): Promise<void> {
    await withTimeout(this.redis.del(key), REDIS_TIMEOUT_MS);
  }
}

/**
 * PostgreSQL (table login_failures): fixed windows aligned to the epoch, so concurrent
 * attempts meet on one (key, window_start) row and the upsert counts them atomically. The cost
 * of alignment is that attempts straddling a boundary can reach almost twice the limit.
 */
export class PgAttemptStore implements AttemptStore {
  constructor(private readonly db: pg.Pool, private readonly windowSeconds: number) {}

  private static readonly WINDOW = 'to_timestamp(floor(extract(epoch FROM now()) / $2::int) * $2::int)';

  async reserve(keys: string[]): Promise<AttemptCount[]> {
    const r = await this.db.query<{ key: string; failures: number; reset_ms: number }>(
      // Each reservation also sweeps a bounded number of expired rows (any key), so the table
      // only ever holds about the windows that are still open.
      `WITH gone AS (
         DELETE FROM login_failures WHERE ctid IN (
           SELECT ctid FROM login_failures WHERE window_start < ${PgAttemptStore.WINDOW} LIMIT 100)
       )
       INSERT INTO login_failures (key, window_start, failures)
       SELECT k, ${PgAttemptStore.WINDOW}, 1 FROM unnest($1::text[]) AS k
       ON CONFLICT (key, window_start) DO UPDATE SET failures = login_failures.failures + 1
       RETURNING key, failures,
         ceil(extract(epoch FROM window_start + make_interval(secs => $2::int) - now()) * 1000)::int AS reset_ms`,
      [keys, this.windowSeconds],
    );
    const byKey = new Map(r.rows.map((row) => [row.key, row]));
    return keys.map((k) => {
      const row = byKey.get(k)!;
      return { count: row.failures, resetInMs: Math.max(0, row.reset_ms) };
    });
  }

  async release(keys: string[]): Promise<void> {
    await this.db.query(
      `UPDATE login_failures SET failures = failures - 1
        WHERE key = ANY($1) AND window_start = ${PgAttemptStore.WINDOW} AND failures > 0`,
      [keys, this.windowSeconds],
    );
  }

  async clear(key: string): Promise<void> {
    await this.db.query('DELETE FROM login_failures WHERE key = $1', [key]);
  }
}
