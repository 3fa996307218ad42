import type { Command } from 'commander';
import { backupDir, createBackup, getBackup, listBackups, pruneBackups, restoreBackup, verifyBackup, type BackupRecord } from '../../backup/index.js';
import { CcrError } from '../../errors.js';
import { dataAtRisk, describeAtRisk } from '../../schema/at-risk.js';
import { audit, currentActor } from '../../store/index.js';
import { openEnv, type OpenEnv } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

type Opts = GlobalOptions & { release?: string; prune?: boolean; verify?: boolean; all?: boolean; yes?: boolean; to?: string };

function needDb(o: OpenEnv): string {
  if (!o.appDatabaseUrl) throw new CcrError('config_invalid', `environment ${o.envName} has no databaseUrl and no local runtime database is recorded (start it: npx ccr up)`);
  return o.appDatabaseUrl;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
function line(b: BackupRecord): string {
  const rows = Object.values(b.tableCounts).reduce((a, n) => a + n, 0);
  const v = b.status === 'verified' ? `verified in ${b.verifyDurationMs} ms` : b.status === 'verify_failed' ? `VERIFY FAILED: ${(b.verifyResult?.problems ?? []).join('; ')}` : b.status;
  return `${b.id}  ${b.createdAt.slice(0, 19)}  ${b.database}  schema ${b.schemaVersion}  ${rows} rows  ${mb(b.sizeBytes)}  ${b.durationMs} ms  ${b.releaseId ?? '-'}  ${v}`;
}

function action(fn: (o: OpenEnv, opts: Opts, args: string[]) => Promise<void>) {
  return async (...all: unknown[]) => {
    const cmd = all.at(-1) as Command;
    const opts: Opts = { ...cmd.optsWithGlobals<Opts>() };
    try {
      const o = await openEnv(opts.env);
      try {
        await fn(o, opts, all.slice(0, -2).filter((a): a is string => typeof a === 'string'));
      } finally {
        await o.close();
      }
    } catch (err) {
      fail(opts, err);
    }
  };
}

export function register(program: Command): void {
  const backup = program
    .command('backup')
    .description("backups of the environment's database: pg_dump -Fc + sha256, verified by a real restore")
    .addHelpText('after', '\nExample:\n  $ npx ccr backup create --verify\n  $ npx ccr backup list --json');
  backup
    .command('create')
    .description('dump the database (rows counted in the dump\'s own snapshot), record it, then apply retention')
    .option('--release <id>', 'the release this backup belongs to')
    .option('--verify', 'verify it right away (restore into a scratch database)')
    .option('--no-prune', 'skip retention')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr backup create --verify --json')
    .action(action(async (o, opts) => {
      const say = (l: string) => progress(opts, l);
      let b: BackupRecord = await createBackup({ store: o.store, env: o.envName, databaseUrl: needDb(o), dir: backupDir(o.env, o.envName, o.paths), releaseId: opts.release ?? null, progress: say });
      await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: b.releaseId, action: 'backup.create', result: 'ok', details: { id: b.id, sizeBytes: b.sizeBytes } });
      if (opts.verify) b = await verifyBackup({ store: o.store, id: b.id, serverUrl: needDb(o), config: o.env.backup, progress: say });
      const pruned = opts.prune === false ? null : await pruneBackups(o.store, o.envName, o.env.backup);
      emit(opts, { backup: b, pruned: pruned?.pruned.map((p) => p.id) ?? [] }, () => `${line(b)}\n${b.path}${pruned?.pruned.length ? `\npruned ${pruned.pruned.map((p) => p.id).join(', ')}` : ''}`);
      if (b.status === 'verify_failed') process.exitCode = 1;
    }));
  backup
    .command('list')
    .description('backups of the environment, newest first, with their verification')
    .option('--all', 'include pruned ones')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr backup list')
    .action(action(async (o, opts) => {
      const list = await listBackups(o.store, o.envName, { includePruned: opts.all === true });
      emit(opts, { env: o.envName, backups: list }, () => (list.length ? list.map(line).join('\n') : `no backups of ${o.envName} yet: npx ccr backup create`));
    }));
  backup
    .command('verify <id>')
    .description('restore into a scratch database and compare tables, row counts, schema version and sanity queries; exit 1 when it fails')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr backup verify b-20260101120000-abc123')
    .action(action(async (o, opts, [id]) => {
      const b = await verifyBackup({ store: o.store, id: id!, serverUrl: needDb(o), config: o.env.backup, progress: (l) => progress(opts, l) });
      await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: b.releaseId, action: 'backup.verify', result: b.status, details: { id: b.id, problems: b.verifyResult?.problems ?? [] } });
      emit(opts, { backup: b }, () => line(b));
      if (b.status !== 'verified') process.exitCode = 1;
    }));
  backup
    .command('restore <id>')
    .description("restore a backup: into a new database with --to, else REPLACING the environment's database (one transaction)")
    .option('--yes', 'required: confirm the restore')
    .option('--to <db>', 'restore into this new database instead')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nWithout --to, every row written since the backup is lost; without --yes it only shows which.\n\nExample:\n  $ npx ccr backup restore b-20260101120000-abc123 --to cc_copy --yes')
    .action(action(async (o, opts, [id]) => {
      const db = needDb(o);
      const b = await getBackup(o.store, id!);
      if (!b) throw new CcrError('not_found', `no backup ${id}`);
      if (!opts.yes) {
        const atRisk = opts.to ? [] : await dataAtRisk(db, b);
        throw new CcrError('usage', `restoring ${b.id} (taken ${b.createdAt}, schema ${b.schemaVersion}) ${opts.to ? `into the new database ${opts.to}` : `REPLACES database ${b.database}; data written since then that would be lost:\n${describeAtRisk(atRisk)}\n`} — add --yes to confirm`, { details: { atRisk } });
      }
      const r = await restoreBackup({ store: o.store, id: b.id, databaseUrl: db, jobs: o.env.backup.jobs, progress: (l) => progress(opts, l), ...(opts.to ? { to: opts.to } : {}) });
      await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: b.releaseId, action: 'backup.restore', result: 'ok', details: { id: b.id, database: r.database, durationMs: r.durationMs } });
      emit(opts, { restored: b.id, database: r.database, durationMs: r.durationMs }, () => `restored ${b.id} into ${r.database} in ${r.durationMs} ms`);
    }));
  backup
    .command('prune')
    .description('apply retention now: keep backup.keep newest and backup.keepDays days; never the current or previous release\'s')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr backup prune --json')
    .action(action(async (o, opts) => {
      const r = await pruneBackups(o.store, o.envName, o.env.backup);
      emit(opts, { pruned: r.pruned.map((b) => b.id), protected: r.protectedIds }, () => `pruned ${r.pruned.length} backup(s)${r.protectedIds.length ? `; kept ${r.protectedIds.length} of the current/previous release` : ''}`);
    }));
}
