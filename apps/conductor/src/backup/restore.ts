import { spawn } from 'node:child_process';
import pg from 'pg';
import { CcrError } from '../errors.js';
import { databaseName, explainToolFailure, findTool, toolConnection, withDatabase } from './pg-tools.js';
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
  await new Promise<void>((resolve, reject) => {
    const env = { ...process.env, ...conn.env };
    const dump = spawn(pgRestoreBin, ['--file=-', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const apply = spawn(psql, ['--no-password', '--quiet', '--single-transaction', '-v', 'ON_ERROR_STOP=1', `--dbname=${conn.dbArg}`, '-c', reset, '-f', '-'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    dump.stdout.pipe(apply.stdin);
    let errs = '';
    dump.stderr.on('data', (d: Buffer) => (errs = (errs + d.toString()).slice(-4000)));
    apply.stderr.on('data', (d: Buffer) => (errs = (errs + d.toString()).slice(-4000)));
    dump.on('error', reject);
    apply.on('error', reject);
    apply.on('close', (code) => (code === 0 ? resolve() : reject(new CcrError('backup_failed', `${explainToolFailure('restore', errs)} (nothing was changed: the restore runs in one transaction)`))));
  });
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
      if (exists.rowCount) throw new CcrError('usage', `database ${i.to} already exists; restore --to a new name, or drop it first`);
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
