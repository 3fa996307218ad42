import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';

// How WAL archiving is doing, from two sides: the server (pg_stat_archiver, the segments still
// waiting in pg_wal/archive_status) and, where it is on this host, the repository (the newest
// segment file pgBackRest stored, and when). The repository is the better witness: a segment the
// server counts as archived is one archive-push said it stored; the file shows it did.

export interface ArchiveStatus {
  archiveMode: string;
  /** null when the role may not read it. */
  archiveCommand: string | null;
  archivedCount: number;
  failedCount: number;
  lastArchivedWal: string | null;
  lastArchivedAt: string | null;
  lastFailedWal: string | null;
  lastFailedAt: string | null;
  /** The last attempt failed (a failure after the last success): archiving is broken now. */
  failing: boolean;
  /** Completed segments waiting to be archived (.ready files); null when the role may not list them. */
  backlog: number | null;
  currentWal: string | null;
  /** The newest archived segment and its age; null when none was ever archived. */
  newest: { wal: string; archivedAt: string; ageSeconds: number; source: 'repository' | 'server' } | null;
  serverTime: string;
}

type Queryable = Pick<pg.Client, 'query'>;

/** The newest WAL segment file in the stanza's archive, with its modification time. */
export function newestInRepository(repoPath: string, stanza: string): { wal: string; mtime: Date } | null {
  const base = join(repoPath, 'archive', stanza);
  const sorted = (dir: string, re: RegExp, by: (n: string) => string | number = (n) => n) => {
    try {
      return readdirSync(dir).filter((n) => re.test(n)).sort((a, b) => (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : 0));
    } catch {
      return [];
    }
  };
  // archive ids are "<major>-<n>"; the highest n is the current one
  const ids = sorted(base, /^\d+-\d+$/, (n) => Number(n.split('-')[1]));
  for (const id of ids.reverse()) {
    for (const group of sorted(join(base, id), /^[0-9A-F]{16}$/).reverse()) {
      const files = sorted(join(base, id, group), /^[0-9A-F]{24}-[0-9a-f]{40}/);
      const last = files.at(-1);
      if (last) return { wal: last.slice(0, 24), mtime: statSync(join(base, id, group, last)).mtime };
    }
  }
  return null;
}

export async function archiveStatus(c: Queryable, repo: { repoPath: string; stanza: string } | null): Promise<ArchiveStatus> {
  const r = await c.query<{
    mode: string; cmd: string | null; archived_count: number; failed_count: number; last_archived_wal: string | null; last_archived_time: Date | null;
    last_failed_wal: string | null; last_failed_time: Date | null; current_wal: string | null; now: Date;
  }>(
    `SELECT current_setting('archive_mode') AS mode, (SELECT setting FROM pg_settings WHERE name = 'archive_command') AS cmd,
            a.archived_count::int, a.failed_count::int, a.last_archived_wal, a.last_archived_time, a.last_failed_wal, a.last_failed_time,
            CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS current_wal, now() AS now
       FROM pg_stat_archiver a`,
  );
  const row = r.rows[0]!;
  let backlog: number | null = null;
  try {
    const b = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'`);
    backlog = b.rows[0]!.n;
  } catch {
    // needs superuser or pg_monitor: the backlog stays unknown
  }
  const now = row.now;
  let newest: ArchiveStatus['newest'] = null;
  const fromRepo = repo ? newestInRepository(repo.repoPath, repo.stanza) : null;
  if (fromRepo) newest = { wal: fromRepo.wal, archivedAt: fromRepo.mtime.toISOString(), ageSeconds: Math.max(0, (now.getTime() - fromRepo.mtime.getTime()) / 1000), source: 'repository' };
  else if (row.last_archived_wal && row.last_archived_time) {
    newest = { wal: row.last_archived_wal, archivedAt: row.last_archived_time.toISOString(), ageSeconds: Math.max(0, (now.getTime() - row.last_archived_time.getTime()) / 1000), source: 'server' };
  }
  const lastOk = row.last_archived_time?.getTime() ?? 0;
  const lastBad = row.last_failed_time?.getTime() ?? 0;
  return {
    archiveMode: row.mode, archiveCommand: row.cmd, archivedCount: row.archived_count, failedCount: row.failed_count,
    lastArchivedWal: row.last_archived_wal, lastArchivedAt: row.last_archived_time?.toISOString() ?? null,
    lastFailedWal: row.last_failed_wal, lastFailedAt: row.last_failed_time?.toISOString() ?? null,
    failing: lastBad > lastOk, backlog, currentWal: row.current_wal, newest, serverTime: now.toISOString(),
  };
}

/** Age rounded for people: "42 s", "12 min", "3.5 h". */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export interface ArchiveVerdict {
  ok: boolean;
  detail: string;
}

/**
 * Whether archiving works and is fresh: on, through the expected command, not failing, and the
 * newest segment no older than `maxAgeMs` — unless nothing waits to be archived (an idle server
 * writes no WAL, so an old newest segment is then no sign of trouble).
 */
export function judgeArchive(s: ArchiveStatus, maxAgeMs: number, expectedCommand?: string): ArchiveVerdict {
  const max = formatAge(maxAgeMs / 1000);
  if (s.archiveMode === 'off') return { ok: false, detail: 'archive_mode is off: no WAL is archived (ccr pitr setup, then restart the server)' };
  if (expectedCommand && s.archiveCommand !== null && s.archiveCommand !== expectedCommand) {
    return { ok: false, detail: `archive_command is '${s.archiveCommand}', not pgBackRest's for this stanza (ccr pitr setup)` };
  }
  if (s.failing) return { ok: false, detail: `archiving is failing: ${s.lastFailedWal} failed at ${s.lastFailedAt} (${s.failedCount} failures since the statistics reset); the last success was ${s.lastArchivedWal ?? 'never'}` };
  if (!s.newest) return { ok: false, detail: 'no WAL segment has been archived yet' };
  const age = `${s.newest.wal} archived ${formatAge(s.newest.ageSeconds)} ago`;
  if (s.newest.ageSeconds * 1000 <= maxAgeMs) return { ok: true, detail: `newest ${age} (max ${max})` };
  if (s.backlog === 0) return { ok: true, detail: `newest ${age}, older than ${max}, but no segment waits: the server wrote no WAL since` };
  return { ok: false, detail: `newest ${age}, older than the ${max} allowed, while ${s.backlog === null ? 'an unknown number of' : s.backlog} segment(s) wait to be archived` };
}
