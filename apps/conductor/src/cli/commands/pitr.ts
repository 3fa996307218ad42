import type { Command } from 'commander';
import { parseDuration } from '../../config/index.js';
import { CcrError } from '../../errors.js';
import { backupPitr, checkPitr, formatAge, refuseEmbedded, resolveLayout, restorePitr, setupPitr, type PitrCheck, type RestoreReport, type SetupReport } from '../../pitr/index.js';
import { audit, currentActor } from '../../store/index.js';
import { openEnv, type OpenEnv } from '../open-env.js';
import { emit, fail, progress, type GlobalOptions } from '../output.js';

// `ccr pitr …`: point-in-time recovery with pgBackRest, next to the pg_dump backups of `ccr backup`.

type Opts = GlobalOptions & { restart?: boolean; replaceArchiveCommand?: boolean; type?: string; to?: string; dataDir?: string; port?: string; stop?: boolean; timeout?: string };

function liveUrl(o: OpenEnv): string {
  refuseEmbedded(o.env, o.envName, o.paths);
  return o.env.databaseUrl!;
}

function action(fn: (o: OpenEnv, opts: Opts) => Promise<void>) {
  return async (...all: unknown[]) => {
    const cmd = all.at(-1) as Command;
    const opts: Opts = { ...cmd.optsWithGlobals<Opts>() };
    try {
      const o = await openEnv(opts.env);
      try {
        await fn(o, opts);
      } finally {
        await o.close();
      }
    } catch (err) {
      fail(opts, err);
    }
  };
}

function setupText(r: SetupReport): string {
  const lines = [`pitr setup of ${r.env}: stanza ${r.stanza}, repository ${r.repoPath}`];
  for (const d of r.createdDirs) lines.push(`  created   ${d}/ (0700)`);
  for (const f of r.files) lines.push(`  ${f.written ? 'wrote    ' : 'unchanged'} ${f.path} (${f.mode})`);
  for (const s of r.settings) lines.push(`  ALTER SYSTEM SET ${s.name} = '${s.to}'   (was '${s.from}'; ${s.applies === 'restart' ? 'needs a restart' : 'applied by reload'})`);
  if (!r.settings.length) lines.push('  server settings already archive to this stanza: no ALTER SYSTEM');
  lines.push(`  restart: ${r.restarted ? `done (pg_ctl restart; server log ${r.restartLog})` : r.restartNeeded ? 'NEEDED for archive_mode/wal_level: restart the server (or run again with --restart), then npx ccr pitr check' : 'not needed'}`);
  lines.push(`  stanza: ${r.stanzaCreated ? 'created' : 'already there'}`);
  if (r.check) lines.push(`  check: ${r.check.ok ? r.check.detail : `FAILED: ${r.check.detail}`}`);
  return lines.join('\n');
}

function checkText(c: PitrCheck): string {
  const s = c.status;
  return [
    `stanza ${c.stanza}: ${c.ok ? 'WAL archiving works' : 'PROBLEM'}`,
    `  newest archived WAL: ${s.newest ? `${s.newest.wal}, ${formatAge(s.newest.ageSeconds)} old (${s.newest.source})` : 'none'}${s.backlog !== null ? `; ${s.backlog} segment(s) waiting` : ''}`,
    `  freshness: ${c.freshness.ok ? 'ok' : 'FAIL'}: ${c.freshness.detail}`,
    `  pgbackrest check: ${c.pgbackrest.ok ? 'ok' : 'FAIL'}: ${c.pgbackrest.detail} (${c.pgbackrest.durationMs} ms)`,
  ].join('\n');
}

function restoreText(r: RestoreReport): string {
  const v = r.verification;
  const d = r.durations;
  return [
    `restored ${r.env} to ${r.target.description} from backup ${r.backupSet.label}`,
    `  data directory: ${r.dataDir}`,
    `  port: ${r.port}   ${r.url}`,
    `  last replayed commit: ${r.lastReplayedCommit ?? 'none'}`,
    `  verification: ${v.ok ? 'ok' : 'FAILED'}: ${v.tables} tables, ${v.rows} rows, schema ${v.schemaVersion}${v.reference ? ` (against backup ${v.reference.backupId}${v.reference.exact ? ', row for row' : ''})` : ''}`,
    ...v.problems.map((p) => `    problem: ${p}`),
    ...v.drift.map((p) => `    drift (writes racing that backup's snapshot): ${p}`),
    `  took ${d.totalMs} ms: restore ${d.restoreMs}, start ${d.startMs}, recovery ${d.recoveryMs}, verify ${d.verifyMs}`,
    r.running ? `  the copy keeps running; stop it with: ${r.stopCommand}` : '  the copy was stopped (--stop); its data directory stays',
  ].join('\n');
}

