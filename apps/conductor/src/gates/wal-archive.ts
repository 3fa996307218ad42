import { existsSync } from 'node:fs';
import pg from 'pg';
import type { EnvironmentConfig } from '../config/index.js';
import type { CcPaths } from '../paths.js';
import { archiveCommand, archiveStatus, checkPitr, judgeArchive, resolveLayout } from '../pitr/index.js';
import { configFileOf } from '../pitr/layout.js';
import { check, withTimeout, type CheckOutcome } from './types.js';

// The infrastructure gate's WAL archiving check (seed I.2: "automated backups, point-in-time
// recovery"). Where PITR is configured: archiving is on, through pgBackRest for this stanza, not
// failing, and the newest archived segment is fresh (pitr.maxArchiveAge) — read from the server,
// so it works from any host. On the database host itself, `pgbackrest check` also proves the
// archive_command end to end. Where PITR is not configured, it cannot be checked, and says why.

export async function checkWalArchive(envName: string, env: EnvironmentConfig, paths: CcPaths, timeoutMs: number): Promise<CheckOutcome> {
  const p = env.pitr;
  if (!p) {
    return check('wal-archive', 'cannot-check', `no pitr is configured for ${envName} (environments.${envName}.pitr): WAL archiving and point-in-time recovery are not checked; npx ccr pitr setup configures them`);
  }
  if (!env.databaseUrl) return check('wal-archive', 'cannot-check', `no databaseUrl is configured for ${envName}: the archiver cannot be asked`);
  const target = { stanza: p.stanza, configFile: configFileOf(p) };
  const c = new pg.Client({ connectionString: env.databaseUrl, connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs });
  c.on('error', () => undefined);
  let evidence: Record<string, unknown>;
  let verdict;
  try {
    await withTimeout(timeoutMs, 'connect', c.connect());
    const status = await withTimeout(timeoutMs, 'pg_stat_archiver', archiveStatus(c, { repoPath: p.repoPath, stanza: p.stanza }));
    verdict = judgeArchive(status, p.maxArchiveAge, archiveCommand(target));
    evidence = { stanza: p.stanza, maxArchiveAgeSeconds: p.maxArchiveAge / 1000, ...status, archiveCommand: status.archiveCommand === null ? null : status.archiveCommand === archiveCommand(target) ? 'pgbackrest (this stanza)' : 'other' };
  } catch (err) {
    return check('wal-archive', 'fail', `cannot read the archiver's state: ${(err as Error).message}`, { stanza: p.stanza });
  } finally {
    await c.end().catch(() => undefined);
  }
  if (!verdict.ok) return check('wal-archive', 'fail', verdict.detail, evidence);
  if (!existsSync(target.configFile) || !existsSync(p.pgData)) {
    return check('wal-archive', 'pass', `${verdict.detail}; pgbackrest check not run: ${target.configFile} is not on this host`, { ...evidence, pgbackrestCheck: 'not on this host' });
  }
  try {
    const r = await checkPitr(resolveLayout(env, envName, paths), env.databaseUrl);
    const pgb = { ...r.pgbackrest };
    return r.pgbackrest.ok
      ? check('wal-archive', 'pass', `${verdict.detail}; pgbackrest check: ${pgb.detail}`, { ...evidence, pgbackrestCheck: pgb })
      : check('wal-archive', 'fail', `pgbackrest check failed: ${pgb.detail}`, { ...evidence, pgbackrestCheck: pgb });
  } catch (err) {
    return check('wal-archive', 'fail', `pgbackrest check could not run: ${(err as Error).message}`, evidence);
  }
}
