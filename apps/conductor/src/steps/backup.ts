import { backupDir, backupOfRelease, createBackup, getBackup, pruneBackups, verifyBackup } from '../backup/index.js';
import type { RolloutContext } from '../engine/context.js';
import { registerStep } from '../engine/registry.js';
import { done, fail } from '../engine/step-result.js';
import { errorMessage } from '../errors.js';
import { recordWalMark } from '../pitr/wal-marks.js';

// backup.create (seed I.3 "Final Backup") and backup.verify ("Verify Backup & Recovery Plan").
// The release remembers its backup id, so a resumed release neither dumps twice nor verifies
// another backup; a backup that failed verification never satisfies the gate. backup.create
// also records where the WAL stood at the dump's snapshot (release_wal_marks), the target of
// `ccr pitr restore --to release:<id>`.

function log(ctx: RolloutContext, message: string): void {
  ctx.progress({ type: 'log', level: 'info', message });
}

registerStep('backup.create', {
  async reconcile(ctx) {
    const known = ctx.release.data['backupId'];
    if (typeof known === 'string') {
      const b = await getBackup(ctx.store, known);
      if (b && b.status !== 'pruned') return done(`backup ${b.id} of this release already taken (${b.sizeBytes} bytes, schema ${b.schemaVersion})`, { backupId: b.id });
    }
    const { paths, databaseUrl: url } = ctx.services;
    if (!url) return fail(`environment ${ctx.envName} has no databaseUrl and no local runtime database is recorded`);
    try {
      const b = await createBackup({
        store: ctx.store, env: ctx.envName, databaseUrl: url, dir: backupDir(ctx.env, ctx.envName, paths),
        releaseId: ctx.release.id, appVersion: ctx.release.previousVersion, progress: (l) => log(ctx, l),
      });
      // The WAL position of the dump's snapshot is recorded before the release remembers the
      // backup: a resume that finds the backup id finds the mark too.
      const mark = b.walPosition ? await recordWalMark(ctx.store, { releaseId: ctx.release.id, env: ctx.envName, backupId: b.id, position: b.walPosition }) : null;
      if (!mark && ctx.env.pitr) return fail(`backup ${b.id} was taken, but the server gave no WAL position (a standby?): point-in-time recovery to this release would have no target`);
      await ctx.update({ data: { backupId: b.id } });
      await ctx.audit('backup.create', 'ok', { id: b.id, sizeBytes: b.sizeBytes, durationMs: b.durationMs, schemaVersion: b.schemaVersion, walLsn: mark?.lsn ?? null });
      const pruned = await pruneBackups(ctx.store, ctx.envName, ctx.env.backup);
      const rows = Object.values(b.tableCounts).reduce((a, n) => a + n, 0);
      const at = mark ? `; WAL at ${mark.lsn} (${mark.serverTime})` : '';
      return done(`backup ${b.id}: ${Object.keys(b.tableCounts).length} tables, ${rows} rows, ${Math.round(b.sizeBytes / 1024)} KiB in ${b.durationMs} ms${at}${pruned.pruned.length ? `; pruned ${pruned.pruned.length} old backup(s)` : ''}`, {
        backupId: b.id, sha256: b.sha256, path: b.path, ...(mark ? { walLsn: mark.lsn, walTime: mark.serverTime } : {}),
      });
    } catch (err) {
      return fail(`backup failed: ${errorMessage(err)}`);
    }
  },
});

registerStep('backup.verify', {
  async reconcile(ctx) {
    const id = ctx.release.data['backupId'];
    const b = typeof id === 'string' ? await getBackup(ctx.store, id) : await backupOfRelease(ctx.store, ctx.release.id);
    if (!b) return fail('this release has no backup to verify: the backup.create step must run first');
    if (b.status === 'verified') return done(`backup ${b.id} verified (${b.verifyResult?.rows ?? 0} rows, schema ${b.verifyResult?.schemaVersion ?? '?'})`, { backupId: b.id });
    if (b.status === 'verify_failed') return fail(`backup ${b.id} failed verification and cannot satisfy this gate: ${(b.verifyResult?.problems ?? []).join('; ')}`);
    const url = ctx.services.databaseUrl;
    if (!url) return fail(`environment ${ctx.envName} has no database URL to restore the scratch copy on`);
    try {
      const v = await verifyBackup({ store: ctx.store, id: b.id, serverUrl: url, config: ctx.env.backup, progress: (l) => log(ctx, l) });
      await ctx.audit('backup.verify', v.status, { id: v.id, durationMs: v.verifyDurationMs, problems: v.verifyResult?.problems ?? [] });
      if (v.status !== 'verified') return fail(`backup ${v.id} failed verification: ${(v.verifyResult?.problems ?? []).join('; ')}`, { backupId: v.id });
      return done(`backup ${v.id} restored into a scratch database and verified in ${v.verifyDurationMs} ms: ${v.verifyResult?.tables} tables, ${v.verifyResult?.rows} rows, schema ${v.verifyResult?.schemaVersion}`, { backupId: v.id, verifyDurationMs: v.verifyDurationMs });
    } catch (err) {
      return fail(`verification of ${b.id} could not run: ${errorMessage(err)}`);
    }
  },
});
