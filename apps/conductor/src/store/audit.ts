import type pg from 'pg';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  env: string | null;
  releaseId: string | null;
  action: string;
  result: string;
  details: Record<string, unknown>;
}

type Queryable = Pick<pg.Pool, 'query'>;

/** Appends one audit row. The table refuses UPDATE and DELETE. */
export async function audit(
  db: Queryable,
  e: { actor: string; env?: string | null; releaseId?: string | null; action: string; result: string; details?: Record<string, unknown> },
): Promise<void> {
  await db.query('INSERT INTO audit_log (actor, env, release_id, action, result, details) VALUES ($1, $2, $3, $4, $5, $6)', [
    e.actor,
    e.env ?? null,
    e.releaseId ?? null,
    e.action,
    e.result,
    e.details ?? {},
  ]);
}

export async function listAudit(db: Queryable, filter: { env?: string; releaseId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
  const r = await db.query(
    `SELECT id, at, actor, env, release_id, action, result, details FROM audit_log
      WHERE ($1::text IS NULL OR env = $1) AND ($2::text IS NULL OR release_id = $2)
      ORDER BY id DESC LIMIT $3`,
    [filter.env ?? null, filter.releaseId ?? null, filter.limit ?? 100],
  );
  return r.rows
    .map((row) => ({
      id: row.id,
      at: (row.at as Date).toISOString(),
      actor: row.actor,
      env: row.env,
      releaseId: row.release_id,
      action: row.action,
      result: row.result,
      details: row.details,
    }))
    .reverse();
}