export function register(program: Command): void {
  const pitr = program
    .command('pitr')
    .description('point-in-time recovery with pgBackRest: WAL archiving, base backups, restore to a time or to just before a release')
    .addHelpText('after', `
Configured per environment in rollout.yaml (environments.<env>.pitr: stanza, repoPath, pgData, …),
for a PostgreSQL server you run on this host. The embedded default keeps pg_dump backups (ccr backup).

Example:
  $ npx ccr pitr setup --env staging --restart
  $ npx ccr pitr backup --env staging --type full
  $ npx ccr pitr restore --env staging --to release:r-20260301090000-aaaa`);

  pitr
    .command('setup')
    .description('write pgBackRest\'s configuration, set archive_command (ALTER SYSTEM), create the stanza; prints every change')
    .option('--restart', 'restart the server with pg_ctl when archive_mode or wal_level changed')
    .option('--replace-archive-command', 'replace an archive_command that is not pgBackRest\'s for this stanza')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nRun it on the database server, as root or as the owner of pgData. Running it again changes nothing.\n\nExample:\n  $ npx ccr pitr setup --env staging --restart --json')
    .action(action(async (o, opts) => {
      const r = await setupPitr({ env: o.env, envName: o.envName, paths: o.paths, databaseUrl: liveUrl(o), restart: opts.restart === true, replaceArchiveCommand: opts.replaceArchiveCommand === true, progress: (l) => progress(opts, l) });
      await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: null, action: 'pitr.setup', result: r.check && !r.check.ok ? 'check_failed' : 'ok', details: { stanza: r.stanza, settings: r.settings, restartNeeded: r.restartNeeded, restarted: r.restarted, files: r.files } });
      emit(opts, r, () => setupText(r));
      if (r.check && !r.check.ok) process.exitCode = 1;
    }));

  pitr
    .command('check')
    .description('is WAL archiving working and fresh? runs pgbackrest check and reports the newest archived segment\'s age; exit 1 when not')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nThe age is read before pgbackrest check, which archives a segment of its own.\n\nExample:\n  $ npx ccr pitr check --env staging')
    .action(action(async (o, opts) => {
      const c = await checkPitr(resolveLayout(o.env, o.envName, o.paths), liveUrl(o), (l) => progress(opts, l));
      emit(opts, c, () => checkText(c));
      if (!c.ok) process.exitCode = 1;
    }));

  pitr
    .command('backup')
    .description('a pgBackRest base backup (full, or incremental on the last one), with progress')
    .option('--type <type>', 'full or incr', 'incr')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nAn incremental backup without a full one before it becomes a full backup.\n\nExample:\n  $ npx ccr pitr backup --env staging --type full')
    .action(action(async (o, opts) => {
      if (opts.type !== 'full' && opts.type !== 'incr') throw new CcrError('usage', `--type must be full or incr, not ${opts.type}`);
      liveUrl(o);
      const r = await backupPitr(resolveLayout(o.env, o.envName, o.paths), opts.type, (l) => progress(opts, l));
      await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: null, action: 'pitr.backup', result: 'ok', details: { label: r.backup.label, type: r.backup.type, sizeBytes: r.backup.sizeBytes, durationMs: r.durationMs } });
      emit(opts, r, () => `backup ${r.backup.label} (${r.backup.type}${r.promotedToFull ? ', no full backup existed' : ''}): ${(r.backup.sizeBytes / 1024 / 1024).toFixed(1)} MB, ${(r.backup.repoBytes / 1024 / 1024).toFixed(1)} MB stored, WAL ${r.backup.lsnStart} to ${r.backup.lsnStop}, ${r.durationMs} ms`);
    }));

  pitr
    .command('restore')
    .description('restore into a NEW data directory and port, recovered to a time or to just before a release, then verify it like ccr backup verify')
    .requiredOption('--to <target>', 'a timestamp with time zone ("2026-03-02 10:15:00+01"), or release:<id> (its recorded WAL position)')
    .option('--data-dir <path>', 'the new data directory (default: <pgData>-pitr-<timestamp>); must be absent or empty')
    .option('--port <port>', 'port of the restored copy (default: a free one)')
    .option('--stop', 'stop the copy after verification')
    .option('--timeout <duration>', 'give up on restore and recovery after this long', '30m')
    .option('--env <name>', 'environment')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
The live cluster is never written to, except that it is asked to archive its current WAL
segment (pg_switch_wal; for a time target after an empty transaction, so a commit later than the
target exists) so the target's WAL is in the repository. The copy keeps running unless --stop.
Exit 1 when the verification finds a problem.

Example:
  $ npx ccr pitr restore --env staging --to "2026-03-02 10:14:59+01" --data-dir /srv/pg/restored
  $ npx ccr pitr restore --env staging --to release:r-20260302100000-bbbb --stop --json`)
    .action(action(async (o, opts) => {
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new CcrError('usage', `--port must be a port number, not ${opts.port}`);
      let timeoutMs: number;
      try {
        timeoutMs = parseDuration(opts.timeout ?? '30m');
      } catch (err) {
        throw new CcrError('usage', `--timeout: ${(err as Error).message}`);
      }
      const r = await restorePitr({
        layout: resolveLayout(o.env, o.envName, o.paths), store: o.store, databaseUrl: liveUrl(o), to: opts.to!, timeoutMs,
        backupConfig: o.env.backup, stop: opts.stop === true, progress: (l) => progress(opts, l),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}), ...(port !== undefined ? { port } : {}),
      });
      await audit(o.store, { actor: currentActor(), env: o.envName, releaseId: r.target.releaseId, action: 'pitr.restore', result: r.verification.ok ? 'ok' : 'verify_failed', details: { target: r.target, backupSet: r.backupSet.label, dataDir: r.dataDir, port: r.port, problems: r.verification.problems, durations: r.durations } });
      emit(opts, r, () => restoreText(r));
      if (!r.verification.ok) process.exitCode = 1;
    }));
}
