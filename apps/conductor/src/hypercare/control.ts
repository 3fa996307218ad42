import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { audit, getRelease, IN_FLIGHT } from '../store/index.js';

// `ccr hypercare end`: a person ends the watch early. The request is a key in release.data
// written with a jsonb merge (so it never clobbers the running step's own keys); the step
// sees it at its next reconcile, finishes as done and records who ended it. Audited here.

export interface HypercareEndRequest {
  by: string;
  reason: string;
  at: string;
}

export const END_KEY = 'hypercareEnd';

export async function requestHypercareEnd(db: Pick<pg.Pool, 'query'>, r: { releaseId: string; env: string; actor: string; reason: string }): Promise<void> {
  const req: HypercareEndRequest = { by: r.actor, reason: r.reason, at: new Date().toISOString() };
  await db.query(`UPDATE releases SET data = data || jsonb_build_object($2::text, $3::jsonb) WHERE id = $1`, [r.releaseId, END_KEY, JSON.stringify(req)]);
  await audit(db, { actor: r.actor, env: r.env, releaseId: r.releaseId, action: 'hypercare.end-requested', result: 'ok', details: { reason: r.reason } });
}

/** Writes the request again if a concurrent write of the release's data dropped it. */
export async function reassertHypercareEnd(db: Pick<pg.Pool, 'query'>, releaseId: string, req: HypercareEndRequest): Promise<void> {
  await db.query(`UPDATE releases SET data = data || jsonb_build_object($2::text, $3::jsonb) WHERE id = $1 AND NOT (data ? $2)`, [releaseId, END_KEY, JSON.stringify(req)]);
}

/**
 * Requests the end and waits until the hypercare step has finished (it re-asserts the request
 * meanwhile: the running conductor rewrites release.data at each check and may drop a key it
 * had not read yet). Returns 'ended' once the step is no longer running, 'pending' when nobody
 * picked it up within the timeout (an unattended release ends its watch when resumed).
 */
export async function endHypercare(db: Pick<pg.Pool, 'query'>, r: { releaseId: string; env: string; actor: string; reason: string; timeoutMs?: number }): Promise<'ended' | 'pending'> {
  await requestHypercareEnd(db, r);
  const req = (await getRelease(db, r.releaseId))?.data[END_KEY] as HypercareEndRequest | undefined;
  const deadline = Date.now() + (r.timeoutMs ?? 30_000);
  for (;;) {
    const rel = await getRelease(db, r.releaseId);
    if (!rel || !IN_FLIGHT.includes(rel.state)) return 'ended';
    const step = await db.query(`SELECT status FROM release_steps WHERE release_id = $1 AND type = 'hypercare' AND status IN ('running', 'waiting')`, [r.releaseId]);
    if (step.rowCount === 0 && rel.data['hypercare'] !== undefined) return 'ended';
    if (Date.now() > deadline) return 'pending';
    if (req) await reassertHypercareEnd(db, r.releaseId, req);
    await sleep(300);
  }
}
