import { PassThrough } from 'node:stream';
import pg from 'pg';
import { localExecutor, succeeded } from '../command/index.js';
import { CcrError } from '../errors.js';
import { databaseName, explainToolFailure, findTool, toolCommand, toolConnection, withDatabase } from './pg-tools.js';
import { getBackup, type BackupRecord } from './records.js';
import { pgRestore } from './scratch.js';
import { checkDumpFile } from './verify.js';

// `ccr backup restore <id> --yes [--to <db>]`. With --to, a new database gets the copy
// (pg_restore -j). Without it, the environment's database is replaced in ONE transaction:
// its user schemas are dropped and the dump's SQL (pg_restore -f -) is applied by psql -1, so
// a failure half-way leaves the database exactly as it was.

export interface RestoreInput {
  store: Pick<pg.Pool, 'query'>;
  id: string;
  /** The environment's database (replaced unless `to` is given; its server gets `to`). */
  databaseUrl: string;
  to?: string;
  jobs: number;
  progress?: (line: string) => void;
}

export interface RestoreResult {
  backup: BackupRecord;
  database: string;
  durationMs: number;
}

async function replaceInPlace(file: string, url: string): Promise<void> {
  const conn = toolConnection(url);
  const pgRestoreBin = findTool('pg_restore');
  const psql = findTool('psql');
  // Every schema the app owns goes, so tables added after the backup do not linger.
  const reset = `DO $$ DECLARE s text; BEGIN
    FOR s IN SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%' LOOP
      EXECUTE format('DROP SCHEMA %I CASCADE', s);
    END LOOP;
    DROP SCHEMA public CASCADE; CREATE SCHEMA public;
  END $$;`;
  // psql -1 commits at the end of its input, so it only sees the end once pg_restore exited 0;
  // a pg_restore that fails half-way leaves psql stopped mid-transaction, which rolls back.
  const dump = localExecutor.start(toolCommand(pgRestoreBin, ['--file=-', file], conn), { stdout: 'stream' });
  const sql = new PassThrough();
  dump.stdout?.pipe(sql, { end: false });
  const apply = localExecutor.start(toolCommand(psql, ['--no-password', '--quiet', '--single-transaction', '-v', 'ON_ERROR_STOP=1', `--dbname=${conn.dbArg}`, '-c', reset, '-f', '-'], conn), { stdinFrom: sql });
  const dumpDone = dump.done.then(
    (r) => {
      if (succeeded(r)) sql.end();
      else apply.stop();
      return r;
    },
    (err: unknown) => {
      apply.stop();
      throw err;
    },
  );
  // psql that stopped early (ON_ERROR_STOP) reads no more: pg_restore would block on a full pipe.
  const applyDone = apply.done.finally(() => dump.stop());
  const [restored, applied] = await Promise.allSettled([dumpDone, applyDone]);
  if (restored.status === 'rejected') throw restored.reason;
  if (applied.status === 'rejected') throw applied.reason;
  if (!succeeded(restored.value) || !succeeded(applied.value)) {
    throw new CcrError('backup_failed', `${explainToolFailure('restore', `${restored.value.stderr}${applied.value.stderr}`)} (nothing was changed: the restore runs in one transaction)`);
  }
}

export async function restoreBackup(i: RestoreInput): Promise<RestoreResult> {
  const say = i.progress ?? (() => undefined);
  const b = await getBackup(i.store, i.id);
  if (!b) throw new CcrError('not_found', `no backup ${i.id}`);
  const problems = await checkDumpFile(b);
  if (problems.length) throw new CcrError('backup_failed', `refusing to restore ${b.id}: ${problems.join('; ')}`);
  if (b.status === 'verify_failed') say(`warning: backup ${b.id} failed verification: ${(b.verifyResult?.problems ?? []).join('; ')}`);
  const started = performance.now();
  if (i.to) {
    if (!/^[A-Za-z0-9_]{1,63}$/.test(i.to)) throw new CcrError('usage', `--to: database name "${i.to}" must be letters, digits and _`);
    const c = new pg.Client({ connectionString: i.databaseUrl });
    await c.connect();
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [i.to]);
      if (exists.rowCount) throw new CcrError('conflict', `database ${i.to} already exists; restore --to a new name, or drop it first`);
      await c.query(`CREATE DATABASE ${i.to} TEMPLATE template0`); // clean, like the scratch copies
    } finally {
      await c.end().catch(() => undefined);
    }
    say(`restoring ${b.id} into the new database ${i.to}`);
    await pgRestore(b.path, withDatabase(i.databaseUrl, i.to), { jobs: i.jobs });
    return { backup: b, database: i.to, durationMs: Math.round(performance.now() - started) };
  }
  const name = databaseName(i.databaseUrl);
  say(`replacing database ${name} with backup ${b.id} (taken ${b.createdAt}, schema ${b.schemaVersion}) in one transaction`);
  await replaceInPlace(b.path, i.databaseUrl);
  return { backup: b, database: name, durationMs: Math.round(performance.now() - started) };
}
