import { createHash, randomBytes } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { access, chmod, mkdir, rm, stat, statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { localExecutor, succeeded, type Command } from '../command/index.js';
import { CcrError } from '../errors.js';
import { explainToolFailure, findTool, toolCommand, toolConnection, toolMajor } from './pg-tools.js';
import { publishDurably, writeDurably } from './durable.js';
import { insertBackup, type BackupRecord } from './records.js';
import { SNAPSHOT_SQL, walPositionOf, type SnapshotWal, type WalPosition } from './wal-position.js';
import { schemaVersion, tableCounts } from './table-counts.js';

// A backup is `pg_dump -Fc` (custom format: one compressed file that pg_restore can restore
// in parallel with -j, and select from). pg_dump's own -j needs the directory format, which
// is a folder of files with no single checksum; on the databases we run, one dump process is
// bound by compression, not I/O, so we keep one file and parallelise where it pays: the
// restore of verification (pg_restore -j), and counting rows while pg_dump runs.
//
// The rows are counted in the same snapshot as the dump: a REPEATABLE READ transaction exports
// its snapshot, pg_dump --snapshot uses it, and the counts run in that transaction.
// The statement that takes the snapshot also reads the WAL position (wal-position.ts), which
// the release records so point-in-time recovery can return to the same point.

export interface CreateBackupInput {
  store: Pick<pg.Pool, 'query'>;
  env: string;
  databaseUrl: string;
  dir: string;
  releaseId?: string | null;
  appVersion?: string | null;
  progress?: (line: string) => void;
}

/** The record, and where the WAL stood at the dump's snapshot (null on a standby). */
export type CreatedBackup = BackupRecord & { walPosition: WalPosition | null };

export function newBackupId(now = new Date()): string {
  return `b-${now.toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${randomBytes(3).toString('hex')}`;
}

async function ensureWritable(dir: string): Promise<void> {
  try {
    // Dumps hold password hashes, refresh-token hashes and unused invite codes: owner-only,
    // like .cc/secrets (0700 folders, 0600 files), also for a folder that already existed.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new CcrError('backup_failed', `permission denied: cannot write backups to ${dir} (${code}); choose environments.<env>.backup.dir or fix its owner`, { cause: err });
    }
    throw new CcrError('backup_failed', `cannot use backup folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Free bytes where the dump goes; the estimate is the database size (custom format compresses, so this is an upper bound). */
export async function checkDisk(dir: string, dbBytes: number): Promise<void> {
  const fs = await statfs(dir);
  const free = Number(fs.bavail) * Number(fs.bsize);
  const need = dbBytes + 16 * 1024 * 1024;
  if (free < need) {
    const mb = (n: number) => `${Math.ceil(n / 1024 / 1024)} MB`;
    throw new CcrError('backup_failed', `too little disk space in ${dir}: ${mb(free)} free, the backup needs up to ${mb(need)} (estimated from pg_database_size = ${mb(dbBytes)})`, {
      details: { freeBytes: free, neededBytes: need, databaseBytes: dbBytes },
    });
  }
}

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: 'ccr-backup', connectionTimeoutMillis: 10_000 });
  try {
    await c.connect();
  } catch (err) {
    const code = (err as { code?: string }).code;
    const perm = code === '28000' || code === '28P01' || code === '42501';
    throw new CcrError('backup_failed', `${perm ? 'permission denied: ' : ''}cannot connect to the database to back up: ${(err as Error).message}`, { cause: err });
  }
  c.on('error', () => undefined);
  return c;
}

/** pg_dump to `file`, hashing the bytes as they are written (no second read of the dump). */
async function dumpTo(command: Command, file: string): Promise<string> {
  const dump = localExecutor.start(command, { stdout: 'stream' });
  if (!dump.stdout) return dump.done.then(() => '');
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const written = pipeline(dump.stdout!, tap, createWriteStream(file, { mode: 0o600 })).then(
    () => null,
    (err: NodeJS.ErrnoException) => {
      dump.stop(); // nothing more can be written; pg_dump need not go on
      return err;
    },
  );
  const [writeError, result] = await Promise.all([written, dump.done]);
  if (!succeeded(result)) throw new CcrError('backup_failed', explainToolFailure('pg_dump', result.stderr));
  if (writeError) {
    throw new CcrError('backup_failed', writeError.code === 'ENOSPC' ? `the disk filled up while writing ${file}` : `cannot write ${file}: ${writeError.message}`, { cause: writeError });
  }
  return hash.digest('hex');
}

interface ServerInfo {
  num: string;
  ver: string;
  db: string;
  size: string;
  /** Tables the role cannot SELECT (the first 20): pg_dump would fail on them half-way. */
  denied: string[];
}

/** Connects and reads, in one round trip, what the checks before the dump need. */
async function connectAndInspect(url: string): Promise<{ c: pg.Client; info: ServerInfo }> {
  const c = await connect(url);
  try {
    const r = await c.query<ServerInfo>(
      `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS ver, current_database() AS db,
              pg_database_size(current_database())::bigint AS size,
              ARRAY(SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.relkind IN ('r', 'p', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
                       AND NOT has_table_privilege(c.oid, 'SELECT') ORDER BY 1 LIMIT 20) AS denied`,
    );
    return { c, info: r.rows[0]! };
  } catch (err) {
    await c.end().catch(() => undefined);
    throw err;
  }
}

async function pgDumpTool(): Promise<{ bin: string; major: number; text: string }> {
  const bin = findTool('pg_dump');
  return { bin, ...(await toolMajor(bin)) };
}

export async function createBackup(i: CreateBackupInput): Promise<CreatedBackup> {
  const say = i.progress ?? (() => undefined);
  const started = performance.now();
  // The checks before the dump are independent, so they run at once (pg_dump --version is a
  // process start, the slowest of them); their failures are still reported in the order the
  // checks read: the folder, pg_dump, the connection, then what the server said.
  const [dirResult, toolResult, connResult] = await Promise.allSettled([ensureWritable(i.dir), pgDumpTool(), connectAndInspect(i.databaseUrl)]);
  if (dirResult.status === 'rejected' || toolResult.status === 'rejected' || connResult.status === 'rejected') {
    if (connResult.status === 'fulfilled') await connResult.value.c.end().catch(() => undefined);
    throw [dirResult, toolResult, connResult].find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
  }
  const tool = toolResult.value;
  const pgDump = tool.bin;
  const { c, info } = connResult.value;
  const id = newBackupId();
  const file = join(i.dir, `${id}.dump`);
  const partial = `${file}.partial`;
  let published = false;
  let closing: Promise<void> | null = null;
  try {
    const { num, ver, db, size, denied } = info;
    const serverMajor = Math.floor(Number(num) / 10_000);
    if (tool.major < serverMajor) {
      throw new CcrError('backup_failed', `pg_dump ${tool.major} is older than the server (PostgreSQL ${ver}): pg_dump ${serverMajor} or newer is needed (Debian: apt-get install postgresql-client-${serverMajor}, or set CCR_PG_BIN)`, {
        details: { pgDump: tool.text, server: ver, needed: serverMajor },
      });
    }
    await checkDisk(i.dir, Number(size));
    if (denied.length) {
      throw new CcrError('backup_failed', `permission denied: the role cannot read ${denied.join(', ')}; grant SELECT or back up as the owner`);
    }
    say(`backing up ${db} (${Math.round(Number(size) / 1024 / 1024)} MB on disk, PostgreSQL ${ver}) to ${file}`);
    const before = await c.query<{ lsn: string | null }>(`SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn()::text END AS lsn`);
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snap = await c.query<{ s: string } & SnapshotWal>(SNAPSHOT_SQL);
    const walPosition = walPositionOf(before.rows[0]?.lsn ?? null, snap.rows[0]!);
    const conn = toolConnection(i.databaseUrl);
    const args = ['--format=custom', `--snapshot=${snap.rows[0]!.s}`, '--no-password', `--dbname=${conn.dbArg}`];
    // The counts run while pg_dump works; both read the exported snapshot.
    const [sha, counts, version] = await Promise.all([dumpTo(toolCommand(pgDump, args, conn), partial), tableCounts(c), schemaVersion(c)]);
    await c.query('COMMIT');
    // The source is done with; its session ends while the files and the record are written.
    closing = c.end().catch(() => undefined);
    const bytes = (await stat(partial)).size;
    await publishDurably(partial, file);
    published = true;
    await writeDurably(`${file}.sha256`, `${sha}  ${basename(file)}\n`);
    const durationMs = Math.round(performance.now() - started);
    const rec = await insertBackup(i.store, {
      id, env: i.env, releaseId: i.releaseId ?? null, appVersion: i.appVersion ?? null, database: db, serverVersion: ver,
      pgDumpVersion: tool.text, format: 'custom', path: file, sizeBytes: bytes, sha256: sha, durationMs, schemaVersion: version, tableCounts: counts,
    });
    say(`backup ${id}: ${Object.keys(counts).length} tables, ${Object.values(counts).reduce((a, b) => a + b, 0)} rows, schema ${version}, ${Math.round(bytes / 1024)} KiB in ${durationMs} ms`);
    return { ...rec, walPosition };
  } catch (err) {
    // nothing unrecorded stays behind: a dump without its record is one nobody would prune
    const leftovers = published ? [file, `${file}.sha256`, `${file}.sha256.tmp`] : [partial];
    await Promise.all(leftovers.map((f) => rm(f, { force: true }).catch(() => undefined)));
    throw err;
  } finally {
    await (closing ?? c.end().catch(() => undefined));
  }
}
