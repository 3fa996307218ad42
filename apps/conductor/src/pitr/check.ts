import { archiveStatus, judgeArchive, type ArchiveStatus, type ArchiveVerdict } from './archive-status.js';
import { archiveCommand } from './conf-file.js';
import type { PitrLayout } from './layout.js';
import { explainPgbackrest, pgbackrest } from './pgbackrest.js';
import { connectServer } from './server.js';

// `ccr pitr check` and the infrastructure gate: the archive's state as found (read before
// pgbackrest check, which itself switches and archives a segment and would make any archive
// look fresh), then `pgbackrest check`, which proves archive_command works end to end.

export interface PitrCheck {
  stanza: string;
  status: ArchiveStatus;
  freshness: ArchiveVerdict;
  pgbackrest: { ok: boolean; detail: string; archivedWal: string | null; durationMs: number };
  ok: boolean;
}

export async function checkPitr(layout: PitrLayout, databaseUrl: string, progress: (l: string) => void = () => undefined): Promise<PitrCheck> {
  const c = await connectServer(databaseUrl, 'pitr check');
  let status: ArchiveStatus;
  try {
    status = await archiveStatus(c, { repoPath: layout.repoPath, stanza: layout.stanza });
  } finally {
    await c.end().catch(() => undefined);
  }
  const freshness = judgeArchive(status, layout.config.maxArchiveAge, archiveCommand(layout));
  progress(`archive as found: ${freshness.detail}`);
  progress('pgbackrest check: switching to a new WAL segment and waiting for it in the repository');
  const started = performance.now();
  const r = await pgbackrest(layout, 'check', [], { logLevel: 'info', timeoutMs: 10 * 60_000 });
  const archivedWal = /WAL segment ([0-9A-F]{24}) successfully archived/.exec(r.stdout)?.[1] ?? null;
  const pgb = { ok: r.code === 0, detail: r.code === 0 ? `archive_command works${archivedWal ? `: ${archivedWal} reached the repository` : ''}` : explainPgbackrest(r), archivedWal, durationMs: Math.round(performance.now() - started) };
  return { stanza: layout.stanza, status, freshness, pgbackrest: pgb, ok: pgb.ok && freshness.ok };
}
