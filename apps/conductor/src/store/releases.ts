import { randomBytes } from 'node:crypto';
import type pg from 'pg';

export type ReleaseState = 'running' | 'waiting' | 'paused' | 'promoted' | 'failed' | 'rolling_back' | 'rolled_back' | 'aborted';
export const IN_FLIGHT: ReleaseState[] = ['running', 'waiting', 'paused', 'rolling_back'];
export type StepStatus = 'pending' | 'running' | 'waiting' | 'done' | 'failed' | 'skipped';

export interface Release {
  id: string;
  env: string;
  ref: string;
  version: string | null;
  commit: string | null;
  strategy: string;
  startedBy: string;
  phase: string;
  step: string | null;
  state: ReleaseState;
  reason: string;
  previousVersion: string | null;
  rollForwardOnly: boolean;
  options: Record<string, unknown>;
  /** Durable progress of the running step (e.g. the canary's step index and weights). */
  data: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface StepRecord {
  releaseId: string;
  stepId: string;
  phase: string;
  kind: string;
  type: string | null;
  status: StepStatus;
  reason: string;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  data: Record<string, unknown>;
}

type Queryable = Pick<pg.Pool, 'query'>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toRelease(r: Record<string, unknown>): Release {
  return {
    id: r['id'] as string,
    env: r['env'] as string,
    ref: r['ref'] as string,
    version: (r['version'] as string | null) ?? null,
    commit: (r['commit_sha'] as string | null) ?? null,
    strategy: r['strategy'] as string,
    startedBy: r['started_by'] as string,
    phase: r['phase'] as string,
    step: (r['step'] as string | null) ?? null,
    state: r['state'] as ReleaseState,
    reason: r['reason'] as string,
    previousVersion: (r['previous_version'] as string | null) ?? null,
    rollForwardOnly: r['roll_forward_only'] as boolean,
    options: r['options'] as Record<string, unknown>,
    data: r['data'] as Record<string, unknown>,
    createdAt: iso(r['created_at'] as Date)!,
    updatedAt: iso(r['updated_at'] as Date)!,
    finishedAt: iso(r['finished_at'] as Date | null),
  };
}

function toStep(r: Record<string, unknown>): StepRecord {
  return {
    releaseId: r['release_id'] as string,
    stepId: r['step_id'] as string,
    phase: r['phase'] as string,
    kind: r['kind'] as string,
    type: (r['type'] as string | null) ?? null,
    status: r['status'] as StepStatus,
    reason: r['reason'] as string,
    attempts: r['attempts'] as number,
    startedAt: iso(r['started_at'] as Date | null),
    finishedAt: iso(r['finished_at'] as Date | null),
    data: r['data'] as Record<string, unknown>,
  };
}

export function newReleaseId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `r-${stamp}-${randomBytes(2).toString('hex')}`;
}

export async function createRelease(
  db: Queryable,
  r: { env: string; ref: string; strategy: string; startedBy: string; phase: string; previousVersion: string | null; options?: Record<string, unknown> },
): Promise<Release> {
  const res = await db.query(
    `INSERT INTO releases (id, env, ref, strategy, started_by, phase, state, previous_version, options, reason)
     VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, 'started') RETURNING *`,
    [newReleaseId(), r.env, r.ref, r.strategy, r.startedBy, r.phase, r.previousVersion, r.options ?? {}],
  );
  return toRelease(res.rows[0]);
}

export async function getRelease(db: Queryable, id: string): Promise<Release | null> {
  const r = await db.query('SELECT * FROM releases WHERE id = $1', [id]);
  return r.rows[0] ? toRelease(r.rows[0]) : null;
}

export async function inFlightRelease(db: Queryable, env: string): Promise<Release | null> {
  const r = await db.query('SELECT * FROM releases WHERE env = $1 AND state = ANY($2) ORDER BY created_at DESC LIMIT 1', [env, IN_FLIGHT]);
  return r.rows[0] ? toRelease(r.rows[0]) : null;
}

export async function latestRelease(db: Queryable, env: string): Promise<Release | null> {
  const r = await db.query('SELECT * FROM releases WHERE env = $1 ORDER BY created_at DESC LIMIT 1', [env]);
  return r.rows[0] ? toRelease(r.rows[0]) : null;
}

export async function listReleases(db: Queryable, env: string | null, limit = 20): Promise<Release[]> {
  const r = await db.query('SELECT * FROM releases WHERE ($1::text IS NULL OR env = $1) ORDER BY created_at DESC LIMIT $2', [env, limit]);
  return r.rows.map(toRelease);
}

