import type pg from 'pg';
import type { WalPosition } from '../backup/index.js';

// The `release_wal_marks` table (migrations/0004_wal_marks.up.sql): where the WAL stood when a
// release began. The first mark of a release wins, so a resumed release keeps its true start.

type Queryable = Pick<pg.Pool, 'query'>;

export interface WalMark extends WalPosition {
  releaseId: string;
  env: string;
  backupId: string | null;
  recordedAt: string;
}

export async function recordWalMark(db: Queryable, m: { releaseId: string; env: string; backupId: string | null; position: WalPosition }): Promise<WalMark> {
  const p = m.position;
  await db.query(
    `INSERT INTO release_wal_marks (release_id, env, lsn, wal_file, timeline, server_time, system_identifier, backup_id, exact)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (release_id) DO NOTHING`,
    [m.releaseId, m.env, p.lsn, p.walFile, p.timeline, p.serverTime, p.systemIdentifier, m.backupId, p.exact],
  );
  return (await getWalMark(db, m.releaseId))!;
}

export async function getWalMark(db: Queryable, releaseId: string): Promise<WalMark | null> {
  const r = await db.query<{
    release_id: string; env: string; lsn: string; wal_file: string; timeline: number; server_time: Date;
    system_identifier: string | null; backup_id: string | null; exact: boolean; recorded_at: Date;
  }>('SELECT * FROM release_wal_marks WHERE release_id = $1', [releaseId]);
  const row = r.rows[0];
  if (!row) return null;
  return {
    releaseId: row.release_id, env: row.env, lsn: row.lsn, walFile: row.wal_file, timeline: row.timeline,
    serverTime: row.server_time.toISOString(), systemIdentifier: row.system_identifier, backupId: row.backup_id,
    exact: row.exact, recordedAt: row.recorded_at.toISOString(),
  };
}
