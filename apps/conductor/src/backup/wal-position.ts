// Where the WAL stood when a backup's snapshot was taken, read in the statement that takes it.
// Point-in-time recovery to this LSN (stopping just before it) gives the dump's data; exactly so
// when no WAL was inserted between the read before BEGIN and the snapshot, and no transaction with
// an xid was running at the snapshot (its commit record could precede the LSN while the snapshot
// still saw it as running). A busy server makes it approximate, and `exact` says which.

export interface WalPosition {
  /** pg_current_wal_insert_lsn() at the snapshot: the recovery target of "just before this release". */
  lsn: string;
  walFile: string;
  timeline: number;
  /** clock_timestamp() on the database server. */
  serverTime: string;
  systemIdentifier: string | null;
  exact: boolean;
}

export interface SnapshotWal {
  lsn: string | null;
  wal_file: string | null;
  running: number;
  at: Date;
  sysid: string | null;
}

// The first statement of the REPEATABLE READ transaction: it takes the snapshot, exports it for
// pg_dump, and reads the WAL position and the transactions still running in that snapshot.
export const SNAPSHOT_SQL = `SELECT pg_export_snapshot() AS s,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn()::text END AS lsn,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_insert_lsn()) END AS wal_file,
  (SELECT count(*)::int FROM pg_snapshot_xip(pg_current_snapshot())) AS running,
  clock_timestamp() AS at,
  CASE WHEN has_function_privilege('pg_control_system()', 'EXECUTE') THEN (SELECT system_identifier::text FROM pg_control_system()) END AS sysid`;

export function walPositionOf(before: string | null, row: SnapshotWal): WalPosition | null {
  if (!row.lsn || !row.wal_file) return null;
  return {
    lsn: row.lsn, walFile: row.wal_file, timeline: parseInt(row.wal_file.slice(0, 8), 16), serverTime: row.at.toISOString(),
    systemIdentifier: row.sysid, exact: before === row.lsn && row.running === 0,
  };
}
