import { MigrationError, Migrator } from '@cc/pg-migrate';
import type pg from 'pg';
import { checkDumpFile, createScratch, getBackup, latestVerifiedBackup, pgRestore, type BackupRecord } from '../backup/index.js';
import { CcrError, errorMessage } from '../errors.js';

// `ccr migrate rehearse <version>`: the latest verified backup is restored into a scratch
// database, the release's pending migrations run there with the production timeouts (each
// one timed), then the OLD version's smoke tests run against the migrated schema — the
// expand/contract check, since during a canary both versions share one database. The
// scratch database is always dropped.

export interface RehearsedMigration {
  version: number;
  name: string;
  durationMs: number;
  attempts: number;
}

export interface OldVersionSmoke {
  ok: boolean;
  version: string;
  failed: string[];
  detail: string;
}

export interface RehearsalReport {
  ok: boolean;
  backupId: string;
  scratch: string;
  restoreMs: number;
  migrations: RehearsedMigration[];
  failure: { migration: string; code: string; message: string } | null;
  /** null when no smoke runner was given or the migrations failed. */
  smoke: OldVersionSmoke | null;
  /** compatible: the old version passes on the new schema; incompatible: canary/blue-green are off. */
  expandContract: 'compatible' | 'incompatible' | 'not-checked';
  durationMs: number;
}

export interface RehearseInput {
  store: Pick<pg.Pool, 'query'>;
  env: string;
  /** The environment's database URL: its server gets the scratch copy. */
  serverUrl: string;
  migrationsDir: string;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  retries: number;
  jobs: number;
  backupId?: string;
  /** Runs after the restore, before the migrations (tests hold locks here). */
  beforeMigrate?: (scratchUrl: string) => Promise<void>;
  oldVersionSmoke?: (scratchUrl: string) => Promise<OldVersionSmoke>;
  progress?: (line: string) => void;
}

async function pickBackup(i: RehearseInput): Promise<BackupRecord> {
  const b = i.backupId ? await getBackup(i.store, i.backupId) : await latestVerifiedBackup(i.store, i.env);
  if (!b) throw new CcrError('not_found', i.backupId ? `no backup ${i.backupId}` : `no verified backup of ${i.env} to rehearse on: run ccr backup create && ccr backup verify <id>`);
  if (b.status !== 'verified') throw new CcrError('conflict', `backup ${b.id} is ${b.status}, not verified; rehearse only on a backup that restored cleanly`);
  const problems = await checkDumpFile(b);
  if (problems.length) throw new CcrError('backup_failed', `backup ${b.id}: ${problems.join('; ')}`);
  return b;
}

export async function rehearse(i: RehearseInput): Promise<RehearsalReport> {
  const say = i.progress ?? (() => undefined);
  const started = performance.now();
  const backup = await pickBackup(i);
  const scratch = await createScratch(i.serverUrl, 'ccr_rehearse');
  const report: RehearsalReport = {
    ok: false, backupId: backup.id, scratch: scratch.name, restoreMs: 0, migrations: [], failure: null, smoke: null, expandContract: 'not-checked', durationMs: 0,
  };
  try {
    say(`restoring backup ${backup.id} (schema ${backup.schemaVersion}) into ${scratch.name}`);
    const t0 = performance.now();
    await pgRestore(backup.path, scratch.url, { jobs: i.jobs, noOwner: true });
    report.restoreMs = Math.round(performance.now() - t0);
    await i.beforeMigrate?.(scratch.url);
    const migrator = new Migrator({
      databaseUrl: scratch.url, dir: i.migrationsDir, lockTimeoutMs: i.lockTimeoutMs, statementTimeoutMs: i.statementTimeoutMs, lockRetries: i.retries,
      log: (msg, data) => {
        const m = /^migrated up (\d{4})_(\S+)/.exec(msg);
        if (m) {
          const step = { version: Number(m[1]), name: m[2]!, durationMs: Number(data?.['durationMs'] ?? 0), attempts: Number(data?.['attempts'] ?? 1) };
          report.migrations.push(step);
          say(`  ${m[1]}_${step.name}: ${step.durationMs} ms${step.attempts > 1 ? ` (${step.attempts} attempts)` : ''}`);
        } else say(`  ${msg}`);
      },
    });
    try {
      await migrator.up();
    } catch (err) {
      const code = err instanceof MigrationError ? err.code : 'migration_failed';
      const m = /(\d{4}_[a-z0-9_]+)/.exec(errorMessage(err));
      report.failure = { migration: m?.[1] ?? '?', code, message: errorMessage(err) };
    }
    if (!report.failure && i.oldVersionSmoke) {
      say('running the old version\'s smoke tests against the migrated schema');
      report.smoke = await i.oldVersionSmoke(scratch.url);
      report.expandContract = report.smoke.ok ? 'compatible' : 'incompatible';
    }
  } finally {
    await scratch.drop().catch((err: Error) => say(`warning: could not drop ${scratch.name}: ${err.message}`));
  }
  report.ok = !report.failure && report.expandContract !== 'incompatible';
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

export function describeRehearsal(r: RehearsalReport): string {
  const lines = [`rehearsal on backup ${r.backupId}: restore ${r.restoreMs} ms, ${r.migrations.length} migration(s) applied`];
  for (const m of r.migrations) lines.push(`  ${String(m.version).padStart(4, '0')}_${m.name}  ${m.durationMs} ms${m.attempts > 1 ? `  (${m.attempts} attempts)` : ''}`);
  if (r.failure) lines.push(`FAILED at ${r.failure.migration} (${r.failure.code}): ${r.failure.message}`);
  if (r.smoke) {
    lines.push(r.smoke.ok
      ? `old version ${r.smoke.version} passes its smoke tests on the new schema: expand/contract compatible`
      : `old version ${r.smoke.version} FAILS on the new schema (${r.smoke.failed.join(', ')}): this release cannot use canary or blue/green; it must be roll-forward-only and run with maintenance mode`);
  }
  lines.push(`${r.ok ? 'ok' : 'NOT OK'} in ${r.durationMs} ms; scratch database ${r.scratch} dropped`);
  return lines.join('\n');
}
