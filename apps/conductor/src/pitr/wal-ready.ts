import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { CcrError } from '../errors.js';
import { archiveStatus } from './archive-status.js';
import type { RestoreTarget } from './target.js';

// Recovery can only reach a target whose WAL is in the repository. The segment being written
// now is archived only when it fills or archive_timeout passes, so a target of a few seconds ago
// is usually not there yet: the live server switches segments (pg_switch_wal) and the restore
// waits until that segment is archived.
//
// A time target also needs a commit after it in the archive: recovery stops at the first commit
// later than the target, and since PostgreSQL 13 it refuses to promote when WAL ends first. On
// a quiet server there may be none, so one empty transaction with an xid (txid_current()) writes
// a commit record stamped now, before the switch.

export interface WalReady {
  /** The segment the restore needed, and whether a switch was needed to archive it. */
  segment: string | null;
  switched: boolean;
  waitedMs: number;
}

export async function ensureTargetArchived(live: Pick<pg.Client, 'query'>, target: RestoreTarget, timeoutMs: number, progress: (l: string) => void): Promise<WalReady> {
  const started = performance.now();
  const status = await archiveStatus(live, null);
  const last = status.lastArchivedWal;
  if (target.kind === 'lsn' && last && last >= target.mark.walFile) return { segment: target.mark.walFile, switched: false, waitedMs: 0 };
  let seg: string;
  try {
    if (target.kind === 'time') await live.query('SELECT txid_current()');
    const r = await live.query<{ seg: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS seg');
    seg = r.rows[0]!.seg;
  } catch (err) {
    throw new CcrError('pitr_failed', `the WAL of ${target.description} is not archived yet, and the live server refused pg_switch_wal() (${(err as Error).message}); wait archive_timeout and try again`, { cause: err });
  }
  const need = target.kind === 'lsn' && target.mark.walFile > seg ? target.mark.walFile : seg;
  progress(`switched WAL segments on the live server; waiting for ${need} to be archived`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const s = await archiveStatus(live, null);
    if (s.lastArchivedWal && s.lastArchivedWal >= need) return { segment: need, switched: true, waitedMs: Math.round(performance.now() - started) };
    if (s.failing) throw new CcrError('pitr_failed', `WAL archiving is failing on the live server (${s.lastFailedWal} at ${s.lastFailedAt}): ${need} cannot reach the repository; npx ccr pitr check`);
    await delay(200);
  }
  throw new CcrError('pitr_failed', `${need} was not archived within ${Math.round(timeoutMs / 1000)} s; npx ccr pitr check`);
}
