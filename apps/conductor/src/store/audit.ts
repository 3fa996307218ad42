import type pg from 'pg';
import { defaultChannel, identityOf, type Actor, type Channel } from './actor.js';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  /** Who, with its kind (os:, user:, token:, controller:); null on rows older than the controller. */
  identity: string | null;
  channel: Channel | null;
  env: string | null;
  releaseId: string | null;
  action: string;
  result: string;
  details: Record<string, unknown>;
}

type Queryable = Pick<pg.Pool, 'query'>;

/**
 * Appends one audit row naming the identity and the channel. A bare actor name (older callers)
 * is an OS identity on this process's channel.
 */
export async function audit(
  db: Queryable,
  e: { actor: string | Actor; env?: string | null; releaseId?: string | null; action: string; result: string; details?: Record<string, unknown> },
): Promise<void> {
  const who: Actor = typeof e.actor === 'string' ? { identity: identityOf(e.actor), channel: defaultChannel() } : e.actor;
  // the legacy actor column keeps the bare name (os:alice@host -> alice@host)
  const name = typeof e.actor === 'string' ? e.actor : e.actor.identity.replace(/^os:/, '');
  await db.query('INSERT INTO audit_log (actor, identity, channel, env, release_id, action, result, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
    name,
    who.identity,
    who.channel,
    e.env ?? null,
    e.releaseId ?? null,
    e.action,
    e.result,
    e.details ?? {},
  ]);
}

export async function listAudit(db: Queryable, filter: { env?: string; releaseId?: string; limit?: number } = {}): Promise<AuditEntry[]> {
  const r = await db.query(
    `SELECT id, at, actor, identity, channel, env, release_id, action, result, details FROM audit_log
      WHERE ($1::text IS NULL OR env = $1) AND ($2::text IS NULL OR release_id = $2)
      ORDER BY id DESC LIMIT $3`,
    [filter.env ?? null, filter.releaseId ?? null, filter.limit ?? 100],
  );
  return r.rows
    .map((row) => ({
      id: row.id,
      at: (row.at as Date).toISOString(),
      actor: row.actor,
      identity: row.identity,
      channel: row.channel,
      env: row.env,
      releaseId: row.release_id,
      action: row.action,
      result: row.result,
      details: row.details,
    }))
    .reverse();
}