export type ReleasePatch = Partial<Pick<Release, 'version' | 'commit' | 'phase' | 'step' | 'state' | 'reason' | 'rollForwardOnly' | 'data' | 'previousVersion'>>;

const COLUMNS: Record<keyof ReleasePatch, string> = {
  version: 'version', commit: 'commit_sha', phase: 'phase', step: 'step', state: 'state', reason: 'reason',
  rollForwardOnly: 'roll_forward_only', data: 'data', previousVersion: 'previous_version',
};

/**
 * Updates columns; `data` is merged in SQL (`data || patch`, top-level keys), never written
 * whole, so two writers of different keys cannot lose each other's work.
 */
export async function updateRelease(db: Queryable, id: string, patch: ReleasePatch): Promise<Release> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  for (const [k, v] of Object.entries(patch) as Array<[keyof ReleasePatch, unknown]>) {
    if (v === undefined) continue;
    values.push(v);
    sets.push(k === 'data' ? `data = data || $${values.length}::jsonb` : `${COLUMNS[k]} = $${values.length}`);
  }
  const terminal = patch.state && !IN_FLIGHT.includes(patch.state);
  const res = await db.query(
    `UPDATE releases SET ${[...sets, 'updated_at = now()', ...(terminal ? ['finished_at = now()'] : [])].join(', ')} WHERE id = $1 RETURNING *`,
    values,
  );
  return toRelease(res.rows[0]);
}

export async function getSteps(db: Queryable, releaseId: string): Promise<StepRecord[]> {
  const r = await db.query('SELECT * FROM release_steps WHERE release_id = $1 ORDER BY started_at NULLS LAST, step_id', [releaseId]);
  return r.rows.map(toStep);
}

export async function saveStep(
  db: Queryable,
  s: Pick<StepRecord, 'releaseId' | 'stepId' | 'phase' | 'kind' | 'type' | 'status' | 'reason'> & { data?: Record<string, unknown>; attempt?: boolean },
): Promise<StepRecord> {
  const finished = s.status === 'done' || s.status === 'failed' || s.status === 'skipped';
  const r = await db.query(
    `INSERT INTO release_steps (release_id, step_id, phase, kind, type, status, reason, attempts, started_at, finished_at, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), CASE WHEN $9 THEN now() END, $10)
     ON CONFLICT (release_id, step_id) DO UPDATE SET status = $6, reason = $7,
       attempts = release_steps.attempts + $8,
       finished_at = CASE WHEN $9 THEN now() ELSE NULL END,
       data = release_steps.data || $10
     RETURNING *`,
    [s.releaseId, s.stepId, s.phase, s.kind, s.type, s.status, s.reason, s.attempt ? 1 : 0, finished, s.data ?? {}],
  );
  return toStep(r.rows[0]);
}

export interface EnvState {
  env: string;
  activeVersion: string | null;
  previousVersion: string | null;
  updatedAt: string | null;
}

export async function getEnvState(db: Queryable, env: string): Promise<EnvState> {
  const r = await db.query('SELECT * FROM environments WHERE env = $1', [env]);
  const row = r.rows[0];
  return row
    ? { env, activeVersion: row.active_version, previousVersion: row.previous_version, updatedAt: iso(row.updated_at) }
    : { env, activeVersion: null, previousVersion: null, updatedAt: null };
}

/** Records a promotion: the new version becomes active and the old one becomes the rollback target. */
export async function setActiveVersion(db: Queryable, env: string, version: string, previous: string | null): Promise<void> {
  await db.query(
    `INSERT INTO environments (env, active_version, previous_version) VALUES ($1, $2, $3)
     ON CONFLICT (env) DO UPDATE SET active_version = $2, previous_version = $3, updated_at = now()`,
    [env, version, previous],
  );
}

/**
 * Merges a patch into one object key of release.data (a strategy's typed state) in SQL:
 * keys not in the patch keep their stored value; a key set to null is cleared.
 */
export async function mergeReleaseState(db: Queryable, id: string, key: string, patch: Record<string, unknown>): Promise<Release> {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) throw new Error(`release state key "${key}" must be alphanumeric`);
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== null && v !== undefined));
  const cleared = Object.entries(patch).filter(([, v]) => v === null).map(([k]) => k);
  const res = await db.query(
    `UPDATE releases SET data = jsonb_set(data, ARRAY[$2::text], (COALESCE(data->$2, '{}'::jsonb) || $3::jsonb) - $4::text[]), updated_at = now()
      WHERE id = $1 RETURNING *`,
    [id, key, JSON.stringify(set), cleared],
  );
  if (!res.rows[0]) throw new Error(`release ${id} disappeared from the store`);
  return toRelease(res.rows[0]);
}
