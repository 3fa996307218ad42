import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type pg from 'pg';

// Logout must end access now, not when the access token expires (up to 15 minutes later).
// Revoked token ids (an access token's jti, or a whole session's sid) are listed here until
// the longest-lived access token they could name has expired, then forgotten: the list stays
// as short as the sessions ended in the last ACCESS_TOKEN_TTL_SECONDS.
//
// PostgreSQL (revoked_tokens) is the record and is always written; Redis holds a copy that
// every request reads (one EXISTS). Redis is trusted only while it is known to hold every
// entry: after a failed write, or whenever the client (re)connects, requests read PostgreSQL
// until a resync has copied the unexpired rows across.

const REDIS_TIMEOUT_MS = 300;
const PREFIX = 'revoked:';

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class RevocationList {
  private redisComplete = false;
  private syncing: Promise<void> | null = null;
  /** Bumped whenever Redis may have missed an entry; a resync only trusts Redis if it did not move. */
  private misses = 0;

  constructor(
    private readonly db: pg.Pool,
    private readonly redis: Redis | null,
    private readonly log: Logger,
  ) {
    if (!redis) return;
    redis.on('ready', () => void this.resync());
    redis.on('error', () => this.missed());
    redis.on('end', () => this.missed());
    if (redis.status === 'ready') void this.resync();
  }

  /** Lists ids as revoked for `ttlSeconds`; resolves once PostgreSQL has them. */
  async revoke(ids: string[], ttlSeconds: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(
      // Each write also sweeps a bounded number of expired rows, so the table stays small.
      `WITH gone AS (
         DELETE FROM revoked_tokens WHERE ctid IN (SELECT ctid FROM revoked_tokens WHERE expires_at < now() LIMIT 100)
       )
       INSERT INTO revoked_tokens (id, expires_at)
       SELECT id, now() + make_interval(secs => $2::int) FROM unnest($1::text[]) AS id
       ON CONFLICT (id) DO UPDATE SET expires_at = greatest(revoked_tokens.expires_at, EXCLUDED.expires_at)`,
      [ids, ttlSeconds],
    );
    if (!this.redis || this.redis.status !== 'ready') {
      this.missed();
      return;
    }
    try {
      const tx = this.redis.multi();
      for (const id of ids) tx.set(PREFIX + id, '1', 'EX', ttlSeconds);
      const res = await withTimeout(tx.exec(), REDIS_TIMEOUT_MS);
      if (!res || res.some(([err]) => err)) throw new Error('redis refused a revocation');
    } catch (err) {
      // PostgreSQL has it; Redis does not, so it is not trusted until resynced.
      this.log.warn({ err: (err as Error).message }, 'revocation not copied to redis; reading PostgreSQL until resynced');
      this.missed();
      void this.resync();
    }
  }

  /** True when any of the ids is revoked. */
  async isRevoked(ids: string[]): Promise<boolean> {
    if (this.redisComplete && this.redis?.status === 'ready') {
      try {
        return (await withTimeout(this.redis.exists(...ids.map((id) => PREFIX + id)), REDIS_TIMEOUT_MS)) > 0;
      } catch {
        this.missed();
        void this.resync();
      }
    }
    const r = await this.db.query('SELECT 1 FROM revoked_tokens WHERE id = ANY($1) AND expires_at > now() LIMIT 1', [ids]);
    return r.rowCount !== null && r.rowCount > 0;
  }

  private missed(): void {
    this.redisComplete = false;
    this.misses += 1;
  }

  /** Copies every unexpired revocation from PostgreSQL into Redis, then trusts Redis again. */
  resync(): Promise<void> {
    this.syncing ??= (async () => {
      const redis = this.redis;
      if (!redis) return;
      const misses = this.misses;
      try {
        const rows = await this.db.query<{ id: string; ttl: number }>(
          'SELECT id, ceil(extract(epoch FROM expires_at - now()))::int AS ttl FROM revoked_tokens WHERE expires_at > now()',
        );
        if (rows.rows.length) {
          const tx = redis.multi();
          for (const r of rows.rows) tx.set(PREFIX + r.id, '1', 'EX', Math.max(1, r.ttl));
          const res = await withTimeout(tx.exec(), 5 * REDIS_TIMEOUT_MS);
          if (!res || res.some(([err]) => err)) throw new Error('redis refused the resync');
        }
        // A miss during the copy may not be in it: stay on PostgreSQL and copy again later.
        if (this.misses === misses) this.redisComplete = redis.status === 'ready';
        else setTimeout(() => void this.resync(), 50).unref();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'could not resync revocations to redis; reading PostgreSQL');
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }
}
