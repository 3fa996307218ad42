import type pg from 'pg';
import { done, wait, type StepResult } from './step-result.js';

type Queryable = Pick<pg.Pool, 'query'>;

export async function approve(db: Queryable, releaseId: string, stepId: string, actor: string, note: string): Promise<boolean> {
  const r = await db.query(
    'INSERT INTO approvals (release_id, step_id, actor, note) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [releaseId, stepId, actor, note],
  );
  return (r.rowCount ?? 0) > 0;
}

/** A manual sign-off waits until somebody runs `ccr approve <step>`. */
export async function checkApproval(db: Queryable, releaseId: string, stepId: string): Promise<StepResult> {
  const r = await db.query('SELECT actor, note, at FROM approvals WHERE release_id = $1 AND step_id = $2', [releaseId, stepId]);
  const row = r.rows[0];
  if (row) return done(`signed off by ${row.actor}${row.note ? `: ${row.note}` : ''}`, { approvedBy: row.actor, note: row.note, at: (row.at as Date).toISOString() });
  return wait(`waiting for a person: ccr approve ${stepId} --note "..."`, 2000);
}
