import type pg from 'pg';
import { audit } from '../store/index.js';
import type { DeployTarget } from '../engine/deploy-target.js';
import { retireVersion } from '../targets/retire-version.js';

// Old versions kept warm after a switch are stopped when their scaleDownDelay is over. The
// due time is stored in the release (data.scaleDown), not in a timer of the conductor that
// scheduled it, so it survives that process exiting: every ccr deploy, rollback and status
// calls reapScaleDowns(), and stops whatever is due and carries no traffic.

export interface PendingScaleDown {
  releaseId: string;
  version: string;
  due: string;
}

export async function pendingScaleDowns(db: Pick<pg.Pool, 'query'>, env: string): Promise<PendingScaleDown[]> {
  const r = await db.query(
    `SELECT id, data->'scaleDown' AS s FROM releases
      WHERE env = $1 AND data ? 'scaleDown' AND data->'scaleDown' <> 'null'::jsonb AND NOT COALESCE((data->'scaleDown'->>'done')::boolean, false)
      ORDER BY created_at`,
    [env],
  );
  return r.rows.map((row) => ({ releaseId: row.id, version: row.s.version, due: row.s.due }));
}

async function markDone(db: Pick<pg.Pool, 'query'>, releaseId: string, result: string): Promise<void> {
  await db.query(`UPDATE releases SET data = jsonb_set(data, '{scaleDown,done}', 'true'::jsonb) || jsonb_build_object('scaleDownResult', $2::text) WHERE id = $1`, [releaseId, result]);
}

/** Cancels a pending scale-down of a version (a rollback made it active again). */
export async function cancelScaleDowns(db: Pick<pg.Pool, 'query'>, env: string, version: string): Promise<void> {
  for (const p of await pendingScaleDowns(db, env)) if (p.version === version) await markDone(db, p.releaseId, 'cancelled: the version is active again');
}

export async function reapScaleDowns(db: Pick<pg.Pool, 'query'>, env: string, target: DeployTarget, actor: string, now = Date.now()): Promise<string[]> {
  const stopped: string[] = [];
  for (const p of await pendingScaleDowns(db, env)) {
    if (Date.parse(p.due) > now) continue;
    const view = await target.traffic();
    if (Object.values(view.split).some((s) => (s[p.version] ?? 0) > 0)) {
      await markDone(db, p.releaseId, `kept: ${p.version} carries traffic again`);
      continue;
    }
    const mine = await retireVersion(target, p.version);
    await markDone(db, p.releaseId, `stopped ${mine.length} instance(s)`);
    await audit(db, { actor, env, releaseId: p.releaseId, action: 'scale-down', result: 'ok', details: { version: p.version, instances: mine.map((i) => i.id), due: p.due } });
    stopped.push(p.version);
  }
  return stopped;
}
