import { rm } from 'node:fs/promises';
import type pg from 'pg';
import { IN_FLIGHT } from '../store/index.js';
import { listBackups, markPruned, type BackupRecord } from './records.js';

// Retention keeps the newest `keep` backups and every backup younger than `keepDays`; of the
// rest, the backups taken by the current or previous release (the ones a rollback or a
// restore of that release needs) and by a release still in flight are never pruned.

export interface PruneResult {
  pruned: BackupRecord[];
  protectedIds: string[];
}

export async function protectedReleaseIds(db: Pick<pg.Pool, 'query'>, env: string): Promise<Set<string>> {
  const r = await db.query<{ id: string }>(
    `SELECT r.id FROM releases r LEFT JOIN environments e ON e.env = r.env
      WHERE r.env = $1 AND (r.state = ANY($2) OR r.version IN (e.active_version, e.previous_version))`,
    [env, IN_FLIGHT],
  );
  return new Set(r.rows.map((row) => row.id));
}

export async function pruneBackups(db: Pick<pg.Pool, 'query'>, env: string, policy: { keep: number; keepDays: number }, now = new Date()): Promise<PruneResult> {
  const all = await listBackups(db, env);
  const releases = await protectedReleaseIds(db, env);
  const cutoff = now.getTime() - policy.keepDays * 86_400_000;
  const pruned: BackupRecord[] = [];
  const protectedIds: string[] = [];
  for (const [i, b] of all.entries()) {
    if (i < policy.keep || Date.parse(b.createdAt) >= cutoff) continue;
    if (b.releaseId && releases.has(b.releaseId)) {
      protectedIds.push(b.id);
      continue;
    }
    await rm(b.path, { force: true });
    await rm(`${b.path}.sha256`, { force: true });
    await markPruned(db, b.id);
    pruned.push(b);
  }
  return { pruned, protectedIds };
}
