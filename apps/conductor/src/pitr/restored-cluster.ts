import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { CcrError } from '../errors.js';
import { writeOwnerFile, type Owner } from './owner-files.js';
import { pgCtlStart, type PgCtl } from './pg-ctl.js';
import type { ServerFacts } from './server.js';

// The restored cluster: its own port (written into postgresql.auto.conf, so a later manual start
// cannot collide with the live server), a configuration where the live one keeps it outside the
// data directory (Debian's /etc/postgresql), then started and watched until recovery has reached
// the target and promoted it.

export const START_LOG = 'ccr-restore.log';

function quote(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

function readIfPossible(file: string | null): string | null {
  if (!file) return null;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Makes the restored data directory startable beside the live one; returns the files it wrote. */
export function prepareRestoredConfig(dataDir: string, port: number, owner: Owner, live: ServerFacts | null): string[] {
  const written: string[] = [];
  const auto = join(dataDir, 'postgresql.auto.conf');
  appendFileSync(auto, `\n# Added by ccr pitr restore: a restored copy, not the live server (its own port).\nport = ${port}\n`);
  written.push(auto);
  if (!existsSync(join(dataDir, 'postgresql.conf'))) {
    // The live server's postgresql.conf names its own data_directory and files; copying it
    // would start the copy on the live data. A minimal file keeps its addresses only.
    const lines = ['# Written by ccr pitr restore: the live server keeps its configuration outside its data directory.'];
    if (live?.listenAddresses) lines.push(`listen_addresses = ${quote(live.listenAddresses)}`);
    if (live?.socketDirs.length) lines.push(`unix_socket_directories = ${quote(live.socketDirs.join(','))}`);
    writeOwnerFile(join(dataDir, 'postgresql.conf'), `${lines.join('\n')}\n`, owner);
    written.push(join(dataDir, 'postgresql.conf'));
    const hba = readIfPossible(live?.hbaFile ?? null) ?? 'local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n';
    writeOwnerFile(join(dataDir, 'pg_hba.conf'), hba, owner);
    writeOwnerFile(join(dataDir, 'pg_ident.conf'), readIfPossible(live?.identFile ?? null) ?? '', owner);
    written.push(join(dataDir, 'pg_hba.conf'), join(dataDir, 'pg_ident.conf'));
  }
  return written;
}

export function logTail(file: string, lines = 12): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startRestored(ctl: PgCtl, dataDir: string, timeoutMs: number): Promise<void> {
  try {
    await pgCtlStart(ctl, dataDir, join(dataDir, START_LOG), Math.ceil(timeoutMs / 1000));
  } catch (err) {
    throw new CcrError('pitr_failed', `the restored cluster did not start: ${(err as Error).message}\n${logTail(join(dataDir, START_LOG))}`, { cause: err });
  }
}

export interface Promoted {
  /** pg_last_xact_replay_timestamp(): the commit time of the last transaction recovery replayed. */
  lastReplayedCommit: string | null;
  recoveryMs: number;
}

/**
 * Polls until recovery reached the target and promoted the cluster (pg_is_in_recovery() false).
 * A postmaster that exits (a target recovery could not reach) is reported with its log.
 */
export async function waitPromoted(url: string, dataDir: string, timeoutMs: number, progress: (l: string) => void): Promise<Promoted> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  let lastSaid = 0;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!existsSync(join(dataDir, 'postmaster.pid'))) {
      throw new CcrError('pitr_failed', `the restored cluster stopped during recovery:\n${logTail(join(dataDir, START_LOG))}`);
    }
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: 'ccr-pitr-restore' });
    c.on('error', () => undefined);
    try {
      await c.connect();
      const r = await c.query<{ rec: boolean; lsn: string | null; at: Date | null }>('SELECT pg_is_in_recovery() AS rec, pg_last_wal_replay_lsn()::text AS lsn, pg_last_xact_replay_timestamp() AS at');
      const row = r.rows[0]!;
      if (!row.rec) return { lastReplayedCommit: row.at?.toISOString() ?? null, recoveryMs: Math.round(performance.now() - started) };
      if (Date.now() - lastSaid > 5000) {
        lastSaid = Date.now();
        progress(`recovering: replayed up to ${row.lsn ?? '?'}${row.at ? ` (commits of ${row.at.toISOString()})` : ''}`);
      }
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      await c.end().catch(() => undefined);
    }
    await delay(200);
  }
  throw new CcrError('pitr_failed', `the restored cluster was still recovering after ${Math.round(timeoutMs / 1000)} s${lastError ? ` (${lastError})` : ''}:\n${logTail(join(dataDir, START_LOG))}`);
}
