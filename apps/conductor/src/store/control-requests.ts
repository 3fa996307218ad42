import type pg from 'pg';
import { z } from 'zod';
import type { Actor, Channel } from './actor.js';

// Control requests (promote, pause, resume, abort, rollback, approve, hypercare-end) live in
// their own table, never in release.data: whoever drives the release applies each one exactly
// once, in id order, claiming it (pending -> applied) in the transaction that records its
// effect. A request that conflicts with a pending one is still recorded, as rejected, with the
// reason naming the pending one, so the record shows both.

export const CONTROL_ACTIONS = ['promote', 'pause', 'resume', 'abort', 'rollback', 'approve', 'hypercare-end'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];
/** Actions that change the release's course: at most one of them is pending per environment. */
export const COURSE_ACTIONS: readonly ControlAction[] = ['promote', 'pause', 'resume', 'abort', 'rollback'];

export type ControlState = 'pending' | 'applied' | 'rejected';

export interface ControlRequest {
  id: number;
  env: string;
  releaseId: string | null;
  action: ControlAction;
  params: Record<string, unknown>;
  identity: string;
  channel: Channel;
  requestedAt: string;
  state: ControlState;
  decidedAt: string | null;
  result: string;
}

/** Params by action, validated at the boundary (the CLI's and, later, the HTTP API's). */
export const controlParams = {
  promote: z.strictObject({}),
  pause: z.strictObject({}),
  resume: z.strictObject({}),
  abort: z.strictObject({}),
  rollback: z.strictObject({ to: z.string().min(1).max(100).optional(), keep: z.boolean().optional() }),
  approve: z.strictObject({ step: z.string().min(1).max(100), note: z.string().min(1).max(2000) }),
  'hypercare-end': z.strictObject({ reason: z.string().min(3).max(2000) }),
} satisfies Record<ControlAction, z.ZodType>;

type Queryable = Pick<pg.Pool, 'query'>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toControlRequest(r: Record<string, unknown>): ControlRequest {
  return {
    id: r['id'] as number,
    env: r['env'] as string,
    releaseId: (r['release_id'] as string | null) ?? null,
    action: r['action'] as ControlAction,
    params: r['params'] as Record<string, unknown>,
    identity: r['identity'] as string,
    channel: r['channel'] as Channel,
    requestedAt: iso(r['requested_at'] as Date)!,
    state: r['state'] as ControlState,
    decidedAt: iso(r['decided_at'] as Date | null),
    result: r['result'] as string,
  };
}

export function describeRequest(r: Pick<ControlRequest, 'id' | 'action' | 'identity' | 'requestedAt'>): string {
  return `${r.action} #${r.id} by ${r.identity} at ${r.requestedAt}`;
}

/**
 * Records a request. Serialised per environment (a transaction-scoped advisory lock), so of two
 * clients asking at once exactly one is first; the second, if it conflicts, is recorded as
 * rejected and returned with `conflict` naming the pending request.
 */
export async function recordControlRequest(
  pool: pg.Pool,
  r: { env: string; releaseId: string | null; action: ControlAction; params: Record<string, unknown> },
  actor: Actor,
): Promise<{ request: ControlRequest; conflict: ControlRequest | null }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ccr-control:${r.env}`]);
    // Requests left pending by a release that has since ended can never apply: close them first.
    await client.query(
      `UPDATE control_requests c SET state = 'rejected', decided_at = now(), result = 'the release ended (' || rel.state || ') before it was applied'
         FROM releases rel WHERE c.env = $1 AND c.state = 'pending' AND rel.id = c.release_id
          AND rel.state NOT IN ('running', 'waiting', 'paused', 'rolling_back')`,
      [r.env],
    );
    let conflict: ControlRequest | null = null;
    if (COURSE_ACTIONS.includes(r.action)) {
      const p = await client.query(`SELECT * FROM control_requests WHERE env = $1 AND state = 'pending' AND action = ANY($2) ORDER BY id LIMIT 1`, [r.env, COURSE_ACTIONS]);
      if (p.rows[0]) conflict = toControlRequest(p.rows[0]);
    }
    const ins = await client.query(
      `INSERT INTO control_requests (env, release_id, action, params, identity, channel, state, decided_at, result)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 = 'pending' THEN NULL ELSE now() END, $8) RETURNING *`,
      [r.env, r.releaseId, r.action, r.params, actor.identity, actor.channel, conflict ? 'rejected' : 'pending', conflict ? `conflict: ${describeRequest(conflict)} is still pending` : ''],
    );
    await client.query('COMMIT');
    return { request: toControlRequest(ins.rows[0]), conflict };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function getControlRequest(db: Queryable, id: number): Promise<ControlRequest | null> {
  const r = await db.query('SELECT * FROM control_requests WHERE id = $1', [id]);
  return r.rows[0] ? toControlRequest(r.rows[0]) : null;
}

/** Pending requests of a release (and, with envLevel, the environment's own), oldest first. */
export async function pendingControlRequests(db: Queryable, f: { env: string; releaseId?: string | null; envLevel?: boolean }): Promise<ControlRequest[]> {
  const r = await db.query(
    `SELECT * FROM control_requests WHERE env = $1 AND state = 'pending'
        AND (($2::text IS NOT NULL AND release_id = $2) OR ($3 AND release_id IS NULL))
      ORDER BY id`,
    [f.env, f.releaseId ?? null, f.envLevel === true],
  );
  return r.rows.map(toControlRequest);
}

export async function listControlRequests(db: Queryable, f: { env?: string; releaseId?: string; limit?: number }): Promise<ControlRequest[]> {
  const r = await db.query(
    `SELECT * FROM control_requests WHERE ($1::text IS NULL OR env = $1) AND ($2::text IS NULL OR release_id = $2) ORDER BY id DESC LIMIT $3`,
    [f.env ?? null, f.releaseId ?? null, f.limit ?? 100],
  );
  return r.rows.map(toControlRequest).reverse();
}

/**
 * Claims a pending request: true exactly once across every process. Call it inside the
 * transaction that records the request's effect, so the claim and the effect commit together.
 */
export async function claimControlRequest(db: Queryable, id: number, result: string): Promise<boolean> {
  const r = await db.query(`UPDATE control_requests SET state = 'applied', decided_at = now(), result = $2 WHERE id = $1 AND state = 'pending'`, [id, result]);
  return (r.rowCount ?? 0) === 1;
}

export async function rejectControlRequest(db: Queryable, id: number, reason: string): Promise<boolean> {
  const r = await db.query(`UPDATE control_requests SET state = 'rejected', decided_at = now(), result = $2 WHERE id = $1 AND state = 'pending'`, [id, reason]);
  return (r.rowCount ?? 0) === 1;
}

/** Closes what a finished release left pending. */
export async function rejectPendingOf(db: Queryable, releaseId: string, reason: string): Promise<number> {
  const r = await db.query(`UPDATE control_requests SET state = 'rejected', decided_at = now(), result = $2 WHERE release_id = $1 AND state = 'pending'`, [releaseId, reason]);
  return r.rowCount ?? 0;
}
