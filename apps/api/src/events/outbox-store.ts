import type pg from 'pg';

// SQL for the relay. Claims use FOR UPDATE SKIP LOCKED inside the caller's transaction, so
// several API instances can relay at once: each takes a disjoint batch and nobody waits.

export interface OutboxRow {
  id: number;
  event_id: string;
  user_id: string | null;
  payload: Record<string, unknown>;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

export async function claimBatch(tx: Queryable, limit: number): Promise<OutboxRow[]> {
  const r = await tx.query<OutboxRow>(
    `SELECT id, event_id, user_id, payload FROM outbox_events
      WHERE published_at IS NULL
      ORDER BY id
      LIMIT $1
      FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  return r.rows;
}

export async function markPublished(tx: Queryable, ids: number[]): Promise<void> {
  await tx.query('UPDATE outbox_events SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])', [ids]);
}

export async function markFailed(tx: Queryable, ids: number[], error: string): Promise<void> {
  await tx.query('UPDATE outbox_events SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])', [ids, error.slice(0, 1000)]);
}

export interface OutboxStats {
  pending: number;
  /** Seconds since the oldest unpublished event was written; 0 when none is pending. */
  oldestAgeSeconds: number;
}

export async function outboxStats(db: Queryable): Promise<OutboxStats> {
  const r = await db.query<{ pending: number; age: number | null }>(
    `SELECT count(*)::int AS pending, extract(epoch FROM now() - min(created_at))::float AS age
       FROM outbox_events WHERE published_at IS NULL`,
  );
  return { pending: r.rows[0]?.pending ?? 0, oldestAgeSeconds: Math.max(0, r.rows[0]?.age ?? 0) };
}
