import type pg from 'pg';
import { CcrError } from '../errors.js';
import { audit } from '../store/audit.js';

// A code freeze names its release candidate (a tag). While it is active only that tag and
// hotfix tags may deploy. One freeze at a time (a partial unique index enforces it).

export interface CodeFreeze {
  id: number;
  rcTag: string;
  reason: string;
  startedBy: string;
  startedAt: string;
  endedBy: string | null;
  endedAt: string | null;
}

type Queryable = Pick<pg.Pool, 'query'>;

const toFreeze = (r: Record<string, unknown>): CodeFreeze => ({
  id: r['id'] as number,
  rcTag: r['rc_tag'] as string,
  reason: r['reason'] as string,
  startedBy: r['started_by'] as string,
  startedAt: (r['started_at'] as Date).toISOString(),
  endedBy: (r['ended_by'] as string | null) ?? null,
  endedAt: r['ended_at'] ? (r['ended_at'] as Date).toISOString() : null,
});

export async function activeFreeze(db: Queryable): Promise<CodeFreeze | null> {
  const r = await db.query('SELECT * FROM code_freezes WHERE ended_at IS NULL');
  return r.rows[0] ? toFreeze(r.rows[0]) : null;
}

export async function startFreeze(db: Queryable, o: { rcTag: string; reason: string; actor: string }): Promise<CodeFreeze> {
  const current = await activeFreeze(db);
  if (current) throw new CcrError('conflict', `a code freeze is already active for ${current.rcTag} (since ${current.startedAt} by ${current.startedBy}); end it first: ccr freeze end`);
  let row;
  try {
    row = (await db.query('INSERT INTO code_freezes (rc_tag, reason, started_by) VALUES ($1, $2, $3) RETURNING *', [o.rcTag, o.reason, o.actor])).rows[0];
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new CcrError('conflict', 'a code freeze was started concurrently; see ccr freeze status', { cause: err });
    throw err;
  }
  await audit(db, { actor: o.actor, action: 'freeze.start', result: 'ok', details: { rcTag: o.rcTag, reason: o.reason } });
  return toFreeze(row);
}

export async function endFreeze(db: Queryable, o: { actor: string; reason?: string }): Promise<CodeFreeze | null> {
  const r = await db.query('UPDATE code_freezes SET ended_at = now(), ended_by = $1, end_reason = $2 WHERE ended_at IS NULL RETURNING *', [o.actor, o.reason ?? null]);
  const row = r.rows[0];
  if (!row) return null;
  const f = toFreeze(row);
  await audit(db, { actor: o.actor, action: 'freeze.end', result: 'ok', details: { rcTag: f.rcTag, startedAt: f.startedAt, reason: o.reason ?? null } });
  return f;
}
