import { hostname } from 'node:os';
import type pg from 'pg';

// Live `ccr server` processes. A row is alive while its database session is (the same test as
// the env lock's: PostgreSQL ends the session of a killed process), so a CLI can tell whether
// an environment is served without trusting a heartbeat clock.

export interface ControllerInfo {
  id: string;
  host: string;
  pid: number;
  envs: string[];
  startedAt: string;
  heartbeatAt: string;
}

type Queryable = Pick<pg.Pool, 'query'>;

/** Registers (or refreshes) this controller on the given session; call it on a dedicated client. */
export async function registerController(client: Pick<pg.Client, 'query'>, id: string, envs: string[]): Promise<void> {
  await client.query(
    `INSERT INTO controllers (id, host, pid, envs, backend_pid) VALUES ($1, $2, $3, $4, pg_backend_pid())
     ON CONFLICT (id) DO UPDATE SET envs = $4, backend_pid = pg_backend_pid(), heartbeat_at = now()`,
    [id, hostname(), process.pid, envs],
  );
  // Rows of controllers whose session is gone are history, not information.
  await client.query('DELETE FROM controllers c WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = c.backend_pid)');
}

export async function heartbeatController(client: Pick<pg.Client, 'query'>, id: string): Promise<void> {
  await client.query('UPDATE controllers SET heartbeat_at = now() WHERE id = $1', [id]);
}

export async function unregisterController(client: Pick<pg.Client, 'query'>, id: string): Promise<void> {
  await client.query('DELETE FROM controllers WHERE id = $1', [id]);
}

/** Live controllers serving an environment (an empty envs list serves every environment). */
export async function liveControllers(db: Queryable, env?: string): Promise<ControllerInfo[]> {
  const r = await db.query(
    `SELECT c.* FROM controllers c
      WHERE EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = c.backend_pid)
        AND ($1::text IS NULL OR cardinality(c.envs) = 0 OR $1 = ANY(c.envs))
      ORDER BY c.started_at`,
    [env ?? null],
  );
  return r.rows.map((row) => ({
    id: row.id, host: row.host, pid: row.pid, envs: row.envs,
    startedAt: (row.started_at as Date).toISOString(), heartbeatAt: (row.heartbeat_at as Date).toISOString(),
  }));
}
