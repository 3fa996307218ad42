import { hostname } from 'node:os';
import pg from 'pg';
import { CcrError } from '../errors.js';
import { audit } from './audit.js';

// One rollout per environment: a session advisory lock (released by PostgreSQL the moment the
// holder's connection dies, even on kill -9) plus a lease row that says who holds it, so the
// second deploy can name the holder and `ccr lock status` can show a heartbeat.

export interface LockInfo {
  env: string;
  owner: string;
  pid: number;
  host: string;
  releaseId: string | null;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
  /** held: the holder's session is alive; stale: the row outlived its holder. */
  state: 'held' | 'stale';
}

const lockKey = (env: string) => `ccr-env:${env}`;

export class EnvLock {
  private heartbeat: NodeJS.Timeout | null = null;
  private constructor(
    private readonly client: pg.Client,
    readonly env: string,
    private readonly leaseMs: number,
  ) {}

  static async acquire(
    url: string,
    opts: { env: string; owner: string; releaseId?: string | null; leaseMs: number },
  ): Promise<EnvLock> {
    const client = new pg.Client({ connectionString: url, application_name: `ccr-lock:${opts.env}` });
    await client.connect();
    client.on('error', () => undefined);
    try {
      const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [lockKey(opts.env)]);
      if (!got.rows[0]?.ok) {
        const holder = await lockStatus(client, opts.env);
        const who = holder
          ? `${holder.owner} (pid ${holder.pid} on ${holder.host}${holder.releaseId ? `, release ${holder.releaseId}` : ''}, heartbeat ${holder.heartbeatAt})`
          : 'another ccr process';
        throw new CcrError('lock_held', `environment "${opts.env}" is locked by ${who}. Wait for it, or if it is gone: ccr lock release --force --env ${opts.env}`, {
          details: { holder },
        });
      }
      const previous = await lockStatus(client, opts.env);
      await client.query(
        `INSERT INTO env_locks (env, owner, pid, host, release_id, backend_pid, expires_at)
         VALUES ($1, $2, $3, $4, $5, pg_backend_pid(), now() + ($6 || ' milliseconds')::interval)
         ON CONFLICT (env) DO UPDATE SET owner = $2, pid = $3, host = $4, release_id = $5, backend_pid = pg_backend_pid(),
           acquired_at = now(), heartbeat_at = now(), expires_at = now() + ($6 || ' milliseconds')::interval`,
        [opts.env, opts.owner, process.pid, hostname(), opts.releaseId ?? null, String(opts.leaseMs)],
      );
      if (previous) {
        await audit(client, {
          actor: opts.owner, env: opts.env, releaseId: opts.releaseId ?? null, action: 'lock.takeover', result: 'ok',
          details: { previousHolder: previous },
        });
      }
      const lock = new EnvLock(client, opts.env, opts.leaseMs);
      lock.startHeartbeat();
      return lock;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  /** Records which release the lock now serves (a deploy takes the lock before it has an id). */
  async setRelease(releaseId: string): Promise<void> {
    await this.client.query('UPDATE env_locks SET release_id = $2 WHERE env = $1 AND backend_pid = pg_backend_pid()', [this.env, releaseId]);
  }

  private startHeartbeat(): void {
    const every = Math.max(200, Math.floor(this.leaseMs / 3));
    this.heartbeat = setInterval(() => {
      this.client
        .query(
          `UPDATE env_locks SET heartbeat_at = now(), expires_at = now() + ($2 || ' milliseconds')::interval
            WHERE env = $1 AND backend_pid = pg_backend_pid()`,
          [this.env, String(this.leaseMs)],
        )
        .catch(() => undefined);
    }, every);
    this.heartbeat.unref();
  }

  async release(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    try {
      await this.client.query('DELETE FROM env_locks WHERE env = $1 AND backend_pid = pg_backend_pid()', [this.env]);
      await this.client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey(this.env)]);
    } finally {
      await this.client.end().catch(() => undefined);
    }
  }
}

type Queryable = Pick<pg.Client, 'query'>;

export async function lockStatus(db: Queryable, env: string): Promise<LockInfo | null> {
  const r = await db.query(
    `SELECT l.*, EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = l.backend_pid) AS alive
       FROM env_locks l WHERE env = $1`,
    [env],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    env: row.env,
    owner: row.owner,
    pid: row.pid,
    host: row.host,
    releaseId: row.release_id,
    acquiredAt: (row.acquired_at as Date).toISOString(),
    heartbeatAt: (row.heartbeat_at as Date).toISOString(),
    expiresAt: (row.expires_at as Date).toISOString(),
    state: row.alive ? 'held' : 'stale',
  };
}

/** Breaks a lock: ends the holder's database session (freeing the advisory lock) and audits it. */
export async function forceReleaseLock(db: Queryable, env: string, actor: string, reason: string): Promise<LockInfo | null> {
  const info = await lockStatus(db, env);
  if (!info) return null;
  await db.query('SELECT pg_terminate_backend(backend_pid) FROM env_locks WHERE env = $1', [env]);
  await db.query('DELETE FROM env_locks WHERE env = $1', [env]);
  await audit(db, { actor, env, releaseId: info.releaseId, action: 'lock.force-release', result: 'ok', details: { holder: info, reason } });
  return info;
}
