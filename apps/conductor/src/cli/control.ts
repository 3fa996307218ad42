import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { CcrError } from '../errors.js';
import { audit, currentActor, getRelease, inFlightRelease, lockStatus, type Release } from '../store/index.js';

// Control requests to the conductor running a release (abort, promote) are written into the
// release's data with an atomic jsonb update, and re-written until the runner acknowledges
// them, because the runner replaces data as a whole when it saves its own progress.

export async function currentRelease(db: Pick<pg.Pool, 'query'>, env: string): Promise<Release> {
  const r = await inFlightRelease(db, env);
  if (!r) throw new CcrError('not_found', `no release of ${env} is in flight`);
  return r;
}

export async function writeControl(db: Pick<pg.Pool, 'query'>, releaseId: string, action: string): Promise<void> {
  await db.query(`UPDATE releases SET data = data || jsonb_build_object('control', jsonb_build_object('action', $2::text, 'by', $3::text, 'at', now())) WHERE id = $1`, [releaseId, action, currentActor()]);
}

/** Is a live conductor holding the environment's lock? */
export async function attended(db: Pick<pg.Pool, 'query'>, env: string): Promise<boolean> {
  return (await lockStatus(db, env))?.state === 'held';
}

/** Re-asserts a control request until `acknowledged` says it was seen, or the timeout. */
export async function requestAndWait(
  db: Pick<pg.Pool, 'query'>,
  env: string,
  release: Release,
  action: string,
  acknowledged: (r: Release) => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<Release> {
  await audit(db, { actor: currentActor(), env, releaseId: release.id, action: `control.${action}`, result: 'requested' });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getRelease(db, release.id);
    if (!r) throw new CcrError('not_found', `release ${release.id} disappeared`);
    if (await acknowledged(r)) return r;
    if (Date.now() > deadline) throw new CcrError('internal', `the conductor running ${release.id} did not act on "${action}" within ${Math.round(timeoutMs / 1000)} s (state ${r.state}, step ${r.step ?? '-'})`);
    if ((r.data['control'] as { action?: string } | null | undefined)?.action !== action) await writeControl(db, release.id, action);
    await sleep(300);
  }
}
