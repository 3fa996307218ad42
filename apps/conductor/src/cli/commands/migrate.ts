import { join } from 'node:path';
import type { Command } from 'commander';
import { loadArtifact } from '../../artifacts/store.js';
import { environment, loadRollout } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import { ccPaths } from '../../paths.js';
import { describeHazards, lintMigrations } from '../../schema/lint.js';
import { artifactSmoke } from '../../schema/old-version-smoke.js';
import { describeRehearsal, rehearse } from '../../schema/rehearse.js';
import { getEnvState } from '../../store/index.js';
import { appDatabaseUrl, openEnv } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

type LintOpts = GlobalOptions & { dir?: string; version?: string; databaseUrl?: string; all?: boolean };
type RehearseOpts = GlobalOptions & { backup?: string; smoke?: boolean };

export function register(program: Command): void {
  const migrate = program
    .command('migrate')
    .description('migration safety: lint the pending migrations with squawk, rehearse them on a restored backup')
    .addHelpText('after', '\nExample:\n  $ npx ccr migrate lint\n  $ npx ccr migrate rehearse v1.5.0');
  migrate
    .command('lint')
    .description('squawk over the pending migrations, findings mapped to hazards; exit 2 on an unacknowledged hazard')
    .option('--dir <path>', 'migrations folder (default: the artifact of --version, else apps/api/migrations)')
    .option('--version <v>', "lint this artifact's migrations")
    .option('--database-url <url>', "only migrations not applied here (default: the environment's database)")
    .option('--all', 'lint every migration, applied or not')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Acknowledge a hazard in the migration file, with a reason (destructive ones make the release roll-forward-only):
  -- ccr:ack ban-drop-column the code stopped reading users.legacy_email in v1.4

Example:
  $ npx ccr migrate lint --json | jq .hazards`)
    .action(async (cmdOpts: LintOpts, cmd: Command) => {
      const opts: LintOpts = { ...cmd.optsWithGlobals<LintOpts>(), ...cmdOpts };
      try {
        const { config } = loadRollout();
        const { env } = environment(config, opts.env);
        const paths = ccPaths();
        const dir = opts.dir ?? (opts.version
          ? (() => { const a = loadArtifact(paths.artifacts, opts.version); return join(a.dir, a.manifest.migrationsDir); })()
          : join(paths.projectRoot, 'apps/api/migrations'));
        const databaseUrl = opts.all ? null : (opts.databaseUrl ?? appDatabaseUrl(env, paths));
        const r = await lintMigrations({ dir, databaseUrl, lockTimeoutMs: env.migrations.lockTimeout, statementTimeoutMs: env.migrations.statementTimeout });
        const problems = describeHazards(r);
        emit(opts, { ...r, dir, problems }, () => [
          `linted ${r.linted.length} pending migration(s) in ${dir}${databaseUrl ? '' : ' (all: no database to compare with)'}`,
          ...problems.map((p) => `  HAZARD ${p}`),
          ...r.acknowledged.map((f) => `  acknowledged ${f.migration}:${f.line} ${f.hazard} (${f.rule}): ${f.acknowledged}`),
          ...r.advice.map((f) => `  advice ${f.migration}:${f.line} ${f.rule}: ${f.message}`),
          r.ok ? `ok${r.rollForwardOnly ? ' — an acknowledged destructive change makes this release roll-forward-only' : ''}` : `${r.hazards.length + r.invalidAcks.length} hazard(s): the migration-lint gate fails`,
        ].join('\n'));
        if (!r.ok) process.exitCode = 2;
      } catch (err) {
        fail(opts, err);
      }
    });
  migrate
    .command('rehearse <version>')
    .description("restore the latest verified backup into a scratch database, run <version>'s pending migrations there with production timeouts, then the old version's smoke tests")
    .option('--backup <id>', 'rehearse on this (verified) backup instead of the latest')
    .option('--no-smoke', "skip the old version's smoke tests (the expand/contract check)")
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExample:\n  $ npx ccr migrate rehearse v1.5.0 --json')
    .action(async (version: string, cmdOpts: RehearseOpts, cmd: Command) => {
      const opts: RehearseOpts = { ...cmd.optsWithGlobals<RehearseOpts>(), ...cmdOpts };
      try {
        const o = await openEnv(opts.env);
        try {
          if (!o.appDatabaseUrl) throw new CcrError('config_invalid', `environment ${o.envName} has no databaseUrl and no local runtime database is recorded`);
          const artifact = loadArtifact(o.paths.artifacts, version);
          const active = (await getEnvState(o.store, o.envName)).activeVersion;
          const old = opts.smoke !== false && active && active !== version ? loadArtifact(o.paths.artifacts, active) : null;
          const m = o.env.migrations;
          const r = await rehearse({
            store: o.store, env: o.envName, serverUrl: o.appDatabaseUrl, migrationsDir: join(artifact.dir, artifact.manifest.migrationsDir),
            lockTimeoutMs: m.lockTimeout, statementTimeoutMs: m.statementTimeout, retries: m.retries, jobs: o.env.backup.jobs,
            progress: (l) => progress(opts, l), ...(opts.backup ? { backupId: opts.backup } : {}), ...(old ? { oldVersionSmoke: artifactSmoke(old) } : {}),
          });
          emit(opts, r, () => describeRehearsal(r));
          if (!r.ok) process.exitCode = 2;
        } finally {
          await o.close();
        }
      } catch (err) {
        fail(opts, err);
      }
    });
}
