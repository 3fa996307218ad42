import type pg from 'pg';

// The `backups` table of the ccr store (migrations/0002_backups.up.sql).

export type BackupStatus = 'created' | 'verified' | 'verify_failed' | 'pruned';

export interface VerifyResult {
  ok: boolean;
  problems: string[];
  tables: number;
  rows: number;
  schemaVersion: number | null;
  sanity: Array<{ name: string; ok: boolean; error?: string }>;
}

export interface BackupRecord {
  id: string;
  env: string;
  releaseId: string | null;
  appVersion: string | null;
  database: string;
  serverVersion: string;
  pgDumpVersion: string;
  format: string;
  path: string;
  sizeBytes: number;
  sha256: string;
  durationMs: number;
  schemaVersion: number;
  tableCounts: Record<string, number>;
  status: BackupStatus;
  verifiedAt: string | null;
  verifyDurationMs: number | null;
  verifyResult: VerifyResult | null;
  prunedAt: string | null;
  createdAt: string;
}

type Queryable = Pick<pg.Pool, 'query'>;
const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toRecord(r: Record<string, unknown>): BackupRecord {
  return {
    id: r['id'] as string,
    env: r['env'] as string,
    releaseId: (r['release_id'] as string | null) ?? null,
    appVersion: (r['app_version'] as string | null) ?? null,
    database: r['database'] as string,
    serverVersion: r['server_version'] as string,
    pgDumpVersion: r['pg_dump_version'] as string,
    format: r['format'] as string,
    path: r['path'] as string,
    sizeBytes: Number(r['size_bytes']),
    sha256: r['sha256'] as string,
    durationMs: r['duration_ms'] as number,
    schemaVersion: r['schema_version'] as number,
    tableCounts: r['table_counts'] as Record<string, number>,
    status: r['status'] as BackupStatus,
    verifiedAt: iso(r['verified_at'] as Date | null),
    verifyDurationMs: (r['verify_duration_ms'] as number | null) ?? null,
    verifyResult: (r['verify_result'] as VerifyResult | null) ?? null,
    prunedAt: iso(r['pruned_at'] as Date | null),
    createdAt: iso(r['created_at'] as Date)!,
  };
}

export async function insertBackup(db: Queryable, b: Omit<BackupRecord, 'status' | 'verifiedAt' | 'verifyDurationMs' | 'verifyResult' | 'prunedAt' | 'createdAt'>): Promise<BackupRecord> {
  const r = await db.query(
    `INSERT INTO backups (id, env, release_id, app_version, database, server_version, pg_dump_version, format, path, size_bytes, sha256, duration_ms, schema_version, table_counts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
    [b.id, b.env, b.releaseId, b.appVersion, b.database, b.serverVersion, b.pgDumpVersion, b.format, b.path, b.sizeBytes, b.sha256, b.durationMs, b.schemaVersion, b.tableCounts],
  );
  return toRecord(r.rows[0]);
}

export async function getBackup(db: Queryable, id: string): Promise<BackupRecord | null> {
  const r = await db.query('SELECT * FROM backups WHERE id = $1', [id]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function listBackups(db: Queryable, env: string, opts: { includePruned?: boolean; limit?: number } = {}): Promise<BackupRecord[]> {
  const r = await db.query(
    `SELECT * FROM backups WHERE env = $1 AND ($2 OR status <> 'pruned') ORDER BY created_at DESC, id DESC LIMIT $3`,
    [env, opts.includePruned === true, opts.limit ?? 1000],
  );
  return r.rows.map(toRecord);
}

export async function recordVerification(db: Queryable, id: string, result: VerifyResult, durationMs: number): Promise<BackupRecord> {
  const r = await db.query(
    `UPDATE backups SET status = $2, verified_at = now(), verify_duration_ms = $3, verify_result = $4 WHERE id = $1 RETURNING *`,
    [id, result.ok ? 'verified' : 'verify_failed', durationMs, result],
  );
  return toRecord(r.rows[0]);
}

export async function markPruned(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE backups SET status = 'pruned', pruned_at = now() WHERE id = $1`, [id]);
}

/** The newest backup of a release (the pre-release backup), verified ones first. */
export async function backupOfRelease(db: Queryable, releaseId: string): Promise<BackupRecord | null> {
  const r = await db.query(
    `SELECT * FROM backups WHERE release_id = $1 AND status <> 'pruned' ORDER BY (status = 'verified') DESC, created_at DESC LIMIT 1`,
    [releaseId],
  );
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}

export async function latestVerifiedBackup(db: Queryable, env: string): Promise<BackupRecord | null> {
  const r = await db.query(`SELECT * FROM backups WHERE env = $1 AND status = 'verified' ORDER BY created_at DESC LIMIT 1`, [env]);
  return r.rows[0] ? toRecord(r.rows[0]) : null;
}
